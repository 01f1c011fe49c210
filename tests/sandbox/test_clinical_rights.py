"""Who may do what with a patient's data, stated as a clinician would state it.

Each test is one right (or one refusal) taken from the rules, not from `access_matrix.yaml`: a
wrong cell in the matrix, or a service that forgets to ask it, fails here. Each is driven
through the real app (the hand-built DMP world of test_dmp_world: pat-a, whose médecin
traitant is `medecin` = gp1; `medecin2` = doc2 and `urgentiste` = urg1 outside her care team).
The source of each rule is in a comment: design.md's "DMP rules", the Code de la santé publique
(CSP), the ANS/CNAM texts. Where the sandbox is wrong by the rule, the test says so with a
strict xfail naming the rule: the rule is never bent to fit the code.
"""

from __future__ import annotations

import pytest
from test_dmp import DOCS, add, audit_events, diagnostics, ids, search_url
from test_dmp_world import (  # noqa: F401  (world_fixture: the `world` fixture)
    INS_A,
    INS_RECUP,
    World,
    document,
    world_fixture,
)
from test_eprescription import LINES, dispense, prescribe

from synthetic_data.nir import OID_INS_TEST

BREAK_GLASS = "X-Bris-De-Glace"
ERX = "/eprescription/prescriptions"
METFORMIN = [LINES[0]]  # a medicine only physicians (and dentists, midwives on a list) prescribe
PARACETAMOL = [LINES[1]]  # on the midwives' list (arrêté du 12 octobre 2011, antalgiques)
TRAITS = {"nom_naissance": "MARTIN", "prenoms": ["CLAIRE"], "sexe": "F",
          "date_naissance": "1979-03-12"}


def decide(w: World, decision: str, professional: str | None = None,
           reason: str | None = None) -> None:
    """The patient (pat-a) authorises, opposes or lifts, from Mon espace santé."""
    body = {"decision": decision, "professionnel": professional, "motif": reason}
    r = w.http.post("/dmp/consent", json=body, headers=w.as_("patient"))
    assert r.status_code == 200, r.text


def in_emergency(w: World, login: str, reason: str = "Coma profond") -> dict:
    """`login`'s headers for a "bris de glace" access, with its reason."""
    return {**w.as_(login), BREAK_GLASS: reason}


def status(w: World, method: str, url: str, login: str, **kwargs) -> int:
    return w.http.request(method, url, headers=w.as_(login), **kwargs).status_code


# --- the care team, consent and masking --------------------------------------------------------


def test_the_medecin_traitant_reads_her_patients_dmp_without_asking(world):
    # design.md "DMP rules": within the care team, consultation is presumed consented.
    # CSP L.1110-4 III and L.1110-12: what the patient confides to one member of the équipe de
    # soins is deemed confided to the whole team; the médecin traitant belongs to it.
    report = add(world, "infirmier")
    assert ids(world.http.get(search_url(), headers=world.as_("medecin"))) == {report["id"]}


def test_a_doctor_outside_the_care_team_reads_only_with_the_patients_consent(world):
    # CSP L.1110-4 III al. 2 and L.1111-17 I: outside the care team, access needs the prior
    # consent of the patient, informed beforehand (design.md: "outside it, explicit consent").
    report = add(world)
    refused = world.http.get(search_url(), headers=world.as_("medecin2"))
    assert refused.status_code == 403 and "consentement" in diagnostics(refused)
    decide(world, "autoriser", "doc2")
    assert ids(world.http.get(search_url(), headers=world.as_("medecin2"))) == {report["id"]}


def test_any_professional_feeds_the_dmp_without_asking_the_patients_consent(world):
    # CSP L.1111-15: at each act, every professional reports in the DMP what the coordination of
    # care needs; the patient is informed and may object only for a legitimate reason
    # (design.md "DMP rules"): feeding is not subject to consent, unlike reading.
    assert status(world, "GET", search_url(), "medecin2") == 403  # not in the care team
    assert status(world, "POST", DOCS, "medecin2", json=document()) == 201


def test_a_document_masked_to_professionals_is_seen_by_the_medecin_traitant_and_its_author(world):
    # CSP, DMP chapter (L.1111-14 ff.): the patient may make documents inaccessible to
    # professionals (masquage, J58 code MASQUE_PS); design.md "DMP rules": the médecin traitant
    # sees masked documents. The author keeps seeing what they wrote.
    masked = add(world, "urgentiste", confidentiality="MASQUE_PS")
    decide(world, "autoriser", "doc2")  # medecin2 is authorised, yet not for masked documents
    for login in ("medecin", "urgentiste"):
        assert masked["id"] in ids(world.http.get(search_url(), headers=world.as_(login))), login
    assert ids(world.http.get(search_url(), headers=world.as_("medecin2"))) == set()
    assert status(world, "GET", f"{DOCS}/{masked['id']}", "medecin2") == 404


def test_a_document_invisible_to_the_patient_is_hidden_from_her_but_not_from_her_doctor(world):
    # J58 INVISIBLE_PATIENT: a result the patient must learn in a consultation d'annonce stays
    # out of her sight until then (CSP L.1111-2, information delivered in an individual
    # interview); the professionals of her care team see it.
    hidden = add(world, confidentiality="INVISIBLE_PATIENT")
    assert ids(world.http.get(DOCS, headers=world.as_("patient"))) == set()
    assert status(world, "GET", f"{DOCS}/{hidden['id']}", "patient") == 404
    assert ids(world.http.get(search_url(), headers=world.as_("medecin"))) == {hidden["id"]}


# --- emergencies, opposition, the patient's view -----------------------------------------------


def test_break_glass_needs_a_reason_is_traced_and_alerts_the_patient(world):
    # CSP L.1111-17 II: in a situation of immediate risk, a professional may access the DMP
    # without consent; design.md "DMP rules": "bris de glace" must be justified, is traced, and
    # the patient is alerted.
    report = add(world)
    unjustified = world.http.get(search_url(), headers=in_emergency(world, "urgentiste", ""))
    assert unjustified.status_code == 400 and "motif" in diagnostics(unjustified)
    justified = world.http.get(search_url(),
                               headers=in_emergency(world, "urgentiste", "Patiente inconsciente"))
    assert ids(justified) == {report["id"]}
    alerts = world.http.get("/dmp/alerts", headers=world.as_("patient")).json()
    assert [(a["professionnel"], a["motif"]) for a in alerts] == [
        ("urgentiste", "Patiente inconsciente")]
    traced = [e["purposeOfEvent"][0]["text"] for e in audit_events(world)
              if e.get("purposeOfEvent")]
    assert traced == ["Patiente inconsciente"]


def test_the_patients_opposition_to_a_professional_holds_even_in_an_emergency(world):
    # CSP L.1111-17 II: emergency access is allowed "sauf si [la personne] avait auparavant
    # manifesté son opposition expresse"; Mon espace santé lets the patient block a professional.
    add(world)
    decide(world, "opposer", "urg1")
    refused = world.http.get(search_url(), headers=in_emergency(world, "urgentiste"))
    assert refused.status_code == 403 and "opposé" in diagnostics(refused)


def test_a_closed_dmp_is_neither_read_nor_fed_and_closing_it_needs_a_reason(world):
    # design.md "DMP rules": objection only for a legitimate reason; CSP L.1111-14: the DMP is
    # the patient's, who may close it; once closed no professional reads or feeds it.
    report = add(world)
    r = world.http.post("/dmp/consent", json={"decision": "opposer"},
                        headers=world.as_("patient"))
    assert r.status_code == 400 and "motif" in diagnostics(r)
    decide(world, "opposer", reason="Je quitte la France")
    assert status(world, "GET", f"{DOCS}/{report['id']}", "medecin") == 403
    assert status(world, "POST", DOCS, "medecin", json=document()) == 403


@pytest.mark.xfail(strict=True, reason=(
    "Rule: the médecin traitant keeps access to the whole DMP (design.md: he sees even masked "
    "documents; Mon espace santé does not let a patient block her médecin traitant: she "
    "changes médecin traitant instead; to confirm against its help pages). The sandbox accepts an opposition to the médecin "
    "traitant (POST /dmp/consent) and then refuses him (access.consult checks the opposition before "
    "the care team)."))
def test_the_patient_cannot_block_her_medecin_traitant(world):
    report = add(world, "infirmier")
    world.http.post("/dmp/consent", json={"decision": "opposer", "professionnel": "gp1"},
                    headers=world.as_("patient"))
    assert ids(world.http.get(search_url(), headers=world.as_("medecin"))) == {report["id"]}


def test_the_patient_sees_every_access_to_her_dmp_refusals_included(world):
    # CSP L.1111-19 (the patient reads her DMP and the list of who accesses it) and design.md
    # "DMP rules": "the patient sees every access", as AuditEvents (IHE BALP).
    report = add(world)
    world.http.get(f"{DOCS}/{report['id']}", headers=world.as_("medecin"))
    world.http.get(search_url(), headers=world.as_("medecin2"))
    world.http.get(search_url(), headers=in_emergency(world, "urgentiste"))
    world.http.get(search_url(), headers=world.as_("patient-b"))
    world.http.get(f"/dmp/fhir/AuditEvent?patient.identifier={INS_A}",
                   headers=world.as_("facilitateur"))
    seen = {(e["agent"][0]["who"]["display"], e["outcome"]) for e in audit_events(world)}
    assert {("medecin", "0"), ("medecin2", "4"), ("urgentiste", "0"), ("patient-b", "4"),
            ("facilitateur", "0")} <= seen


def test_reading_the_patients_emergency_alerts_shows_in_her_history(world):
    """The patient sees every access (design.md 'DMP rules'), reading her emergency alerts
    included (design.md 'One event stream')."""
    add(world)
    world.http.get(search_url(), headers=in_emergency(world, "urgentiste"))
    r = world.http.get(f"/dmp/alerts?patient.identifier={INS_A}",
                       headers=world.as_("facilitateur"))
    assert r.status_code == 200 and [a["motif"] for a in r.json()] == ["Coma profond"]
    assert "facilitateur" in {e["agent"][0]["who"]["display"] for e in audit_events(world)}


def test_a_patient_reads_and_feeds_her_own_dmp_and_no_one_elses(world):
    # CSP L.1111-14 and L.1111-19: the patient accesses her own DMP (Mon espace santé) and may
    # add documents to it (J57 class 90, "déposé par le patient"); not a professional's report.
    report = add(world)
    assert ids(world.http.get(DOCS, headers=world.as_("patient"))) == {report["id"]}
    assert status(world, "GET", search_url(), "patient-b") == 403
    own = document(type_code="51855-5")
    assert status(world, "POST", DOCS, "patient", json=own) == 201
    assert status(world, "POST", DOCS, "patient-b", json=own) == 403  # pat-a's DMP
    assert status(world, "POST", DOCS, "patient", json=document()) == 403  # a compte rendu


def test_only_a_qualified_ins_feeds_or_opens_the_dmp(world):
    # design.md "Identity statuses": only a qualified identity (QUAL: from INSi AND checked on an
    # ID document) may carry and share the INS; the DMP is fed only with a qualified INS
    # (Référentiel national d'identitovigilance; CSP R.1111-8-1 ff., décret 2019-1036).
    recovered = world.http.post(DOCS, json=document(INS_RECUP), headers=world.as_("medecin"))
    assert recovered.status_code == 422 and "RECUP" in diagnostics(recovered)
    provisional = document()
    provisional["subject"] = {"reference": "Patient/pat-p"}
    assert status(world, "POST", DOCS, "medecin", json=provisional) == 422
    assert status(world, "GET", search_url(INS_RECUP), "medecin") == 422


# --- professions -------------------------------------------------------------------------------


def test_a_pharmacist_dispenses_reads_the_ordonnance_but_does_not_prescribe(world):
    # CSP L.4211-1 (dispensing is the pharmacist's monopoly) and R.4235-48 (the act of
    # dispensing: analysis of the ordonnance); prescribing medicines belongs to médecins,
    # dentists and midwives (L.4141-2, L.4151-4), not to pharmacists (vaccination aside, not
    # modelled). An authorised pharmacist reads the ordonnance filed in the DMP.
    r = world.http.post(ERX, json={"patient": INS_A, "lignes": METFORMIN},
                        headers=world.as_("pharmacien"))
    assert r.status_code == 403
    ordonnance = prescribe(world, lines=METFORMIN)
    assert dispense(world, ordonnance["numero"], 1, 1).status_code == 200
    decide(world, "autoriser", "ph1")
    assert ids(world.http.get(search_url(), headers=world.as_("pharmacien"))) == {
        ordonnance["document_dmp"].removeprefix("DocumentReference/")}


def test_a_physician_prescribes_but_does_not_dispense_and_only_the_prescriber_withdraws(world):
    # CSP L.4211-1: a physician does not dispense (propharmacie aside, not modelled). The
    # ordonnance is the prescriber's signed act (R.5132-3): only she cancels it.
    ordonnance = prescribe(world, lines=METFORMIN)
    assert dispense(world, ordonnance["numero"], 1, 1, login="medecin").status_code == 403
    cancel = f"{ERX}/{ordonnance['numero']}/cancel"
    assert status(world, "POST", cancel, "medecin2") == 403
    assert status(world, "POST", cancel, "medecin") == 200


@pytest.mark.parametrize("login", ["infirmier", "kine"])
def test_nurses_and_physiotherapists_report_read_prescriptions_but_do_not_prescribe(world, login):
    # CSP L.1111-15: every professional reports in the DMP (their care report, J57 class 10);
    # R.4311-7 (nurse) and R.4321-1 ff. (masseur-kinésithérapeute): they act on a prescription,
    # so they read it; their own prescribing is limited to lists (L.4311-1, L.4321-1: medical
    # devices, nicotine substitutes…) where metformin is not.
    ordonnance = add(world, type_code="57833-6")  # filed by the médecin traitant
    report = world.http.post(DOCS, json=document(text="Bilan de soins"), headers=world.as_(login))
    assert report.status_code == 201, report.text
    found = ids(world.http.get(search_url(), headers=world.as_(login)))
    assert found == {ordonnance["id"], report.json()["id"]}
    assert status(world, "POST", ERX, login, json={"patient": INS_A, "lignes": METFORMIN}) == 403


def test_a_midwife_prescribes_from_her_list_and_may_break_the_glass(world):
    # CSP L.4151-4: midwives prescribe the medicines of a list fixed by arrêté; sages-femmes are
    # a medical profession (CSP Book IV part I) and, like physicians, may access the DMP in an
    # emergency (L.1111-17 II; the sandbox grants it to the medical professions).
    report = add(world)
    r = world.http.get(search_url(),
                       headers=in_emergency(world, "sage-femme", "Accouchement inopine"))
    assert ids(r) == {report["id"]}
    assert status(world, "POST", ERX, "sage-femme",
                  json={"patient": INS_A, "lignes": PARACETAMOL}) == 201


def test_a_medical_secretary_checks_identities_but_never_reads_the_dmp(world):
    # Référentiel national d'identitovigilance: admission and secretarial staff recover and
    # check the INS through INSi; they are not health professionals, so the DMP (CSP L.1111-17,
    # professionals taking part in the care) stays closed to them, emergency or not.
    add(world)
    assert status(world, "POST", "/insi/recuperation/traits", "secretaire", json=TRAITS) == 200
    assert status(world, "GET", search_url(), "secretaire") == 403
    r = world.http.get(search_url(), headers=in_emergency(world, "secretaire", "Urgence vitale"))
    assert r.status_code == 403


def test_a_student_neither_reads_the_dmp_nor_queries_insi_nor_prescribes(world):
    # The sandbox's "étudiant en santé" is a learner without a professional's card or
    # responsibility: no DMP (CSP L.1111-17), no INSi, no prescription (L.4161-1, the exercise
    # of medicine is for those entitled to it).
    add(world)
    assert status(world, "GET", search_url(), "etudiant") == 403
    assert status(world, "POST", "/insi/recuperation/traits", "etudiant", json=TRAITS) == 403
    assert status(world, "POST", ERX, "etudiant", json={"patient": INS_A, "lignes": PARACETAMOL}
                  ) == 403


def test_the_facilitator_runs_the_drill_but_reads_no_patient_document(world):
    # design.md: the facilitator (animateur) starts a drill, injects faults and watches the event
    # stream; not a health professional, he never reads a document (CSP L.1110-4: the medical
    # secret is shared only within care), and his reading of the access list is traced.
    report = add(world)
    assert status(world, "PUT", "/admin/faults/dmp", "facilitateur",
                  json={"mode": "indisponible"}) == 200
    assert status(world, "DELETE", "/admin/faults/dmp", "facilitateur") == 204
    assert status(world, "GET", "/admin/events?limit=5", "facilitateur") == 200
    assert status(world, "GET", f"{DOCS}/{report['id']}", "facilitateur") == 403
    r = world.http.get(f"{DOCS}/{report['id']}",
                       headers=in_emergency(world, "facilitateur", "Exercice de crise"))
    assert r.status_code == 403
    r = world.http.get(f"/dmp/fhir/AuditEvent?patient.identifier={OID_INS_TEST}|{INS_A}",
                       headers=world.as_("facilitateur"))
    assert r.status_code == 200
    assert "facilitateur" in {e["agent"][0]["who"]["display"] for e in audit_events(world)}

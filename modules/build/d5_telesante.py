"""D5 « La télésanté »: the notebooks of the assignment d5_telesante."""

from __future__ import annotations

from santelab.course.authoring import NotebookBuilder

INTRO_TESTS = '''
Chaque exercice se termine par une cellule de tests : les tests visibles vous disent si vous
êtes sur la bonne voie ; d'autres tests, cachés, servent à la note finale. Tous les patients
sont **fictifs** : ils viennent de la population synthétique du bac à sable santelab.
'''

SETUP_NOTE = '''
## Mise en route
Exécutez la cellule suivante. Si un message ⚠️ s'affiche, suivez ce qu'il indique.
'''


def actes() -> NotebookBuilder:
    nb = NotebookBuilder("d5-01")
    nb.md('''
    # D5 · Notebook 1 — Les actes de télésanté et leurs conditions

    **Compétences travaillées**
    - **D5.1** Distinguer téléconsultation, téléexpertise, télésurveillance, télésoin, et leurs
      conditions
    - **D5.2** Réaliser un acte à distance dans le respect du droit : consentement, identité,
      traçabilité, compte rendu dans le dossier
    - **D5.4** Juger quand un acte à distance est approprié et quand il ne l'est pas

    **Durée estimée : 2 h 30** (lecture comprise).
    ''' + INTRO_TESTS)
    nb.md(SETUP_NOTE)
    nb.code('''
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from fhir.resources.R4B.encounter import Encounter

    from santelab.course.student import load_population

    population = load_population(n=50, seed=2026)
    patients = list(population.patients)
    print(f"{len(patients)} patients fictifs chargés.")
    ''')
    nb.md('''
    ## Les quatre actes de télésanté
    Le code de la santé publique distingue la **télémédecine**, entre un patient et un ou
    plusieurs **professionnels médicaux** (médecins, sages-femmes, chirurgiens-dentistes), et le
    **télésoin**, entre un patient et un **pharmacien ou un auxiliaire médical** (infirmier,
    masseur-kinésithérapeute, orthophoniste, orthoptiste, diététicien…).

    | acte | qui | quoi |
    |---|---|---|
    | **téléconsultation** | un professionnel médical et le patient | une consultation à distance, en vidéo |
    | **téléexpertise** | un professionnel sollicite l'avis d'un ou plusieurs autres | un avis sur le dossier, sans le patient en face |
    | **télésurveillance** | une équipe médicale | interprétation à distance de données recueillies chez le patient, pour décider de sa prise en charge |
    | **télésoin** | un pharmacien ou un auxiliaire médical et le patient | un soin ou un accompagnement à distance, en vidéo |
    ''')
    nb.md('''
    ## Exercice 1 — Quel acte ? (20 min)
    Pour chaque situation de `situations`, indiquez l'acte : `"téléconsultation"`,
    `"téléexpertise"`, `"télésurveillance"` ou `"télésoin"`.
    ''')
    nb.code('''
    ACTES = ("téléconsultation", "téléexpertise", "télésurveillance", "télésoin")
    situations = {
        "S1": "Un médecin généraliste reçoit en vidéo une patiente qu'il suit, pour une toux qui dure.",
        "S2": "À la demande d'un généraliste, une dermatologue donne son avis sur la photo d'une lésion reçue par messagerie sécurisée, sans voir le patient.",
        "S3": "Une équipe de cardiologie reçoit tous les trois jours le poids d'un patient insuffisant cardiaque pesé à domicile, et l'appelle en cas d'alerte.",
        "S4": "Une orthophoniste fait une séance de rééducation en vidéo avec un enfant.",
        "S5": "Un pharmacien accompagne en vidéo un patient asthmatique dans l'usage de son inhalateur.",
        "S6": "Une sage-femme assure en vidéo une consultation de suivi après l'accouchement.",
        "S7": "Un médecin traitant demande à un gériatre, par messagerie sécurisée et sur dossier, son avis sur le traitement d'un patient de 90 ans.",
        "S8": "Une équipe de diabétologie reçoit les glycémies d'un capteur porté par un patient et adapte son traitement à distance.",
    }
    ''')
    nb.answer("d5-01-classer", '''
    acte = {
        ### BEGIN SOLUTION
        "S1": "téléconsultation",
        "S2": "téléexpertise",
        "S3": "télésurveillance",
        "S4": "télésoin",
        "S5": "télésoin",
        "S6": "téléconsultation",
        "S7": "téléexpertise",
        "S8": "télésurveillance",
        ### END SOLUTION
    }
    ''')
    nb.tests("d5-01-classer-tests", '''
    assert set(acte) == set(situations), "Une réponse par situation, S1 à S8."
    assert set(acte.values()) <= set(ACTES), f"Les réponses possibles : {ACTES}."
    assert acte["S1"] == "téléconsultation", "S1 : un médecin et son patient en vidéo."
    ### BEGIN HIDDEN TESTS
    assert acte == {"S1": "téléconsultation", "S2": "téléexpertise", "S3": "télésurveillance",
                    "S4": "télésoin", "S5": "télésoin", "S6": "téléconsultation",
                    "S7": "téléexpertise", "S8": "télésurveillance"}
    ### END HIDDEN TESTS
    ''', points=4, competencies=["D5.1"], minutes=20)
    nb.md('''
    ## Exercice 2 — Qui peut faire une téléconsultation ? (10 min)
    Pour chaque profession, indiquez si elle peut réaliser une **téléconsultation** (`True`) ;
    sinon (`False`), elle réalise à distance un **télésoin**.
    ''')
    nb.code('''
    professions = ["médecin", "sage-femme", "chirurgien-dentiste", "infirmier",
                   "pharmacien", "masseur-kinésithérapeute"]
    ''')
    nb.answer("d5-01-professions", '''
    teleconsultation_possible = {
        ### BEGIN SOLUTION
        "médecin": True,
        "sage-femme": True,
        "chirurgien-dentiste": True,
        "infirmier": False,
        "pharmacien": False,
        "masseur-kinésithérapeute": False,
        ### END SOLUTION
    }
    ''')
    nb.tests("d5-01-professions-tests", '''
    assert set(teleconsultation_possible) == set(professions), "Une réponse par profession."
    assert teleconsultation_possible["médecin"] is True
    ### BEGIN HIDDEN TESTS
    assert {p for p, v in teleconsultation_possible.items() if v} == {
        "médecin", "sage-femme", "chirurgien-dentiste"}
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D5.1"], minutes=10)
    nb.md('''
    ## Exercice 3 — Les conditions d'un acte à distance (25 min)
    Un acte à distance est un acte de soin comme un autre. Avant de le facturer, on vérifie :
    - **consentement** : le patient a été informé et a consenti à l'acte à distance ;
    - **identité** : l'identité du patient est vérifiée (statut `VALI` ou `QUAL`) ;
    - **vidéo** : une téléconsultation ou un télésoin se fait en vidéo (ne s'applique pas à la
      téléexpertise ni à la télésurveillance) ;
    - **compte rendu** : un compte rendu est versé au dossier du patient (et transmis au
      médecin traitant) ;
    - **traçabilité** : la date, le professionnel et la nature de l'acte sont enregistrés.

    Écrivez `conditions_manquantes(a)` qui renvoie la liste des conditions non remplies, dans
    l'ordre ci-dessus, avec ces libellés exacts : `"consentement"`, `"identité"`, `"vidéo"`,
    `"compte rendu"`, `"traçabilité"`. Un acte est un dictionnaire comme `exemple` ci-dessous.
    ''')
    nb.code('''
    exemple = {
        "acte": "téléconsultation",
        "consentement": True,
        "statut_identite": "QUAL",
        "video": True,
        "compte_rendu": True,
        "trace": {"date": "2026-01-12T10:30", "professionnel": "RPPS 10001234567",
                  "nature": "téléconsultation"},
    }
    ''')
    nb.answer("d5-01-conditions", '''
    def conditions_manquantes(a: dict) -> list[str]:
        ### BEGIN SOLUTION
        manquantes = []
        if not a.get("consentement"):
            manquantes.append("consentement")
        if a.get("statut_identite") not in ("VALI", "QUAL"):
            manquantes.append("identité")
        if a.get("acte") in ("téléconsultation", "télésoin") and not a.get("video"):
            manquantes.append("vidéo")
        if not a.get("compte_rendu"):
            manquantes.append("compte rendu")
        trace = a.get("trace") or {}
        if not all(trace.get(k) for k in ("date", "professionnel", "nature")):
            manquantes.append("traçabilité")
        return manquantes
        ### END SOLUTION
    ''')
    nb.tests("d5-01-conditions-tests", '''
    assert conditions_manquantes(exemple) == [], "L'exemple remplit toutes les conditions."
    assert conditions_manquantes({**exemple, "consentement": False}) == ["consentement"]
    assert conditions_manquantes({**exemple, "statut_identite": "PROV"}) == ["identité"]
    ### BEGIN HIDDEN TESTS
    assert conditions_manquantes({**exemple, "statut_identite": "RECUP"}) == ["identité"]
    assert conditions_manquantes({**exemple, "video": False}) == ["vidéo"]
    assert conditions_manquantes({**exemple, "acte": "téléexpertise", "video": False}) == []
    assert conditions_manquantes({**exemple, "acte": "télésoin", "video": False}) == ["vidéo"]
    sans_trace = {**exemple, "trace": {"date": "2026-01-12T10:30", "nature": "téléconsultation"}}
    assert conditions_manquantes(sans_trace) == ["traçabilité"]
    tout_faux = {"acte": "téléconsultation", "consentement": False, "statut_identite": None,
                 "video": False, "compte_rendu": False}
    assert conditions_manquantes(tout_faux) == [
        "consentement", "identité", "vidéo", "compte rendu", "traçabilité"]
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D5.2"], minutes=25)
    nb.md('''
    ## Exercice 4 — Tracer une téléconsultation en FHIR (25 min)
    Dans le dossier, une téléconsultation est une **rencontre** (`Encounter`) de classe
    `VR` (« virtual », système `http://terminology.hl7.org/CodeSystem/v3-ActCode`).
    Écrivez `rencontre_teleconsultation(patient, debut, minutes, motif_cim10)` qui renvoie un
    `Encounter` R4B : `status` `"finished"`, la classe `VR`, `subject` qui référence
    `Patient/<id>`, un `participant` qui référence `Practitioner/<id du médecin traitant>`
    (`patient.gp_id`), une `period` de `debut` à `debut + minutes`, et un `reasonCode` codé
    dans le système CIM-10 `http://hl7.org/fhir/sid/icd-10`.
    ''')
    nb.answer("d5-01-encounter", '''
    def rencontre_teleconsultation(patient, debut: datetime, minutes: int,
                                   motif_cim10: str) -> Encounter:
        ### BEGIN SOLUTION
        return Encounter.model_validate({
            "resourceType": "Encounter",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                      "code": "VR", "display": "virtual"},
            "subject": {"reference": f"Patient/{patient.id}"},
            "participant": [{"individual": {"reference": f"Practitioner/{patient.gp_id}"}}],
            "period": {"start": debut.isoformat(),
                       "end": (debut + timedelta(minutes=minutes)).isoformat()},
            "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10",
                                        "code": motif_cim10}]}],
        })
        ### END SOLUTION
    ''')
    nb.tests("d5-01-encounter-tests", '''
    patient = next(p for p in patients if p.gp_id)
    debut = datetime(2026, 1, 12, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))
    e = rencontre_teleconsultation(patient, debut, 15, "J06.9")
    assert isinstance(e, Encounter), "Renvoyez un objet Encounter de fhir.resources.R4B."
    assert e.class_fhir.code == "VR", "Une téléconsultation est une rencontre de classe VR."
    assert e.status == "finished"
    ### BEGIN HIDDEN TESTS
    assert e.class_fhir.system == "http://terminology.hl7.org/CodeSystem/v3-ActCode"
    assert e.subject.reference == f"Patient/{patient.id}"
    assert e.participant[0].individual.reference == f"Practitioner/{patient.gp_id}"
    assert e.period.end - e.period.start == timedelta(minutes=15)
    assert e.reasonCode[0].coding[0].code == "J06.9"
    assert e.reasonCode[0].coding[0].system == "http://hl7.org/fhir/sid/icd-10"
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D5.2"], minutes=25)
    nb.md('''
    ## Exercice 5 — À distance, au cabinet, ou le 15 ? (20 min)
    Écrivez `orientation(s)` qui renvoie `"15"`, `"présentiel"` ou `"à distance"` pour une
    demande `s` (un dictionnaire de booléens), en appliquant dans cet ordre :
    1. un **signe de gravité** (`signe_gravite`) → `"15"` (le SAMU, pas une téléconsultation) ;
    2. un **examen clinique indispensable** (`examen_necessaire`), **pas de consentement** à
       l'acte à distance (`consentement` faux), ou **pas de moyen de vidéo** utilisable par le
       patient ou son aidant (`video_possible` faux) → `"présentiel"` ;
    3. sinon → `"à distance"`.
    ''')
    nb.answer("d5-01-orientation", '''
    def orientation(s: dict) -> str:
        ### BEGIN SOLUTION
        if s.get("signe_gravite"):
            return "15"
        if s.get("examen_necessaire") or not s.get("consentement") or not s.get("video_possible"):
            return "présentiel"
        return "à distance"
        ### END SOLUTION
    ''')
    nb.tests("d5-01-orientation-tests", '''
    simple = {"signe_gravite": False, "examen_necessaire": False, "consentement": True,
              "video_possible": True}
    assert orientation(simple) == "à distance"
    assert orientation({**simple, "signe_gravite": True}) == "15", "Gravité : appeler le 15."
    ### BEGIN HIDDEN TESTS
    assert orientation({**simple, "examen_necessaire": True}) == "présentiel"
    assert orientation({**simple, "consentement": False}) == "présentiel"
    assert orientation({**simple, "video_possible": False}) == "présentiel"
    assert orientation({**simple, "signe_gravite": True, "consentement": False}) == "15"
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D5.4"], minutes=20)
    nb.md('''
    ## Exercice 6 — Une demande à juger (20 min)
    Lundi 8 h, M. B., 58 ans, diabétique, demande une téléconsultation « rapide » par la
    messagerie vidéo de son téléphone personnel : depuis une heure il ressent une douleur dans
    la poitrine qui serre et descend dans le bras gauche. Il est seul chez lui. Vous êtes son
    médecin traitant. Que faites-vous, et pourquoi ? Dans un autre cas, où la téléconsultation
    serait appropriée, quelles règles respecteriez-vous (outil, identité, consentement,
    compte rendu) ?
    ''')
    nb.free_text("d5-01-jugement", rubric=[
        (1, "Reconnaît une urgence possible (syndrome coronarien) : pas de téléconsultation, "
            "appel immédiat du 15 (ou le fait appeler), consignes d'attente."),
        (1, "Dit qu'un acte à distance exige un outil sécurisé conforme (pas une messagerie "
            "grand public) et une identité vérifiée du patient."),
        (1, "Rappelle consentement, traçabilité et compte rendu au dossier (et DMP), et la "
            "possibilité de convertir en consultation présentielle."),
    ], solution='''
    C'est une douleur thoracique constrictive irradiant au bras chez un diabétique de 58 ans :
    un syndrome coronarien aigu doit être évoqué. Ce n'est pas une situation pour un acte à
    distance : j'appelle (ou je fais appeler) immédiatement le **15**, je lui dis de rester au
    repos, de ne pas conduire, de laisser la porte ouverte. Je trace l'appel dans son dossier.
    Quand une téléconsultation est appropriée, elle se fait par un outil de vidéotransmission
    sécurisé (jamais une messagerie vidéo grand public), après vérification de l'identité du
    patient, avec son consentement éclairé à l'acte à distance, dans un lieu qui respecte la
    confidentialité ; je reste prêt à la convertir en consultation présentielle si l'examen
    clinique s'impose ; j'enregistre l'acte (date, nature, professionnel) et je verse un compte
    rendu au dossier, transmis au médecin traitant et versé au DMP.
    ''', competencies=["D5.4", "D5.2"], minutes=20)
    return nb


def telesurveillance() -> NotebookBuilder:
    nb = NotebookBuilder("d5-02")
    nb.md('''
    # D5 · Notebook 2 — Télésurveillance de l'insuffisance cardiaque

    **Compétences travaillées**
    - **D5.3** Interpréter des données de télésurveillance : seuils, alertes, tendances, fausses
      alertes
    - **D5.4** Juger quand un acte à distance est approprié et quand il ne l'est pas

    **Durée estimée : 2 h 30** (lecture comprise).

    Des patients insuffisants cardiaques de la population sont télésurveillés à domicile : ils
    se pèsent le matin et la balance transmet le poids (code LOINC **29463-7**, en kg) tous les
    trois jours, pendant 90 jours. Une prise de poids rapide traduit souvent une rétention
    d'eau, signe précoce de décompensation : le seuil d'alerte classique est une **prise de
    plus de 2 kg en 3 jours**.
    ''' + INTRO_TESTS)
    nb.md(SETUP_NOTE)
    nb.code('''
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from santelab.course.student import StudentError, load_population

    population = load_population(n=200, seed=2026)
    lignes = [
        {"patient_id": p.id, "date": o.effective, "poids_kg": o.value}
        for p in population.patients
        if any(c.codes[0].code.startswith("I50") for c in p.conditions)
        for o in p.observations
        # relevés à domicile : transmis par la balance, hors de toute rencontre
        if o.code.code == "29463-7" and o.encounter_id is None
    ]
    if not lignes:
        raise StudentError("Aucun relevé de télésurveillance dans la population : mettez à jour "
                           "santelab (`pip install -e .`) puis redémarrez le noyau.")
    releves = pd.DataFrame(lignes).sort_values(["patient_id", "date"]).reset_index(drop=True)
    telesurveilles = sorted(releves["patient_id"].unique())
    print(f"{len(telesurveilles)} patients télésurveillés, {len(releves)} relevés de poids.")
    releves.head()
    ''')
    nb.md('''
    La fonction `serie_de` donne la série des poids d'un patient, indexée par la date du
    relevé.
    ''')
    nb.code('''
    def serie_de(patient_id: str) -> pd.Series:
        une = releves[releves["patient_id"] == patient_id]
        return pd.Series(une["poids_kg"].to_numpy(), index=pd.DatetimeIndex(une["date"]),
                         name="poids_kg")


    serie_de(telesurveilles[0]).head()
    ''')
    nb.md('''
    ## Exercice 1 — Le seuil d'alerte (25 min)
    Écrivez `alertes_poids(serie)` : elle reçoit une série de poids indexée par date (triée) et
    renvoie une série de booléens, **de même index**, vraie pour chaque relevé dont le poids
    dépasse de **plus de 2 kg** un relevé antérieur fait **au plus 3 jours calendaires avant**
    (on compare les dates, sans l'heure : lundi 20 h et jeudi 7 h sont à 3 jours).
    ''')
    nb.answer("d5-02-alertes", '''
    def alertes_poids(serie: pd.Series) -> pd.Series:
        ### BEGIN SOLUTION
        jours = serie.index.normalize()
        alerte = []
        for i in range(len(serie)):
            avant = (jours[i] - jours[:i]).days
            fenetre = serie.iloc[:i][(avant >= 1) & (avant <= 3)]
            alerte.append(bool(len(fenetre)) and bool((serie.iloc[i] - fenetre > 2).any()))
        return pd.Series(alerte, index=serie.index, dtype=bool)
        ### END SOLUTION
    ''')
    nb.tests("d5-02-alertes-tests", '''
    jouet = pd.Series([70.0, 70.5, 72.8, 72.9, 75.5],
                      index=pd.to_datetime(["2026-01-01 08:00", "2026-01-04 07:30",
                                            "2026-01-07 08:10", "2026-01-10 09:00",
                                            "2026-01-20 08:00"]))
    r = alertes_poids(jouet)
    assert isinstance(r, pd.Series) and r.index.equals(jouet.index), "Même index que la série."
    assert list(r) == [False, False, True, False, False], (
        "Seul le 7 janvier dépasse de plus de 2 kg un relevé des 3 jours précédents "
        "(le 20 janvier est trop loin du 10)."
    )
    ### BEGIN HIDDEN TESTS
    soir = pd.Series([70.0, 72.5], index=pd.to_datetime(["2026-01-01 20:00", "2026-01-04 07:00"]))
    assert list(alertes_poids(soir)) == [False, True]
    plat = pd.Series([70.0, 72.0], index=pd.to_datetime(["2026-01-01", "2026-01-02"]))
    assert list(alertes_poids(plat)) == [False, False], "Plus de 2 kg : 2 kg pile ne suffit pas."
    for pid in telesurveilles:
        s = serie_de(pid)
        jours = s.index.normalize()
        for i in range(len(s)):
            d = (jours[i] - jours[:i]).days
            attendu = bool(((s.iloc[i] - s.iloc[:i][(d >= 1) & (d <= 3)]) > 2).any())
            assert alertes_poids(s).iloc[i] == attendu, (pid, i)
    ### END HIDDEN TESTS
    ''', points=4, competencies=["D5.3"], minutes=25)
    nb.md('''
    ## Exercice 2 — Combien d'alertes ? (15 min)
    Construisez `alertes_par_patient` : une série indexée par `patient_id` (tous les patients
    de `telesurveilles`, dans cet ordre) qui donne le nombre d'alertes de chacun sur sa
    période de télésurveillance. Puis `taux_alerte` : le nombre total d'alertes divisé par le
    nombre total de relevés.
    ''')
    nb.answer("d5-02-comptes", '''
    ### BEGIN SOLUTION
    alertes_par_patient = pd.Series(
        [int(alertes_poids(serie_de(pid)).sum()) for pid in telesurveilles], index=telesurveilles
    )
    taux_alerte = alertes_par_patient.sum() / len(releves)
    ### END SOLUTION
    ''')
    nb.tests("d5-02-comptes-tests", '''
    assert list(alertes_par_patient.index) == telesurveilles, "Un nombre par patient télésurveillé."
    assert (alertes_par_patient >= 0).all()
    assert 0 <= taux_alerte <= 1, "Un taux est entre 0 et 1."
    ### BEGIN HIDDEN TESTS
    for pid in telesurveilles:
        assert alertes_par_patient[pid] == alertes_poids(serie_de(pid)).sum()
    assert abs(taux_alerte - alertes_par_patient.sum() / len(releves)) < 1e-12
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D5.3"], minutes=15)
    nb.md('''
    ## Exercice 3 — La tendance (20 min)
    Une alerte isolée ne dit pas tout : une prise de poids lente mais régulière compte aussi.
    Écrivez `tendance_kg_par_semaine(serie)` : la pente de la droite des moindres carrés du
    poids en fonction du temps (en jours depuis le premier relevé, heures comprises),
    exprimée en **kg par semaine** (`np.polyfit(x, y, 1)` donne la pente en premier).
    ''')
    nb.answer("d5-02-tendance", '''
    def tendance_kg_par_semaine(serie: pd.Series) -> float:
        ### BEGIN SOLUTION
        jours = (serie.index - serie.index[0]) / pd.Timedelta(days=1)
        pente = np.polyfit(np.asarray(jours, dtype=float), serie.to_numpy(dtype=float), 1)[0]
        return float(pente * 7)
        ### END SOLUTION
    ''')
    nb.tests("d5-02-tendance-tests", '''
    dates = pd.date_range("2026-01-01", periods=10, freq="3D")
    montee = pd.Series(80 + 0.1 * np.arange(0, 30, 3), index=dates)
    assert abs(tendance_kg_par_semaine(montee) - 0.7) < 1e-9, "0,1 kg par jour = 0,7 kg par semaine."
    ### BEGIN HIDDEN TESTS
    assert abs(tendance_kg_par_semaine(pd.Series(70.0, index=dates))) < 1e-9
    heures = pd.Series([70.0, 71.0], index=pd.to_datetime(["2026-01-01 00:00", "2026-01-01 12:00"]))
    assert abs(tendance_kg_par_semaine(heures) - 14.0) < 1e-9
    s = serie_de(telesurveilles[0])
    x = np.asarray((s.index - s.index[0]) / pd.Timedelta(days=1), dtype=float)
    assert abs(tendance_kg_par_semaine(s) - 7 * np.polyfit(x, s.to_numpy(), 1)[0]) < 1e-9
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D5.3"], minutes=20)
    nb.md('''
    ## Exercice 4 — Vraie ou fausse alerte ? (20 min)
    Une balance posée sur un tapis, une pesée habillée ou après le repas donnent de fausses
    alertes. Le protocole de l'équipe demande de **recontrôler** : une alerte est présumée
    **fausse** si le relevé **suivant** (fait au plus 3 jours calendaires après) revient à moins
    de 1 kg du dernier relevé qui précédait l'alerte. Sans relevé suivant dans ce délai, on ne
    peut pas conclure : l'alerte est traitée comme vraie.

    Écrivez `fausse_alerte(serie, i)` pour l'alerte portée par le relevé d'indice `i` (entier,
    `i ≥ 1`). La cellule suivante prépare un cas : un patient s'est pesé tout habillé.
    ''')
    nb.code('''
    habille = serie_de(telesurveilles[0]).copy()
    INDICE_HABILLE = 10
    habille.iloc[INDICE_HABILLE] = habille.iloc[INDICE_HABILLE - 1] + 3.5  # manteau et chaussures
    ''')
    nb.answer("d5-02-fausse-alerte", '''
    def fausse_alerte(serie: pd.Series, i: int) -> bool:
        ### BEGIN SOLUTION
        if i + 1 >= len(serie):
            return False
        ecart_jours = (serie.index[i + 1].normalize() - serie.index[i].normalize()).days
        if ecart_jours > 3:
            return False
        return bool(abs(serie.iloc[i + 1] - serie.iloc[i - 1]) < 1)
        ### END SOLUTION
    ''')
    nb.tests("d5-02-fausse-alerte-tests", '''
    assert alertes_poids(habille).iloc[INDICE_HABILLE], "La pesée habillée déclenche une alerte."
    retour = abs(habille.iloc[INDICE_HABILLE + 1] - habille.iloc[INDICE_HABILLE - 1]) < 1
    assert fausse_alerte(habille, INDICE_HABILLE) == retour, "Comparez le relevé suivant au précédent."
    ### BEGIN HIDDEN TESTS
    d = pd.to_datetime(["2026-01-01", "2026-01-04", "2026-01-07", "2026-01-10"])
    assert fausse_alerte(pd.Series([70.0, 73.0, 70.5, 70.0], index=d), 1) is True
    assert fausse_alerte(pd.Series([70.0, 73.0, 73.2, 73.0], index=d), 1) is False
    loin = pd.to_datetime(["2026-01-01", "2026-01-04", "2026-01-12"])
    assert fausse_alerte(pd.Series([70.0, 73.0, 70.0], index=loin), 1) is False
    assert fausse_alerte(pd.Series([70.0, 73.0], index=d[:2]), 1) is False
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D5.3"], minutes=20)
    nb.md('''
    ## Exercice 5 — Les transmissions manquantes (15 min)
    Une télésurveillance ne protège que si les données arrivent. Écrivez
    `trous_de_transmission(serie)` qui renvoie la liste des couples `(date_debut, date_fin)`
    (deux relevés consécutifs, en `pd.Timestamp`) séparés de **plus de 4 jours calendaires**
    — l'équipe relance alors le patient. La cellule suivante retire quelques relevés d'un
    patient, comme une balance dont les piles sont vides.
    ''')
    nb.code('''
    piles_vides = serie_de(telesurveilles[1]).drop(serie_de(telesurveilles[1]).index[[5, 6, 7, 20]])
    ''')
    nb.answer("d5-02-trous", '''
    def trous_de_transmission(serie: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
        ### BEGIN SOLUTION
        jours = serie.index.normalize()
        return [
            (serie.index[i - 1], serie.index[i])
            for i in range(1, len(serie))
            if (jours[i] - jours[i - 1]).days > 4
        ]
        ### END SOLUTION
    ''')
    nb.tests("d5-02-trous-tests", '''
    trous = trous_de_transmission(piles_vides)
    assert isinstance(trous, list) and len(trous) == 2, "Deux interruptions dans `piles_vides`."
    assert all(fin > debut for debut, fin in trous)
    ### BEGIN HIDDEN TESTS
    assert trous[0] == (piles_vides.index[4], piles_vides.index[5])
    assert trous_de_transmission(serie_de(telesurveilles[2])) == []
    d = pd.to_datetime(["2026-01-01 20:00", "2026-01-05 07:00", "2026-01-10 07:00"])
    assert trous_de_transmission(pd.Series([1.0, 2.0, 3.0], index=d)) == [(d[1], d[2])]
    d = pd.to_datetime(["2026-01-01 08:00", "2026-01-05 08:00", "2026-01-10 07:00"])
    assert trous_de_transmission(pd.Series([1.0, 2.0, 3.0], index=d)) == [(d[1], d[2])]
    d = pd.to_datetime(["2026-01-01 20:00", "2026-01-06 09:00"])
    assert trous_de_transmission(pd.Series([1.0, 2.0], index=d)) == [(d[0], d[1])]
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D5.3"], minutes=15)
    nb.md('''
    ## Exercice 6 — Le graphique du patient (15 min)
    Pour le patient `telesurveilles[0]`, créez `fig` : la courbe de ses poids en fonction de la
    date (`ax.plot`), ses alertes marquées par des points (`ax.scatter`, un point par alerte,
    au poids du relevé), un titre et un axe des ordonnées dont l'intitulé contient `kg`.
    ''')
    nb.answer("d5-02-graphique", '''
    ### BEGIN SOLUTION
    s = serie_de(telesurveilles[0])
    alertes = alertes_poids(s)
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(s.index, s.values, marker=".", label="poids")
    ax.scatter(s.index[alertes], s.values[alertes], color="red", zorder=3,
               label="alerte (> 2 kg en 3 jours)")
    ax.set_title(f"Télésurveillance du poids — {telesurveilles[0]}")
    ax.set_ylabel("Poids (kg)")
    ax.legend()
    fig.autofmt_xdate()
    ### END SOLUTION
    ''')
    nb.tests("d5-02-graphique-tests", '''
    ax = fig.axes[0]
    s0 = serie_de(telesurveilles[0])
    assert len(ax.lines) >= 1 and len(ax.lines[0].get_xdata()) == len(s0), "Une courbe avec tous les relevés."
    assert ax.get_title(), "Donnez un titre."
    assert "kg" in ax.get_ylabel(), "L'axe des ordonnées doit indiquer l'unité (kg)."
    ### BEGIN HIDDEN TESTS
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == alertes_poids(s0).sum(), (points, alertes_poids(s0).sum())
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D5.3"], minutes=15)
    nb.md('''
    ## Exercice 7 — Que faire d'une alerte ? (20 min)
    Mercredi 9 h, l'alerte d'un patient tombe : + 2,6 kg en 3 jours. Décrivez ce que fait
    l'équipe de télésurveillance, dans l'ordre, et dans quels cas elle passe à une
    téléconsultation, à une consultation ou à une hospitalisation. Expliquez enfin pourquoi la
    télésurveillance ne remplace pas le 15 et ce que le patient doit savoir.
    ''')
    nb.free_text("d5-02-conduite", rubric=[
        (1, "Vérifie d'abord la donnée (conditions de pesée, recontrôle) et la tendance, "
            "puis appelle le patient : symptômes (essoufflement, œdèmes, orthopnée), "
            "observance du traitement et du régime."),
        (1, "Gradue la réponse selon le protocole : adaptation du diurétique prescrite, "
            "téléconsultation, consultation rapide, hospitalisation ; trace la décision et le "
            "compte rendu au dossier et informe le médecin traitant."),
        (1, "Dit que la télésurveillance n'est pas une surveillance d'urgence en continu : le "
            "patient appelle le 15 en cas de signe de gravité (détresse respiratoire, douleur "
            "thoracique, malaise)."),
    ], solution='''
    L'équipe vérifie d'abord la donnée : conditions de pesée (même balance, le matin, à jeun,
    après avoir uriné, sans vêtements lourds), relevés précédents et tendance ; en cas de doute
    elle demande une nouvelle pesée. Elle appelle le patient le jour même : essoufflement,
    œdèmes des jambes, besoin de dormir assis, prise du traitement, écart de régime sans sel.
    Selon le protocole de télésurveillance et la prescription, elle adapte le diurétique
    (p. ex. doublement temporaire prévu), programme une téléconsultation ou une consultation
    rapide, ou organise une hospitalisation si les signes de décompensation sont nets ; la
    décision est tracée, un compte rendu est versé au dossier et le médecin traitant est
    informé. La télésurveillance n'est pas une surveillance en temps réel ni 24 h/24 : le
    patient doit savoir qu'en cas de signe de gravité (étouffement, douleur thoracique,
    malaise) il appelle le 15 sans attendre l'équipe.
    ''', competencies=["D5.4", "D5.3"], minutes=20)
    return nb


SETUP_TELEEXPERTISE = """
from html import escape

from santelab.course.student import connect_personas

# le médecin traitant, qui demande l'avis ; le confrère sollicité, dans un autre établissement
requerant, requis, patiente = connect_personas("medecin", "medecin2", "patient")
ins_patiente = patiente.dmp.consent().ins
adresse_requerant, adresse_requis = requerant.mssante.address, requis.mssante.address
TYPE_CR = "11488-4"  # LOINC : compte rendu de consultation


def cda(titre: str, texte: str, ins: str, type_code: str = TYPE_CR) -> bytes:
    \"\"\"Un document CDA R2 minimal (texte libre) concernant la patiente d'INS `ins`.\"\"\"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ClinicalDocument xmlns="urn:hl7-org:v3">'
        f'<code code="{type_code}" codeSystem="2.16.840.1.113883.6.1"/>'
        f"<title>{escape(titre)}</title>"
        f'<recordTarget><patientRole><id extension="{ins}" root="1.2.250.1.213.1.4.10"/>'
        "</patientRole></recordTarget>"
        f"<component><nonXMLBody><text>{escape(texte)}</text></nonXMLBody></component>"
        "</ClinicalDocument>"
    ).encode()


print(f"Médecin requérant : {adresse_requerant}")
print(f"Médecin requis :    {adresse_requis}")
print(f"INS de la patiente : {ins_patiente}")
"""


def teleexpertise() -> NotebookBuilder:
    nb = NotebookBuilder("d5-03")
    nb.md('''
    # D5 · Notebook 3 — La téléexpertise, de la demande d'avis au compte rendu

    **Compétences travaillées**
    - **D5.1** Distinguer les actes de télésanté, et les conditions de la téléexpertise
    - **D5.2** Réaliser un acte à distance dans le respect du droit : information du patient,
      identité, échange sécurisé, compte rendu dans le dossier
    - **D5.4** Juger quand un avis à distance est approprié et quand il ne l'est pas

    **Durée estimée : 1 h 45** (lecture comprise).
    ''' + INTRO_TESTS)
    nb.md(SETUP_NOTE)
    nb.code(SETUP_TELEEXPERTISE)
    nb.md('''
    ## La téléexpertise
    Un professionnel (le **requérant**) sollicite à distance l'avis d'un ou de plusieurs
    confrères (les **requis**) en raison de leur expertise, **sur la base des informations du
    dossier du patient**, sans que le patient soit présent. Elle suppose :
    - que le patient soit **informé** de la demande et de ce qui sera transmis, et y consente ;
    - que son **identité** soit sûre : les documents portent son **INS** qualifiée ;
    - un **échange sécurisé** : la messagerie sécurisée de santé (MSSanté) ou une plateforme de
      téléexpertise, jamais une messagerie ou un réseau grand public ;
    - un **compte rendu** du requis, transmis au requérant et conservé dans le dossier du
      patient (et son DMP).

    Dans ce notebook, le médecin traitant (`requerant`) demande un avis dermatologique à un
    confrère d'un autre établissement (`requis`) pour la patiente du bac à sable.
    ''')
    nb.md('''
    ## Exercice 1 — Vrai ou faux ? (15 min)
    Pour chaque affirmation sur la téléexpertise, indiquez `True` (vraie) ou `False` (fausse).
    ''')
    nb.classify(
        "d5-03-regles", items="affirmations", answer="vraie",
        entries=[
            ("Le patient n'a pas besoin d'être présent pendant la téléexpertise.", True),
            ("Le patient n'étant pas présent, il n'a pas à être informé de la demande d'avis.", False),
            ("Les documents du patient sont transmis au requis par la messagerie sécurisée de santé.", True),
            ("Le requis peut répondre par SMS sur le téléphone personnel du requérant.", False),
            ("L'avis du requis donne lieu à un compte rendu conservé dans le dossier du patient.", True),
            ("Une douleur thoracique en cours peut attendre l'avis d'une téléexpertise programmée.", False),
        ],
        each="Une réponse pour chaque affirmation.",
        hints='''
        assert vraie[affirmations[1]] is False, "Le patient est toujours informé de ce qui est transmis, et à qui."
        ''',
        points=2, competencies=["D5.1"], minutes=15)
    nb.md('''
    ## Exercice 2 — Demander l'avis (30 min)
    La patiente présente une lésion pigmentée du dos qui a changé d'aspect en trois mois ; elle
    est informée et d'accord pour que son dossier soit transmis au dermatologue. Comme
    requérant :
    1. rédigez la question dans `question` ;
    2. construisez le document de la demande avec `cda(titre, texte, ins_patiente)` ;
    3. envoyez-le au requis avec `requerant.mssante.send_document(...)` (arguments `ins`,
       `type_code=TYPE_CR`, `title`, `subject`, `body`) : l'objet du message contient le mot
       « téléexpertise ». Rangez la réponse de l'envoi dans `envoi`.
    ''')
    nb.answer("d5-03-demande", '''
    ### BEGIN SOLUTION
    question = ("Lésion pigmentée du dos, asymétrique, qui a changé de couleur et de taille en "
                "trois mois. Faut-il une exérèse, et dans quel délai ?")
    titre = "Demande de téléexpertise dermatologique"
    envoi = requerant.mssante.send_document(
        adresse_requis, cda(titre, question, ins_patiente), ins=ins_patiente, type_code=TYPE_CR,
        title=titre, subject="Demande de téléexpertise", body=question)
    ### END SOLUTION
    print(envoi)
    ''')
    nb.tests("d5-03-demande-tests", '''
    recues = [m for m in requis.mssante.inbox() if m.sender == adresse_requerant
              and "téléexpertise" in m.subject.lower()]
    assert recues, "Le requis n'a reçu aucun message de vous dont l'objet parle de téléexpertise."
    assert isinstance(question, str) and len(question.strip()) >= 20, "Posez une vraie question."
    ### BEGIN HIDDEN TESTS
    lu = requis.mssante.read(recues[-1].id)
    assert lu.headers.get("X-MSS-CODECDA") == TYPE_CR
    documents = lu.documents()
    assert len(documents) == 1 and documents[0].ins == ins_patiente
    assert documents[0].type_code == TYPE_CR
    ### END HIDDEN TESTS
    ''', points=4, competencies=["D5.2"], minutes=30)
    nb.md('''
    ## Exercice 3 — Répondre, puis verser le compte rendu au dossier (25 min)
    1. Comme **requis** : ouvrez la demande (`requis.mssante.inbox()`, `requis.mssante.read(...)`),
       vérifiez que le document concerne bien la patiente (`.documents()[0].ins`), puis renvoyez
       au requérant un document dont le titre contient « Compte rendu de téléexpertise »
       (même INS, `type_code=TYPE_CR`).
    2. Comme **requérant** : retrouvez la réponse dans votre boîte et versez son document au
       DMP de la patiente avec `requerant.mssante.file_to_dmp(id)`. Rangez la liste renvoyée
       dans `deposes`.
    ''')
    nb.answer("d5-03-reponse", '''
    ### BEGIN SOLUTION
    demande = [m for m in requis.mssante.inbox() if "téléexpertise" in m.subject.lower()][-1]
    piece = requis.mssante.read(demande.id).documents()[0]
    avis = ("Aspect évocateur d'un mélanome débutant : exérèse complète avec marges de 2 mm, "
            "dans les 15 jours, et examen anatomopathologique.")
    titre_cr = "Compte rendu de téléexpertise dermatologique"
    requis.mssante.send_document(adresse_requerant, cda(titre_cr, avis, piece.ins), ins=piece.ins,
                                 type_code=TYPE_CR, title=titre_cr, subject=titre_cr, body=avis)
    reponse = [m for m in requerant.mssante.inbox() if m.sender == adresse_requis][-1]
    deposes = requerant.mssante.file_to_dmp(reponse.id)
    ### END SOLUTION
    for d in deposes:
        print(d)
    ''')
    nb.tests("d5-03-reponse-tests", '''
    assert deposes, "Versez au DMP le document reçu du requis (`file_to_dmp`)."
    assert deposes[0].patient_ins == ins_patiente, "Le compte rendu doit aller dans le DMP de la patiente."
    assert "compte rendu de téléexpertise" in deposes[0].title.lower(), (
        "Le titre du document doit contenir « Compte rendu de téléexpertise »."
    )
    ### BEGIN HIDDEN TESTS
    dans_le_dmp = {d.id for d in requerant.dmp.search(ins_patiente, type=TYPE_CR)}
    assert deposes[0].id in dans_le_dmp
    assert any(m.sender == adresse_requis for m in requerant.mssante.inbox())
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D5.2"], minutes=25)
    nb.md('''
    ## Exercice 4 — Un avis à distance est-il approprié ? (20 min)
    Pour chaque situation, indiquez `True` si une téléexpertise est une réponse appropriée,
    `False` sinon (urgence, examen physique indispensable, refus du patient…).
    ''')
    nb.classify(
        "d5-03-pertinence", items="situations", answer="pertinente",
        entries=[
            ("photo d'une lésion cutanée à montrer à un dermatologue, sans signe d'urgence", True),
            ("ECG d'un patient stable, sans symptôme, à faire interpréter par un cardiologue", True),
            ("douleur thoracique qui dure depuis vingt minutes chez un patient diabétique", False),
            ("la patiente refuse que son dossier soit transmis à un autre médecin", False),
            ("adapter un traitement anticoagulant au vu des derniers résultats de biologie", True),
            ("suspicion de fracture du poignet après une chute : examen et radiographie nécessaires", False),
        ],
        each="Une réponse pour chaque situation.",
        hints='''
        assert pertinente[situations[2]] is False, "Une douleur thoracique en cours, c'est le 15, tout de suite."
        ''',
        points=3, competencies=["D5.4"], minutes=20)
    nb.md('''
    ## Exercice 5 — Expliquer à la patiente (15 min)
    Rédigez en quelques lignes ce que vous dites à la patiente avant d'envoyer la demande :
    ce qu'est la téléexpertise, ce qui sera transmis et à qui, et ce qu'elle peut faire.
    ''')
    nb.free_text("d5-03-information", rubric=[
        (1, "Explique l'acte : l'avis d'un dermatologue sur son dossier, sans rendez-vous avec "
            "lui, et qu'un compte rendu sera rédigé."),
        (1, "Dit ce qui sera transmis (photo, description, antécédents utiles), à qui, et par un "
            "canal sécurisé ; le compte rendu rejoindra son dossier et son DMP."),
        (1, "Recueille son accord et rappelle qu'elle peut refuser, et qu'une consultation "
            "présentielle reste possible."),
    ], solution='''
    « Je voudrais demander l'avis d'une dermatologue sur la tache de votre dos, sans que vous
    ayez à la voir tout de suite : c'est une téléexpertise. Je lui envoie par la messagerie
    sécurisée des professionnels de santé la description, la photo et les antécédents utiles,
    rien de plus. Elle me répond par un compte rendu que je vous expliquerai et qui sera rangé
    dans votre dossier et votre DMP. Vous pouvez refuser ; dans ce cas, ou si elle le juge
    nécessaire, je vous oriente vers une consultation. Êtes-vous d'accord ? »
    ''', competencies=["D5.2", "D5.4"], minutes=15)
    return nb


def notebooks() -> dict[str, NotebookBuilder]:
    return {
        "01_actes_de_telesante": actes(),
        "02_telesurveillance": telesurveillance(),
        "03_teleexpertise": teleexpertise(),
    }

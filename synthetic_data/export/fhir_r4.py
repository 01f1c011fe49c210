"""FHIR R4 builders: one function per resource type, from model objects to plain dicts.

The dicts are built by hand rather than through `fhir.resources` models because pydantic
validation runs at ~8k resources/s, far too slow for 10k patients × 150 resources; every
shape here is validated against the R4B models in the tests, and `validate=True` in the writer
re-checks each resource on demand. Shapes follow FR Core (hl7.fr/ig/fhir/core) and IHE MHD.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from synthetic_data import model, nir, terminology
from synthetic_data import referentials as ref
from synthetic_data.export import systems

PARIS = ZoneInfo("Europe/Paris")
UUID_NAMESPACE = uuid.UUID("6f1d3c0e-8a51-4b1e-9d55-5a4e7c1b2f10")  # santelab, fixed forever

_GENDER = {model.Sex.FEMALE: "female", model.Sex.MALE: "male"}
_STATUS_DISPLAY = {
    model.IdentityStatus.PROV: "Identité provisoire",
    model.IdentityStatus.RECUP: "Identité récupérée",
    model.IdentityStatus.VALI: "Identité validée",
    model.IdentityStatus.QUAL: "Identité qualifiée",
}
_ENCOUNTER_CLASS = {
    "AMB": "ambulatory",
    "IMP": "inpatient encounter",
    "HH": "home health",
    "VR": "virtual",
    "EMER": "emergency",
}
_CONFIDENTIALITY_V3 = {"N": "normal", "R": "restricted", "V": "very restricted"}


@dataclass(frozen=True, slots=True)
class ExportContext:
    """What every builder needs besides the object: the seed (tagged) and the 'today' date."""

    seed: int
    reference_date: date

    @property
    def meta(self) -> dict:
        """A fresh `meta` marking the resource as synthetic test data from this seed."""
        return {
            "tag": [
                {"system": systems.ACT_REASON, "code": "HTEST", "display": "test health data"},
                {"system": systems.SANTELAB_SEED, "code": str(self.seed)},
            ]
        }

    def profiled(self, *profiles: str) -> dict:
        """`meta` declaring the FR Core profiles the resource conforms to."""
        return {"profile": list(profiles), **self.meta}


def deterministic_uuid(*parts: object) -> str:
    """A UUID fixed by its parts (never uuid4), so identical seeds give identical bytes."""
    return str(uuid.uuid5(UUID_NAMESPACE, ":".join(str(p) for p in parts)))


def reference(resource_type: str, resource_id: str) -> dict:
    return {"reference": f"{resource_type}/{resource_id}"}


@cache
def _paris_offset(day: date, hour: int) -> str:
    """"+01:00" or "+02:00": Paris's UTC offset then (it changes twice a year, at night)."""
    local = datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)
    return local.isoformat()[-6:]


def instant(value: datetime) -> str:
    """A FHIR dateTime with seconds and offset; naive values are Paris local time."""
    if value.tzinfo is not None:
        return value.isoformat(timespec="seconds")
    return value.isoformat(timespec="seconds") + _paris_offset(value.date(), value.hour)


@lru_cache(maxsize=256)
def system_uri(key: str) -> str:
    """The canonical URI of a code system named by its terminology key ("loinc"…)."""
    return key if ":" in key else terminology.SYSTEMS[key]


def coding(c: model.Coding) -> dict:
    return {"system": system_uri(c.system), "code": c.code, "display": c.display}


def concept(*codings: model.Coding, text: str | None = None) -> dict:
    result: dict = {"coding": [coding(c) for c in codings]}
    if text or codings:
        result["text"] = text or codings[0].display
    return result


def address(a: model.Address) -> dict:
    return {
        "extension": [
            {
                "url": systems.ADDRESS_INSEE_CODE,
                "valueCoding": {"system": systems.INSEE_COMMUNE, "code": a.insee},
            }
        ],
        "use": "home",
        "type": "both",
        "line": [a.line],
        "city": a.city,
        "postalCode": a.postal_code,
        "country": "FR",
    }


def _birth_place(code: str) -> dict:
    """FR Core birth place, born in France or abroad: the COG code in force at the birth date
    (commune, or 99xxx country) in `district` and in the INSEE-code extension, coded in the ANS
    table of communes (TRE_R13) or of countries (TRE_R20), plus the country's name abroad."""
    abroad = code.startswith("99")
    value: dict = {
        "extension": [
            {
                "url": systems.ADDRESS_INSEE_CODE,
                "valueCoding": {
                    "system": systems.INSEE_COUNTRY if abroad else systems.INSEE_COMMUNE,
                    "code": code,
                },
            }
        ],
        "district": code,
    }
    if abroad and code in ref.countries():
        value["country"] = ref.countries()[code].name
    return {"url": systems.BIRTH_PLACE, "valueAddress": value}


def _birth_date(ident: model.Identity) -> str:
    """FHIR's own partial date when only the year is known ("1950"); the full date otherwise."""
    return str(ident.birth_date.year) if ident.birth_year_only else ident.birth_date.isoformat()


def _identifier_type(system: str, code: str, display: str) -> dict:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def patient(p: model.Patient, ctx: ExportContext) -> dict:
    """FR Core Patient: RNIV status, birth place, official and usual names, INS if qualified.

    Only a qualified identity shares the INS (RNIV), then declaring FR Core's INS profile; it uses
    the *test* OID 1.2.250.1.213.1.4.10 since everything here is synthetic. The official name
    holds the strict traits as the INSi writes them; the usual name, for display, the used name
    and given name, or the names as written on the civil-status record. The local id is always
    present as a PI identifier.
    """
    ident = p.identity
    qualified = bool(ident.ins) and ident.status is model.IdentityStatus.QUAL
    identifiers = [
        {
            "use": "usual",
            "type": _identifier_type(systems.V2_IDENTIFIER_TYPE, "PI", "Patient internal identifier"),
            "system": systems.SANTELAB_PATIENT_ID,
            "value": p.id,
        }
    ]
    if qualified:
        identifiers.append(
            {
                "use": "official",
                "type": _identifier_type(systems.FR_CORE_IDENTIFIER_TYPE, "INS-NIR-TEST", "NIR TEST"),
                "system": nir.OID_INS_TEST,
                "value": ident.ins,
            }
        )
    names = [
        {
            "extension": [
                {"url": systems.BIRTH_LIST_GIVEN_NAME, "valueString": " ".join(ident.given_names)}
            ],
            "use": "official",
            "family": ident.birth_name,
            "given": [ident.first_given_name],
        }
    ]
    usual_family = ident.used_name or ident.display_birth_name
    usual_given = ident.used_given_name or ident.display_given_names[0]
    if (usual_family, usual_given) != (ident.birth_name, ident.first_given_name):
        names.append({"use": "usual", "family": usual_family, "given": [usual_given]})
    profiles = (systems.PROFILE_PATIENT_INS,) if qualified else (systems.PROFILE_PATIENT,)
    resource = {
        "resourceType": "Patient",
        "id": p.id,
        "meta": ctx.profiled(*profiles),
        "extension": [
            {
                "url": systems.IDENTITY_RELIABILITY,
                "extension": [
                    {
                        "url": "identityStatus",
                        "valueCoding": {
                            "system": systems.IDENTITY_STATUS,
                            "code": ident.status.value,
                            "display": _STATUS_DISPLAY[ident.status],
                        },
                    }
                ],
            },
            _birth_place(ident.birthplace),
        ],
        "identifier": identifiers,
        "active": True,
        "name": names,
        "telecom": [{"system": "phone", "value": p.phone, "use": "mobile"}],
        "gender": _GENDER[ident.sex],
        "birthDate": _birth_date(ident),
        "address": [address(p.address)],
    }
    if p.deceased:
        resource["deceasedDateTime"] = p.deceased.isoformat()
    if p.gp_id:
        resource["generalPractitioner"] = [reference("Practitioner", p.gp_id)]
    return resource


def _telecom(mssante: str, phone: str) -> list[dict]:
    telecom = [{"system": "email", "value": mssante, "use": "work"}]
    if phone:
        telecom.append({"system": "phone", "value": phone, "use": "work"})
    return telecom


def practitioner(pr: model.Practitioner, ctx: ExportContext) -> dict:
    """FR Core Practitioner identified by RPPS and idNatPs (8 + RPPS)."""
    return {
        "resourceType": "Practitioner",
        "id": pr.id,
        "meta": ctx.profiled(systems.PROFILE_PRACTITIONER),
        "identifier": [
            {
                "use": "official",
                "type": _identifier_type(systems.FR_CORE_IDENTIFIER_TYPE, "RPPS", "N° RPPS"),
                "system": systems.RPPS,
                "value": pr.rpps,
            },
            {
                "use": "official",
                "type": _identifier_type(
                    systems.FR_CORE_IDENTIFIER_TYPE,
                    "IDNPS",
                    "Identifiant National de Professionnel de Santé",
                ),
                "system": systems.ID_NAT_PS,
                "value": pr.id_nat_ps,
            },
        ],
        "active": True,
        "name": [{"use": "usual", "family": pr.birth_name, "given": [pr.given_name]}],
        "telecom": _telecom(pr.mssante, pr.phone),
        "gender": _GENDER[pr.sex],
    }


def practitioner_role_id(pr: model.Practitioner) -> str:
    return f"role-{pr.id}"


def practitioner_role(pr: model.Practitioner, ctx: ExportContext) -> dict:
    """The practitioner's activity: profession (TRE_G15), specialty (TRE_R38), MSSanté box."""
    resource = {
        "resourceType": "PractitionerRole",
        "id": practitioner_role_id(pr),
        "meta": ctx.profiled(systems.PROFILE_PRACTITIONER_ROLE),
        "active": True,
        "practitioner": reference("Practitioner", pr.id),
        "organization": reference("Organization", pr.organization_id),
        "code": [{"coding": [{"system": systems.TRE_G15_PROFESSION, "code": pr.profession}]}],
        "telecom": _telecom(pr.mssante, pr.phone),
    }
    if pr.specialty:
        resource["specialty"] = [
            {"coding": [{"system": systems.TRE_R38_SPECIALTY, "code": pr.specialty}]}
        ]
    return resource


def organization(o: model.Organization, ctx: ExportContext) -> dict:
    """FR Core Organization: FINESS of the site (FINEG) and idNatSt (1 + FINESS)."""
    org_address = address(o.address)
    org_address["use"] = "work"
    return {
        "resourceType": "Organization",
        "id": o.id,
        "meta": ctx.profiled(systems.PROFILE_ORGANIZATION),
        "identifier": [
            {
                "use": "official",
                "type": _identifier_type(
                    systems.FR_CORE_IDENTIFIER_TYPE, "FINEG", "FINESS d'entité géographique"
                ),
                "system": systems.FINESS,
                "value": o.finess,
            },
            {
                "use": "official",
                "type": _identifier_type(
                    systems.FR_CORE_IDENTIFIER_TYPE,
                    "IDNST",
                    "Identification nationale de structure définie par l’ANS dans le CI_SIS",
                ),
                "system": systems.ID_NAT_ST,
                "value": "1" + o.finess,
            },
        ],
        "active": True,
        "type": [{"text": o.kind}],
        "name": o.name,
        "telecom": _telecom(o.mssante, o.phone),
        "address": [org_address],
    }


def _patient_ref(p: model.Patient) -> dict:
    return reference("Patient", p.id)


def _with_encounter(resource: dict, encounter_id: str | None, key: str = "encounter") -> dict:
    if encounter_id:
        resource[key] = reference("Encounter", encounter_id)
    return resource


def encounter(e: model.Encounter, p: model.Patient, ctx: ExportContext) -> dict:
    """FR Core Encounter. FR Core requires an identifier (1..*): the visit number, typed VN as in
    FR Core's own example, is the encounter's id under the sandbox's naming system."""
    resource = {
        "resourceType": "Encounter",
        "id": e.id,
        "meta": ctx.profiled(systems.PROFILE_ENCOUNTER),
        "identifier": [
            {
                "type": {"coding": [{"system": systems.FR_CORE_ENCOUNTER_IDENTIFIER_TYPE, "code": "VN"}]},
                "system": systems.SANTELAB_ENCOUNTER_ID,
                "value": e.id,
            }
        ],
        "status": "finished",
        "class": {
            "system": systems.V3_ACT_CODE,
            "code": e.kind,
            "display": _ENCOUNTER_CLASS.get(e.kind, e.kind),
        },
        "subject": _patient_ref(p),
        "participant": [{"individual": reference("Practitioner", e.practitioner_id)}],
        "period": {"start": instant(e.start), "end": instant(e.end)},
        "serviceProvider": reference("Organization", e.organization_id),
    }
    if e.reason:
        resource["reasonCode"] = [concept(e.reason)]
    return resource


def condition(c: model.Condition, p: model.Patient, ctx: ExportContext) -> dict:
    resource = {
        "resourceType": "Condition",
        "id": c.id,
        "meta": ctx.meta,
        "clinicalStatus": {
            "coding": [
                {
                    "system": systems.CONDITION_CLINICAL,
                    "code": "resolved" if c.resolved else "active",
                }
            ]
        },
        "verificationStatus": {
            "coding": [{"system": systems.CONDITION_VERIFICATION, "code": "confirmed"}]
        },
        "code": concept(*c.codes),
        "subject": _patient_ref(p),
        "onsetDateTime": c.onset.isoformat(),
    }
    if c.resolved:
        resource["abatementDateTime"] = c.resolved.isoformat()
    return _with_encounter(resource, c.encounter_id)


def _quantity(value: float, unit: str | None) -> dict:
    if unit is None:
        return {"value": value}
    return {"value": value, "unit": unit, "system": systems.UCUM, "code": unit}


def observation(o: model.Observation, p: model.Patient, ctx: ExportContext) -> dict:
    resource = {
        "resourceType": "Observation",
        "id": o.id,
        "meta": ctx.meta,
        "status": "final",
        "category": [
            {"coding": [{"system": systems.OBSERVATION_CATEGORY, "code": o.category}]}
        ],
        "code": concept(o.code),
        "subject": _patient_ref(p),
        "effectiveDateTime": instant(o.effective),
    }
    _with_encounter(resource, o.encounter_id)
    if o.value is not None:
        resource["valueQuantity"] = _quantity(o.value, o.unit)
    if o.interpretation:
        resource["interpretation"] = [
            {"coding": [{"system": systems.OBSERVATION_INTERPRETATION, "code": o.interpretation}]}
        ]
    if o.components:
        resource["component"] = [
            {"code": concept(code), "valueQuantity": _quantity(value, unit)}
            for code, value, unit in o.components
        ]
    return resource


def medication_request(m: model.MedicationRequest, p: model.Patient, ctx: ExportContext) -> dict:
    """A prescription line; still `active` on the reference date if its course is not over,
    `stopped` if the patient died before its end."""
    course_end = m.authored.date() + timedelta(days=m.duration_days)
    if p.deceased is not None and course_end > p.deceased:
        status = "stopped"
    else:
        status = "active" if course_end >= ctx.reference_date else "completed"
    resource = {
        "resourceType": "MedicationRequest",
        "id": m.id,
        "meta": ctx.meta,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": concept(m.medication, text=m.drug_name),
        "subject": _patient_ref(p),
        "authoredOn": instant(m.authored),
        "requester": reference("Practitioner", m.requester_id),
        "dosageInstruction": [{"text": m.dosage}],
        "dispenseRequest": {
            "expectedSupplyDuration": {
                "value": m.duration_days,
                "unit": "jours",
                "system": systems.UCUM,
                "code": "d",
            }
        },
    }
    return _with_encounter(resource, m.encounter_id)


def immunization(i: model.Immunization, p: model.Patient, ctx: ExportContext) -> dict:
    resource = {
        "resourceType": "Immunization",
        "id": i.id,
        "meta": ctx.meta,
        "status": "completed",
        "vaccineCode": concept(i.vaccine),
        "patient": _patient_ref(p),
        "occurrenceDateTime": i.date.isoformat(),
        "performer": [{"actor": reference("Practitioner", i.performer_id)}],
    }
    return _with_encounter(resource, i.encounter_id)


def binary_id(doc: model.ClinicalDocument) -> str:
    return f"{doc.id}-bin"


def _security_label(code: str) -> dict:
    if code in _CONFIDENTIALITY_V3:
        system, display = systems.V3_CONFIDENTIALITY, _CONFIDENTIALITY_V3[code]
        return {"coding": [{"system": system, "code": code, "display": display}]}
    return {"coding": [{"system": systems.J58_CONFIDENTIALITY, "code": code}]}


def document_reference(
    doc: model.ClinicalDocument, p: model.Patient, ctx: ExportContext, body: bytes
) -> dict:
    """MHD-like DocumentReference: J57 class, LOINC type, J58 label, content in a Binary."""
    resource = {
        "resourceType": "DocumentReference",
        "id": doc.id,
        "meta": ctx.meta,
        "masterIdentifier": {
            "system": systems.DOCUMENT_UNIQUE_ID,
            "value": "urn:uuid:" + deterministic_uuid(ctx.seed, "document", doc.id),
        },
        "status": "current",
        "type": concept(doc.type),
        "category": [{"coding": [{"system": systems.J57_CLASS_CODE, "code": doc.class_code}]}],
        "subject": _patient_ref(p),
        "date": instant(doc.date),
        "author": [reference("Practitioner", doc.author_id)],
        "securityLabel": [_security_label(doc.confidentiality)],
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain",
                    "language": "fr-FR",
                    "url": f"Binary/{binary_id(doc)}",
                    "size": len(body),
                    "hash": base64.b64encode(hashlib.sha1(body).digest()).decode("ascii"),
                    "title": doc.title,
                    "creation": instant(doc.date),
                },
                "format": {
                    "system": systems.IHE_FORMAT_CODE,
                    "code": "urn:ihe:iti:xds:2017:mimeTypeSufficient",
                    "display": "mimeType Sufficient",
                },
            }
        ],
    }
    if doc.encounter_id:
        resource["context"] = {"encounter": [reference("Encounter", doc.encounter_id)]}
    return resource


def binary(doc: model.ClinicalDocument, ctx: ExportContext, body: bytes) -> dict:
    return {
        "resourceType": "Binary",
        "id": binary_id(doc),
        "meta": ctx.meta,
        "contentType": "text/plain",
        "securityContext": reference("DocumentReference", doc.id),
        "data": base64.b64encode(body).decode("ascii"),
    }


def patient_resources(p: model.Patient, ctx: ExportContext) -> Iterator[dict]:
    """Every resource of one patient, the Patient first, in a fixed order."""
    yield patient(p, ctx)
    for e in p.encounters:
        yield encounter(e, p, ctx)
    for c in p.conditions:
        yield condition(c, p, ctx)
    for o in p.observations:
        yield observation(o, p, ctx)
    for m in p.medications:
        yield medication_request(m, p, ctx)
    for i in p.immunizations:
        yield immunization(i, p, ctx)
    for doc in p.documents:
        body = doc.text.encode("utf-8")
        yield document_reference(doc, p, ctx, body)
        yield binary(doc, ctx, body)


def directory_resources(
    organizations: list[model.Organization],
    practitioners: list[model.Practitioner],
    ctx: ExportContext,
) -> Iterator[dict]:
    """The shared directory: organizations, then practitioners and their roles."""
    for o in organizations:
        yield organization(o, ctx)
    for pr in practitioners:
        yield practitioner(pr, ctx)
    for pr in practitioners:
        yield practitioner_role(pr, ctx)

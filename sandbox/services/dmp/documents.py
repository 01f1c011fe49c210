"""Incoming DocumentReference / MHD Bundle → a checked `Submission`; stored rows → FHIR.

Structure is checked by the `fhir.resources` R4B models (the French diagnostic names the
field); codes are checked against the DMP referentials; the content must be inline (simple
POST) or in a Binary of the same transaction Bundle (ITI-65).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row

from sandbox.errors import ServiceError, describe_validation_error
from sandbox.services.dmp.codes import referentials
from sandbox.services.dmp.models import DmpDocumentRow
from synthetic_data.export import systems
from synthetic_data.export.fhir_r4 import PARIS
from synthetic_data.fhir_models import model_class

MAX_CONTENT_BYTES = 20 * 1024 * 1024
_DOC = "DocumentReference"


@dataclass
class Submission:
    """What one document submission carries, checked and ready to store."""

    master_identifier: str
    patient_ref: str  # "<system>|<INS>" or "Patient/<id>"
    type_code: str
    type_display: str
    class_code: str
    confidentiality: list[str]
    format_code: str
    content_type: str
    data: bytes
    title: str
    date: datetime
    replaces: str | None
    resource: dict  # the submitted DocumentReference (without inline data)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _invalid(text: str, where: str | None = None) -> ServiceError:
    return ServiceError(400, text, expression=[where] if where else None)


def validate_resource(resource: Any, expected: str | tuple[str, ...], where: str = "") -> dict:
    """Check a FHIR resource against its R4B model; 400 naming the first wrong fields."""
    expected = (expected,) if isinstance(expected, str) else expected
    if not isinstance(resource, dict):
        raise _invalid(f"{where or 'corps'} : un objet JSON FHIR est attendu.")
    kind = resource.get("resourceType")
    if kind not in expected:
        raise _invalid(
            f"{where or 'corps'} : resourceType « {kind} » reçu, {' ou '.join(expected)} "
            "attendu à cette adresse.", f"{where}resourceType")
    try:
        model_class(kind).model_validate(resource)
    except ValidationError as exc:
        errors = exc.errors()
        text = " ; ".join(describe_validation_error(e) for e in errors[:5])
        paths = [f"{kind}." + ".".join(str(p) for p in e.get("loc", ())) for e in errors[:5]]
        raise ServiceError(400, f"{kind} FHIR invalide : {text}.", expression=paths) from None
    return resource


def _coding(concept: dict | None, system: str) -> dict | None:
    for c in (concept or {}).get("coding", []) or []:
        if c.get("system") == system:
            return c
    return None


def _decode(data: str, where: str) -> bytes:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(f"« {where} » n'est pas du base64 valide : encodez le contenu en base64.",
                       where) from None
    if len(raw) > MAX_CONTENT_BYTES:
        raise ServiceError(413, "Document trop volumineux pour le bac à sable (20 Mo au plus).")
    if not raw:
        raise _invalid(f"« {where} » est vide : un document doit avoir un contenu.", where)
    return raw


def _parse_date(value: str | None, default: datetime) -> datetime:
    if not value:
        return default
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"date « {value} » illisible (AAAA-MM-JJThh:mm:ss+hh:mm attendu).",
                       "DocumentReference.date") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)  # stored in UTC: comparable on SQLite and PostgreSQL


def parse(resource: dict, *, now: datetime, binaries: dict[str, dict] | None = None) -> Submission:
    """A DocumentReference (validated) → Submission; `binaries` maps Bundle fullUrls to Binary."""
    validate_resource(resource, _DOC)
    ref = referentials()
    loinc, j57, j58, v3 = (ref.systems[k] for k in ("loinc", "class", "confidentiality",
                                                    "v3_confidentiality"))
    status = resource.get("status")
    if status not in (None, "current"):
        raise _invalid(f"DocumentReference.status « {status} » : un nouveau document est "
                       "« current » (le remplacement passe par relatesTo).", "DocumentReference.status")
    type_coding = _coding(resource.get("type"), loinc)
    if type_coding is None:
        raise _invalid(f"DocumentReference.type : un code LOINC ({loinc}) est obligatoire. "
                       f"Codes acceptés : {ref.type_list()}.", "DocumentReference.type")
    type_code = type_coding.get("code", "")
    if type_code not in ref.types:
        raise _invalid(f"DocumentReference.type : code LOINC « {type_code} » inconnu du DMP. "
                       f"Codes acceptés : {ref.type_list()}.", "DocumentReference.type")
    class_code = ref.types[type_code]["class"]
    for category in resource.get("category") or []:
        c = _coding(category, j57)
        if c is not None:
            class_code = c.get("code", "")
            if class_code not in ref.classes:
                known = ", ".join(f"{k} ({v})" for k, v in ref.classes.items())
                raise _invalid(f"DocumentReference.category : classCode J57 « {class_code} » "
                               f"inconnu. Codes acceptés : {known}.", "DocumentReference.category")
    confidentiality = []
    for label in resource.get("securityLabel") or []:
        for c in label.get("coding") or []:
            code = c.get("code", "")
            if c.get("system") not in (j58, v3) or code not in ref.confidentiality:
                known = ", ".join(ref.confidentiality)
                raise _invalid(f"DocumentReference.securityLabel : code de confidentialité "
                               f"« {code} » ({c.get('system')}) inconnu. Codes J58 acceptés : "
                               f"{known}.", "DocumentReference.securityLabel")
            confidentiality.append(code)
    confidentiality = confidentiality or ["N"]

    subject = resource.get("subject") or {}
    identifier = subject.get("identifier") or {}
    if identifier.get("value"):
        patient_ref = f"{identifier.get('system', '')}|{identifier['value']}"
    elif str(subject.get("reference", "")).startswith("Patient/"):
        patient_ref = subject["reference"]
    else:
        raise _invalid("DocumentReference.subject : le patient est obligatoire, par son INS "
                       "(identifier.system urn:oid:1.2.250.1.213.1.4.10, identifier.value = INS).",
                       "DocumentReference.subject")

    contents = resource.get("content") or []
    if len(contents) != 1:
        raise _invalid("DocumentReference.content : exactement un contenu est attendu.",
                       "DocumentReference.content")
    attachment = contents[0].get("attachment") or {}
    content_type = attachment.get("contentType")
    if not content_type:
        raise _invalid("DocumentReference.content.attachment.contentType est obligatoire "
                       "(text/plain, application/pdf, application/hl7-cda+xml…).",
                       "DocumentReference.content.attachment.contentType")
    if attachment.get("data"):
        data = _decode(attachment["data"], "DocumentReference.content.attachment.data")
    elif attachment.get("url") and binaries is not None and attachment["url"] in binaries:
        binary = binaries[attachment["url"]]
        data = _decode(binary.get("data") or "", "Binary.data")
        content_type = binary.get("contentType") or content_type
    else:
        raise _invalid("DocumentReference.content.attachment : le contenu doit être fourni, "
                       "en base64 dans « data », ou dans un Binary de la même transaction "
                       "(« url » = fullUrl du Binary).", "DocumentReference.content.attachment")
    format_coding = (contents[0].get("format") or {})
    format_code = format_coding.get("code") or ref.default_format(content_type)
    if format_code not in ref.formats:
        known = ", ".join(f"{k} ({v['label']})" for k, v in ref.formats.items())
        raise _invalid(f"DocumentReference.content.format : formatCode « {format_code} » inconnu. "
                       f"Formats acceptés : {known}.", "DocumentReference.content.format")
    allowed = ref.formats[format_code]["content_types"]
    if content_type not in allowed:
        raise _invalid(f"Le format « {format_code} » n'accepte pas le type de contenu "
                       f"« {content_type} » (acceptés : {', '.join(allowed)}).",
                       "DocumentReference.content.attachment.contentType")
    if content_type == "application/pdf" and not data.startswith(b"%PDF"):
        raise _invalid("Le contenu annoncé application/pdf n'est pas un PDF (il doit commencer "
                       "par « %PDF »).", "DocumentReference.content.attachment")

    replaces = None
    for relation in resource.get("relatesTo") or []:
        if relation.get("code") != "replaces":
            raise _invalid(f"DocumentReference.relatesTo.code « {relation.get('code')} » : seul "
                           "« replaces » est pris en charge par le DMP.", "DocumentReference.relatesTo")
        target = str((relation.get("target") or {}).get("reference", ""))
        if not target.startswith("DocumentReference/"):
            raise _invalid("DocumentReference.relatesTo.target : « DocumentReference/<id> » du "
                           "document remplacé attendu.", "DocumentReference.relatesTo")
        replaces = target.removeprefix("DocumentReference/")

    master = (resource.get("masterIdentifier") or {}).get("value") or f"urn:uuid:{uuid.uuid4()}"
    title = attachment.get("title") or resource.get("description") or ref.types[type_code]["label"]
    stored = {k: v for k, v in resource.items() if k not in ("id", "meta", "status")}
    return Submission(
        master_identifier=master, patient_ref=patient_ref, type_code=type_code,
        type_display=ref.types[type_code]["label"], class_code=class_code,
        confidentiality=confidentiality, format_code=format_code, content_type=content_type,
        data=data, title=title, date=_parse_date(resource.get("date"), now), replaces=replaces,
        resource=stored,
    )


def security_label(code: str) -> dict:
    """A confidentiality code as a FHIR securityLabel (v3 for N/R/V, the DMP's J58 otherwise)."""
    ref = referentials()
    if code in ("N", "R", "V"):
        system = ref.systems["v3_confidentiality"]
    else:
        system = ref.systems["confidentiality"]
    return {"coding": [{"system": system, "code": code, "display": ref.confidentiality[code]}]}


def build_resource(sub: Submission, *, doc_id: str, binary_id: str, patient_id: str, ins: str,
                   author_id: str | None) -> dict:
    """The DocumentReference as the DMP serves it: normalised codes, content by Binary URL."""
    ref = referentials()
    resource = dict(sub.resource)
    resource.update({
        "resourceType": _DOC,
        "id": doc_id,
        "masterIdentifier": {"system": systems.DOCUMENT_UNIQUE_ID, "value": sub.master_identifier},
        "status": "current",
        "type": {"coding": [{"system": ref.systems["loinc"], "code": sub.type_code,
                             "display": sub.type_display}], "text": sub.type_display},
        "category": [{"coding": [{"system": ref.systems["class"], "code": sub.class_code,
                                  "display": ref.classes[sub.class_code]}]}],
        "subject": {"reference": f"Patient/{patient_id}",
                    "identifier": {"system": "urn:oid:1.2.250.1.213.1.4.10", "value": ins}},
        "date": sub.date.astimezone(PARIS).isoformat(timespec="seconds"),
        "securityLabel": [security_label(c) for c in sub.confidentiality],
        "content": [{
            "attachment": {
                "contentType": sub.content_type, "language": "fr-FR",
                "url": f"Binary/{binary_id}", "size": len(sub.data),
                "hash": base64.b64encode(hashlib.sha1(sub.data).digest()).decode("ascii"),
                "title": sub.title,
            },
            "format": {"system": ref.systems["format"], "code": sub.format_code,
                       "display": ref.formats[sub.format_code]["label"]},
        }],
    })
    if author_id and not resource.get("author"):
        resource["author"] = [{"reference": f"Practitioner/{author_id}"}]
    return resource


def served(row: DmpDocumentRow | Row, resource: dict | None = None) -> dict:
    """The stored resource (`row.resource` unless given) with its live status, archive flag
    and version."""
    resource = dict(row.resource if resource is None else resource)
    resource["status"] = row.status
    resource["meta"] = {"versionId": str(row.version),
                        "tag": [{"system": "https://santelab.example/fhir/CodeSystem/dmp-archive",
                                 "code": "archive" if row.archived else "actif"}]}
    if row.replaces:
        resource["relatesTo"] = [{"code": "replaces",
                                  "target": {"reference": f"DocumentReference/{row.replaces}"}}]
    return resource

"""`s.dmp` : le DMP (Mon espace santé) depuis un notebook, par son API FHIR (profil MHD).

    docs = s.dmp.search(patient=ins, type="11490-0", date_from="2025-01-01")
    doc = s.dmp.add(patient=ins, type="11488-4", title="CR de consultation", text="…")
    s.dmp.content(doc.id)                     # le contenu du document (ITI-68)
    s.dmp.break_glass(patient=ins, reason="Patient inconscient aux urgences")
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from sandbox.client.transport import Resource
from sandbox.services.dmp.schemas import Alert, ConsentState
from sandbox.vocabulary import ACTION_SYSTEM, AUDIT_EVENT_OUTCOME, ERROR, outcome_label

INS_SYSTEM = "urn:oid:1.2.250.1.213.1.4.10"
LOINC = "http://loinc.org"
J57 = "urn:oid:1.2.250.1.213.1.1.4.1"
J58 = "urn:oid:1.2.250.1.213.1.1.4.13"
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
FORMAT_SYSTEM = "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode"
PDF_FORMAT = "urn:ihe:iti:xds-sd:pdf:2008"
BREAK_GLASS_HEADER = "X-Bris-De-Glace"
PAGE = 200  # the shared FHIR search maximum


def _coding(concept: dict | None, system: str) -> dict:
    for c in (concept or {}).get("coding", []):
        if c.get("system") == system:
            return c
    return {}


@dataclass
class Document:
    """Un document du DMP (sa fiche DocumentReference résumée ; `resource` la contient en entier)."""

    id: str
    type_code: str
    type: str
    class_code: str
    title: str
    date: str
    status: str
    confidentiality: list[str]
    author: str | None
    archived: bool
    patient_ins: str | None
    content_type: str
    size: int | None
    resource: dict = field(repr=False)

    @classmethod
    def from_fhir(cls, r: dict) -> Document:
        """Le Document résumé à partir de sa fiche FHIR DocumentReference."""
        attachment = (r.get("content") or [{}])[0].get("attachment", {})
        type_coding = _coding(r.get("type"), LOINC)
        tags = (r.get("meta") or {}).get("tag") or []
        return cls(
            id=r.get("id", ""), type_code=type_coding.get("code", ""),
            type=type_coding.get("display", ""),
            class_code=_coding((r.get("category") or [{}])[0], J57).get("code", ""),
            title=attachment.get("title", ""), date=r.get("date", ""),
            status=r.get("status", ""),
            confidentiality=[c.get("code", "") for label in r.get("securityLabel", [])
                             for c in label.get("coding", [])],
            author=((r.get("author") or [{}])[0].get("reference")),
            archived=any(t.get("code") == "archive" for t in tags),
            patient_ins=((r.get("subject") or {}).get("identifier") or {}).get("value"),
            content_type=attachment.get("contentType", ""), size=attachment.get("size"),
            resource=r)

    @property
    def binary_id(self) -> str:
        """L'identifiant du contenu du document (sa ressource Binary)."""
        url = (self.resource.get("content") or [{}])[0].get("attachment", {}).get("url", "")
        return url.removeprefix("Binary/")

    def __str__(self) -> str:
        flags = f" [{', '.join(self.confidentiality)}]" if self.confidentiality != ["N"] else ""
        return f"{self.date[:10]}  {self.type_code} {self.title} ({self.status}){flags}  id={self.id}"


@dataclass
class AuditEntry:
    """Un accès au DMP, tel que le patient le voit dans son historique."""

    id: str
    recorded: str
    action: str
    who: str
    role: str
    outcome: str  # French label of the stream's outcome: "succès", "refus" or "erreur"
    description: str
    target: str | None
    emergency_reason: str | None = None

    @classmethod
    def from_fhir(cls, r: dict) -> AuditEntry:
        """L'accès résumé à partir de sa ressource FHIR AuditEvent."""
        agent = (r.get("agent") or [{}])[0]
        targets = [e["what"]["reference"] for e in r.get("entity", [])
                   if not e["what"]["reference"].startswith("Patient/")]
        purpose = (r.get("purposeOfEvent") or [{}])[0]
        action = next((c for c in r.get("subtype", []) if c.get("system") == ACTION_SYSTEM),
                      r.get("type", {}))
        outcome = next((o for o, code in AUDIT_EVENT_OUTCOME.items()
                        if code == r.get("outcome")), ERROR)
        return cls(id=r.get("id", ""), recorded=r.get("recorded", ""),
                   action=action.get("display", ""),
                   who=agent.get("who", {}).get("display", ""),
                   role=agent.get("type", {}).get("text", ""),
                   outcome=outcome_label(outcome),
                   description=r.get("outcomeDesc", ""), target=targets[0] if targets else None,
                   emergency_reason=purpose.get("text"))


def _day(value: date | datetime | str) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


class DMP(Resource):
    """Le DMP, vu par la persona de la connexion (ce qu'elle a le droit d'y voir et d'y faire)."""

    base = "/dmp"

    # --- consult ---------------------------------------------------------------------------

    def _search_params(self, patient: str | None, type: str | list[str] | None,
                       date_from: Any, date_to: Any, author: str | None,
                       category: str | None, status: str | None, archived: bool) -> list:
        params: list[tuple[str, str]] = []
        if patient:
            params.append(("patient.identifier",
                           patient if "|" in patient else f"{INS_SYSTEM}|{patient}"))
        if type:
            codes = [type] if isinstance(type, str) else list(type)
            params.append(("type", ",".join(c if "|" in c else f"{LOINC}|{c}" for c in codes)))
        if date_from:
            params.append(("date", f"ge{_day(date_from)}"))
        if date_to:
            params.append(("date", f"le{_day(date_to)}"))
        if author:
            params.append(("author", author))
        if category:
            params.append(("category", category))
        if status:
            params.append(("status", status))
        if archived:
            params.append(("archived", "true"))
        return params

    def search(self, patient: str | None = None, *, type: str | list[str] | None = None,
               date_from: Any = None, date_to: Any = None, author: str | None = None,
               category: str | None = None, status: str | None = None,
               archived: bool = False) -> list[Document]:
        """Rechercher les documents du DMP d'un patient (ITI-67) : `patient` est son INS (la
        persona patient peut l'omettre), filtres par type, dates, auteur, catégorie, statut."""
        params = self._search_params(patient, type, date_from, date_to, author, category,
                                     status, archived)
        return self._all_pages(params)

    def _all_pages(self, params: list, headers: dict | None = None) -> list[Document]:
        """Every page of a searchset (the service pages by `_count`/`_offset`)."""
        found: list[Document] = []
        while True:
            page = [*params, ("_count", str(PAGE)), ("_offset", str(len(found)))]
            bundle = self._get(f"{self.base}/fhir/DocumentReference", params=page,
                               headers=headers)
            entries = bundle.get("entry", [])
            found.extend(Document.from_fhir(e["resource"]) for e in entries)
            if not entries or len(found) >= bundle.get("total", 0):
                return found

    def break_glass(self, patient: str, reason: str, *, type: str | list[str] | None = None,
                    date_from: Any = None) -> list[Document]:
        """Recherche en urgence (« bris de glace ») avec son motif : tracée, et le patient est alerté."""
        params = self._search_params(patient, type, date_from, None, None, None, None, False)
        return self._all_pages(params, headers={BREAK_GLASS_HEADER: quote(reason)})

    def read(self, id: str, *, emergency_reason: str | None = None) -> Document:
        """Lire la fiche d'un document par son identifiant."""
        headers = {BREAK_GLASS_HEADER: quote(emergency_reason)} if emergency_reason else None
        return Document.from_fhir(self._get(f"{self.base}/fhir/DocumentReference/{id}",
                                            headers=headers))

    def content(self, id: str | Document, *, emergency_reason: str | None = None) -> bytes:
        """Le contenu d'un document (ITI-68), en octets : donner son identifiant ou le Document."""
        doc = id if isinstance(id, Document) else self.read(id, emergency_reason=emergency_reason)
        headers = {"Accept": "*/*"}
        if emergency_reason:
            headers[BREAK_GLASS_HEADER] = quote(emergency_reason)
        return self._raw("GET", f"{self.base}/fhir/Binary/{doc.binary_id}",
                         headers=headers).content

    def text(self, id: str | Document) -> str:
        """Le contenu d'un document texte, décodé."""
        return self.content(id).decode("utf-8")

    # --- feed ------------------------------------------------------------------------------

    def _resource(self, *, patient: str, type: str, title: str, text: str | None,
                  pdf: bytes | None, confidentiality: str | list[str], class_code: str | None,
                  date: Any, master_identifier: str | None) -> dict:
        if (text is None) == (pdf is None):
            raise ValueError("give exactly one of text= or pdf=")
        data = pdf if pdf is not None else text.encode("utf-8")
        content_type = "application/pdf" if pdf is not None else "text/plain"
        labels = [confidentiality] if isinstance(confidentiality, str) else list(confidentiality)
        resource: dict[str, Any] = {
            "resourceType": "DocumentReference",
            "masterIdentifier": {"system": "urn:ietf:rfc:3986",
                                 "value": master_identifier or f"urn:uuid:{uuid.uuid4()}"},
            "status": "current",
            "type": {"coding": [{"system": LOINC, "code": type}]},
            "subject": {"identifier": {"system": INS_SYSTEM, "value": patient}},
            "securityLabel": [{"coding": [{"system": V3_CONFIDENTIALITY if c in ("N", "R", "V")
                                           else J58, "code": c}]} for c in labels],
            "content": [{"attachment": {"contentType": content_type, "title": title,
                                        "data": base64.b64encode(data).decode("ascii")}}],
        }
        if pdf is not None:
            resource["content"][0]["format"] = {"system": FORMAT_SYSTEM, "code": PDF_FORMAT}
        if class_code:
            resource["category"] = [{"coding": [{"system": J57, "code": class_code}]}]
        if date:
            resource["date"] = _day(date)
        return resource

    def add(self, patient: str, *, type: str, title: str, text: str | None = None,
            pdf: bytes | None = None, confidentiality: str | list[str] = "N",
            class_code: str | None = None, date: Any = None,
            master_identifier: str | None = None) -> Document:
        """Alimenter le DMP d'un document (ITI-65) ; renvoyer le même identifiant de document
        (masterIdentifier) rend le document déjà versé, jamais une seconde copie."""
        resource = self._resource(patient=patient, type=type, title=title, text=text, pdf=pdf,
                                  confidentiality=confidentiality, class_code=class_code,
                                  date=date, master_identifier=master_identifier)
        return Document.from_fhir(self._post(f"{self.base}/fhir/DocumentReference",
                                             json=resource))

    def replace(self, id: str, *, text: str | None = None, pdf: bytes | None = None,
                title: str | None = None, type: str | None = None,
                confidentiality: str | list[str] | None = None) -> Document:
        """Verser une nouvelle version d'un document : l'ancienne devient « remplacée » (superseded)."""
        old = self.read(id)
        resource = self._resource(
            patient=old.patient_ins or "", type=type or old.type_code, title=title or old.title,
            text=text, pdf=pdf, confidentiality=confidentiality or old.confidentiality,
            class_code=old.class_code, date=None, master_identifier=None)
        resource["relatesTo"] = [{"code": "replaces",
                                  "target": {"reference": f"DocumentReference/{id}"}}]
        return Document.from_fhir(self._post(f"{self.base}/fhir/DocumentReference",
                                             json=resource))

    def archive(self, id: str, *, archived: bool = True) -> Document:
        """Archiver un document (masqué des recherches par défaut) ou, avec archived=False, le restaurer."""
        return Document.from_fhir(self._post(
            f"{self.base}/fhir/DocumentReference/{id}/$archive",
            params={"archived": str(archived).lower()}))

    # --- the patient's side ----------------------------------------------------------------

    def mask(self, id: str | Document, *, masked: bool = True) -> Document:
        """Masquer un de ses documents aux professionnels (la persona patient, depuis Mon espace
        santé) : seuls son auteur et le médecin traitant le voient encore. Avec masked=False, le
        démasquer."""
        id = id.id if isinstance(id, Document) else id
        return Document.from_fhir(self._post(
            f"{self.base}/fhir/DocumentReference/{id}/$mask",
            params={"masked": str(masked).lower()}))

    def audit(self, patient: str | None = None) -> list[AuditEntry]:
        """L'historique des accès au DMP, du plus récent au plus ancien (la persona patient : le sien)."""
        params = {"patient.identifier": f"{INS_SYSTEM}|{patient}"} if patient else None
        bundle = self._get(f"{self.base}/fhir/AuditEvent", params=params)
        return [AuditEntry.from_fhir(e["resource"]) for e in bundle.get("entry", [])]

    def alerts(self, patient: str | None = None) -> list[Alert]:
        """Les alertes « bris de glace » du DMP."""
        params = {"patient.identifier": f"{INS_SYSTEM}|{patient}"} if patient else None
        return [Alert.model_validate(r) for r in self._get(f"{self.base}/alerts", params=params)]

    def consent(self) -> ConsentState:
        """Les choix du patient sur son DMP : professionnels autorisés ou bloqués, opposition."""
        return ConsentState.model_validate(self._get(f"{self.base}/consent"))

    def _consent(self, decision: str, professional: str | None, reason: str | None) -> ConsentState:
        body = {"decision": decision, "professionnel": professional, "motif": reason}
        return ConsentState.model_validate(self._post(f"{self.base}/consent", json=body))

    def authorise(self, professional: str) -> ConsentState:
        """Autoriser un professionnel (son identifiant) à consulter le DMP : il rejoint l'équipe de soins."""
        return self._consent("autoriser", professional, None)

    def oppose(self, professional: str | None = None, *, reason: str | None = None) -> ConsentState:
        """Bloquer l'accès d'un professionnel, ou (sans professionnel, avec un motif) s'opposer au DMP
        entier."""
        return self._consent("opposer", professional, reason)

    def lift(self, professional: str | None = None) -> ConsentState:
        """Retirer une décision sur un professionnel, ou rouvrir le DMP."""
        return self._consent("lever", professional, None)

    def refuse_break_glass(self) -> ConsentState:
        """Refuser par avance tout accès en urgence (« bris de glace ») à son DMP : aucun
        professionnel ne pourra l'ouvrir ainsi, même en urgence vitale."""
        return self._consent("refuser_bris_de_glace", None, None)

    def allow_break_glass(self) -> ConsentState:
        """Retirer ce refus : l'accès en urgence motivé redevient possible."""
        return self._consent("accepter_bris_de_glace", None, None)

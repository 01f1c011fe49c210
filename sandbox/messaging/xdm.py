"""IHE XDM packages (`IHE_XDM.ZIP`) carrying a CDA document, as MSSanté messages do.

Layout (IHE ITI TF-1 §16 / TF-3 §4.5, as profiled by the ANS for MSSanté):
`INDEX.HTM`, `README.TXT`, `IHE_XDM/SUBSET01/METADATA.XML` (an XDS SubmitObjectsRequest whose
DocumentEntry names the patient by INS, the typeCode, classCode and confidentiality) and the
CDA document itself (`IHE_XDM/SUBSET01/DOC0001.XML`). A PDF is wrapped in a CDA R2 level 1
(nonXMLBody, formatCode `urn:ihe:iti:xds-sd:pdf:2008`).

Reading is defensive: zip limits (entries, declared and real sizes, compression ratio) are
checked before any byte is inflated, so a zip bomb is refused without being extracted.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from synthetic_data.nir import matricule_problem

INS_TEST_OID = "1.2.250.1.213.1.4.10"
INS_OIDS = {"1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", INS_TEST_OID, "1.2.250.1.213.1.4.11"}
PDF_FORMAT = "urn:ihe:iti:xds-sd:pdf:2008"
METADATA = "IHE_XDM/SUBSET01/METADATA.XML"
DOCUMENT = "IHE_XDM/SUBSET01/DOC0001.XML"
ZIP_NAME = "IHE_XDM.ZIP"

# Limits checked on the zip's central directory, before extraction.
MAX_ENTRIES = 64
MAX_TOTAL = 20 * 1024 * 1024  # bytes once inflated
MAX_RATIO = 100  # inflated / compressed, per entry

NS = {
    "rim": "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0",
    "lcm": "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0",
    "cda": "urn:hl7-org:v3",
}
# XDS DocumentEntry classification schemes and identifiers (IHE ITI TF-3 §4.2.5).
SCHEME_CLASS = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
SCHEME_TYPE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
SCHEME_CONF = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
SCHEME_FORMAT = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
IDENT_PATIENT = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
IDENT_UNIQUE = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
DOCUMENT_ENTRY = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"


class XdmError(ValueError):
    """A package that cannot be accepted; `str()` is the French reason."""


@dataclass(frozen=True, slots=True)
class ClinicalDocument:
    """What a received XDM package carries, once opened."""

    ins: str
    ins_oid: str
    type_code: str  # LOINC, e.g. 11488-4
    class_code: str  # J57, e.g. 10
    confidentiality: str  # J58: N, R, V…
    title: str
    cda: bytes  # the CDA R2 document
    pdf: bytes | None  # the wrapped PDF for a level 1 CDA
    mime_type: str = "text/xml"

    @property
    def content(self) -> bytes:
        """The human-readable payload: the PDF of a level 1 CDA, else the CDA itself."""
        return self.pdf if self.pdf is not None else self.cda


# --- building --------------------------------------------------------------------------------

def cda_level1(pdf: bytes, *, ins: str, ins_oid: str = INS_TEST_OID, type_code: str,
               title: str, confidentiality: str = "N", patient_name: str = "",
               author: str = "", when: datetime | None = None) -> bytes:
    """A CDA R2 level 1 document wrapping a PDF (nonXMLBody, base64)."""
    when = when or datetime.now(UTC)
    family, _, given = patient_name.partition(" ")
    body = base64.b64encode(pdf).decode()
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <realmCode code="FR"/>
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <templateId root="1.2.250.1.213.1.1.1.1"/>
  <id root="{uuid.uuid4()}"/>
  <code code={quoteattr(type_code)} codeSystem="2.16.840.1.113883.6.1"/>
  <title>{escape(title)}</title>
  <effectiveTime value="{when:%Y%m%d%H%M%S}+0000"/>
  <confidentialityCode code={quoteattr(confidentiality)} codeSystem="2.16.840.1.113883.5.25"/>
  <languageCode code="fr-FR"/>
  <recordTarget><patientRole>
    <id root={quoteattr(ins_oid)} extension={quoteattr(ins)}/>
    <patient><name><family>{escape(family)}</family><given>{escape(given)}</given></name></patient>
  </patientRole></recordTarget>
  <author><assignedAuthor><id root="1.2.250.1.71.4.2.1"/>
    <assignedPerson><name>{escape(author)}</name></assignedPerson></assignedAuthor></author>
  <component><nonXMLBody><text mediaType="application/pdf" representation="B64">{body}</text></nonXMLBody></component>
</ClinicalDocument>
"""
    return xml.encode()


def _classification(scheme: str, node: str, code: str, coding_scheme: str) -> str:
    return (f'<rim:Classification classificationScheme="{scheme}" classifiedObject="Document01" '
            f'nodeRepresentation={quoteattr(code)} id="urn:uuid:{uuid.uuid4()}">'
            f'<rim:Slot name="codingScheme"><rim:ValueList><rim:Value>{escape(coding_scheme)}'
            f'</rim:Value></rim:ValueList></rim:Slot></rim:Classification>')


def metadata_xml(*, ins: str, ins_oid: str, type_code: str, class_code: str,
                 confidentiality: str, title: str, document: bytes, pdf: bool) -> bytes:
    """XDS metadata (SubmitObjectsRequest) for one document of one patient."""
    patient = f"{ins}^^^&{ins_oid}&ISO"
    digest = hashlib.sha1(document).hexdigest()  # XDS `hash` slot is SHA-1 by definition
    fmt = PDF_FORMAT if pdf else "urn:asip:ci-sis:2010"
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<lcm:SubmitObjectsRequest xmlns:lcm="{NS['lcm']}" xmlns:rim="{NS['rim']}">
 <rim:RegistryObjectList>
  <rim:ExtrinsicObject id="Document01" mimeType="text/xml" objectType="{DOCUMENT_ENTRY}">
   <rim:Slot name="URI"><rim:ValueList><rim:Value>DOC0001.XML</rim:Value></rim:ValueList></rim:Slot>
   <rim:Slot name="size"><rim:ValueList><rim:Value>{len(document)}</rim:Value></rim:ValueList></rim:Slot>
   <rim:Slot name="hash"><rim:ValueList><rim:Value>{digest}</rim:Value></rim:ValueList></rim:Slot>
   <rim:Slot name="languageCode"><rim:ValueList><rim:Value>fr-FR</rim:Value></rim:ValueList></rim:Slot>
   <rim:Slot name="sourcePatientId"><rim:ValueList><rim:Value>{escape(patient)}</rim:Value></rim:ValueList></rim:Slot>
   <rim:Name><rim:LocalizedString value={quoteattr(title)}/></rim:Name>
   {_classification(SCHEME_CLASS, "Document01", class_code, "1.2.250.1.213.1.1.4.1")}
   {_classification(SCHEME_TYPE, "Document01", type_code, "2.16.840.1.113883.6.1")}
   {_classification(SCHEME_CONF, "Document01", confidentiality, "2.16.840.1.113883.5.25")}
   {_classification(SCHEME_FORMAT, "Document01", fmt, "1.2.250.1.213.1.1.4.2.282")}
   <rim:ExternalIdentifier identificationScheme="{IDENT_PATIENT}" value={quoteattr(patient)} registryObject="Document01" id="urn:uuid:{uuid.uuid4()}"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.patientId"/></rim:Name></rim:ExternalIdentifier>
   <rim:ExternalIdentifier identificationScheme="{IDENT_UNIQUE}" value="1.2.250.1.999.{uuid.uuid4().int % 10**12}" registryObject="Document01" id="urn:uuid:{uuid.uuid4()}"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.uniqueId"/></rim:Name></rim:ExternalIdentifier>
  </rim:ExtrinsicObject>
 </rim:RegistryObjectList>
</lcm:SubmitObjectsRequest>
"""
    return xml.encode()


INDEX_HTM = """<html><head><meta charset="utf-8"><title>Contenu IHE XDM</title></head><body>
<h1>Archive IHE XDM — bac à sable santelab</h1>
<p>Document de santé (données synthétiques) : <a href="IHE_XDM/SUBSET01/DOC0001.XML">DOC0001.XML</a>
; métadonnées : <a href="IHE_XDM/SUBSET01/METADATA.XML">METADATA.XML</a>.</p></body></html>
"""
README_TXT = """Archive IHE XDM produite par le bac a sable santelab (donnees 100 % synthetiques).
Editeur : santelab, logiciel libre de formation. Contenu : IHE_XDM/SUBSET01/.
"""


def build_xdm(document: bytes, *, ins: str, ins_oid: str = INS_TEST_OID, type_code: str,
              class_code: str, confidentiality: str = "N", title: str,
              patient_name: str = "", author: str = "") -> bytes:
    """An IHE_XDM.ZIP for one document: a CDA (bytes starting with `<`) or a PDF to wrap."""
    pdf = document.startswith(b"%PDF")
    cda = cda_level1(document, ins=ins, ins_oid=ins_oid, type_code=type_code, title=title,
                     confidentiality=confidentiality, patient_name=patient_name,
                     author=author) if pdf else document
    meta = metadata_xml(ins=ins, ins_oid=ins_oid, type_code=type_code, class_code=class_code,
                        confidentiality=confidentiality, title=title, document=cda, pdf=pdf)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("INDEX.HTM", INDEX_HTM)
        archive.writestr("README.TXT", README_TXT)
        archive.writestr(METADATA, meta)
        archive.writestr(DOCUMENT, cda)
    return buffer.getvalue()


# --- reading ---------------------------------------------------------------------------------

def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """An entry's bytes, never more than it declared (a lying header is refused)."""
    with archive.open(info) as handle:
        data = handle.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise XdmError(f"archive IHE_XDM.ZIP corrompue : l'entrée « {info.filename} » est plus "
                       "grande que sa taille déclarée")
    return data


def unsafe_path(name: str) -> bool:
    """True for a member name that could land outside the folder it is extracted to, on any
    system (`/etc`, `..`, `C:\\x`, `C:x`, `\\\\server\\share`), or that holds control
    characters (a CR LF in a name must never reach a reply or a log line)."""
    parts = name.replace("\\", "/").split("/")
    return (name.startswith(("/", "\\")) or ".." in parts
            or re.match(r"[A-Za-z]:", name) is not None
            or re.search(r"[\x00-\x1f\x7f]", name) is not None)


def check_zip(data: bytes) -> zipfile.ZipFile:
    """Open a zip after checking its limits on the central directory (no extraction)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise XdmError(f"pièce jointe IHE_XDM.ZIP illisible : ce n'est pas une archive zip "
                       f"valide ({exc})") from None
    if len(infos) > MAX_ENTRIES:
        raise XdmError(f"archive IHE_XDM.ZIP refusée : {len(infos)} fichiers (maximum "
                       f"{MAX_ENTRIES})")
    total = 0
    for info in infos:
        name = info.filename
        if unsafe_path(name):
            raise XdmError(f"archive IHE_XDM.ZIP refusée : chemin dangereux « {name} »")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > MAX_RATIO and info.file_size > 1024 * 1024:
            raise XdmError(f"archive IHE_XDM.ZIP refusée : « {name} » se décompresse {ratio:.0f} "
                           f"fois (bombe de décompression probable, limite {MAX_RATIO})")
    if total > MAX_TOTAL:
        raise XdmError(f"archive IHE_XDM.ZIP refusée : {total // (1024 * 1024)} Mo une fois "
                       f"décompressée (maximum {MAX_TOTAL // (1024 * 1024)} Mo)")
    return archive


def _xml(data: bytes, what: str) -> ET.Element:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise XdmError(f"{what} refusé : les déclarations DOCTYPE/ENTITY sont interdites")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise XdmError(f"{what} n'est pas du XML bien formé ({exc})") from None


def _classified(entry: ET.Element, scheme: str) -> str:
    for node in entry.findall("rim:Classification", NS):
        if node.get("classificationScheme") == scheme:
            return node.get("nodeRepresentation") or ""
    return ""


def open_xdm(data: bytes) -> ClinicalDocument:
    """Check and open an IHE_XDM.ZIP; an `XdmError` with a French reason if it is not valid."""
    archive = check_zip(data)
    names = {i.filename.upper(): i for i in archive.infolist()}
    missing = [n for n in ("INDEX.HTM", "README.TXT", METADATA) if n not in names]
    if missing:
        raise XdmError("archive IHE_XDM.ZIP incomplète : il manque " + ", ".join(missing)
                       + " (structure XDM : INDEX.HTM, README.TXT, IHE_XDM/SUBSET01/METADATA.XML)")
    try:
        meta = _xml(_read_bounded(archive, names[METADATA]), "METADATA.XML")
        entry = meta.find(".//rim:ExtrinsicObject", NS)
        if entry is None:
            raise XdmError("METADATA.XML ne décrit aucun document (ExtrinsicObject absent)")
        patient = ""
        for ident in entry.findall("rim:ExternalIdentifier", NS):
            if ident.get("identificationScheme") == IDENT_PATIENT:
                patient = ident.get("value") or ""
        ins, _, rest = patient.partition("^^^&")
        oid = rest.split("&")[0]
        if not ins or oid not in INS_OIDS:
            raise XdmError(f"METADATA.XML : identifiant patient « {patient} » invalide (attendu : "
                           f"INS^^^&{INS_TEST_OID}&ISO)")
        if problem := matricule_problem(ins):
            raise XdmError(f"METADATA.XML : l'INS du patient « {ins} » n'est pas un matricule INS "
                           f"valide. {problem}")
        uri = ""
        for slot in entry.findall("rim:Slot", NS):
            if slot.get("name") == "URI":
                uri = "".join(v.text or "" for v in slot.iter(f"{{{NS['rim']}}}Value"))
        path = f"IHE_XDM/SUBSET01/{uri}".upper()
        if not uri or path not in names:
            raise XdmError(f"METADATA.XML désigne le document « {uri} », absent de l'archive")
        cda = _read_bounded(archive, names[path])
    except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, zlib.error) as exc:
        raise XdmError(f"archive IHE_XDM.ZIP corrompue ({exc})") from None
    root = _xml(cda, "le document CDA")
    pdf = None
    text = root.find(".//cda:nonXMLBody/cda:text", NS)
    if text is not None and text.get("mediaType") == "application/pdf":
        try:
            pdf = base64.b64decode("".join((text.text or "").split()), validate=True)
        except ValueError:
            raise XdmError("document CDA : le PDF encapsulé n'est pas du base64 valide") from None
    title = entry.find("rim:Name/rim:LocalizedString", NS)
    return ClinicalDocument(
        ins=ins, ins_oid=oid, type_code=_classified(entry, SCHEME_TYPE),
        class_code=_classified(entry, SCHEME_CLASS),
        confidentiality=_classified(entry, SCHEME_CONF),
        title=title.get("value", "") if title is not None else "", cda=cda, pdf=pdf)

"""DMP store operations: file a submission (idempotent by masterIdentifier), replace, archive,
search. Keyword arguments only; the router decides access, these functions keep the data right.
"""

from __future__ import annotations

import operator
import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import Row, Select, Text, bindparam, cast, func, select, update
from sqlalchemy.exc import IntegrityError

from sandbox import fhir
from sandbox.errors import ServiceError
from sandbox.injection import ServiceContext
from sandbox.services.dmp import documents
from sandbox.services.dmp.access import Visibility
from sandbox.services.dmp.models import DmpBinaryRow, DmpDocumentRow, DmpPatientRow


@dataclass
class Filed:
    row: DmpDocumentRow
    created: bool  # False: the same submission was already filed (idempotent retry)


def _same_submission(existing: DmpDocumentRow, sub: documents.Submission,
                     patient: DmpPatientRow) -> Filed:
    if existing.patient_id == patient.patient_id and existing.content_hash == sub.content_hash:
        return Filed(existing, created=False)
    raise ServiceError(
        409, f"masterIdentifier « {sub.master_identifier} » déjà utilisé par un autre document "
        "(contenu ou patient différent) : chaque document a un identifiant unique ; générez-en un "
        "nouveau (urn:uuid:…), ou renvoyez exactement le même document pour une nouvelle tentative.",
        code="duplicate", expression=["DocumentReference.masterIdentifier"])


def find_master(ctx: ServiceContext, master: str) -> DmpDocumentRow | None:
    return ctx.session.scalars(select(DmpDocumentRow).where(
        DmpDocumentRow.tenant == ctx.tenant, DmpDocumentRow.master_identifier == master)).first()


def not_found(doc_id: str) -> ServiceError:
    """The answer for a document that does not exist or that the actor may not know of."""
    return ServiceError(404, f"DocumentReference/{doc_id} introuvable dans ce DMP : vérifiez "
                             "l'identifiant (les identifiants d'un autre bac à sable ne sont "
                             "pas visibles).")


def get_document(ctx: ServiceContext, doc_id: str) -> DmpDocumentRow:
    row = ctx.session.get(DmpDocumentRow, (ctx.tenant, doc_id))
    if row is None:
        raise not_found(doc_id)
    return row


def new_row(*, tenant: str, sub: documents.Submission, patient: DmpPatientRow,
            author_id: str | None, doc_id: str | None = None,
            binary_id: str | None = None) -> tuple[DmpDocumentRow, DmpBinaryRow]:
    """The rows of one document (also used by the seeder)."""
    doc_id = doc_id or uuid.uuid4().hex
    binary_id = binary_id or f"{doc_id}-bin"
    resource = documents.build_resource(sub, doc_id=doc_id, binary_id=binary_id,
                                        patient_id=patient.patient_id, ins=patient.ins or "",
                                        author_id=author_id)
    doc = DmpDocumentRow(
        tenant=tenant, id=doc_id, master_identifier=sub.master_identifier,
        patient_id=patient.patient_id, status="current", archived=False,
        type_code=sub.type_code, class_code=sub.class_code, confidentiality=sub.confidentiality,
        format_code=sub.format_code, author_id=author_id, date=sub.date, binary_id=binary_id,
        content_hash=sub.content_hash, replaces=sub.replaces, version=1, resource=resource)
    binary = DmpBinaryRow(tenant=tenant, id=binary_id, document_id=doc_id,
                          content_type=sub.content_type, data=sub.data)
    return doc, binary


def file(ctx: ServiceContext, *, sub: documents.Submission, patient: DmpPatientRow,
         author_id: str | None, action: str) -> Filed:
    """Insert the document (flushed, so that a concurrent filing of the same masterIdentifier
    shows here as the unique constraint); a repeated masterIdentifier is answered, never filed
    twice. The request commits it before the answer is sent (sandbox/transactions.py).
    """
    trace = {"patient": patient.patient_id}
    existing = find_master(ctx, sub.master_identifier)
    if existing is not None:
        try:
            filed = _same_submission(existing, sub, patient)
        except ServiceError as error:
            raise ctx.refuse(action, error, target=f"DocumentReference/{existing.id}",
                             **trace) from None
        ctx.record(action, target=f"DocumentReference/{existing.id}", patient=patient.patient_id,
                   detail={"idempotent": True, "masterIdentifier": sub.master_identifier})
        return filed
    if sub.replaces:
        moved = ctx.session.execute(
            update(DmpDocumentRow)
            .where(DmpDocumentRow.tenant == ctx.tenant, DmpDocumentRow.id == sub.replaces,
                   DmpDocumentRow.status == "current")
            .values(status="superseded", version=DmpDocumentRow.version + 1))
        if moved.rowcount != 1:
            raise ctx.refuse(action, ServiceError(
                409, f"DocumentReference/{sub.replaces} a déjà été remplacé ou n'est plus "
                     "« current » : relisez le document actuel avant de le remplacer.",
                code="conflict"), target=f"DocumentReference/{sub.replaces}", **trace)
    doc, binary = new_row(tenant=ctx.tenant, sub=sub, patient=patient, author_id=author_id)
    ctx.session.add_all([doc, binary])
    ctx.record(action, target=f"DocumentReference/{doc.id}", patient=patient.patient_id,
               detail={"type": sub.type_code, "classe": sub.class_code,
                       "masterIdentifier": sub.master_identifier,
                       **({"remplace": sub.replaces} if sub.replaces else {})})
    try:
        ctx.session.flush()
    except IntegrityError:
        ctx.session.rollback()  # a failed flush leaves nothing of the request to keep
        # Another request filed the same masterIdentifier between our check and our insert.
        with ctx.sandbox.store.session() as session:
            existing = session.scalars(select(DmpDocumentRow).where(
                DmpDocumentRow.tenant == ctx.tenant,
                DmpDocumentRow.master_identifier == sub.master_identifier)).first()
        if existing is None:
            raise
        try:
            return _same_submission(existing, sub, patient)
        except ServiceError as error:
            raise ctx.refuse(action, error, target=f"DocumentReference/{existing.id}",
                             **trace) from None
    return Filed(doc, created=True)


def archive(ctx: ServiceContext, *, doc: DmpDocumentRow, archived: bool) -> DmpDocumentRow:
    doc.archived = archived
    doc.version += 1
    return doc


MASKED = "MASQUE_PS"


def mask(ctx: ServiceContext, *, doc: DmpDocumentRow, masked: bool) -> bool:
    """Add or remove the "masqué aux professionnels" label; whether the document changed.

    The label lives twice and both change together: in the column searches filter on, and in
    the stored resource's securityLabel, which is what a reader is served.
    """
    labels = [code for code in doc.confidentiality if code != MASKED]
    labels = [*labels, MASKED] if masked else labels or ["N"]
    if set(labels) == set(doc.confidentiality):
        return False
    doc.confidentiality = labels
    doc.resource = {**doc.resource,
                    "securityLabel": [documents.security_label(code) for code in labels]}
    doc.version += 1
    return True


@dataclass
class DateFilter:
    op: str  # eq, ge, gt, le, lt
    value: datetime


@dataclass
class Page:
    total: int  # every match visible to the actor
    rows: list[Row]  # the requested page of them


def search(ctx: ServiceContext, *, patient_id: str, criteria: fhir.Prepared,
           dates: list[DateFilter], include_archived: bool, visible: Visibility, offset: int,
           count: int) -> Page:
    """One page of the patient's documents matching `criteria` (the shared FHIR search),
    `dates` and `visible` (what the actor may see), and how many match in all.

    Paged and counted in the database, in one statement (LIMIT/OFFSET on the patient-and-date
    index): the cost of a search does not grow with the patient's documents. Core rows, the
    resource left as JSON text (`resource_of` decodes it): ORM execution was most of a
    search's time. The statements are kept per shape of search (building one and computing
    its cache key cost several times its execution).
    """
    key = (criteria.key, tuple(f.op for f in dates), include_archived, visible.key)
    total, page = _STATEMENTS.get(key, lambda: _statements(
        criteria, [f.op for f in dates], include_archived, visible))
    values = {**criteria.parameters, **visible.parameters, "tenant": ctx.tenant,
              "patient": patient_id, "offset": offset, "count": count,
              **{f"date_{i}": f.value for i, f in enumerate(dates)}}
    database = ctx.session.connection()  # Core: plain rows, no ORM entities
    rows = list(database.execute(page, values)) if count else []
    if not rows:  # no page asked, or past the last page: the count alone
        return Page(database.scalar(total, values) or 0, [])
    return Page(rows[0].total, rows)


_STATEMENTS = fhir.StatementCache()
_DATE_OPS = {"eq": operator.eq, "ge": operator.ge, "gt": operator.gt, "le": operator.le,
             "lt": operator.lt}


def _statements(criteria: fhir.Prepared, date_ops: list[str], include_archived: bool,
                visible: Visibility) -> tuple[Select, Select]:
    """The count and the page (with the count riding along as an uncorrelated subquery,
    evaluated once) of one shape of search, on bound parameters."""
    conditions = [DmpDocumentRow.tenant == bindparam("tenant"),
                  DmpDocumentRow.patient_id == bindparam("patient"), visible.clause()]
    where = criteria.where()
    if where is not None:
        conditions.append(where)
    if not include_archived:
        conditions.append(DmpDocumentRow.archived.is_(False))
    conditions += [_DATE_OPS[op](DmpDocumentRow.date, bindparam(f"date_{i}"))
                   for i, op in enumerate(date_ops)]
    total = select(func.count()).select_from(DmpDocumentRow).where(*conditions)
    page = (select(*_SERVED, cast(DmpDocumentRow.resource, Text).label("resource_json"),
                   total.scalar_subquery().correlate(None).label("total"))
            .where(*conditions).order_by(DmpDocumentRow.date.desc(), DmpDocumentRow.id)
            .offset(bindparam("offset")).limit(bindparam("count")))
    return total, page


# What `documents.served` reads besides the resource: a narrow row is a cheaper statement.
_SERVED = (DmpDocumentRow.status, DmpDocumentRow.version, DmpDocumentRow.archived,
           DmpDocumentRow.replaces)


def resource_of(found: Row) -> dict:
    """The stored resource of a `search` row."""
    return orjson.loads(found.resource_json)

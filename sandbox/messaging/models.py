"""MSSanté tables: the Annuaire's mailboxes, their messages, the quarantine and trap links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.base import Base, JsonType, TenantMixin, UtcDateTime


class MailboxRow(TenantMixin, Base):
    """A mailbox of the Annuaire Santé (PER, ORG, CAB, APP); `uid_next` numbers its messages."""

    __tablename__ = "mss_mailboxes"

    address: Mapped[str] = mapped_column(String(256), primary_key=True)  # lower case
    type: Mapped[str] = mapped_column(String(8))
    owner_id: Mapped[str | None] = mapped_column(String(64), default=None)
    uid_next: Mapped[int] = mapped_column(Integer, default=1)
    # 0 until IMAP first opens the mailbox (`mailstore.uid_validity`): a copied template or a
    # reseeded tenant never shows the value an earlier incarnation showed.
    uid_validity: Mapped[int] = mapped_column(BigInteger, default=0)


class UidValidityCounter(Base):
    """The last UIDVALIDITY given in this store. Deliberately without a tenant: it outlives
    `sandbox reset`, so a recreated mailbox always gets a greater value (RFC 3501 §2.3.1.1)."""

    __tablename__ = "mss_uid_validity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(BigInteger)


class MessageRow(TenantMixin, Base):
    """One delivered copy of a message in one mailbox (IMAP numbering: uid per mailbox)."""

    __tablename__ = "mss_messages"
    __table_args__ = (Index("ix_mss_messages_msgid", "tenant", "message_id"),)

    mailbox: Mapped[str] = mapped_column(String(256), primary_key=True)
    uid: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(256))  # shared by every recipient's copy
    sender: Mapped[str] = mapped_column(String(256))
    subject: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    size: Mapped[int] = mapped_column(Integer)
    flags: Mapped[list] = mapped_column(JsonType, default=list)  # "\\Seen", "$Phishing"…
    kind: Mapped[str] = mapped_column(String(16), default="normal")  # normal | piege
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class QuarantineRow(TenantMixin, Base):
    """A refused message kept with its reason, for the trainer or the drill facilitator."""

    __tablename__ = "mss_quarantine"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    sender: Mapped[str] = mapped_column(String(256))
    recipients: Mapped[list] = mapped_column(JsonType, default=list)
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class TrapRow(TenantMixin, Base):
    """A trap link sent in a training mail: its token leads to the landing page."""

    __tablename__ = "mss_traps"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    template: Mapped[str] = mapped_column(String(64))
    mailbox: Mapped[str] = mapped_column(String(256))
    message_id: Mapped[str] = mapped_column(String(256))
    at: Mapped[datetime] = mapped_column(UtcDateTime)

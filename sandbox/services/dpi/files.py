"""The unit's shared folder, as a ransomware leaves it and as a restoration gives it back.

Encrypting a file keeps its plain content as the backup, replaces the content by unreadable
bytes (derived from the content: deterministic) and renames it with the ransomware's
extension; a ransom note appears beside the files. Restoring puts every backup back under
its original name and removes the note. Both are idempotent: a second encryption finds
nothing left to encrypt.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sandbox.services.dpi.models import SharedFile

EXTENSION = ".lockbit"
RANSOM_NOTE = "LISEZ-MOI-RESTAURATION.txt"
RANSOM_TEXT = ("Vos fichiers ont été chiffrés. (Exercice de crise santelab : ce message est "
               "fictif ; ne payez jamais de rançon, alertez la cellule de crise et la DSI.)\n")


def scramble(content: bytes) -> bytes:
    """Unreadable bytes of the same length, derived from the content."""
    stream = b""
    counter = 0
    while len(stream) < len(content):
        stream += hashlib.sha256(content + counter.to_bytes(4, "big")).digest()
        counter += 1
    return bytes(a ^ b ^ 0xA5 for a, b in zip(content, stream, strict=False))


def encrypt(session: Session, tenant: str) -> list[str]:
    """Encrypt every plain file of `tenant`'s folder; the new names (note excluded)."""
    plain = session.scalars(select(SharedFile).where(
        SharedFile.tenant == tenant, SharedFile.encrypted.is_(False),
        SharedFile.ransom_note.is_(False)).order_by(SharedFile.name)).all()
    renamed = []
    for row in plain:
        session.delete(row)
        session.flush()
        session.add(SharedFile(tenant=tenant, name=row.name + EXTENSION,
                               content=scramble(row.content), backup=row.content,
                               original_name=row.name, encrypted=True, ransom_note=False))
        renamed.append(row.name + EXTENSION)
    if renamed and session.get(SharedFile, (tenant, RANSOM_NOTE)) is None:
        session.add(SharedFile(tenant=tenant, name=RANSOM_NOTE,
                               content=RANSOM_TEXT.encode("utf-8"), ransom_note=True))
    session.flush()
    return renamed


def restore(session: Session, tenant: str) -> list[str]:
    """Put every encrypted file back from its backup and remove the note; the names restored."""
    locked = session.scalars(select(SharedFile).where(
        SharedFile.tenant == tenant, SharedFile.encrypted.is_(True)).order_by(SharedFile.name)).all()
    restored = []
    for row in locked:
        session.delete(row)
        session.flush()
        session.add(SharedFile(tenant=tenant, name=row.original_name, content=row.backup,
                               encrypted=False, ransom_note=False))
        restored.append(row.original_name)
    session.execute(delete(SharedFile).where(SharedFile.tenant == tenant,
                                             SharedFile.ransom_note.is_(True)))
    session.flush()
    return restored

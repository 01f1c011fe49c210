"""The sandbox's test certificate authority, standing in for IGC Santé.

The CA is made once with `trustme` and kept in `<data_dir>/mssante/ca.pem` (+ its key), so
mail clients (swaks, Thunderbird, imaplib) can trust it across restarts: pass `ca_path()` as
`cafile`. Server certificates are issued from it at start-up for `localhost` and 127.0.0.1.
A training CA: its key is not secret and it must never be trusted outside the sandbox.
"""

from __future__ import annotations

import fcntl
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

from sandbox.settings import Settings

SERVER_NAMES = ("localhost", "127.0.0.1", "::1", "mssante.sandbox.local")


def pki_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "mssante"


def ca_path(settings: Settings | None = None) -> Path:
    """The PEM file of the sandbox CA (what clients trust)."""
    return pki_dir(settings or Settings()) / "ca.pem"


def load_ca(settings: Settings) -> trustme.CA:
    """The persisted CA, created on first use (one creator at a time across processes)."""
    folder = pki_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "ca.pem", folder / "ca-key.pem"
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (cert.exists() and key.exists()):
            ca = trustme.CA(organization_name="santelab — AC de test (bac à sable IGC Santé)")
            for path, blob in ((key, ca.private_key_pem), (cert, ca.cert_pem)):
                scratch = path.with_suffix(f".{os.getpid()}.tmp")
                blob.write_to_path(str(scratch))
                os.replace(scratch, path)
        return trustme.CA.from_pem(cert.read_bytes(), key.read_bytes())


@dataclass
class ServerCredentials:
    """A server certificate from the sandbox CA, in the forms asyncio and Twisted need."""

    ca: trustme.CA
    leaf: trustme.LeafCert
    ca_file: Path

    @classmethod
    def issue(cls, settings: Settings) -> ServerCredentials:
        ca = load_ca(settings)
        leaf = ca.issue_cert(*SERVER_NAMES, organization_name="santelab MSSanté")
        return cls(ca, leaf, ca_path(settings))

    def server_context(self) -> ssl.SSLContext:
        """Server TLS; a client certificate from the sandbox CA is asked for, not required
        (mutual TLS is what `AUTH EXTERNAL` relies on)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.leaf.configure_cert(context)
        context.verify_mode = ssl.CERT_OPTIONAL
        self.ca.configure_trust(context)
        return context

    def twisted_options(self):
        from twisted.internet import ssl as tssl

        pem = b"".join(b.bytes() for b in self.leaf.cert_chain_pems)
        return tssl.PrivateCertificate.loadPEM(pem + self.leaf.private_key_pem.bytes()).options()


def persona_certificate(settings: Settings, tenant: str, login: str,
                        mailbox: str | None = None) -> bytes:
    """A client certificate (PEM: certificate then key) for one persona, issued by the
    sandbox CA: subject CN `login@tenant`, the MSSanté address as e-mail SAN. A stand-in for
    the CPS / IGC Santé certificates of real MSSanté clients."""
    ca = load_ca(settings)
    identities = [mailbox] if mailbox else [f"{login}@{tenant}.personas.santelab"]
    leaf = ca.issue_cert(*identities, common_name=f"{login}@{tenant}",
                         organization_name="santelab — persona du bac à sable")
    return b"".join(b.bytes() for b in leaf.cert_chain_pems) + leaf.private_key_pem.bytes()


def certificate_login(peercert: dict | None) -> str | None:
    """The `login@tenant` a verified client certificate names (its subject CN)."""
    if not peercert:
        return None
    for rdn in peercert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return None

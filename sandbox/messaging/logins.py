"""Who is logging in to the mail servers (SMTP AUTH, IMAP LOGIN, a client certificate).

Logins: `persona` (the server's default tenant, `settings.tenant`), `persona@tenant`, or the
persona's MSSanté address. The password is the persona's password or a bearer token of that
persona (what the Python client uses, so it never keeps the password). Every call here hashes
a password or reads the store: adapters on an event loop call it from a worker thread.
"""

from __future__ import annotations

from sandbox.auth import Actor, authenticate, read_token
from sandbox.auth_models import PersonaRow
from sandbox.errors import ServiceError
from sandbox.messaging import mailstore
from sandbox.messaging.submission import Submitter
from sandbox.runtime import Sandbox


def split_login(login: str, default_tenant: str) -> tuple[str, str]:
    """`persona@tenant` → (tenant, persona); a login with a dotted suffix is an address."""
    name, at, tenant = login.rpartition("@")
    if at and tenant and "." not in tenant:
        return tenant, name
    return default_tenant, login


class Authenticator:
    """Persona password or bearer token, per tenant; or a verified client certificate."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox

    def check(self, login: str, password: str) -> Submitter | None:
        """The persona these credentials name, or None."""
        tenant, name = split_login(login, self.sandbox.settings.tenant)
        with self.sandbox.store.session() as session:
            if "@" in name:  # a mailbox address as login
                row = session.query(PersonaRow).filter(
                    PersonaRow.tenant == tenant,
                    PersonaRow.mailbox == mailstore.normalise(name)).first()
                if row is None:
                    return None
                name = row.login
            actor = None
            try:
                token_actor = read_token(password, secret=self.sandbox.settings.secret,
                                         now=self.sandbox.clock.now())
                if token_actor.tenant == tenant and token_actor.login == name:
                    actor = token_actor
            except (ServiceError, KeyError, ValueError):
                pass
            if actor is None:
                try:
                    actor = authenticate(session, tenant, name, password)
                except ServiceError:
                    return None
            row = session.get(PersonaRow, (tenant, actor.login))
            mailbox = row.mailbox.lower() if row is not None and row.mailbox else None
        return Submitter(actor, mailbox)

    def by_certificate(self, name: str) -> Submitter | None:
        """The persona a verified client certificate names (`login@tenant`)."""
        tenant, login = split_login(name, self.sandbox.settings.tenant)
        with self.sandbox.store.session() as session:
            row = session.get(PersonaRow, (tenant, login))
            if row is None:
                return None
            actor = Actor(tenant, row.login, row.role, row.practitioner_id, row.patient_id)
            return Submitter(actor, row.mailbox.lower() if row.mailbox else None)

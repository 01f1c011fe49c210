"""Who is logging in to the mail servers (SMTP AUTH, IMAP LOGIN, a client certificate).

Logins: `persona` (the server's default tenant, `settings.tenant`), `persona@tenant`, or the
persona's MSSanté address. The password is the persona's password or a bearer token of that
persona (what the Python client uses, so it never keeps the password). Failed logins are
throttled and traced by the one module every protocol uses (`sandbox.login_throttle`). Every
call here hashes a password or reads the store: adapters on an event loop call it from a
worker thread.
"""

from __future__ import annotations

from sandbox import login_throttle
from sandbox.auth import Actor, read_token, verify
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

    def login(self, login: str, password: str, *, protocol: str,
              address: str | None) -> Submitter:
        """The persona these credentials name. Failures are throttled per account and per
        client address and traced (`sandbox.login_throttle`): `LoginRefused` says why."""
        tenant, name = split_login(login, self.sandbox.settings.tenant)
        return login_throttle.attempt(self.sandbox, protocol=protocol, tenant=tenant,
                                      login=name, address=address,
                                      check=lambda: self._verify(tenant, name, password))

    def check(self, login: str, password: str) -> Submitter | None:
        """IMAP's LOGIN: `login` with None for any refusal (throttled and traced alike)."""
        try:
            return self.login(login, password, protocol="imap", address=None)
        except login_throttle.LoginRefused:
            return None

    def _verify(self, tenant: str, name: str, password: str) -> Submitter | None:
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
            actor = actor or verify(session, tenant, name, password)
            if actor is None:
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

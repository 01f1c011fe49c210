"""MSSanté secure messaging: SMTP submission (aiosmtpd) and IMAP (Twisted) over the one store.

    >>> servers = start(sandbox)            # what `santelab sandbox up` calls
    >>> servers.smtp_port, servers.imap_port, servers.ca_file
    >>> servers.stop()

`serve(sandbox, host, smtp_port, imap_port)` is the same with explicit addresses (port 0 picks
a free one). Both need STARTTLS with a certificate from the sandbox CA (`pki.ca_path()`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sandbox.ports import check_free, free_port
from sandbox.runtime import Sandbox

_RUNNING: dict[int, MailServers] = {}


@dataclass
class MailServers:
    """The running SMTP and IMAP servers of one sandbox."""

    sandbox: Sandbox
    host: str
    smtp_port: int
    imap_port: int
    ca_file: Path
    _parts: list = field(default_factory=list, repr=False)

    @property
    def faults(self):
        """The SMTP handler's fault book (cached per second: clear faults through it)."""
        return self._parts[0].handler.faults

    @property
    def imap_faults(self):
        """The IMAP server's fault book."""
        return self._parts[1].factory.faults

    def stop(self) -> None:
        for part in reversed(self._parts):
            part.stop()
        self._parts.clear()
        _RUNNING.pop(id(self.sandbox), None)


def serve(sandbox: Sandbox, host: str | None = None, smtp_port: int | None = None,
          imap_port: int | None = None) -> MailServers:
    """Start SMTP and IMAP on `host` (default: settings); port 0 picks a free port."""
    from sandbox.messaging.imap import IMAPServer
    from sandbox.messaging.pki import ServerCredentials
    from sandbox.messaging.smtp import smtp_controller

    settings = sandbox.settings
    host = host or settings.host
    smtp_port = settings.smtp_port if smtp_port is None else smtp_port
    imap_port = settings.imap_port if imap_port is None else imap_port
    credentials = ServerCredentials.issue(settings)
    # aiosmtpd's controller probes its own port after start: it must be a real one.
    smtp_port = smtp_port or free_port(host)
    check_free(host, smtp_port, "--smtp-port", "MSSanté")
    if imap_port:
        check_free(host, imap_port, "--imap-port", "MSSanté")
    smtp = smtp_controller(sandbox, credentials, host=host, port=smtp_port)
    smtp.start()
    servers = MailServers(sandbox, host, smtp_port, 0, credentials.ca_file, [smtp])
    try:
        imap = IMAPServer(sandbox, credentials, host=host, port=imap_port).start()
        servers._parts.append(imap)
        servers.imap_port = imap.port
    except BaseException:
        servers.stop()
        raise
    _RUNNING[id(sandbox)] = servers
    return servers


def start(sandbox: Sandbox) -> MailServers:
    """Start the mail servers at the addresses of the sandbox's settings."""
    return serve(sandbox)


def running(sandbox: Sandbox) -> MailServers | None:
    """The mail servers running in this process for `sandbox`, if any."""
    return _RUNNING.get(id(sandbox))


__all__ = ["MailServers", "running", "serve", "start"]

"""`s.admin`: the drill facilitator's controls (faults, phishing mail, event stream)."""

from __future__ import annotations

from typing import Any

from sandbox.client.transport import Resource


class Admin(Resource):
    def fault(self, service: str, mode: str = "indisponible", *, delay_ms: int = 0,
              status: int = 503, message: str = "", duration_s: int | None = None) -> dict:
        """Inject a fault: mode "indisponible", "lent" (delay_ms) or "erreur" (status)."""
        body: dict[str, Any] = {"mode": mode, "delay_ms": delay_ms, "status": status,
                                "message": message}
        if duration_s is not None:
            body["duration_s"] = duration_s
        return self._put(f"/admin/faults/{service}", json=body)

    def clear(self, service: str) -> None:
        """Restore a service."""
        self._delete(f"/admin/faults/{service}")

    def faults(self) -> list[dict]:
        return self._get("/admin/faults")

    def trap_templates(self) -> list[dict]:
        """The phishing templates a facilitator can send: name, sender, subject."""
        return self._get("/mssante/pieges/modeles")

    def inject_mail(self, template: str, to: str | list[str]) -> list[dict]:
        """Deliver a phishing-drill message built from `template` to Annuaire mailboxes."""
        recipients = [to] if isinstance(to, str) else list(to)
        return self._post("/mssante/pieges", json={"modele": template, "destinataires": recipients})

    def events(self, *, service: str | None = None, patient: str | None = None,
               limit: int = 1000) -> list[dict]:
        params = {"limit": limit, "service": service, "patient": patient}
        return self._get("/admin/events", params={k: v for k, v in params.items() if v})

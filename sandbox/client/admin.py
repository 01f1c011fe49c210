"""`s.admin` : les commandes de l'animateur d'exercice (pannes, courriels piégés, flux d'événements)."""

from __future__ import annotations

from typing import Any

from sandbox.client.transport import Resource


class Admin(Resource):
    """Les commandes de l'animateur (persona « facilitateur ») sur son bac à sable."""

    def fault(self, service: str, mode: str = "indisponible", *, delay_ms: int = 0,
              status: int = 503, message: str = "", duration_s: int | None = None) -> dict:
        """Simuler une panne du service : mode « indisponible », « lent » (`delay_ms` de latence)
        ou « erreur » (code `status`), pour `duration_s` secondes ou jusqu'au rétablissement."""
        body: dict[str, Any] = {"mode": mode, "delay_ms": delay_ms, "status": status,
                                "message": message}
        if duration_s is not None:
            body["duration_s"] = duration_s
        return self._put(f"/admin/faults/{service}", json=body)

    def clear(self, service: str) -> None:
        """Rétablir le service (fin de la panne simulée)."""
        self._delete(f"/admin/faults/{service}")

    def faults(self) -> list[dict]:
        """Les pannes simulées en cours, service par service."""
        return self._get("/admin/faults")

    def trap_templates(self) -> list[dict]:
        """Les modèles de courriels piégés que l'animateur peut envoyer : nom, expéditeur, objet."""
        return self._get("/mssante/pieges/modeles")

    def inject_mail(self, template: str, to: str | list[str]) -> list[dict]:
        """Déposer un courriel piégé (modèle `template`) dans des boîtes MSSanté de l'Annuaire."""
        recipients = [to] if isinstance(to, str) else list(to)
        return self._post("/mssante/pieges", json={"modele": template, "destinataires": recipients})

    def events(self, *, service: str | None = None, patient: str | None = None,
               action: str | None = None, limit: int = 1000) -> list[dict]:
        """Le flux d'événements du bac à sable (qui a fait quoi, quand), du plus ancien au plus
        récent, filtré par service, patient ou action (« dmp.document.read », ou un préfixe
        terminé par un point : « dmp. »)."""
        params = {"limit": limit, "service": service, "patient": patient, "action": action}
        return self._get("/admin/events", params={k: v for k, v in params.items() if v})

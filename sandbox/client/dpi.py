"""`s.dpi`: le dossier patient de l'établissement (DPI), son dossier partagé et la capsule de
continuité."""

from __future__ import annotations

from datetime import datetime

from sandbox.client.transport import Resource
from sandbox.services.dpi.schemas import (
    Administration,
    Fichier,
    Patient,
    Prescription,
    Rapprochement,
    Ressaisie,
    Unite,
)


def _when(moment: datetime | str | None) -> str | None:
    return moment.isoformat() if isinstance(moment, datetime) else moment


class Dpi(Resource):
    """Le DPI d'un établissement : unités, patients, prescriptions, administrations."""

    def units(self) -> list[Unite]:
        """Les unités de soins et leurs lits occupés."""
        return [Unite.model_validate(u) for u in self._get("/dpi/unites")]

    def patients(self, unite: str) -> list[Patient]:
        """Les patients hospitalisés dans l'unité `unite` (identité, INS, allergies)."""
        return [Patient.model_validate(p) for p in self._get(f"/dpi/unites/{unite}/patients")]

    def orders(self, sejour: str) -> list[Prescription]:
        """Les prescriptions actives du séjour `sejour`."""
        return [Prescription.model_validate(p)
                for p in self._get(f"/dpi/sejours/{sejour}/prescriptions")]

    def administrations(self, sejour: str) -> list[Administration]:
        """Les administrations tracées pour le séjour `sejour`."""
        return [Administration.model_validate(a)
                for a in self._get(f"/dpi/sejours/{sejour}/administrations")]

    def administer(self, prescription: str, statut: str = "administre", *,
                   heure: datetime | str | None = None, dose: str | None = None,
                   commentaire: str = "") -> Administration:
        """Tracer une prise : statut « administre », « non_administre » ou « refuse »."""
        body = {"prescription": prescription, "statut": statut, "commentaire": commentaire}
        if heure is not None:
            body["heure"] = _when(heure)
        if dose is not None:
            body["dose"] = dose
        return Administration.model_validate(self._post("/dpi/administrations", json=body))

    def capsule(self, unite: str, format: str = "html") -> bytes:
        """La capsule de continuité de l'unité : « html », « csv » ou « pdf » (octets)."""
        return self._raw("GET", f"/dpi/unites/{unite}/capsule",
                         params={"format": format}).content

    def reentry(self, formulaire: str, lignes: list[dict]) -> Ressaisie:
        """Ressaisir un formulaire papier numéroté. Chaque ligne : prescription, patient (INS
        ou n° de séjour), medicament, dose, heure, infirmier, statut (par défaut
        « administre »). La réponse signale les doublons créés."""
        rows = [{**line, "heure": _when(line["heure"])} for line in lignes]
        return Ressaisie.model_validate(
            self._post("/dpi/ressaisie", json={"formulaire": formulaire, "lignes": rows}))

    def reconciliation(self, debut: datetime | str, fin: datetime | str | None = None, *,
                       unite: str | None = None) -> Rapprochement:
        """Doublons et oublis des prises prévues entre `debut` et `fin` (la panne)."""
        params = {"debut": _when(debut), "fin": _when(fin), "unite": unite}
        return Rapprochement.model_validate(self._get(
            "/dpi/rapprochement", params={k: v for k, v in params.items() if v}))

    def files(self) -> list[Fichier]:
        """Le contenu du dossier partagé (fichiers chiffrés et note de rançon compris)."""
        return [Fichier.model_validate(f) for f in self._get("/dpi/fichiers")]

    def read_file(self, nom: str) -> bytes:
        """Le contenu d'un fichier du dossier partagé."""
        return self._raw("GET", f"/dpi/fichiers/{nom}").content

    def encrypt_files(self) -> list[str]:
        """Inject d'exercice (animateur) : chiffrer le dossier partagé."""
        return self._post("/dpi/dossier-partage/chiffrement")["fichiers"]

    def restore_files(self) -> list[str]:
        """Restauration (animateur) : remettre les fichiers depuis la sauvegarde."""
        return self._post("/dpi/dossier-partage/restauration")["fichiers"]

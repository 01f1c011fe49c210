"""`s.insi` : récupération de l'INS (par les traits ou la carte Vitale) et vérification."""

from __future__ import annotations

from datetime import date

from sandbox.client.transport import Resource
from sandbox.services.insi.schemas import ReponseRecuperation, ReponseVerification


def _given(prenoms: str | list[str]) -> list[str]:
    return prenoms.split() if isinstance(prenoms, str) else list(prenoms)


def _traits(nom: str, prenoms: str | list[str], sexe: str, date_naissance: date | str,
            lieu_naissance: str | None) -> dict:
    traits = {"nom_naissance": nom, "prenoms": _given(prenoms), "sexe": sexe,
              "date_naissance": str(date_naissance)}
    if lieu_naissance:
        traits["lieu_naissance"] = lieu_naissance
    return traits


class Insi(Resource):
    """Le téléservice INSi : chaque réponse porte un `code_retour` 00 (une identité trouvée),
    01 (aucune) ou 02 (plusieurs)."""

    def search(self, nom: str | None = None, prenoms: str | list[str] | None = None,
               sexe: str | None = None, date_naissance: date | str | None = None,
               lieu_naissance: str | None = None, *,
               carte_vitale: str | None = None) -> ReponseRecuperation:
        """Récupérer l'INS par les traits stricts (nom de naissance, prénoms, sexe, date et lieu de
        naissance) ou par la carte Vitale (`carte_vitale` : son numéro de série)."""
        if carte_vitale is not None:
            body = self._post("/insi/recuperation/carte-vitale",
                              json={"numero_carte": carte_vitale})
        else:
            body = self._post("/insi/recuperation/traits",
                              json=_traits(nom, prenoms, sexe, date_naissance, lieu_naissance))
        return ReponseRecuperation.model_validate(body)

    def verify(self, matricule: str, *, nom: str, prenoms: str | list[str], sexe: str,
               date_naissance: date | str, lieu_naissance: str | None = None,
               oid: str | None = None) -> ReponseVerification:
        """Vérifier qu'une INS (`matricule`) correspond bien à ces traits dans la base nationale."""
        body = {"matricule": matricule,
                **_traits(nom, prenoms, sexe, date_naissance, lieu_naissance)}
        if oid:
            body["oid"] = oid
        return ReponseVerification.model_validate(self._post("/insi/verification", json=body))

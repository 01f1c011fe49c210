"""`s.annuaire` : recherche FHIR dans l'Annuaire santé (professionnels, exercices, structures)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sandbox.client.transport import Resource

# Friendly keyword -> FHIR search parameter.
_ALIASES = {"rpps": "identifier", "finess": "identifier", "commune": "address-city",
            "postal_code": "address-postalcode", "code_postal": "address-postalcode",
            "nom": "name", "id": "_id", "count": "_count", "offset": "_offset"}


def _parameter(keyword: str) -> str:
    """`commune` -> `address-city`, `address_city` -> `address-city`, `_count` unchanged."""
    name = _ALIASES.get(keyword, keyword)
    return name if name.startswith("_") else name.replace("_", "-")


class SearchResult:
    """Une page de résultats FHIR : on la parcourt ressource par ressource ; `total` compte
    toutes les correspondances."""

    def __init__(self, bundle: dict, resource: Resource):
        self.bundle = bundle
        self.total: int = bundle.get("total", 0)
        self.resources: list[dict] = [e["resource"] for e in bundle.get("entry", [])]
        self._resource = resource

    def __iter__(self) -> Iterator[dict]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def __getitem__(self, index: int) -> dict:
        return self.resources[index]

    def next_page(self) -> SearchResult | None:
        """La page suivante, ou None s'il n'y en a plus."""
        link = next((x["url"] for x in self.bundle.get("link", [])
                     if x.get("relation") == "next"), None)
        if link is None:
            return None
        path = "/" + link.split("://", 1)[-1].split("/", 1)[1]
        return SearchResult(self._resource._get(path), self._resource)

    def __repr__(self) -> str:
        return f"<SearchResult {len(self)} ressource(s) sur {self.total}>"


class Annuaire(Resource):
    """L'Annuaire santé : professionnels (Practitioner), exercices (PractitionerRole),
    structures (Organization)."""

    TYPES = ("Practitioner", "PractitionerRole", "Organization")

    def search(self, resource: str = "Practitioner", **params: Any) -> SearchResult:
        """Rechercher un type de ressource : `name=`, `rpps=`, `profession=`, `commune=`…"""
        query = {_parameter(k): v for k, v in params.items() if v is not None}
        return SearchResult(self._get(f"/annuaire/fhir/{resource}", params=query), self)

    def practitioners(self, **params: Any) -> SearchResult:
        """Rechercher des professionnels (mêmes critères que `search`)."""
        return self.search("Practitioner", **params)

    def roles(self, **params: Any) -> SearchResult:
        """Rechercher des exercices (qui exerce où, dans quelle profession)."""
        return self.search("PractitionerRole", **params)

    def organizations(self, **params: Any) -> SearchResult:
        """Rechercher des structures (établissements, cabinets, officines)."""
        return self.search("Organization", **params)

    def get(self, resource: str, resource_id: str) -> dict:
        """Lire une ressource par son type et son identifiant."""
        return self._get(f"/annuaire/fhir/{resource}/{resource_id}")

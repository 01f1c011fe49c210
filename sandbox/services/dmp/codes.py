"""The DMP's referentials (J57, J58, LOINC types, formats), read once from referentials.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Referentials:
    systems: dict[str, str]
    types: dict[str, dict]
    classes: dict[str, str]
    confidentiality: dict[str, str]
    formats: dict[str, dict]

    def type_list(self) -> str:
        return ", ".join(f"{c} ({t['label']})" for c, t in self.types.items())

    def default_format(self, content_type: str) -> str:
        if content_type == "application/pdf":
            return "urn:ihe:iti:xds-sd:pdf:2008"
        return "urn:ihe:iti:xds:2017:mimeTypeSufficient"


@cache
def referentials() -> Referentials:
    text = resources.files("sandbox.services.dmp").joinpath("referentials.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return Referentials(data["systems"], data["types"], {str(k): v for k, v in data["classes"].items()},
                        data["confidentiality"], data["formats"])

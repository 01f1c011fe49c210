"""Per-patient FHIR transaction Bundles (`bundles/pat-000001.json`), PUT with fixed ids.

Entries keep their relative references (`Practitioner/pra-…`): a server that applies the
PUTs gives each resource the id the references name. The shared directory (organizations,
practitioners, roles) is its own bundle, `bundles/directory.json`, to load first.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from synthetic_data.export.fhir_r4 import ExportContext, deterministic_uuid


def transaction(bundle_id: str, resources: Iterable[dict], ctx: ExportContext) -> dict:
    entries = []
    for resource in resources:
        kind, rid = resource["resourceType"], resource["id"]
        entries.append(
            {
                "fullUrl": "urn:uuid:" + deterministic_uuid(ctx.seed, kind, rid),
                "resource": resource,
                "request": {"method": "PUT", "url": f"{kind}/{rid}"},
            }
        )
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": ctx.meta,
        "type": "transaction",
        "entry": entries,
    }


def dumps(bundle: dict) -> bytes:
    return orjson.dumps(bundle, option=orjson.OPT_INDENT_2)

"""Annuaire Santé: FHIR search over the tenant's practitioners, roles and organisations."""

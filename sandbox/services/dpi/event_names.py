"""The event actions of the DPI that drills observe: the drill engine and the grader match on
these names, so they live here once."""

from __future__ import annotations

CAPSULE_EXPORT = "dpi.capsule.export"
ADMINISTRATION_RECORD = "dpi.administration.record"
REENTRY = "dpi.reentry"
FILES_ENCRYPTED = "files.encrypted"
FILES_RESTORED = "files.restored"
# Reads and checks, traced like every other action.
CENSUS_READ = "dpi.census.read"
ORDERS_READ = "dpi.orders.read"
RECONCILIATION_READ = "dpi.reconciliation.read"
FILES_READ = "files.read"

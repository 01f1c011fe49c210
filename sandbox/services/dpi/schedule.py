"""When doses are due, and what the records of a period lack or hold twice.

An order's times of day are Paris time; an administration belongs to the due dose nearest to
the moment it was given (its `due_at`). A dose due in a period with no record at all is an
omission; a dose with more than one record (entered in the DPI and again from paper, or
written on two forms) is a duplicate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sandbox.services.dpi.models import DpiAdministration, DpiOrder

PARIS = ZoneInfo("Europe/Paris")


def _at(day, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS).astimezone(UTC)


def due_between(order: DpiOrder, start: datetime, end: datetime) -> list[datetime]:
    """The order's due doses in [start, end), oldest first (UTC)."""
    first = start.astimezone(PARIS).date() - timedelta(days=1)
    last = end.astimezone(PARIS).date()
    days = (last - first).days + 1
    return sorted(due for n in range(days) for hhmm in order.times
                  if start <= (due := _at(first + timedelta(days=n), hhmm)) < end)


def nearest_due(order: DpiOrder, moment: datetime) -> datetime:
    """The due dose of `order` nearest to `moment` (a dose given late or early is still it)."""
    window = timedelta(days=1)
    return min(due_between(order, moment - window, moment + window),
               key=lambda due: abs(due - moment))


def duplicates(records: Iterable[DpiAdministration]) -> dict[tuple[str, datetime], list[str]]:
    """(order, due dose) → ids of its records, for the doses recorded more than once."""
    slots: dict[tuple[str, datetime], list[str]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.at, r.id)):
        slots[(record.order_id, record.due_at)].append(record.id)
    return {slot: ids for slot, ids in slots.items() if len(ids) > 1}


def omissions(orders: Iterable[DpiOrder], records: Iterable[DpiAdministration],
              start: datetime, end: datetime) -> list[tuple[DpiOrder, datetime]]:
    """Doses due in [start, end) with no record at all, in due order."""
    recorded = {(r.order_id, r.due_at) for r in records}
    missing = [(order, due) for order in orders for due in due_between(order, start, end)
               if (order.id, due) not in recorded]
    return sorted(missing, key=lambda item: (item[1], item[0].id))

"""How urgent assigned work is, from the time left until it is due: a band, the planner's
priority weight for it (:class:`learnpath.paths.Priority`), and when the band next changes.

=============  ==========================  ======
band           time left                   weight
=============  ==========================  ======
``later``      more than 7 days            0.02
``this_week``  3 to 7 days                 0.08
``soon``       1 to 3 days                 0.25
``now``        under a day, or overdue     1.0
=============  ==========================  ======

The weight is added to a candidate's planning score (expected BKT gain × band fit, typically
0.02–0.3 for one skill), multiplied by its band fit too: a week or more ahead assigned work
wins only near-ties, three days ahead it usually wins, and in the last day it comes first.
The band changes only at a boundary (7, 3 and 1 day before the due time); with the due time
itself (when the work falls overdue) these are the moments :func:`next_change` gives, until
which a path planned now stays right.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Band:
    name: str
    weight: float
    # The band holds while the time left is more than this (the next band's start).
    above: timedelta | None


BANDS = (
    Band("later", 0.02, timedelta(days=7)),
    Band("this_week", 0.08, timedelta(days=3)),
    Band("soon", 0.25, timedelta(days=1)),
    Band("now", 1.0, None),
)


def band(due_at: datetime, now: datetime) -> Band:
    left = due_at - now
    return next(b for b in BANDS if b.above is None or left > b.above)


def next_change(due_at: datetime, now: datetime) -> datetime | None:
    """When the band next changes, or the work falls overdue (what the learner is told
    changes then too); ``None`` once it is overdue."""
    boundaries = [due_at - b.above for b in BANDS if b.above is not None] + [due_at]
    return next((moment for moment in boundaries if moment > now), None)

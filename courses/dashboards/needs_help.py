"""Who may need help: the class dashboard's rule, stated once (:data:`HELP_RULE`, :func:`flags`).

A learner is flagged, with one reason line per kind, when

- **inactive**: they have not answered for :attr:`HelpRule.inactive_days` days or more, or have
  not answered at all while classmates have;
- **stuck** on a skill most of the class gets through: still below proficient there, with
  :attr:`HelpRule.stuck_min_wrong` or more wrong answers on it and at least
  :attr:`HelpRule.stuck_times_peers` times the median wrong answers of the classmates who got
  it (reached proficient or better by their own answers). A skill counts once at least
  :attr:`HelpRule.min_peers` learners, and :attr:`HelpRule.peers_share` of those who answered
  it, got it: on a skill the class has not got through yet, many wrong answers are the class's
  difficulty, not the learner's;
- **behind** the class: their mean mastery over the course's skills (the heatmap's *Mean*) is
  under :attr:`HelpRule.behind_share` of the median of their classmates who have started (at
  least :attr:`HelpRule.min_classmates` of them).

A class of one flags its learner only when idle; a class where nobody has answered flags
nobody. Falling mastery is left to the learner's own path (review steps): one wrong answer can
drop a proficient estimate by more than the review rule's 15 points, so it says little about who
needs a teacher.

Tuned on the demo class and on simulated classes, where the learners' true knowledge is known:
``manage.py tune_help`` (``courses.devtools``) prints the flagged share, and the precision and
recall against the learners of low true mastery (the bottom quarter of their class). Measured
with it: the demo class flags 7 of its 41 learners; 12 simulated classes of 40 flag 22% (10–35%),
61% of them of low true mastery (25% by chance) and 91% below their class's median, recall 52%.
"""
from __future__ import annotations

import bisect
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext

from courses.phrases import short_number
from courses.queries.charts import GridRow, SkillColumn, percent
from learnpath import mastery

_PROFICIENT = mastery.MasteryLevel.PROFICIENT
_GOT_IT = frozenset(level.value for level in mastery.MasteryLevel if level.rank >= _PROFICIENT.rank)
REASON_EXAMPLES = 2


@dataclass(frozen=True)
class HelpRule:
    """The thresholds of the rule in the module docstring."""

    inactive_days: int = 7
    stuck_min_wrong: int = 6
    stuck_times_peers: float = 3.0
    min_peers: int = 3
    peers_share: float = 2 / 3
    behind_share: float = 0.6
    min_classmates: int = 4

    def notes(self) -> list[str]:
        """The rule in words, for the dashboard's "Why flagged" note."""
        return [
            gettext("Inactive: no answer for %(days)s days or more, or none yet while "
                    "classmates have started.") % {"days": self.inactive_days},
            gettext("Stuck on a skill most of the class gets through: still below proficient, "
                    "with %(wrong)s+ wrong answers and at least %(times)s× the median wrong "
                    "answers of the classmates who got it (reached proficient). A skill counts "
                    "once %(peers)s+ learners, and %(share)s%% of those who answered it, got it.")
            % {"wrong": self.stuck_min_wrong, "times": short_number(self.stuck_times_peers),
               "peers": self.min_peers, "share": round(100 * self.peers_share)},
            gettext("Behind the class: mean mastery under %(share)s%% of the median of the "
                    "classmates who have started (%(classmates)s+ of them).")
            % {"share": round(100 * self.behind_share), "classmates": self.min_classmates},
        ]


HELP_RULE = HelpRule()


@dataclass(frozen=True)
class Flag:
    """One reason to flag a learner: ``kind`` is inactive, stuck or behind; ``skills`` the
    indexes (in the grid's skill order) of the skills it is about, worst first."""

    kind: str
    text: str
    skills: tuple[int, ...] = ()


@dataclass(frozen=True)
class _PeerBar:
    """What the stuck rule compares a skill's wrong answers with."""

    median_wrong: float
    bar: float


def _peer_bars(rows: Sequence[GridRow], rule: HelpRule) -> dict[int, _PeerBar]:
    """Skill index -> what its wrong answers are compared with, for the skills that count.
    Whoever is compared is below proficient there, so never among the classmates who got it."""
    bars = {}
    for index in range(len(rows[0].cells) if rows else 0):
        answered = [row.cells[index] for row in rows if row.cells[index].attempts]
        got_it = [cell.wrong for cell in answered if cell.level in _GOT_IT]
        if len(got_it) >= rule.min_peers and len(got_it) >= rule.peers_share * len(answered):
            median = statistics.median(got_it)
            bars[index] = _PeerBar(
                median, max(rule.stuck_min_wrong, rule.stuck_times_peers * median)
            )
    return bars


def _summary(details: list[str]) -> str:
    """One stuck line naming the worst :data:`REASON_EXAMPLES` skills and counting the rest."""
    shown = ", ".join(details[:REASON_EXAMPLES])
    rest = len(details) - REASON_EXAMPLES
    line = gettext("stuck on %(count)s skills: %(skills)s") % {"count": len(details),
                                                               "skills": shown}
    return line + (gettext(" and %(count)s more") % {"count": rest} if rest > 0 else "")


def _stuck(row: GridRow, skills: Sequence[SkillColumn], bars: Mapping[int, _PeerBar]
           ) -> Flag | None:
    stuck = sorted(
        (index for index, bar in bars.items()
         if row.cells[index].attempts and row.cells[index].level not in _GOT_IT
         and row.cells[index].wrong >= bar.bar),
        key=lambda index: (-row.cells[index].wrong, index),
    )
    if not stuck:
        return None

    def why(index: int) -> str:
        return (gettext("%(wrong)s wrong; classmates who got it needed %(median)s on median")
                % {"wrong": row.cells[index].wrong,
                   "median": short_number(bars[index].median_wrong)})

    if len(stuck) == 1:
        text = gettext("stuck on %(skill)s: %(why)s") % {"skill": skills[stuck[0]].name,
                                                          "why": why(stuck[0])}
    else:
        text = _summary([f"{skills[index].name} ({why(index)})" for index in stuck])
    return Flag("stuck", text, tuple(stuck))


def _inactive(row: GridRow, now: datetime, anyone_started: bool, rule: HelpRule) -> Flag | None:
    if row.last_active is None:
        return Flag("inactive", gettext("no attempts yet")) if anyone_started else None
    idle_days = (now - row.last_active).days
    if idle_days < rule.inactive_days:
        return None
    return Flag("inactive", gettext("no activity for %(days)s days") % {"days": idle_days})


def _median_without(ordered: Sequence[float], value: float) -> float:
    """The median of the sorted ``ordered`` with one ``value`` left out (the learner's own)."""
    at = bisect.bisect_left(ordered, value)

    def nth(index: int) -> float:
        return ordered[index if index < at else index + 1]

    size = len(ordered) - 1
    middle = size // 2
    return nth(middle) if size % 2 else (nth(middle - 1) + nth(middle)) / 2


def _behind(row: GridRow, started_means: Sequence[float], rule: HelpRule) -> Flag | None:
    """``started_means``: the sorted mean mastery of everyone started, this learner included."""
    if row.last_active is None or len(started_means) - 1 < rule.min_classmates:
        return None
    median = _median_without(started_means, row.mean_mastery)
    if row.mean_mastery >= rule.behind_share * median:
        return None
    return Flag("behind", gettext("behind the class: mean mastery %(own)s%%, classmates' median "
                                  "%(median)s%%") % {"own": percent(row.mean_mastery),
                                                      "median": percent(median)})


def flags(skills: Sequence[SkillColumn], rows: Sequence[GridRow], now: datetime,
          rule: HelpRule = HELP_RULE) -> dict[int, list[Flag]]:
    """Learner id -> the reasons to flag them (empty: not flagged), by the module's rule."""
    started_means = sorted(row.mean_mastery for row in rows if row.last_active is not None)
    bars = _peer_bars(rows, rule)
    return {
        row.learner_id: [
            flag for flag in (_inactive(row, now, bool(started_means), rule),
                              _stuck(row, skills, bars), _behind(row, started_means, rule))
            if flag is not None
        ]
        for row in rows
    }

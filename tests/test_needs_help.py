"""The "may need help" rule (courses.dashboards.needs_help) on hand-made class grids: who is
flagged, why, and each threshold at its edge. The dashboard itself is tested in
test_dashboards_teacher."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from courses.dashboards.needs_help import HELP_RULE, flags
from courses.queries.charts import NOT_STARTED_CELL, GridCell, GridRow, SkillColumn, grid_cell

NOW = datetime.fromisoformat("2025-03-10T12:00:00+00:00")
SKILLS = [SkillColumn("halves", "Halves"), SkillColumn("quarters", "Quarters")]
RECENT = NOW - timedelta(hours=3)


def got_it(wrong: int) -> GridCell:
    """Proficient by own answers, after ``wrong`` wrong ones."""
    return grid_cell("proficient", 0.9, wrong + 4, 4)


def below(wrong: int, level: str = "attempted", p: float = 0.3) -> GridCell:
    return grid_cell(level, p, wrong + 1, 1)


def row(learner_id: int, cells: Sequence[GridCell], last_active: datetime | None = RECENT
        ) -> GridRow:
    return GridRow(
        learner_id=learner_id, username=f"l{learner_id}", full_name="",
        attempts=sum(cell.attempts for cell in cells), last_active=last_active,
        cells=list(cells), mastery_total=sum(cell.p_mastery or 0.0 for cell in cells),
    )


def reasons(rows: Sequence[GridRow], **changes: float) -> dict[int, list[str]]:
    rule = dataclasses.replace(HELP_RULE, **changes)
    return {learner: [flag.text for flag in found]
            for learner, found in flags(SKILLS, rows, NOW, rule).items()}


def test_a_minority_is_flagged_each_with_its_reason() -> None:
    classmates = [row(n, [got_it(wrong), got_it(0)]) for n, wrong in
                  enumerate([0, 1, 1, 2, 3, 1, 0, 2, 1, 1])]
    stuck = row(10, [below(7), got_it(1)])
    almost = row(11, [below(5), got_it(1)])  # 5 wrong: under the bar of 6
    idle = row(12, [got_it(1), got_it(1)], last_active=NOW - timedelta(days=9))
    behind = row(13, [grid_cell("attempted", 0.2, 1, 1), NOT_STARTED_CELL])
    never = row(14, [NOT_STARTED_CELL, NOT_STARTED_CELL], last_active=None)
    found = reasons([*classmates, stuck, almost, idle, behind, never])
    flagged = {learner: why for learner, why in found.items() if why}
    assert flagged == {
        10: ["stuck on Halves: 7 wrong; classmates who got it needed 1 on median"],
        12: ["no activity for 9 days"],
        13: ["behind the class: mean mastery 10%, classmates' median 90%"],
        14: ["no attempts yet"],
    }
    assert len(flagged) / len(found) < 0.3


def test_stuck_needs_the_minimum_wrong_answers_and_a_multiple_of_the_classmates() -> None:
    def stuck_with(wrong: int, classmates: list[int]) -> list[str]:
        rows = [row(n, [got_it(w), got_it(0)]) for n, w in enumerate(classmates)]
        return reasons([*rows, row(99, [below(wrong), got_it(0)])])[99]

    assert stuck_with(6, [0, 1, 1]) == [
        "stuck on Halves: 6 wrong; classmates who got it needed 1 on median"]
    assert stuck_with(5, [0, 1, 1]) == []  # under stuck_min_wrong = 6
    assert stuck_with(9, [2, 3, 4]) != []  # 3 × the median of 3
    assert stuck_with(8, [2, 3, 4]) == []
    assert stuck_with(8, [1, 2, 3, 5]) == [  # a median of 2.5: the bar is 7.5
        "stuck on Halves: 8 wrong; classmates who got it needed 2.5 on median"]
    assert stuck_with(7, [1, 2, 3, 5]) == []


def test_stuck_counts_only_on_a_skill_most_of_the_class_got_through() -> None:
    def flagged(classmates_who_got_it: int, others_below: int) -> bool:
        rows = [row(n, [got_it(0), got_it(0)]) for n in range(classmates_who_got_it)]
        rows += [row(50 + n, [below(1), got_it(0)]) for n in range(others_below)]
        return bool(reasons([*rows, row(99, [below(8), got_it(0)])])[99])

    assert flagged(4, 1)  # 4 of the 6 who answered it got it: two thirds
    assert not flagged(4, 2)  # 4 of 7
    assert flagged(3, 0)
    assert not flagged(2, 0)  # fewer than min_peers = 3 got it


def test_the_worst_stuck_skills_are_named_and_the_rest_counted() -> None:
    skills = [SkillColumn(key, key.title()) for key in ("a", "b", "c")]
    rows = [row(n, [got_it(1), got_it(1), got_it(1)]) for n in range(3)]
    rows.append(row(99, [below(6), below(9), below(7)]))
    (flag,) = flags(skills, rows, NOW)[99]
    assert flag.kind == "stuck" and flag.skills == (1, 2, 0)
    assert flag.text == (
        "stuck on 3 skills: B (9 wrong; classmates who got it needed 1 on median), "
        "C (7 wrong; classmates who got it needed 1 on median) and 1 more"
    )


def test_behind_is_under_the_share_of_the_classmates_median() -> None:
    def behind(p: float, classmates: int = 4) -> list[str]:
        rows = [row(n, [grid_cell("familiar", 0.6, 2, 2), grid_cell("attempted", 0.4, 2, 1)])
                for n in range(classmates)]
        mine = row(99, [grid_cell("attempted", p, 2, 1), grid_cell("attempted", p, 2, 1)])
        return reasons([*rows, mine])[99]

    # The classmates' median mean mastery is 50%: the bar is 60% of it, 30%.
    assert behind(0.3) == []
    assert behind(0.29) == ["behind the class: mean mastery 29%, classmates' median 50%"]
    assert behind(0.1, classmates=3) == []  # fewer than min_classmates = 4 started


def test_the_median_is_the_classmates_own() -> None:
    def behind(mine: float, classmates: list[float]) -> list[str]:
        rows = [row(n, [grid_cell("attempted", p, 2, 1)] * 2) for n, p in enumerate(classmates)]
        return reasons([*rows, row(99, [grid_cell("attempted", mine, 2, 1)] * 2)])[99]

    odd = [0.2, 0.4, 0.6, 0.8, 1.0]  # median 60%: the bar is 36%
    assert behind(0.35, odd) == ["behind the class: mean mastery 35%, classmates' median 60%"]
    assert behind(0.36, odd) == []
    even = [0.2, 0.4, 0.6, 0.8]  # median 50%, the learner left out
    assert behind(0.29, even) == ["behind the class: mean mastery 29%, classmates' median 50%"]
    assert behind(0.3, even) == []


def test_inactive_from_seven_days_and_never_started_only_once_others_have() -> None:
    def idle(days: float) -> list[str]:
        return reasons([row(1, [got_it(0), got_it(0)], last_active=NOW - timedelta(days=days))])[1]

    assert idle(7) == ["no activity for 7 days"]
    assert idle(6.9) == []
    nobody = [row(n, [NOT_STARTED_CELL, NOT_STARTED_CELL], last_active=None) for n in range(3)]
    assert all(why == [] for why in reasons(nobody).values())
    started = [*nobody, row(9, [got_it(0), NOT_STARTED_CELL])]
    assert reasons(started)[0] == ["no attempts yet"] and reasons(started)[9] == []


def test_a_class_of_one_is_flagged_only_when_idle() -> None:
    struggling = [below(12), NOT_STARTED_CELL]
    assert reasons([row(1, struggling)]) == {1: []}
    assert reasons([row(1, struggling, last_active=NOW - timedelta(days=8))]) == {
        1: ["no activity for 8 days"]}
    assert reasons([row(1, [NOT_STARTED_CELL, NOT_STARTED_CELL], last_active=None)]) == {1: []}
    assert reasons([]) == {}


def test_the_notes_state_the_thresholds() -> None:
    notes = " ".join(HELP_RULE.notes())
    for stated in ("7 days", "6+ wrong answers", "3×", "3+ learners", "67%", "60%", "4+"):
        assert stated in notes
    moved = " ".join(dataclasses.replace(HELP_RULE, inactive_days=10).notes())
    assert "10 days" in moved

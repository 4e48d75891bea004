"""``manage.py tune_help`` (dev tools) runs the rule on simulated classes and scores it."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.core.management import call_command

from courses.actions.course_import import import_course, parse_course_json

DEMO = Path(__file__).resolve().parents[1] / "courses" / "demo" / "fractions_course.json"


def test_tune_help_scores_the_stated_rule_and_its_neighbours(db: Any) -> None:
    import_course(parse_course_json(DEMO.read_bytes()))
    out = io.StringIO()
    call_command("tune_help", "--classes", "2", "--learners", "8", "--sweep", stdout=out)
    lines = [line for line in out.getvalue().splitlines() if line]
    assert "No class 'Class 6A' in this course" in lines[0]
    assert lines[1].startswith("2 simulated classes of 8 learners (seeds 1-2)")
    assert lines[2].split() == ["rule", "flagged", "range", "precision", "recall", "below",
                                "median", "stuck", "on", "weak"]
    stated = lines[3].split()
    assert stated[:2] == ["as", "stated"] and stated[2].endswith("%")
    assert any(line.startswith("stuck_min_wrong=5 ") for line in lines)

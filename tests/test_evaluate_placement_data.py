"""``evaluate_placement --simulator data``: the placement measurement on the data-driven
simulator, end to end on a toy data set (no course of the site is read)."""
from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.engine.test_seq_bench import write_akt_folds


def test_it_places_held_out_learners_of_the_data_simulator(tmp_path: Path) -> None:
    write_akt_folds(tmp_path)
    out = StringIO()
    call_command("evaluate_placement", "--simulator", "data", "--data", str(tmp_path),
                 "--prefix", "toy", "--learners", "3", "--items", "4", "--epochs", "1",
                 "--min-attempts", "6", "--models", str(tmp_path / "models"),
                 "--out", str(tmp_path / "out"), stdout=out)
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["simulator"] == "data" and results["config"]["max_items"] == 4
    assert [row["method"] for row in results["scores"]] == [
        "none", "fixed_bkt", "fixed_placement", "adaptive"]
    assert all(row["learners"] == 3 and row["mean_items"] <= 4 for row in results["scores"])
    assert 0 <= results["data"]["known_share"] <= 1
    assert (tmp_path / "models" / "environment.pt").exists()
    assert "| adaptive |" in out.getvalue() and "prerequisite edges (inferred)" in out.getvalue()


def test_a_folder_without_the_files_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no assist2009_pid_"):
        call_command("evaluate_placement", "--simulator", "data", "--data", str(tmp_path),
                     "--out", str(tmp_path / "out"))

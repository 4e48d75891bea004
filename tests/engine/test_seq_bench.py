from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import learnpath.bench.bkt as bkt
from learnpath.bench.__main__ import main, parse_folds
from learnpath.bench.report import markdown_table, merge_rows
from learnpath.bench.runner import RESULT_KEYS, fold_data, load_folds
from learnpath.seq.records import Attempt, LearnerSequence
from learnpath.seq.synthetic import simulate_corpus
from learnpath.seq.trainer import TrainConfig


def write_akt_folds(folder: Path) -> None:
    corpus = simulate_corpus(learners=25, exercises=8, skills=3, length=(5, 12), seed=4)
    skill_ids = {f"s{i}": str(i + 1) for i in range(3)}
    for fold in range(1, 6):
        lines = []
        for index, sequence in enumerate(corpus.sequences[fold - 1 :: 5]):
            rows = [
                (a.exercise[1:], skill_ids[s], int(a.correct))
                for a in sequence.attempts
                for s in corpus.exercise_skills[a.exercise]
            ]
            lines += [
                f"{index},{fold}{index:03d}",
                ",".join(r[0] for r in rows) + ",",
                ",".join(r[1] for r in rows),
                ",".join(str(r[2]) for r in rows),
            ]
        (folder / f"toy_test{fold}.csv").write_text("\n".join(lines) + "\n")


def test_fold_ranges_parse() -> None:
    assert parse_folds("1-3,5") == [1, 2, 3, 5]
    with pytest.raises(argparse.ArgumentTypeError, match="folds must lie in 1-5"):
        parse_folds("0-2")


def test_protocol_uses_the_next_fold_for_validation(tmp_path: Path) -> None:
    write_akt_folds(tmp_path)
    folds, skills = load_folds("akt-pid", [tmp_path], "toy", None, True, 0)
    data = fold_data(folds, 5, skills, TrainConfig(max_window=4))
    test_learners = {w.learner.split("#")[0] for w in data.test}
    valid_learners = {w.learner.split("#")[0] for w in data.valid}
    assert test_learners == {s.learner for s in folds[5]}
    assert valid_learners == {s.learner for s in folds[1]}
    assert max(len(w) for w in data.train) <= 4
    attempts = sum(len(s) for s in folds[5])
    assert sum(len(w) for w in data.test) == attempts


def test_command_writes_json_rows_and_markdown(tmp_path: Path) -> None:
    write_akt_folds(tmp_path)
    out = tmp_path / "out"
    arguments = [
        "--format",
        "akt-pid",
        "--data",
        str(tmp_path),
        "--prefix",
        "toy",
        "--folds",
        "1-2",
        "--models",
        "lstm,logistic,markov",
        "--epochs",
        "1",
        "--threads",
        "1",
        "--device",
        "cpu",
        "--out",
        str(out),
        "--hyper",
        '{"lstm": {"embed_dim": 8, "hidden_dim": 8}}',
    ]
    assert main(arguments) == 0
    rows = json.loads((out / "results.json").read_text())
    assert [(row["fold"], row["model"]) for row in rows] == [
        (1, "lstm"),
        (1, "logistic"),
        (1, "markov"),
        (2, "lstm"),
        (2, "logistic"),
        (2, "markov"),
    ]
    for row in rows:
        assert set(RESULT_KEYS) <= set(row)
        assert row["dataset"] == "toy" and row["train_seconds"] > 0
    markov = rows[2]
    assert markov["auc"] is None and markov["hr10"] is not None
    assert rows[1]["hr10"] is None and 0 <= rows[1]["auc"] <= 1
    table = (out / "results.md").read_text()
    assert "python -m learnpath.bench --format akt-pid" in table
    assert "| lstm |" in table and " ± " in table


def test_three_line_data_gets_seeded_folds(tmp_path: Path) -> None:
    path = tmp_path / "kt.csv"
    path.write_text("".join(f"3\n{i % 4},{(i + 1) % 4},2\n1,0,{i % 2}\n" for i in range(20)))
    folds, skills = load_folds("three-line", [path], "", None, True, 1)
    assert sorted(len(members) for members in folds.values()) == [4, 4, 4, 4, 4]
    assert skills["2"] == ("2",)


def test_table_keeps_other_datasets_and_shows_spread() -> None:
    old = [{"dataset": "a", "fold": 1, "model": "m", "auc": 0.5}]
    new = [{"dataset": "b", "fold": f, "model": "m", "auc": auc} for f, auc in ((1, 0.6), (2, 0.8))]
    merged = merge_rows(old, new)
    assert len(merged) == 3
    table = markdown_table(merged, {"b": "python -m learnpath.bench x"})
    assert "0.7000 ± 0.1414" in table and "### a" in table


def test_bkt_rows_average_back_to_one_prediction_per_attempt(tmp_path: Path, monkeypatch) -> None:
    # A stand-in for pyBKT: predicts 0.2 for skill "x" and 0.6 for every other skill.
    worker = tmp_path / "worker.py"
    worker.write_text(
        "import csv, sys\n"
        "rows = list(csv.DictReader(open(sys.argv[2])))\n"
        "with open(sys.argv[3], 'w') as out:\n"
        "    out.write('order_id,correct_predictions\\n')\n"
        "    for row in reversed(rows):\n"
        "        out.write(f\"{row['order_id']},{0.2 if row['skill_name'] == 'x' else 0.6}\\n\")\n"
    )
    monkeypatch.setattr(bkt, "WORKER", worker)
    test = [LearnerSequence("w", (Attempt("a", True), Attempt("b", False), Attempt("c", True)))]
    skills = {"a": ("x",), "b": ("x", "y"), "c": ("y",)}
    labels, probabilities = bkt.bkt_predictions(test, test, skills, sys.executable, 1, 0, 60)
    np.testing.assert_array_equal(labels, [1.0, 0.0, 1.0])
    np.testing.assert_allclose(probabilities, [0.2, 0.4, 0.6])


def test_a_failing_bkt_worker_names_the_interpreter(tmp_path: Path, monkeypatch) -> None:
    worker = tmp_path / "worker.py"
    worker.write_text("import sys\nsys.exit('no module named pyBKT')\n")
    monkeypatch.setattr(bkt, "WORKER", worker)
    test = [LearnerSequence("w", (Attempt("a", True),))]
    with pytest.raises(RuntimeError, match=r"pass --bkt-python .*no module named pyBKT"):
        bkt.bkt_predictions(test, test, {"a": ("x",)}, sys.executable, 1, 0, 60)


def test_jobs_run_the_pairs_in_worker_processes_with_the_same_results(tmp_path: Path) -> None:
    write_akt_folds(tmp_path)
    common = ["--format", "akt-pid", "--data", str(tmp_path), "--prefix", "toy", "--folds",
              "1-2", "--models", "lstm,logistic", "--epochs", "1", "--device", "cpu",
              "--hyper", '{"lstm": {"embed_dim": 8, "hidden_dim": 8}}']
    assert main([*common, "--out", str(tmp_path / "one")]) == 0
    assert main([*common, "--out", str(tmp_path / "two"), "--jobs", "2"]) == 0
    one, two = (json.loads((tmp_path / name / "results.json").read_text())
                for name in ("one", "two"))
    assert [(row["fold"], row["model"]) for row in two] == [
        (1, "lstm"), (1, "logistic"), (2, "lstm"), (2, "logistic")]
    # Seeded and single-threaded: a worker process trains the same model as the main one.
    for alone, side_by_side in zip(one, two, strict=True):
        assert side_by_side["auc"] == pytest.approx(alone["auc"], abs=1e-9)
        assert side_by_side["ece"] == pytest.approx(alone["ece"], abs=1e-9)
    with pytest.raises(SystemExit, match="--jobs"):
        main([*common, "--out", str(tmp_path / "none"), "--jobs", "0"])

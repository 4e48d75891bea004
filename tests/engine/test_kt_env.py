"""The data-driven simulator: the course inferred from data, the environment, the command."""
from __future__ import annotations

from pathlib import Path

import pytest

from learnpath.bench.paths import main, report, split_by_learner
from learnpath.seq.records import Attempt, LearnerSequence
from learnpath.seq.serving import fit_model
from learnpath.seq.synthetic import simulate_corpus
from learnpath.seq.trainer import TrainConfig
from learnpath.sim.kt_env import KTEnvironment, PrerequisiteRule, data_course, infer_prerequisites
from tests.engine.test_seq_bench import write_akt_folds

SKILLS = {"a1": ("a",), "a2": ("a",), "b1": ("b",), "c1": ("c",), "ab": ("a", "b")}


def _learner(name: str, keys: str, right: bool = True) -> LearnerSequence:
    return LearnerSequence(name, tuple(Attempt(key, right) for key in keys.split()))


def test_a_skill_met_first_by_most_learners_becomes_a_prerequisite() -> None:
    sequences = [_learner(f"x{i}", "a1 b1 c1") for i in range(8)]
    sequences += [_learner(f"y{i}", "b1 a1 c1") for i in range(2)]
    rule = PrerequisiteRule(share=0.8, min_learners=5)
    # a before b for 8 of 10 learners: an edge; c comes after both: the reduction keeps b -> c
    # only when a -> c is implied through b.
    assert infer_prerequisites(sequences, SKILLS, rule) == {"a": (), "b": ("a",), "c": ("b",)}
    assert infer_prerequisites(sequences, SKILLS, PrerequisiteRule(0.9, 5))["b"] == ()
    assert infer_prerequisites(sequences, SKILLS, PrerequisiteRule(0.8, 11)) == {
        "a": (), "b": (), "c": ()}


def test_the_course_keeps_answered_problems_with_difficulty_from_their_success() -> None:
    easy = [_learner(f"e{i}", "a1 b1", right=True) for i in range(6)]
    hard = [LearnerSequence(f"h{i}", (Attempt("c1", False), Attempt("ab", i < 3)))
            for i in range(6)]
    course = data_course(easy + hard + [_learner("once", "a2")], SKILLS, min_attempts=5,
                         rule=PrerequisiteRule(0.8, 5))
    assert sorted(e.key for e in course.exercises) == ["a1", "ab", "b1", "c1"]  # a2: 1 answer
    difficulty = {e.key: e.difficulty for e in course.exercises}
    assert difficulty["c1"] == 5 and difficulty["a1"] <= 3 and difficulty["b1"] <= 3
    assert difficulty["c1"] > difficulty["ab"] > difficulty["b1"]
    assert course.exercise("ab").skills == ("a", "b")
    with pytest.raises(ValueError, match="no problem"):
        data_course(easy, SKILLS, min_attempts=100)


def test_the_learner_split_is_seeded_and_disjoint() -> None:
    sequences = [_learner(f"l{i}", "a1") for i in range(200)]
    first = split_by_learner(sequences, 3)
    assert [len(part) for part in first] == [len(p) for p in split_by_learner(sequences, 3)]
    names = [{s.learner for s in part} for part in first]
    assert not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])
    assert sum(map(len, names)) == 200 and 60 <= len(names[0]) <= 100 and len(names[2]) >= 20


def test_the_environment_answers_from_the_history() -> None:
    corpus = simulate_corpus(learners=30, exercises=6, skills=2, length=(6, 14), seed=1)
    fitted = fit_model(corpus.sequences, corpus.exercise_skills,
                       TrainConfig(model="attention", epochs=2, threads=1, device="cpu",
                                   hyper={"dim": 16, "heads": 2}))
    environment = KTEnvironment(fitted.model, fitted.vocab)
    problems = sorted(corpus.exercise_skills)
    fresh = environment.p_right([], problems)
    assert len(fresh) == len(problems) and all(0 < p < 1 for p in fresh)
    history = [(problems[0], True), (problems[1], False)]
    after = environment.p_right(history, problems)
    assert after != fresh
    assert environment.p_right(history, problems) == after  # no state kept between calls
    assert environment.p_right(history, ["never-seen"])[0] > 0


def test_report_gives_ratios_to_the_rule() -> None:
    rows = {"skill_graph": [{10: 0.1, 20: 0.2}, {10: 0.1, 20: 0.2}],
            "lstm": [{10: 0.2, 20: 0.3}, {10: 0.2, 20: 0.3}],
            "planner_cold": [{10: 0.1, 20: 0.3}, {10: 0.1, 20: 0.3}]}
    table = report(rows, 20)
    assert "| lstm | 0.2000 ± 0.0000 | 2.00× | 0.3000 ± 0.0000 | 1.50× |" in table
    assert "lstm vs planner_cold: 2.00× after 10, 1.00× after 20" in table
    assert "| -0.1000 vs" not in report({"skill_graph": [{10: -0.1}], "lstm": [{10: 0.1}]}, 10)
    assert "+0.2000" in report({"skill_graph": [{10: -0.1}], "lstm": [{10: 0.1}]}, 10)


def test_the_command_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_akt_folds(tmp_path)
    code = main(["--data", str(tmp_path), "--prefix", "toy", "--learners", "3",
                 "--steps", "3", "--epochs", "1", "--min-attempts", "6",
                 "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "| lstm |" in out and "| random |" in out and "E_p after 3" in out
    assert (tmp_path / "out" / "results.json").exists()
    # The models are reused when nothing changed.
    main(["--data", str(tmp_path), "--prefix", "toy", "--learners", "3", "--steps", "3",
          "--epochs", "1", "--min-attempts", "6", "--out", str(tmp_path / "out")])
    assert "(reused)" in capsys.readouterr().out
    # Every answer flipped, the same learners: both models are trained again.
    for fold in tmp_path.glob("toy_test*.csv"):
        lines = fold.read_text().splitlines()
        for row in range(3, len(lines), 4):
            lines[row] = ",".join({"0": "1", "1": "0"}.get(v, v) for v in lines[row].split(","))
        fold.write_text("\n".join(lines) + "\n")
    main(["--data", str(tmp_path), "--prefix", "toy", "--learners", "3", "--steps", "3",
          "--epochs", "1", "--min-attempts", "6", "--out", str(tmp_path / "out")])
    assert "(reused)" not in capsys.readouterr().out

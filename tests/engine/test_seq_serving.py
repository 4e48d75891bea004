from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from learnpath.seq import (
    Attempt,
    LearnerSequence,
    TrainConfig,
    load_checkpoint,
    state_from_bytes,
    state_to_bytes,
    train_from_sequences,
)
from learnpath.seq.data import EncodedSequences
from learnpath.seq.serving import LearnerState, ServingModel
from learnpath.seq.synthetic import simulate_corpus

CONFIG = TrainConfig(
    epochs=3,
    threads=1,
    device="cpu",
    batch_size=8,
    valid_fraction=0.25,
    hyper={
        "embed_dim": 16,
        "hidden_dim": 24,
        "layers": 2,
        "sampled_negatives": 4,
        "exercise_input": "identity",
    },
)


@pytest.fixture(scope="module", params=[0, 8], ids=["lstm", "with-session-layer"])
def trained(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    corpus = simulate_corpus(learners=24, exercises=10, skills=3, length=(8, 20), seed=2)
    path = tmp_path_factory.mktemp("model") / "model.pt"
    config = TrainConfig(**{**CONFIG.__dict__,
                            "hyper": {**CONFIG.hyper, "session_layer": request.param}})
    result = train_from_sequences(
        corpus.sequences, corpus.exercise_skills, config, checkpoint_path=path
    )
    return corpus, result


def test_training_reports_both_heads_on_validation(trained) -> None:
    _, result = trained
    assert result.metrics["valid_learners"] == 6 and result.metrics["train_learners"] == 18
    assert 0.0 <= result.metrics["valid_auc"] <= 1.0
    assert 0.0 <= result.metrics["valid_hr10"] <= 1.0
    assert result.checkpoint_path is not None and result.checkpoint_path.exists()


def test_training_reports_the_calibrated_reliability_on_validation(trained) -> None:
    corpus, result = trained
    metrics = result.metrics
    temperature = float(result.model.model.answer_temperature)
    assert temperature != 1.0 and metrics["answer_temperature"] == pytest.approx(temperature)
    valid = set(result.valid_learners)
    valid_attempts = sum(len(s.attempts) for s in corpus.sequences if s.learner in valid)
    bins = metrics["valid_reliability"]
    assert sum(row["count"] for row in bins) == valid_attempts  # each attempt once
    assert all(row["low"] <= row["predicted"] <= row["high"] for row in bins)
    gaps = sum(row["count"] * abs(row["predicted"] - row["observed"]) for row in bins)
    assert metrics["valid_ece"] == pytest.approx(gaps / valid_attempts)


def test_incremental_steps_match_a_full_rerun(trained) -> None:
    corpus, result = trained
    serving = result.model
    learner = corpus.sequences[0]
    encoded = EncodedSequences([learner], serving.vocab)
    with torch.no_grad():
        full = serving.model.predict(encoded.batch(np.array([0])))
    catalog_ids = serving._catalog_ids
    state = serving.initial_state()
    for step, attempt in enumerate(learner.attempts):
        scores = serving.score(state)
        expected_p = full.p_correct[0, step]
        position = int((catalog_ids == encoded.exercise[0, step]).nonzero()[0, 0])
        assert scores.p_correct[position] == pytest.approx(float(expected_p), abs=1e-5)
        expected_next = torch.softmax(full.next_scores[0, step, catalog_ids], dim=0).numpy()
        np.testing.assert_allclose(scores.p_next, expected_next, atol=1e-5)
        state = serving.step(state, attempt)


def test_lookahead_matches_stepping_each_candidate_one_at_a_time(trained) -> None:
    """The batched lookahead is the mean of :meth:`score` after one :meth:`step` per outcome."""
    corpus, result = trained
    serving = result.model
    state = serving.roll_forward(serving.initial_state(), corpus.sequences[2].attempts[:5])
    candidates = list(serving.exercises[:4])
    targets = list(serving.exercises[2:])
    ahead = serving.lookahead(state, candidates, targets)
    rows = [serving.catalog_index[key] for key in targets]
    assert ahead.now == pytest.approx(float(serving.score(state).p_correct[rows].mean()),
                                      abs=1e-5)
    for position, key in enumerate(candidates):
        for correct, means in ((True, ahead.after_right), (False, ahead.after_wrong)):
            stepped = serving.step(state, Attempt(key, correct))
            expected = float(serving.score(stepped).p_correct[rows].mean())
            assert means[position] == pytest.approx(expected, abs=1e-5)
    assert serving.lookahead(state, [], targets).after_right.size == 0


def test_state_survives_bytes_and_checkpoint_reload(trained) -> None:
    corpus, result = trained
    state = result.model.roll_forward(result.model.initial_state(), corpus.sequences[1].attempts)
    restored = state_from_bytes(state_to_bytes(state))
    assert restored.last_timestamp == state.last_timestamp
    newest_first = tuple(a.exercise for a in reversed(corpus.sequences[1].attempts))
    assert restored.recent == state.recent == newest_first[:5]
    np.testing.assert_array_equal(restored.vector, state.vector)
    reloaded = load_checkpoint(result.checkpoint_path)
    assert reloaded.metrics == result.metrics
    np.testing.assert_allclose(
        reloaded.score(restored).p_correct, result.model.score(state).p_correct, atol=1e-6
    )
    assert state_from_bytes(state_to_bytes(reloaded.initial_state())).last_timestamp is None


def test_rolling_forward_does_not_change_the_stored_state(trained) -> None:
    _, result = trained
    start = result.model.initial_state()
    kept = start.vector.copy()
    planned = result.model.roll_forward(start, [Attempt("e1", True), Attempt("e2", True)])
    np.testing.assert_array_equal(start.vector, kept)
    assert not np.array_equal(planned.vector, start.vector)


def test_time_gap_changes_the_update(trained) -> None:
    _, result = trained
    serving = result.model
    before = serving.step(serving.initial_state(), Attempt("e1", True, timestamp=0.0))
    soon = serving.step(before, Attempt("e2", True, timestamp=30.0))
    later = serving.step(before, Attempt("e2", True, timestamp=30 * 86400.0, new_session=True))
    assert soon.last_timestamp == 30.0
    assert not np.allclose(soon.vector, later.vector)


def test_unseen_exercises_are_scored_through_their_skills(trained) -> None:
    corpus, result = trained
    catalog = dict(corpus.exercise_skills) | {"brand-new": ("s0",), "other-new": ("s1", "s2")}
    serving = result.model.with_catalog(catalog)
    state = serving.step(serving.initial_state(), Attempt("brand-new", False), skills=("s0",))
    scores = serving.score(state)
    assert scores.exercises[-2:] == ("brand-new", "other-new")
    assert np.all((scores.p_correct > 0) & (scores.p_correct < 1))
    assert scores.p_next.sum() == pytest.approx(1.0, abs=1e-5)
    p_correct = scores.p_correct_by_exercise()
    assert p_correct["brand-new"] != p_correct["other-new"]


def test_a_learner_with_no_history_gets_scores(trained) -> None:
    _, result = trained
    scores = result.model.score(result.model.initial_state())
    assert len(scores.p_correct) == len(scores.exercises) == len(result.model.vocab.exercises)


def test_a_state_of_the_wrong_size_is_refused(trained) -> None:
    _, result = trained
    with pytest.raises(ValueError, match="this model needs"):
        result.model.score(LearnerState(np.zeros(3, dtype=np.float32)))
    with pytest.raises(ValueError, match="not a learner state"):
        state_from_bytes(b"junk")


def test_only_recurrent_models_are_served(trained) -> None:
    _, result = trained
    with pytest.raises(TypeError, match="cannot be served"):
        ServingModel(torch.nn.Linear(2, 2), result.model.vocab)


def test_training_needs_no_validation_split_for_few_learners(tmp_path: Path) -> None:
    attempts = tuple(Attempt(f"e{i % 3}", i % 2 == 0) for i in range(6))
    sequences = [LearnerSequence(f"l{i}", attempts) for i in range(3)]
    skills = {"e0": ("a",), "e1": ("a",), "e2": ("b",)}
    result = train_from_sequences(sequences, skills, TrainConfig(epochs=1, threads=1, device="cpu"))
    assert result.metrics["valid_learners"] == 0 and "valid_auc" not in result.metrics
    assert "valid_reliability" not in result.metrics
    assert result.metrics["answer_temperature"] == 1.0  # nothing to calibrate on
    assert result.checkpoint_path is None

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from learnpath.seq.catalog import build_model
from learnpath.seq.data import EncodedSequences, Vocabulary, cut_windows
from learnpath.seq.models import MODEL_REGISTRY
from learnpath.seq.synthetic import simulate_corpus
from learnpath.seq.trainer import TrainConfig, Trainer, load_model, new_model, save_checkpoint

SMALL_HYPER = {
    "lstm": {"embed_dim": 16, "hidden_dim": 16, "sampled_negatives": 4},
    "dkt": {"hidden_dim": 16},
}


@pytest.fixture(scope="module")
def tiny() -> tuple[Vocabulary, EncodedSequences, EncodedSequences]:
    corpus = simulate_corpus(learners=30, exercises=10, skills=3, length=(10, 25), seed=1)
    windows = cut_windows(corpus.sequences, 20)
    vocab = Vocabulary.build(windows[:30], corpus.exercise_skills)
    return vocab, EncodedSequences(windows[:30], vocab), EncodedSequences(windows[30:], vocab)


def config_for(name: str, **changes: object) -> TrainConfig:
    import learnpath.seq.catalog  # noqa: F401  (registers every model)

    fields = dict(MODEL_REGISTRY[name].training_defaults) | {"threads": 1, "device": "cpu"}
    return TrainConfig(model=name, hyper=SMALL_HYPER.get(name, {}), **fields | changes)


def all_models() -> list[str]:
    import learnpath.seq.catalog  # noqa: F401  (registers every model)

    return sorted(MODEL_REGISTRY)


def trainable_models() -> list[str]:
    return [name for name in all_models() if name not in ("popularity", "markov", "itemknn")]


def test_registry_holds_our_model_and_every_baseline() -> None:
    assert set(all_models()) == {"lstm", "dkt", "attention", "akt", "logistic", "popularity",
                                 "markov", "itemknn"}
    with pytest.raises(KeyError, match="unknown model"):
        build_model("nope", None)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", trainable_models())
def test_a_few_steps_lower_the_loss(name: str, tiny) -> None:
    vocab, train, _ = tiny
    config = config_for(name, learning_rate=0.02)
    trainer = Trainer(new_model(config, vocab), config)
    batch = train.batch(np.arange(len(train)))
    optimizer = torch.optim.Adam(trainer.model.parameters(), lr=config.learning_rate)
    torch.manual_seed(0)
    trainer.model.eval()
    with torch.no_grad():
        before = float(trainer.model.calculate_loss(batch))
    trainer.model.train()
    for _ in range(30):
        trainer._step(batch, optimizer)
    trainer.model.eval()
    with torch.no_grad():
        after = float(trainer.model.calculate_loss(batch))
    assert after < before - 0.01


@pytest.mark.parametrize("name", all_models())
def test_checkpoint_reloads_to_identical_predictions(name: str, tiny, tmp_path: Path) -> None:
    vocab, train, valid = tiny
    config = config_for(name, epochs=2)
    trainer = Trainer(new_model(config, vocab), config)
    trainer.fit(train, valid)
    path = save_checkpoint(
        tmp_path / "model.pt", trainer.model, vocab, config, {"auc": 0.5}, "hash"
    )
    reloaded, reloaded_vocab, payload = load_model(path)
    assert reloaded_vocab == vocab
    assert payload["data_hash"] == "hash" and payload["metrics"] == {"auc": 0.5}
    batch = valid.batch(np.arange(len(valid)))
    trainer.model.eval()
    with torch.no_grad():
        original, restored = trainer.model.predict(batch), reloaded.predict(batch)
    for field in ("p_correct", "next_scores"):
        expected, actual = getattr(original, field), getattr(restored, field)
        assert (expected is None) == (actual is None)
        if expected is not None:
            assert torch.equal(expected, actual)


@pytest.mark.parametrize("name", ["lstm", "logistic"])
def test_training_is_deterministic_with_a_seed(name: str, tiny) -> None:
    vocab, train, valid = tiny
    states = []
    for _ in range(2):
        config = config_for(name, epochs=2, seed=7)
        trainer = Trainer(new_model(config, vocab), config)
        trainer.fit(train, valid)
        states.append(trainer.model.state_dict())
    assert all(torch.equal(states[0][key], states[1][key]) for key in states[0])


def test_evaluate_scores_both_heads_of_the_lstm(tiny) -> None:
    vocab, train, valid = tiny
    config = config_for("lstm", epochs=3)
    trainer = Trainer(new_model(config, vocab), config)
    report = trainer.fit(train, valid)
    metrics = trainer.evaluate(valid)
    assert set(metrics) == {"auc", "acc", "rmse", "ece", "hr10", "ndcg10"}
    assert 1 <= report.best_epoch <= report.epochs_run <= 3
    assert report.model_seconds <= report.loop_seconds <= report.train_seconds


def test_each_epoch_is_reported_and_a_report_can_stop_training(tiny) -> None:
    vocab, train, valid = tiny
    config = config_for("lstm", epochs=3, patience=5)
    seen: list[tuple[int, int, dict[str, float]]] = []
    report = Trainer(new_model(config, vocab), config).fit(
        train, valid, on_epoch=lambda *args: seen.append(args)
    )
    assert [(epoch, epochs) for epoch, epochs, _ in seen] == [(1, 3), (2, 3), (3, 3)]
    assert [row for _, _, row in seen] == list(report.history)
    assert all("valid_score" in row for _, _, row in seen)

    class Stop(Exception):
        pass

    def stop_after_two(epoch: int, epochs: int, row: dict[str, float]) -> None:
        if epoch == 2:
            raise Stop

    with pytest.raises(Stop):
        Trainer(new_model(config, vocab), config).fit(train, valid, on_epoch=stop_after_two)


def _session_model(tiny):
    vocab, _, _ = tiny
    config = replace(config_for("lstm"), hyper={**SMALL_HYPER["lstm"], "session_layer": 8})
    return new_model(config, vocab).eval()


def test_the_session_layer_sees_only_completed_sessions(tiny) -> None:
    model = _session_model(tiny)
    torch.manual_seed(0)
    steps = torch.randn(2, 7, 16)
    new_session = torch.tensor([[1, 0, 0, 1, 0, 1, 0], [0, 0, 1, 0, 0, 0, 0]])
    mask = torch.tensor([[True] * 7, [True] * 5 + [False] * 2])
    with torch.no_grad():
        context = model.session_context(steps, new_session, mask)
        changed = steps.clone()
        changed[0, 3:5] += 1.0  # the second session of learner 0
        changed[1, 5:] += 9.0  # padding of learner 1
        after = model.session_context(changed, new_session, mask)
    # Within a session the context is constant; the first session's is the same for everyone.
    assert torch.equal(context[0, 0], context[0, 2]) and torch.equal(context[0, 3], context[0, 4])
    assert torch.equal(context[0, 0], context[1, 0])
    # Changing session 2 changes only what comes after it; padding changes nothing.
    assert torch.equal(after[0, :5], context[0, :5])
    assert not torch.allclose(after[0, 5:], context[0, 5:])
    assert torch.equal(after[1], context[1])


def test_the_session_layer_trains(tiny) -> None:
    _, train, _ = tiny
    model = _session_model(tiny).train()
    batch = train.batch(np.arange(len(train)))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    torch.manual_seed(0)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = model.calculate_loss(batch)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.01
    assert model.session_gru.weight_hh_l0.grad is not None
    assert float(model.session_gru.weight_hh_l0.grad.abs().sum()) > 0


def test_markov_learns_what_follows_what(tiny) -> None:
    vocab, train, valid = tiny
    metrics = {}
    for name in ("popularity", "markov", "itemknn"):
        config = config_for(name)
        trainer = Trainer(new_model(config, vocab), config)
        trainer.fit(train, None)
        metrics[name] = trainer.evaluate(valid)["ndcg10"]
    # The simulated learners follow the course order 80% of the time.
    assert metrics["markov"] > metrics["popularity"] + 0.1
    assert metrics["itemknn"] > metrics["popularity"]


def test_the_skill_memory_reads_only_earlier_attempts_on_shared_skills(tiny) -> None:
    vocab, _, _ = tiny
    config = config_for("lstm")
    model = new_model(config, vocab).eval()
    # Three attempts: skill ids 2, 3, 2 (one skill each), then read at each step.
    skills = torch.tensor([[[2], [3], [2], [3]]])
    steps = torch.randn(1, 4, model.start.shape[-1])
    mask = torch.ones(1, 4, dtype=torch.bool)
    with torch.no_grad():
        reads = model.memory.reads(steps, skills, mask).view(1, 4, model.memory_heads, -1)
        values = model.memory.values(steps).view(1, 4, model.memory_heads, -1)
        decay = model.memory.decay()
    evidence = reads[..., -1]
    # Nothing before the first attempt, nor before the first attempt on skill 3.
    assert torch.all(evidence[0, 0] == 0) and torch.all(evidence[0, 1] == 0)
    # Step 2 (skill 2) reads attempt 0 alone, with weight decay**2.
    torch.testing.assert_close(reads[0, 2, :, :-1], values[0, 0])
    torch.testing.assert_close(evidence[0, 2], torch.log1p(decay**2))
    # Step 3 (skill 3) reads attempt 1 alone: the attempts on skill 2 do not leak in.
    torch.testing.assert_close(reads[0, 3, :, :-1], values[0, 1])
    # A padded earlier attempt is never read.
    with torch.no_grad():
        hidden = model.memory.reads(steps, skills, torch.tensor([[False, True, True, True]]))
    assert torch.all(hidden.view(1, 4, model.memory_heads, -1)[0, 2, :, -1] == 0)


def test_the_skill_memory_can_be_turned_off(tiny) -> None:
    vocab, train, valid = tiny
    config = replace(config_for("lstm", epochs=1),
                     hyper={**SMALL_HYPER["lstm"], "memory_heads": 0})
    trainer = Trainer(new_model(config, vocab), config)
    trainer.fit(train, valid)
    assert trainer.model.memory is None
    assert len(trainer.model.initial_state()) == 2

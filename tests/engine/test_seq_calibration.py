"""Temperature scaling: the fitted temperature undoes a known distortion, the trainer fits it on
the validation sequences, it survives a checkpoint, and old checkpoints keep temperature 1."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from learnpath.seq.calibration import fit_temperature, logits_of
from learnpath.seq.metrics import expected_calibration_error
from learnpath.seq.trainer import Trainer, load_model, new_model, save_checkpoint
from tests.engine.test_seq_models import config_for, tiny  # noqa: F401  (the fixture)


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


@pytest.mark.parametrize("distortion", [0.4, 1.0, 2.5])
def test_the_fitted_temperature_undoes_an_over_or_under_confident_model(distortion) -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0.0, 1.5, size=40_000)
    labels = (rng.random(len(true_logits)) < _sigmoid(true_logits)).astype(float)
    # A model whose logits are the true ones times 1/distortion: T = distortion undoes it.
    shown = _sigmoid(true_logits / distortion)
    temperature = fit_temperature(labels, shown)
    assert temperature == pytest.approx(1 / distortion, rel=0.05)
    fixed = _sigmoid(logits_of(shown) / temperature)
    assert expected_calibration_error(labels, fixed) < 0.01
    if distortion != 1.0:
        assert expected_calibration_error(labels, shown) > 0.03


def test_one_class_or_no_data_keeps_temperature_one() -> None:
    assert fit_temperature(np.ones(5), np.full(5, 0.7)) == 1.0
    assert fit_temperature(np.zeros(0), np.zeros(0)) == 1.0


def test_training_fits_the_temperature_on_validation_and_it_is_saved(
    tiny, tmp_path: Path  # noqa: F811
) -> None:
    vocab, train, valid = tiny
    config = config_for("lstm", epochs=2)
    trainer = Trainer(new_model(config, vocab), config)
    trainer.fit(train, valid)
    fitted = float(trainer.model.answer_temperature)
    labels, probabilities = trainer.answer_predictions(valid)
    trainer.model.answer_temperature.fill_(1.0)
    _, raw = trainer.answer_predictions(valid)
    assert fitted == pytest.approx(fit_temperature(labels, raw), rel=1e-6)
    np.testing.assert_allclose(probabilities, _sigmoid(logits_of(raw) / fitted), atol=1e-4)
    trainer.model.answer_temperature.fill_(fitted)
    path = save_checkpoint(tmp_path / "m.pt", trainer.model, vocab, config, {}, "h")
    reloaded, _, payload = load_model(path)
    assert float(reloaded.answer_temperature) == pytest.approx(fitted)
    # A checkpoint from before calibration (no temperature in it) loads with temperature 1.
    del payload["state_dict"]["answer_temperature"]
    torch.save(payload, tmp_path / "old.pt")
    old, _, _ = load_model(tmp_path / "old.pt")
    assert float(old.answer_temperature) == 1.0


def test_calibration_can_be_turned_off(tiny) -> None:  # noqa: F811
    vocab, train, valid = tiny
    config = config_for("dkt", epochs=1, calibrate=False)
    trainer = Trainer(new_model(config, vocab), config)
    trainer.fit(train, valid)
    assert float(trainer.model.answer_temperature) == 1.0

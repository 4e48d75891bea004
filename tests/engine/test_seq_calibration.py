"""Calibration: the fitted temperature undoes a known distortion, Platt scaling (temperature and
bias) also undoes a shift that a temperature cannot, the trainer fits both on the validation
sequences, they survive a checkpoint, and old checkpoints keep temperature 1 and bias 0."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from learnpath.seq.calibration import fit_platt, fit_temperature, logits_of
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
    assert fit_platt(np.ones(5), np.full(5, 0.7)) == (1.0, 0.0)
    assert fit_platt(np.zeros(0), np.zeros(0)) == (1.0, 0.0)


@pytest.mark.parametrize(("distortion", "shift"), [(1.0, -0.3), (0.6, 0.25), (1.8, -0.5)])
def test_platt_scaling_undoes_a_shift_that_a_temperature_cannot(distortion, shift) -> None:
    rng = np.random.default_rng(1)
    true_logits = rng.normal(0.8, 1.2, size=40_000)
    labels = (rng.random(len(true_logits)) < _sigmoid(true_logits)).astype(float)
    # The model's logits: the true ones scaled by 1/distortion and moved by shift.
    shown = _sigmoid(true_logits / distortion + shift)
    temperature, bias = fit_platt(labels, shown)
    assert temperature == pytest.approx(1 / distortion, rel=0.05)
    assert bias == pytest.approx(-shift * distortion, abs=0.05)
    platt = _sigmoid(logits_of(shown) / temperature + bias)
    assert expected_calibration_error(labels, platt) < 0.01
    alone = _sigmoid(logits_of(shown) / fit_temperature(labels, shown))
    assert expected_calibration_error(labels, alone) > 0.02


def test_training_fits_the_temperature_and_bias_on_validation_and_they_are_saved(
    tiny, tmp_path: Path  # noqa: F811
) -> None:
    vocab, train, valid = tiny
    config = config_for("lstm", epochs=2)
    trainer = Trainer(new_model(config, vocab), config)
    trainer.fit(train, valid)
    fitted = float(trainer.model.answer_temperature)
    bias = float(trainer.model.answer_bias)
    labels, probabilities = trainer.answer_predictions(valid)
    trainer.model.answer_temperature.fill_(1.0)
    trainer.model.answer_bias.fill_(0.0)
    _, raw = trainer.answer_predictions(valid)
    assert (fitted, bias) == pytest.approx(fit_platt(labels, raw), rel=1e-6, abs=1e-6)
    np.testing.assert_allclose(probabilities, _sigmoid(logits_of(raw) / fitted + bias),
                               atol=1e-4)
    trainer.model.answer_temperature.fill_(fitted)
    trainer.model.answer_bias.fill_(bias)
    path = save_checkpoint(tmp_path / "m.pt", trainer.model, vocab, config, {}, "h")
    reloaded, _, payload = load_model(path)
    assert float(reloaded.answer_temperature) == pytest.approx(fitted)
    assert float(reloaded.answer_bias) == pytest.approx(bias)
    # A checkpoint from before the bias keeps its temperature and bias 0; one from before
    # calibration (neither in it) loads with temperature 1.
    del payload["state_dict"]["answer_bias"]
    torch.save(payload, tmp_path / "before_bias.pt")
    before_bias, _, _ = load_model(tmp_path / "before_bias.pt")
    assert float(before_bias.answer_temperature) == pytest.approx(fitted)
    assert float(before_bias.answer_bias) == 0.0
    del payload["state_dict"]["answer_temperature"]
    torch.save(payload, tmp_path / "old.pt")
    old, _, _ = load_model(tmp_path / "old.pt")
    assert float(old.answer_temperature) == 1.0 and float(old.answer_bias) == 0.0


def test_calibration_can_be_turned_off(tiny) -> None:  # noqa: F811
    vocab, train, valid = tiny
    config = config_for("dkt", epochs=1, calibrate=False)
    trainer = Trainer(new_model(config, vocab), config)
    trainer.fit(train, valid)
    assert float(trainer.model.answer_temperature) == 1.0
    assert float(trainer.model.answer_bias) == 0.0

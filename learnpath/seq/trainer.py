"""One model-agnostic trainer: fit with early stopping, evaluate, checkpoint.

``Trainer.fit`` runs Adam over length-bucketed, shuffled batches and, after every epoch, scores
the validation windows; it keeps the weights of the epoch with the best validation score (AUC by
default; ``monitor="auc+hr10"`` adds the next-exercise hit rate) and stops after ``patience``
epochs without improvement. Count-based models are fitted in one pass through
``fit_statistics``. Seeds fix the initial weights, the batch order and the sampled negatives, so a
run is repeatable on the same device. The device is chosen when a trainer is made ("auto": CUDA
when present, else CPU), never at import time.

Timing: ``train_seconds`` is the wall time of the whole fit, validation included;
``loop_seconds`` the training loops alone (batching and model steps); ``model_seconds`` only the
forward, backward and optimiser steps. ``attempts_per_second`` (with the loader) and
``model_attempts_per_second`` (without it) come from the same run, so the loader's share shows.

A checkpoint is one ``torch.save`` file of plain containers and tensors (loadable with
``weights_only=True``): model name, hyper-parameters, weights, vocabulary, training config,
metrics and the SHA-256 of the training data.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from learnpath.seq.calibration import fit_platt
from learnpath.seq.catalog import build_model
from learnpath.seq.data import EncodedSequences, Vocabulary
from learnpath.seq.metrics import answer_metrics, ranking_metrics, target_ranks
from learnpath.seq.models import ModelSpec, SequenceModel

# on_epoch(epoch, epochs, history row): progress reports, liveness signals.
EpochCallback = Callable[[int, int, dict[str, float]], None]

CHECKPOINT_FORMAT = 1


@dataclass(frozen=True)
class TrainConfig:
    model: str = "lstm"
    hyper: Mapping[str, Any] = field(default_factory=dict)
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 2e-3
    weight_decay: float = 0.0
    patience: int = 3
    monitor: str = "auc"
    grad_clip: float = 1.0
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    eval_batch_size: int = 16
    min_exercise_count: int = 1
    min_attempts: int = 3
    max_window: int = 200
    valid_fraction: float = 0.1
    # Fit a temperature and a bias on the validation learners after training
    # (Platt scaling, learnpath.seq.calibration).
    calibrate: bool = True

    def to_dict(self) -> dict[str, Any]:
        payload = dataclasses.asdict(self)
        payload["hyper"] = dict(self.hyper)
        return payload


@dataclass(frozen=True)
class FitReport:
    epochs_run: int
    best_epoch: int
    best_valid_score: float | None
    train_seconds: float
    loop_seconds: float
    model_seconds: float
    attempts_seen: int
    sequences_seen: int
    history: tuple[dict[str, float], ...] = ()

    @property
    def attempts_per_second(self) -> float:
        return self.attempts_seen / max(self.loop_seconds, 1e-9)

    @property
    def model_attempts_per_second(self) -> float:
        return self.attempts_seen / max(self.model_seconds, 1e-9)

    @property
    def sequences_per_second(self) -> float:
        return self.sequences_seen / max(self.loop_seconds, 1e-9)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def prepare_torch(threads: int | None) -> None:
    # Denormal floats make small-weight LSTM maths several times slower on CPU.
    torch.set_flush_denormal(True)
    # One thread by default: on a shared 2-core machine, 2 threads spun at every small op's
    # barrier and ran the LSTM 5-17x slower than one (measured while other jobs ran).
    torch.set_num_threads(threads or 1)


def new_model(config: TrainConfig, vocab: Vocabulary) -> SequenceModel:
    torch.manual_seed(config.seed)
    spec = ModelSpec(
        vocab.exercise_vocab_size, vocab.skill_vocab_size, vocab.exercise_skill_matrix()
    )
    return build_model(config.model, spec, dict(config.hyper))


class Trainer:
    def __init__(self, model: SequenceModel, config: TrainConfig) -> None:
        prepare_torch(config.threads)
        self.config = config
        self.device = resolve_device(config.device)
        self.model = model.to(self.device)

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def fit(
        self,
        train: EncodedSequences,
        valid: EncodedSequences | None,
        progress: bool = False,
        on_epoch: EpochCallback | None = None,
    ) -> FitReport:
        """Trains with early stopping on ``valid``. ``on_epoch(epoch, epochs, row)`` is called
        after each epoch with its history row (a caller may raise there to stop training)."""
        started = time.perf_counter()
        self.model.fit_statistics(train)
        self.model.to(self.device)
        if not self.model.trainable:
            self.calibrate(valid)
            seconds = time.perf_counter() - started
            return FitReport(1, 1, None, seconds, seconds, seconds, train.attempt_count, len(train))
        report = self._fit_gradient(train, valid, progress, started, on_epoch)
        self.calibrate(valid)
        return dataclasses.replace(report, train_seconds=time.perf_counter() - started)

    def calibrate(self, valid: EncodedSequences | None) -> float:
        """Fit the model's answer temperature and bias on ``valid`` (when the config asks for it
        and the model predicts answers); returns the temperature in use."""
        model = self.model
        if not (self.config.calibrate and valid is not None and model.predicts_answers):
            return float(model.answer_temperature)
        model.answer_temperature.fill_(1.0)
        model.answer_bias.fill_(0.0)
        labels, probabilities = self.answer_predictions(valid)
        temperature, bias = fit_platt(labels, probabilities)
        model.answer_temperature.fill_(temperature)
        model.answer_bias.fill_(bias)
        return float(model.answer_temperature)

    @torch.no_grad()
    def answer_predictions(self, data: EncodedSequences) -> tuple[np.ndarray, np.ndarray]:
        """Labels and predicted P(right) of every attempt of ``data``, each scored once."""
        self.model.eval()
        labels, probabilities = [], []
        for batch in data.batches(self.config.eval_batch_size):
            batch = batch.to(self.device)
            prediction = self.model.predict(batch, with_next=False)
            if prediction.p_correct is not None:
                labels.append(batch.correct[batch.mask].cpu())
                probabilities.append(prediction.p_correct[batch.mask].cpu())
        if not probabilities:
            return np.zeros(0), np.zeros(0)
        return torch.cat(labels).numpy(), torch.cat(probabilities).numpy()

    def _fit_gradient(
        self,
        train: EncodedSequences,
        valid: EncodedSequences | None,
        progress: bool,
        started: float,
        on_epoch: EpochCallback | None,
    ) -> FitReport:
        config = self.config
        torch.manual_seed(config.seed)
        optimizer = torch.optim.Adam(
            self.model.parameter_groups(config.learning_rate),
            lr=config.learning_rate,
            weight_decay=config.weight_decay,
        )
        batches_per_epoch = len(train.batch_rows(config.batch_size))
        bar = tqdm(
            total=config.epochs * batches_per_epoch,
            disable=not progress,
            unit="batch",
            desc=self.model.name,
            dynamic_ncols=True,
        )
        best_score, best_epoch, best_state, stale = float("-inf"), 0, None, 0
        loop_seconds, model_seconds, attempts, sequences, epoch = 0.0, 0.0, 0, 0, 0
        history: list[dict[str, float]] = []
        for epoch in range(1, config.epochs + 1):
            self.model.train()
            rng = np.random.default_rng(config.seed + epoch)
            loop_started = time.perf_counter()
            losses: list[float] = []
            for batch in train.batches(config.batch_size, rng):
                step_started = time.perf_counter()
                loss = self._step(batch.to(self.device), optimizer)
                losses.append(loss)
                model_seconds += time.perf_counter() - step_started
                attempts += int(batch.mask.sum())
                sequences += batch.sequence_count
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.4f}", best_score=f"{best_score:.4f}")
            loop_seconds += time.perf_counter() - loop_started
            history.append({"epoch": epoch, "train_loss": float(np.mean(losses or [0.0]))})
            if valid is not None:
                history[-1]["valid_score"] = self.validation_score(valid)
            if on_epoch is not None:
                on_epoch(epoch, config.epochs, dict(history[-1]))
            if valid is None:
                best_epoch = epoch
                continue
            score = history[-1]["valid_score"]
            if score > best_score:
                best_score, best_epoch, stale = score, epoch, 0
                best_state = copy.deepcopy(self.model.state_dict())
            else:
                stale += 1
                if stale >= config.patience:
                    break
        bar.close()
        if best_state is not None:
            self.model.load_state_dict(best_state)
        seconds = time.perf_counter() - started
        best = best_score if valid is not None else None
        return FitReport(
            epoch,
            best_epoch,
            best,
            seconds,
            loop_seconds,
            model_seconds,
            attempts,
            sequences,
            tuple(history),
        )

    def validation_score(self, valid: EncodedSequences) -> float:
        """Sum of the validation metrics named in ``monitor`` ("auc", "auc+hr10", ...)."""
        names = self.config.monitor.split("+")
        metrics = self.evaluate(valid, with_next=any(name != "auc" for name in names))
        return sum(metrics[name] for name in names)

    def _step(self, batch: Any, optimizer: torch.optim.Optimizer) -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = self.model.calculate_loss(batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        optimizer.step()
        self._sync()
        return float(loss.detach())

    @torch.no_grad()
    def evaluate(self, data: EncodedSequences, with_next: bool = True) -> dict[str, float]:
        """AUC/accuracy/RMSE of the answers and HR@10/NDCG@10 of the next exercise, where the
        model has the head; every attempt of every window is scored exactly once."""
        self.model.eval()
        labels, probabilities, ranks = [], [], []
        for batch in data.batches(self.config.eval_batch_size):
            batch = batch.to(self.device)
            prediction = self.model.predict(batch, with_next=with_next)
            if prediction.p_correct is not None:
                labels.append(batch.correct[batch.mask].cpu())
                probabilities.append(prediction.p_correct[batch.mask].cpu())
            if prediction.next_scores is not None:
                scores = prediction.next_scores[batch.mask]
                ranks.append(target_ranks(scores, batch.exercise[batch.mask]).cpu())
        metrics: dict[str, float] = {}
        if probabilities:
            metrics |= answer_metrics(torch.cat(labels).numpy(), torch.cat(probabilities).numpy())
        if ranks:
            metrics |= ranking_metrics(torch.cat(ranks).numpy())
        return metrics


def save_checkpoint(
    path: Path,
    model: SequenceModel,
    vocab: Vocabulary,
    config: TrainConfig,
    metrics: Mapping[str, Any],
    training_data_hash: str,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "model": model.name,
        "hyper": dict(model.hyper),
        "state_dict": {key: value.cpu() for key, value in model.state_dict().items()},
        "vocabulary": vocab.to_dict(),
        "config": config.to_dict(),
        "metrics": dict(metrics),
        "data_hash": training_data_hash,
        "torch_version": str(torch.__version__),
    }
    torch.save(payload, path)
    return path


def load_model(path: Path, device: str = "cpu") -> tuple[SequenceModel, Vocabulary, dict[str, Any]]:
    """Rebuild the model of a checkpoint with its weights; also returns the raw payload."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if payload.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: unsupported checkpoint format {payload.get('format')!r}")
    vocab = Vocabulary.from_dict(payload["vocabulary"])
    spec = ModelSpec(
        vocab.exercise_vocab_size, vocab.skill_vocab_size, vocab.exercise_skill_matrix()
    )
    model = build_model(payload["model"], spec, payload["hyper"])
    model.load_state_dict(payload["state_dict"])
    model.to(resolve_device(device)).eval()
    return model, vocab, payload

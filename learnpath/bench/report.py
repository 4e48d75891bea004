"""Results files: ``results.json`` (one row per dataset, fold and model) and ``results.md``.

Rows from earlier runs on other datasets are kept, so one folder collects the whole benchmark;
a rerun replaces the rows of the same dataset, fold and model. The Markdown table gives the mean
± standard deviation over folds (sample std; "–" for one fold) and the commands that made it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

METRIC_COLUMNS = (
    ("auc", "AUC"),
    ("acc", "ACC"),
    ("rmse", "RMSE"),
    ("ece", "ECE"),
    ("hr10", "HR@10"),
    ("ndcg10", "NDCG@10"),
)


def merge_rows(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    def key(row: Mapping[str, Any]) -> tuple[Any, ...]:
        return row["dataset"], row["fold"], row["model"]

    replaced = {key(row) for row in new}
    return [dict(row) for row in old if key(row) not in replaced] + [dict(row) for row in new]


def _mean_std(values: list[float], digits: int) -> str:
    if not values:
        return "–"
    mean = float(np.mean(values))
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {float(np.std(values, ddof=1)):.{digits}f}"


def _number(values: list[float]) -> str:
    return f"{np.mean(values):,.0f}" if values else "–"


def markdown_table(rows: Sequence[Mapping[str, Any]], commands: Mapping[str, str]) -> str:
    lines = []
    for dataset in dict.fromkeys(row["dataset"] for row in rows):
        subset = [row for row in rows if row["dataset"] == dataset]
        folds = sorted({row["fold"] for row in subset})
        lines += [f"### {dataset} (folds {', '.join(map(str, folds))})", ""]
        if dataset in commands:
            lines += ["```", commands[dataset], "```", ""]
        header = [
            "model",
            *(title for _, title in METRIC_COLUMNS),
            "train s",
            "seq/s",
            "attempts/s (with loader)",
            "attempts/s (model only)",
        ]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for model in dict.fromkeys(row["model"] for row in subset):
            model_rows = [row for row in subset if row["model"] == model]

            def values(
                key: str, rows_of_model: list[Mapping[str, Any]] = model_rows
            ) -> list[float]:
                return [row[key] for row in rows_of_model if row.get(key) is not None]

            cells = [model, *(_mean_std(values(key), 4) for key, _ in METRIC_COLUMNS)]
            cells += [
                _number(values("train_seconds")),
                _number(values("sequences_per_second")),
                _number(values("attempts_per_second")),
                _number(values("model_attempts_per_second")),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def write_results(
    out_dir: Path, rows: Sequence[Mapping[str, Any]], dataset: str, command: str
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path, commands_path = out_dir / "results.json", out_dir / "commands.json"
    old = json.loads(results_path.read_text()) if results_path.exists() else []
    commands = json.loads(commands_path.read_text()) if commands_path.exists() else {}
    commands[dataset] = command
    merged = merge_rows(old, rows)
    results_path.write_text(json.dumps(merged, indent=1) + "\n")
    commands_path.write_text(json.dumps(commands, indent=1) + "\n")
    (out_dir / "results.md").write_text(markdown_table(merged, commands))

"""``python -m learnpath.bench``: run models on a knowledge-tracing dataset, write the tables.

Example (ASSISTments 2009, the AKT folds)::

    python -m learnpath.bench --format akt-pid \
        --data ../shared/datasets/kt_benchmarks/assist2009/akt_pid --prefix assist2009_pid \
        --folds 1-5 --models all --out bench-out/ --bkt-python /path/to/pybkt-env/bin/python

``--jobs N`` runs the (fold, model) pairs in N worker processes, each with the loaded folds and
``--threads`` threads (one by default): on a 2-core machine ``--jobs 2`` uses both cores. Rows
are written as they finish; the last line gives the wall time of the whole run.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from learnpath.bench.report import write_results
from learnpath.bench.runner import BenchOptions, known_models, load_folds, run_pairs
from learnpath.seq.trainer import TrainConfig


def parse_folds(text: str) -> list[int]:
    folds: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        folds.extend(range(int(first), int(last or first) + 1))
    if not folds or min(folds) < 1 or max(folds) > 5:
        raise argparse.ArgumentTypeError(f"folds must lie in 1-5, got {text!r}")
    return folds


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m learnpath.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--format", required=True, choices=["akt-pid", "three-line", "matrix", "attempts-csv"]
    )
    parser.add_argument(
        "--data",
        required=True,
        nargs="+",
        type=Path,
        help="akt-pid: the folder of fold files; otherwise one or more data files",
    )
    parser.add_argument(
        "--prefix", default="", help="akt-pid fold file prefix, e.g. assist2009_pid"
    )
    parser.add_argument("--qmatrix", type=Path, help="three-line: exercise -> skills 0/1 matrix")
    parser.add_argument("--name", help="dataset name in the tables (default: prefix or file stem)")
    parser.add_argument("--folds", type=parse_folds, default=parse_folds("1-5"))
    parser.add_argument("--models", default="all", help="comma-separated, or 'all'")
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    parser.add_argument(
        "--keep-repeats",
        action="store_true",
        help="akt-pid: keep a multi-skill problem's repeated rows as separate attempts",
    )
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    parser.add_argument("--patience", type=int, default=TrainConfig.patience)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int)
    parser.add_argument(
        "--hyper", type=json.loads, default={}, help='JSON {"model": {hyper-parameter: value}}'
    )
    parser.add_argument(
        "--training", type=json.loads, default={}, help='JSON {"model": {TrainConfig field: value}}'
    )
    parser.add_argument(
        "--bkt-python", default=sys.executable, help="interpreter with pyBKT installed (numpy<2)"
    )
    parser.add_argument("--bkt-fits", type=int, default=1)
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--jobs", type=int, default=1,
                        help="worker processes running (fold, model) pairs side by side")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_arguments(argv)
    models = known_models() if args.models == "all" else args.models.split(",")
    unknown = sorted(set(models) - set(known_models()))
    if unknown:
        raise SystemExit(f"unknown models {unknown}; known: {known_models()}")
    dataset = args.name or args.prefix or args.data[0].stem
    training = TrainConfig(
        epochs=args.epochs,
        patience=args.patience,
        seed=args.seed,
        device=args.device,
        threads=args.threads,
    )
    options = BenchOptions(
        dataset,
        training,
        args.hyper,
        args.training,
        args.bkt_python,
        args.bkt_fits,
        progress=args.progress,
    )
    folds, exercise_skills = load_folds(
        args.format, args.data, args.prefix, args.qmatrix, not args.keep_repeats, args.seed
    )
    command = "python -m learnpath.bench " + shlex.join(argv)
    if args.jobs < 1:
        raise SystemExit("--jobs must be >= 1")
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    pairs = [(fold, model) for fold in args.folds for model in models]
    order = {pair: index for index, pair in enumerate(pairs)}
    for row in run_pairs(pairs, folds, exercise_skills, options, args.jobs):
        rows.append(row)
        rows.sort(key=lambda done: order[(done["fold"], done["model"])])
        print(json.dumps(row), flush=True)
        write_results(args.out, rows, dataset, command)
    print(f"{len(rows)} runs ({len(args.folds)} folds x {len(models)} models) in "
          f"{time.perf_counter() - started:.0f} s wall with {args.jobs} job(s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

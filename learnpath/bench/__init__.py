"""Knowledge-tracing benchmark: ``python -m learnpath.bench --help``.

Reads the public formats under ``../shared/datasets/kt_benchmarks/``, runs the LSTM and its
baselines on the same folds in the same run, and writes ``results.json`` and ``results.md``.
The protocol is documented in ``learnpath.bench.runner``.
"""

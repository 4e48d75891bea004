"""Fit pyBKT on one CSV and predict another; run in an environment where pyBKT imports.

Usage: python bkt_worker.py TRAIN.csv TEST.csv OUT.csv FITS SEED

Both CSVs have columns order_id, user_id, skill_name, correct (one row per attempt and skill);
OUT.csv gets each test row's ``order_id`` and ``correct_predictions``. This file
imports neither torch nor learnpath, so it runs under any interpreter that has pyBKT.
"""

from __future__ import annotations

import sys

import pandas as pd
from pyBKT.models import Model


def main(train_path: str, test_path: str, out_path: str, fits: str, seed: str) -> None:
    columns = {
        "order_id": "order_id",
        "user_id": "user_id",
        "skill_name": "skill_name",
        "correct": "correct",
    }
    train = pd.read_csv(train_path, dtype={"skill_name": str, "user_id": str})
    test = pd.read_csv(test_path, dtype={"skill_name": str, "user_id": str})
    model = Model(seed=int(seed), num_fits=int(fits))
    model.fit(data=train, defaults=columns)
    predicted = model.predict(data=test)
    predicted[["order_id", "correct_predictions"]].to_csv(out_path, index=False)


if __name__ == "__main__":
    main(*sys.argv[1:6])

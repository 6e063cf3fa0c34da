#!/usr/bin/python3
"""Peer for bench:scorers: scores a workspace with pandas + scikit-learn the way a Python
scoring script would (read both CSVs, join on id, call sklearn), and prints one JSON line
with the metrics, the time spent after imports and the process's peak RSS.

usage: sklearn_score.py classification|regression WORKSPACE
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
from sklearn.metrics import (accuracy_score, f1_score, mean_absolute_error,
                             mean_squared_error, precision_score, r2_score,
                             recall_score)


def main() -> None:
    kind, workspace = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    column = "label" if kind == "classification" else "value"
    dtype = {"id": str, column: str} if kind == "classification" else {"id": str, column: float}
    gt = pd.read_csv(f"{workspace}/input/gt.csv", dtype=dtype)
    pred = pd.read_csv(f"{workspace}/output/pred.csv", dtype=dtype)
    joined = gt.merge(pred, on="id", how="left", suffixes=("_true", "_pred"), validate="one_to_one")
    y_true = joined[f"{column}_true"].to_numpy()
    y_pred = joined[f"{column}_pred"].to_numpy()
    if kind == "classification":
        labels = np.unique(y_true)
        common = {"labels": labels, "zero_division": 0}
        metrics = {
            "accuracy": accuracy_score(y_true, y_pred),
            "f1_macro": f1_score(y_true, y_pred, average="macro", **common),
            "f1_micro": f1_score(y_true, y_pred, average="micro", **common),
            "f1_weighted": f1_score(y_true, y_pred, average="weighted", **common),
            "precision_macro": precision_score(y_true, y_pred, average="macro", **common),
            "recall_macro": recall_score(y_true, y_pred, average="macro", **common),
        }
    else:
        mse = mean_squared_error(y_true, y_pred)
        metrics = {
            "rmse": float(np.sqrt(mse)),
            "mse": mse,
            "mae": mean_absolute_error(y_true, y_pred),
            "r2": r2_score(y_true, y_pred),
        }
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"metrics": {k: float(v) for k, v in metrics.items()},
                      "seconds": seconds, "peakBytes": peak_kib * 1024}))


if __name__ == "__main__":
    main()

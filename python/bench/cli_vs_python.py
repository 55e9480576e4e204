#!/usr/bin/env python3
"""Wall time of the same work through the CLI and through the Python module (docs/python.md).

    PYTHONPATH=build/python python3 python/bench/cli_vs_python.py build/tpp [epochs]

On MIMIC-II fold 1 (data/mimic2): THP (d_model 32) trained for `epochs` epochs (default 5) on the
training part with the test part as dev, then evaluate and predict on the test part, once by
`tpp train/evaluate/predict` (process start and model load included, as a user runs them) and once
in one Python process; then the per-call latency of a user state's predict() and observe().
Prints a markdown table.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import tpp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN = os.path.join(ROOT, "data/mimic2/time-1-train.txt")
TEST = os.path.join(ROOT, "data/mimic2/time-1-test.txt")
SCHEMA = os.path.join(ROOT, "data/mimic2/schema.json")


def timed(fn):
    began = time.perf_counter()
    out = fn()
    return time.perf_counter() - began, out


def main():
    cli = os.path.abspath(sys.argv[1])
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    config = {"model": "thp", "d_model": 32, "train": {"epochs": epochs, "lr": 0.003, "patience": 0}}  # seed 0 in both
    work = tempfile.mkdtemp()
    cli_model = os.path.join(work, "cli.tpp")

    def run(*args):
        return subprocess.run([cli, *args], check=True, capture_output=True, text=True).stdout

    rows = []
    t_cli, _ = timed(lambda: run("train", "--config", json.dumps(config), "--schema", SCHEMA, "--train", TRAIN,
                                 "--dev", TEST, "-o", cli_model, "--quiet"))
    e_cli, cli_metrics = timed(lambda: json.loads(run("evaluate", "--model", cli_model, "--data", TEST, "--json")))
    p_cli, _ = timed(lambda: run("predict", "--model", cli_model, "--data", TEST, "-o", os.path.join(work, "p.jsonl")))

    def fit():
        train = tpp.read(TRAIN, schema=SCHEMA)
        dev = tpp.read(TEST, schema=SCHEMA)
        return tpp.Model("thp", d_model=32).fit(train, dev, epochs=epochs, lr=0.003, patience=0)

    t_py, model = timed(fit)
    test = tpp.read(TEST, schema=SCHEMA)
    e_py, py_metrics = timed(lambda: model.evaluate(test))
    p_py, frame = timed(lambda: model.predict(test))
    rows.append(("train %d epochs (585 sequences)" % epochs, t_cli, t_py))
    rows.append(("evaluate (65 sequences)", e_cli, e_py))
    rows.append(("predict (%d events)" % len(frame), p_cli, p_py))
    print("| step | CLI (s) | Python (s) |\n| --- | --- | --- |")
    for name, a, b in rows:
        print("| %s | %.2f | %.2f |" % (name, a, b))
    print("\nCLI LL/event %.4f, Python LL/event %.4f (same seed and data: same model)"
          % (cli_metrics["log_likelihood_per_event"], py_metrics["log_likelihood_per_event"]))

    # Online: one user's state, predict() and observe() per call, on one thread: a state's calls
    # are a few small tensor operations each, where a second thread only adds synchronisation (on a
    # loaded machine, tens of milliseconds per call).
    path = os.path.join(work, "py.tpp")
    model.save(path)
    model = tpp.load(path, threads=1)
    seq = max(test, key=lambda s: len(s["time"]))
    state = model.state(t_start=float(seq["t_start"]), user=seq["user"])
    names = model.types
    observe, predict = [], []
    for t, k in zip(seq["time"], seq["type"]):
        began = time.perf_counter()
        state.observe(float(t), names[k])
        observe.append(time.perf_counter() - began)
        began = time.perf_counter()
        state.predict()
        predict.append(time.perf_counter() - began)
    observe.sort()
    predict.sort()
    print("\nstate of a %d-event user (threads=1): observe median %.0f us, predict median %.0f us"
          % (len(seq["time"]), 1e6 * observe[len(observe) // 2], 1e6 * predict[len(predict) // 2]))


if __name__ == "__main__":
    main()

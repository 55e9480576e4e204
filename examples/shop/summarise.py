#!/usr/bin/env python3
"""Mean and spread over seeds of the `tpp evaluate --json` files MODEL-SEED.json in a folder.

    python3 examples/shop/summarise.py out/shop/seeds

prints one row per model (mean, sample standard deviation and the values of each seed) and the
per-seed difference expert - thp of the log-likelihood per event (Python 3 standard library).
"""
import json
import pathlib
import statistics
import sys

METRICS = ["log_likelihood_per_event", "time_rmse", "time_mae", "type_accuracy"]


def main(folder):
    runs = {}  # model -> seed -> metrics
    for path in sorted(pathlib.Path(folder).glob("*-*.json")):
        model, seed = path.stem.rsplit("-", 1)
        runs.setdefault(model, {})[int(seed)] = json.loads(path.read_text())
    if not runs:
        sys.exit(f"summarise: no MODEL-SEED.json files in {folder}")
    print(f"{'model':<8} {'metric':<26} {'mean':>9} {'sd':>8}   per seed")
    for model in sorted(runs, key=lambda m: (m != "thp", m)):
        seeds = sorted(runs[model])
        for metric in METRICS:
            values = [runs[model][s][metric] for s in seeds]
            sd = statistics.stdev(values) if len(values) > 1 else 0.0
            each = "  ".join(f"{v:.4f}" for v in values)
            print(f"{model:<8} {metric:<26} {statistics.mean(values):>9.4f} {sd:>8.4f}   {each}")
    if "thp" in runs and "expert" in runs:
        seeds = sorted(set(runs["thp"]) & set(runs["expert"]))
        gains = [runs["expert"][s]["log_likelihood_per_event"] - runs["thp"][s]["log_likelihood_per_event"]
                 for s in seeds]
        sd = statistics.stdev(gains) if len(gains) > 1 else 0.0
        print(f"expert - thp, LL/event: mean {statistics.mean(gains):+.4f}, sd {sd:.4f}, "
              f"seeds {' '.join(map(str, seeds))}: {'  '.join(f'{g:+.4f}' for g in gains)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/shop/seeds")

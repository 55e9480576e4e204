#!/usr/bin/env python3
"""Mean and spread over seeds of the `tpp evaluate --json` files MODEL-SEED.json in a folder.

    python3 examples/shop/summarise.py out/shop/seeds

prints one row per model and metric (mean, sample standard deviation and the value of each seed)
and, for each model but thp, its per-seed gain over thp in log-likelihood per event (Python 3
standard library).
"""
import json
import pathlib
import statistics
import sys

METRICS = ["log_likelihood_per_event", "time_rmse", "time_mae", "type_accuracy"]
ORDER = ["thp", "p_user", "ext", "expert"]  # the walk-through's models first, in this order


def main(folder):
    runs = {}  # model -> seed -> metrics
    for path in sorted(pathlib.Path(folder).glob("*-*.json")):
        model, seed = path.stem.rsplit("-", 1)
        runs.setdefault(model, {})[int(seed)] = json.loads(path.read_text())
    if not runs:
        sys.exit(f"summarise: no MODEL-SEED.json files in {folder}")
    print(f"{'model':<8} {'metric':<26} {'mean':>9} {'sd':>8}   per seed")
    models = sorted(runs, key=lambda m: (ORDER.index(m) if m in ORDER else len(ORDER), m))
    for model in models:
        seeds = sorted(runs[model])
        for metric in METRICS:
            values = [runs[model][s][metric] for s in seeds]
            sd = statistics.stdev(values) if len(values) > 1 else 0.0
            each = "  ".join(f"{v:.4f}" for v in values)
            print(f"{model:<8} {metric:<26} {statistics.mean(values):>9.4f} {sd:>8.4f}   {each}")
    for model in models:
        if model == "thp" or "thp" not in runs:
            continue
        seeds = sorted(set(runs["thp"]) & set(runs[model]))
        gains = [runs[model][s]["log_likelihood_per_event"] - runs["thp"][s]["log_likelihood_per_event"]
                 for s in seeds]
        sd = statistics.stdev(gains) if len(gains) > 1 else 0.0
        print(f"{model} - thp, LL/event: mean {statistics.mean(gains):+.4f}, sd {sd:.4f}, "
              f"seeds {' '.join(map(str, seeds))}: {'  '.join(f'{g:+.4f}' for g in gains)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/shop/seeds")

#!/usr/bin/env python3
"""Markdown tables of the ExPERT synthetic experiments from run.sh's results folder: every number is
the mean over the seeds found, ± the sample standard deviation, with the seed count; a difference
is the mean of the per-seed (paired) differences, ± their standard deviation, and "wins" counts the
seeds where ExPERT is ahead. "thp_blind" is THP trained and scored on the actions alone (the paper's
baseline, which knows no stimuli); "thp" is THP given the stimuli as events."""
import glob
import json
import math
import os
import re
import sys


def load(out, name, label, seed, predictor):
    path = os.path.join(out, "results", f"{name}_{label}_s{seed}_{predictor}.json")
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError:  # still being written
        return None


def seeds(out, name, label):
    found = set()
    for p in glob.glob(os.path.join(out, "results", f"{name}_{label}_s*_intensity.json")):
        m = re.search(r"_s(\d+)_intensity\.json$", p)
        if m:
            found.add(int(m.group(1)))
    return sorted(found)


def mean_sd(values):
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return None, None, 0
    m = sum(values) / len(values)
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else float("nan")
    return m, sd, len(values)


def cell(values, digits=4):
    m, sd, n = mean_sd(values)
    if m is None:
        return "–"
    return f"{m:.{digits}f} ± {sd:.{digits}f}" if n > 1 else f"{m:.{digits}f}"


def metric(out, name, label, key, predictor="intensity"):
    return {s: r[key] for s in seeds(out, name, label) if (r := load(out, name, label, s, predictor))}


def paired(a, b):
    common = sorted(set(a) & set(b))
    return [b[s] - a[s] for s in common]


def sweep(out, prefix, key_name):
    names = sorted({re.sub(r"_(thp|thp_blind|expert)_s\d+_intensity\.json$", "", os.path.basename(p))
                    for p in glob.glob(os.path.join(out, "results", prefix + "*_intensity.json"))},
                   key=lambda n: float(n[len(prefix):]))
    if not names:
        return
    print(f"| {key_name} | THP, actions only | THP, with stimuli | ExPERT | ExPERT − THP (actions only) | wins | "
          "ExPERT − THP (with stimuli) | wins |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in names:
        ll = lambda label: metric(out, name, label, "target_log_likelihood_per_event")
        blind, thp, expert = ll("thp_blind"), ll("thp"), ll("expert")
        row = f"| {name[len(prefix):]} | {cell(list(blind.values()))} | {cell(list(thp.values()))} | "
        row += f"{cell(list(expert.values()))} |"
        for base in (blind, thp):
            diff = paired(base, expert)
            row += f" {cell(diff)} | {sum(d > 0 for d in diff)}/{len(diff)} |"
        print(row)
    print()


def prediction_rows(out, name, labels):
    print("| model | LL/action (test part) | time RMSE, intensity | time RMSE, heads (time model) | "
          "type accuracy, intensity | type accuracy, heads | seeds |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label in labels:
        ll = metric(out, name, label, "target_log_likelihood_per_event")
        if not ll:
            continue
        rmse_i = metric(out, name, label, "time_rmse")
        rmse_h = metric(out, name, label + "_time", "time_rmse", "heads")
        acc_i = metric(out, name, label, "type_accuracy")
        acc_h = metric(out, name, label, "type_accuracy", "heads")
        print(f"| {label} | {cell(list(ll.values()))} | {cell(list(rmse_i.values()))} | "
              f"{cell(list(rmse_h.values()))} | {cell(list(acc_i.values()))} | {cell(list(acc_h.values()))} | "
              f"{len(ll)} |")
    print()


def main(out):
    print("## Count of stimuli (paper Fig. 5a): test-part predictive log-likelihood per action (nats)\n")
    sweep(out, "count_K", "K")
    print("## Impact of self-excitation (paper Fig. 5b): test-part predictive log-likelihood per action (nats)\n")
    sweep(out, "selfexc_a", "α")
    if seeds(out, "complex", "thp"):
        print("## Complex stimuli (paper: time RMSE ExPERT 0.4821, THP 0.5845)\n")
        prediction_rows(out, "complex", ["thp_blind", "thp", "expert"])
    if seeds(out, "shop", "thp"):
        print("## E-commerce coupons: ablation (paper Table 3 layout); times in days\n")
        prediction_rows(out, "shop", ["thp_blind", "thp", "p_user", "ext", "ext_p_user", "ext_p_user_cm", "full",
                                      "full_query_mask"])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/experiments/expert")

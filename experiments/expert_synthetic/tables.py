#!/usr/bin/env python3
"""Markdown tables of the ExPERT synthetic experiments from run.sh's results folder."""
import glob
import json
import os
import re
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def result(out, name, label):
    path = os.path.join(out, "results", f"{name}_{label}.json")
    return load(path) if os.path.exists(path) else None


def oracle(out, name):
    path = os.path.join(out, "data", f"{name}_oracle.json")
    return load(path)["oracle_log_likelihood_per_action"] if os.path.exists(path) else None


def fmt(x, digits=4):
    return "–" if x is None else f"{x:.{digits}f}"


def sweep(out, prefix, label, key_name):
    names = sorted({re.sub(r"_(thp|expert)\.json$", "", os.path.basename(p))
                    for p in glob.glob(os.path.join(out, "results", prefix + "*.json"))},
                   key=lambda n: float(n[len(prefix):]))
    if not names:
        return
    print(f"| {key_name} | THP LL/action | ExPERT LL/action | ExPERT − THP | oracle LL/action |")
    print("| --- | --- | --- | --- | --- |")
    for name in names:
        thp, expert = result(out, name, "thp"), result(out, name, "expert")
        ll = [r["log_likelihood_per_event"] if r else None for r in (thp, expert)]
        gap = ll[1] - ll[0] if None not in ll else None
        print(f"| {name[len(prefix):]} | {fmt(ll[0])} | {fmt(ll[1])} | {fmt(gap)} | {fmt(oracle(out, name))} |")
    print()


def main(out):
    print("## Count of stimuli (paper Fig. 5a), held-out log-likelihood per action (nats)\n")
    sweep(out, "count_K", "K", "K")
    print("## Impact of self-excitation (paper Fig. 5b), held-out log-likelihood per action (nats)\n")
    sweep(out, "selfexc_a", "alpha", "α")
    if result(out, "complex", "thp"):
        print("## Complex stimuli: next-event time RMSE (paper: ExPERT 0.4821, THP 0.5845)\n")
        print("| model | time RMSE | LL/action | oracle LL/action |")
        print("| --- | --- | --- | --- |")
        for label in ("thp", "expert"):
            r = result(out, "complex", label)
            if r:
                print(f"| {label} | {fmt(r['time_rmse'])} | {fmt(r['log_likelihood_per_event'])} | "
                      f"{fmt(oracle(out, 'complex'))} |")
        print()
    if result(out, "shop", "thp"):
        print("## E-commerce coupons: ablation (paper Table 3 layout)\n")
        print(f"oracle LL/action: {fmt(oracle(out, 'shop'))}\n")
        print("| variant | LL/action | time RMSE (days) | type accuracy | top-5 accuracy |")
        print("| --- | --- | --- | --- | --- |")
        for label in ("thp", "p_user", "ext", "ext_p_user", "ext_p_user_cm", "full", "full_future"):
            r = result(out, "shop", label)
            if r:
                print(f"| {label} | {fmt(r['log_likelihood_per_event'])} | {fmt(r['time_rmse'])} | "
                      f"{fmt(r['type_accuracy'])} | {fmt(r['top_k_accuracy'])} |")
        print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/experiments/expert")

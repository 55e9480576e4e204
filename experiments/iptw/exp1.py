#!/usr/bin/env python3
"""Synthetic experiment 1 of Yuchi & Zhu (section 5.1, appendix H.1): three Hawkes clusters.

  exp1.py alpha                     print the branching ratio of the reading (see docs/iptw.md)
  exp1.py configs OUTDIR            write OUTDIR/c{0,1,2}.json (tpp hawkes configs) and truth.json
  exp1.py merge OUTDIR SPLIT N...   merge OUTDIR/SPLIT-c{k}.jsonl (from `tpp simulate`) into
                                    OUTDIR/SPLIT.jsonl + OUTDIR/SPLIT.users.jsonl (category, [0, T])

Reading (fixed before any run): the paper's mu = 0.1, beta = 0.5 / 1.0 / 1.5, T = 100 and sizes,
with the kernel of the reading notes, alpha * beta * exp(-beta t) (our hawkes model's form, alpha
the branching ratio), and alpha -- the one parameter that makes the printed process explosive or
critical -- set, common to the clusters, so that the expected events per sequence from an empty
history, averaged over the clusters, equal the paper's 111,499 / 1,200. The expectation is exact:
m'(t) = beta (mu - (1 - alpha) m(t)) for the mean intensity m, integrated over [0, T].
Python 3 standard library only.
"""
import json
import math
import os
import sys

MU, T, BETAS = 0.1, 100.0, (0.5, 1.0, 1.5)
TARGET = 111499 / 1200  # the paper's training events per sequence


def expected_events(alpha, beta):
    k = beta * (1 - alpha)
    return MU * T / (1 - alpha) - MU * alpha / (1 - alpha) * (1 - math.exp(-k * T)) / k


def reading_alpha():
    lo, hi = 0.0, 1.0 - 1e-9  # the mean count rises monotonically in alpha on [0, 1)
    for _ in range(200):
        mid = (lo + hi) / 2
        if sum(expected_events(mid, b) for b in BETAS) / len(BETAS) < TARGET:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def configs(out):
    alpha = reading_alpha()
    truth = {}
    for k, beta in enumerate(BETAS):
        cfg = {"model": "hawkes", "mu": [MU], "alpha": [[alpha]], "beta": beta}
        with open(os.path.join(out, "c%d.json" % k), "w") as f:
            json.dump(cfg, f)
        truth["c%d" % k] = cfg
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump({"by_category": truth}, f, indent=1)
    json.dump({"alpha": alpha, "expected_events": [expected_events(alpha, b) for b in BETAS]}, sys.stdout)
    print()


def merge(out, split, counts):
    events, users = [], []
    for k, n in enumerate(counts):
        with open(os.path.join(out, "%s-c%d.jsonl" % (split, k))) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        for i in range(n):  # a user without events still has its window
            users.append({"user": "c%d-%d" % (k, i), "category": "c%d" % k, "t_start": 0.0, "t_end": T})
        for r in rows:
            r["user"] = "c%d-%s" % (k, r["user"])
            events.append(r)
    # Interleave the clusters so that no file order gives a category away.
    order = {u["user"]: j for j, u in enumerate(sorted(users, key=lambda u: (int(u["user"].split("-")[1]), u["user"])))}
    users.sort(key=lambda u: order[u["user"]])
    events.sort(key=lambda r: (order[r["user"]], r["time"]))
    with open(os.path.join(out, split + ".jsonl"), "w") as f:
        for r in events:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(out, split + ".users.jsonl"), "w") as f:
        for u in users:
            f.write(json.dumps(u) + "\n")
    print("%s: %d users, %d events (%.1f per user)" % (split, len(users), len(events), len(events) / len(users)))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "alpha":
        print(reading_alpha())
    elif len(sys.argv) == 3 and sys.argv[1] == "configs":
        configs(sys.argv[2])
    elif len(sys.argv) >= 5 and sys.argv[1] == "merge":
        merge(sys.argv[2], sys.argv[3], [int(n) for n in sys.argv[4:]])
    else:
        sys.exit(__doc__)

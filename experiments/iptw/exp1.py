#!/usr/bin/env python3
"""Synthetic experiments of Yuchi & Zhu (section 5.1, appendix H.1): three Hawkes clusters (exps 1-3),
per-sequence decays (exp 4), a neural Hawkes cluster (exp 5), and marks by absolute time (exp 6).

  exp1.py alpha                     print the branching ratio of the reading (see docs/iptw.md)
  exp1.py configs OUTDIR            write OUTDIR/c{0,1,2}.json (tpp hawkes configs) and truth.json
  exp1.py merge OUTDIR SPLIT N...   merge OUTDIR/SPLIT-c{k}.jsonl (from `tpp simulate`) into
                                    OUTDIR/SPLIT.jsonl + OUTDIR/SPLIT.users.jsonl (category, [0, T])
  exp1.py randomize OUTDIR SPLIT    OUTDIR/SPLIT-random.{jsonl,users.jsonl}: the same events with
                                    categories drawn uniformly at random (R-NH, R-RMTPP; seed 0)
  exp1.py per-user-betas OUTDIR SPLIT SEED N...
                                    experiment 4: one hawkes config per user with beta drawn from
                                    U[0.4, 0.6], U[0.9, 1.1], U[1.4, 1.6] by cluster, written to
                                    OUTDIR/SPLIT-users/c{k}-{i}.json, and the list of simulations
                                    (config, simulation seed, output) on stdout
  exp1.py gather OUTDIR SPLIT N...  experiment 4: OUTDIR/SPLIT-users/c{k}-{i}.jsonl into
                                    OUTDIR/SPLIT-c{k}.jsonl (user i), for merge
  exp1.py truth-by-user OUTDIR SPLIT N...
                                    experiment 4: OUTDIR/truth.json, {"by_user": ...} for SPLIT
  exp1.py nh-truth OUTDIR           experiment 5: OUTDIR/truth.json with clusters c0, c1 the
                                    hawkes configs of beta 0.5 and 1.0 and c2 the model file nh.tpp
  exp1.py marks OUTDIR SPLIT SEED   experiment 6: the types of OUTDIR/SPLIT-c{k}.jsonl (experiment
                                    1's ground processes) drawn from f(m | t) (MARK_PHASES), in place
  exp1.py marks-truth OUTDIR        experiment 6: OUTDIR/truth.json, the clusters' ground processes
                                    with the mark schedule

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


BETA_RANGES = ((0.4, 0.6), (0.9, 1.1), (1.4, 1.6))  # experiment 4 (appendix H.1)


def randomize(out, split):
    import random
    rng = random.Random(0)
    cats = ["c%d" % k for k in range(len(BETAS))]
    with open(os.path.join(out, split + ".users.jsonl")) as f:
        users = [json.loads(line) for line in f if line.strip()]
    for u in users:
        u["category"] = rng.choice(cats)
    with open(os.path.join(out, split + "-random.users.jsonl"), "w") as f:
        for u in users:
            f.write(json.dumps(u) + "\n")
    with open(os.path.join(out, split + ".jsonl")) as src, open(os.path.join(out, split + "-random.jsonl"), "w") as dst:
        dst.write(src.read())


def per_user_betas(out, split, seed, counts):
    import random
    rng = random.Random(seed)
    alpha = reading_alpha()
    folder = os.path.join(out, split + "-users")
    os.makedirs(folder, exist_ok=True)
    for k, n in enumerate(counts):
        lo, hi = BETA_RANGES[k]
        for i in range(n):
            cfg = {"model": "hawkes", "mu": [MU], "alpha": [[alpha]], "beta": rng.uniform(lo, hi)}
            path = os.path.join(folder, "c%d-%d" % (k, i))
            with open(path + ".json", "w") as f:
                json.dump(cfg, f)
            # One simulation seed per user: the split's seed, the cluster and the user's index.
            print("%s.json %d %s.jsonl" % (path, seed * 1000000 + k * 10000 + i, path))


def gather(out, split, counts):
    folder = os.path.join(out, split + "-users")
    for k, n in enumerate(counts):
        with open(os.path.join(out, "%s-c%d.jsonl" % (split, k)), "w") as dst:
            for i in range(n):
                with open(os.path.join(folder, "c%d-%d.jsonl" % (k, i))) as src:
                    for line in src:
                        if line.strip():
                            r = json.loads(line)
                            r["user"] = str(i)
                            dst.write(json.dumps(r) + "\n")


def truth_by_user(out, split, counts):
    folder = os.path.join(out, split + "-users")
    truth = {}
    for k, n in enumerate(counts):
        for i in range(n):
            with open(os.path.join(folder, "c%d-%d.json" % (k, i))) as f:
                truth["c%d-%d" % (k, i)] = json.load(f)
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump({"by_user": truth}, f)


# Experiment 6 (appendix H.1): f(1|t) = 0.8 for t <= 40, f(2|t) = 0.8 for 40 < t <= 80, f(0|t) =
# 0.2 for t <= 80 and 1 after.
MARK_PHASES = [{"until": 40.0, "p": [0.2, 0.8, 0.0]}, {"until": 80.0, "p": [0.2, 0.0, 0.8]}, {"p": [1.0, 0.0, 0.0]}]


def marks(out, split, seed):
    import random
    rng = random.Random(seed)
    for k in range(len(BETAS)):
        path = os.path.join(out, "%s-c%d.jsonl" % (split, k))
        with open(path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        for r in rows:
            phase = next(p for p in MARK_PHASES if "until" not in p or r["time"] <= p["until"])
            r["type"] = str(rng.choices(range(3), weights=phase["p"])[0])
        with open(path, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")


def marks_truth(out):
    with open(os.path.join(out, "truth.json")) as f:
        truth = json.load(f)
    truth["mark_schedule"] = {"types": ["0", "1", "2"], "phases": MARK_PHASES}
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)


def nh_truth(out):
    alpha = reading_alpha()
    truth = {"c%d" % k: {"model": "hawkes", "mu": [MU], "alpha": [[alpha]], "beta": b} for k, b in enumerate(BETAS[:2])}
    for k in range(2):
        with open(os.path.join(out, "c%d.json" % k), "w") as f:
            json.dump(truth["c%d" % k], f)
    truth["c2"] = "nh.tpp"
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump({"by_category": truth}, f, indent=1)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "alpha":
        print(reading_alpha())
    elif len(sys.argv) == 3 and sys.argv[1] == "configs":
        configs(sys.argv[2])
    elif len(sys.argv) >= 5 and sys.argv[1] == "merge":
        merge(sys.argv[2], sys.argv[3], [int(n) for n in sys.argv[4:]])
    elif len(sys.argv) == 4 and sys.argv[1] == "randomize":
        randomize(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 6 and sys.argv[1] == "per-user-betas":
        per_user_betas(sys.argv[2], sys.argv[3], int(sys.argv[4]), [int(n) for n in sys.argv[5:]])
    elif len(sys.argv) >= 5 and sys.argv[1] == "gather":
        gather(sys.argv[2], sys.argv[3], [int(n) for n in sys.argv[4:]])
    elif len(sys.argv) >= 5 and sys.argv[1] == "truth-by-user":
        truth_by_user(sys.argv[2], sys.argv[3], [int(n) for n in sys.argv[4:]])
    elif len(sys.argv) == 3 and sys.argv[1] == "nh-truth":
        nh_truth(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "marks":
        marks(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) == 3 and sys.argv[1] == "marks-truth":
        marks_truth(sys.argv[2])
    else:
        sys.exit(__doc__)

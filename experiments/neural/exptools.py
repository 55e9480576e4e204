#!/usr/bin/env python3
"""Helpers of experiments/run_all.sh (Python 3 standard library only).

  exptools.py split TIME EVENT OUTDIR [--parts train,dev,test] [--fractions 0.6,0.2,0.2] [--seed 1]
                    [--time-unit 1]
      Split an RMTPP pair by sequence: lines are shuffled with random.Random(seed), cut in the given
      proportions, and each part keeps the original line order. Times are divided by --time-unit.
      Writes OUTDIR/time-<part>.txt, OUTDIR/event-<part>.txt and OUTDIR/split.json (line numbers).
  exptools.py merge BASE.json OVERRIDES.json MODEL
      Print BASE deep-merged with OVERRIDES["*"] then OVERRIDES[MODEL] (a missing file is empty).
  exptools.py with-train CONFIG_JSON TRAIN_JSON
      Print the inline config with its "train" object replaced.
  exptools.py to-jsonl TIME OUT.jsonl --num-types K --schema-out S.json
      RMTPP pair -> event-log JSONL in which each sequence's first event is a stimulus of type
      "first-<k>": it conditions the history and opens the window but is never scored (a sequence
      read without a window starts at its first event, where any model could put unbounded density).
  exptools.py to-easytpp IN OUT.json [--split KEY]
      A Gatech pickle (IN.pkl) or a `tpp simulate` JSONL (IN.jsonl, window from 0) -> EasyTPP JSON
      whose first gap starts at 0, so the window is [0, last event] as in the generator's log_lik.
  exptools.py scale DATA [--per-type K]
      Events per unit time of DATA (JSONL with windows from the first event, or EasyTPP JSON with
      windows from 0), i.e. the factor `tpp train --time-scale auto` picks; divided by K with
      --per-type (one event per unit *per type*, the scale SAHP needs, see docs/experiments.md).
  exptools.py collect OUT
      Markdown tables from the `evaluate --json`, `train --json` and timing files under OUT.
"""
import argparse
import glob
import json
import math
import os
import random
import sys


def fail(msg):
    sys.stderr.write("exptools: error: %s\n" % msg)
    sys.exit(2)


# ---------------------------------------------------------------------------------------- split
def read_lines(path):
    try:
        with open(path) as f:
            return [line.split() for line in f if line.strip()]
    except OSError as e:
        fail("%s: %s" % (path, e))


def split(a):
    times, events = read_lines(a.time_file), read_lines(a.event_file)
    if len(times) != len(events):
        fail("%s and %s have %d and %d sequences" % (a.time_file, a.event_file, len(times), len(events)))
    for n, (t, e) in enumerate(zip(times, events)):
        if len(t) != len(e):
            fail("%s:%d: %d times but %d events" % (a.time_file, n + 1, len(t), len(e)))
    parts = a.parts.split(",")
    fractions = [float(x) for x in a.fractions.split(",")]
    if len(parts) != len(fractions) or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        fail("--fractions must be positive, one per part, and sum to 1")
    if not a.time_unit > 0:
        fail("--time-unit must be positive")
    order = list(range(len(times)))
    random.Random(a.seed).shuffle(order)
    cuts, acc = [0], 0.0
    for f in fractions:
        acc += f
        cuts.append(int(round(acc * len(order))))
    os.makedirs(a.out_dir, exist_ok=True)
    manifest = {"source": [a.time_file, a.event_file], "seed": a.seed,
                "fractions": dict(zip(parts, fractions)), "time_unit": a.time_unit, "lines": {}}
    for p, lo, hi in zip(parts, cuts, cuts[1:]):
        rows = sorted(order[lo:hi])
        manifest["lines"][p] = [r + 1 for r in rows]
        with open(os.path.join(a.out_dir, "time-%s.txt" % p), "w") as ft, \
                open(os.path.join(a.out_dir, "event-%s.txt" % p), "w") as fe:
            for r in rows:
                if a.time_unit == 1:
                    ft.write(" ".join(times[r]) + "\n")
                else:
                    ft.write(" ".join(repr(float(x) / a.time_unit) for x in times[r]) + "\n")
                fe.write(" ".join(events[r]) + "\n")
        sys.stdout.write("%s/%s: %d sequences, %d events\n"
                         % (a.out_dir, p, len(rows), sum(len(times[r]) for r in rows)))
    with open(os.path.join(a.out_dir, "split.json"), "w") as f:
        json.dump(manifest, f)
        f.write("\n")


# ---------------------------------------------------------------------------------------- merge
def deep_merge(base, extra):
    out = dict(base)
    for k, v in extra.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_json(path, missing_ok=False):
    if missing_ok and not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        fail("%s: %s" % (path, e))


def merge(a):
    cfg = load_json(a.base)
    over = load_json(a.overrides, missing_ok=True)
    for key in ("*", a.model):
        cfg = deep_merge(cfg, over.get(key, {}))
    print(json.dumps(cfg))


def with_train(a):
    cfg = json.loads(a.config)
    cfg["train"] = json.loads(a.train)
    print(json.dumps(cfg))


# ---------------------------------------------------------------------------------- conversions
def to_jsonl(a):
    time_file = a.time_file
    event_file = os.path.join(os.path.dirname(time_file), os.path.basename(time_file).replace("time", "event", 1))
    times, events = read_lines(time_file), read_lines(event_file)
    if len(times) != len(events):
        fail("%s and %s differ in length" % (time_file, event_file))
    with open(a.out, "w") as f:
        for n, (ts, ks) in enumerate(zip(times, events)):
            if len(ts) != len(ks):
                fail("%s:%d: %d times but %d events" % (time_file, n + 1, len(ts), len(ks)))
            for i, (t, k) in enumerate(zip(ts, ks)):
                k = int(k) - 1
                if not 0 <= k < a.num_types:
                    fail("%s:%d: type %d outside [1, %d]" % (event_file, n + 1, k + 1, a.num_types))
                row = {"user": n, "time": float(t), "type": ("first-%d" % k) if i == 0 else str(k)}
                if i == 0:
                    row["stimulus"] = True
                f.write(json.dumps(row) + "\n")
    if a.schema_out:
        with open(a.schema_out, "w") as f:
            json.dump({"action_names": [str(k) for k in range(a.num_types)],
                       "stimulus_names": ["first-%d" % k for k in range(a.num_types)]}, f)
            f.write("\n")


def to_easytpp(a):
    if a.input.endswith(".pkl"):
        import pickle
        with open(a.input, "rb") as f:
            data = pickle.load(f, encoding="latin-1")
        key = a.split or next(k for k in ("train", "dev", "test") if k in data)
        seqs = [[{"time_since_start": float(e["time_since_start"]),
                  "time_since_last_event": float(e["time_since_last_event"]),
                  "type_event": int(e["type_event"])} for e in s] for s in data[key]]
        dim = int(data["dim_process"])
    else:
        users, dim = {}, 0
        with open(a.input) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    users.setdefault(r["user"], []).append((float(r["time"]), int(r["type"])))
                    dim = max(dim, int(r["type"]) + 1)
        dim = max(dim, a.num_types or 0)
        seqs = []
        for evs in users.values():
            prev, seq = 0.0, []
            for t, k in evs:
                seq.append({"time_since_start": t, "time_since_last_event": t - prev, "type_event": k})
                prev = t
            seqs.append(seq)
    with open(a.out, "w") as f:
        json.dump({"dim_process": dim, "data": seqs}, f)
    sys.stdout.write("%s: %d sequences, %d events, %d types -> %s\n"
                     % (a.input, len(seqs), sum(len(s) for s in seqs), dim, a.out))


def scale(a):
    actions, span = 0, 0.0
    if a.data.endswith(".json"):
        with open(a.data) as f:
            d = json.load(f)
        for seq in d["data"]:
            actions += len(seq)
            span += seq[-1]["time_since_start"] - (seq[0]["time_since_start"] - seq[0]["time_since_last_event"])
    else:
        users = {}
        with open(a.data) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    users.setdefault(r["user"], []).append(float(r["time"]))
                    actions += 0 if r.get("stimulus") else 1
        span = sum(max(t) - min(t) for t in users.values())
    print(repr(actions / span / (a.per_type or 1)))


# -------------------------------------------------------------------------------------- collect
MODELS = ["poisson", "hawkes", "rmtpp", "nhp", "thp", "sahp", "attnhp"]


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def train_summary(path):
    """Last line of `train --json` output: the run summary (time scale, epochs)."""
    try:
        with open(path) as f:
            lines = [l for l in f if l.strip()]
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def timings(out):
    t = {}
    try:
        with open(os.path.join(out, "timings.jsonl")) as f:
            for line in f:
                row = json.loads(line)
                t[row["name"]] = row["seconds"]  # a rerun overwrites
    except OSError:
        pass
    return t


def ll_file_units(ev, summary):
    """LL/event in the data file's time unit: evaluate reports model units, t_model = scale * t_file,
    so log densities per file unit are larger by log(scale)."""
    ll = ev.get("log_likelihood_per_event")
    if ll is None:
        return None
    scale = 1.0
    if summary and summary.get("time_scale"):
        scale = float(summary["time_scale"].get("scale", 1.0))
    return ll + math.log(scale)


def fmt(x, digits=3):
    if x is None:
        return "NaN"
    if isinstance(x, float) and (math.isinf(x) or abs(x) >= 1e6):
        return "%.2e" % x
    return "%.*f" % (digits, x)


def row_for(out, tim, d, m):
    ev = read_json(os.path.join(d, m + ".eval.json"))
    if ev is None:
        return None
    summ = train_summary(os.path.join(d, m + ".train.jsonl"))
    base = os.path.relpath(os.path.join(d, m), start=os.getcwd())
    tt = tim.get(base + ".train")
    te = tim.get(base + ".eval")
    return {"ev": ev, "summary": summ, "ll": ll_file_units(ev, summ), "train_s": tt, "eval_s": te}


def prediction_cells(ev):
    """RMSE, accuracy, top-5; predictions of unconverged intervals (a next-event distribution with
    mass at infinity) carry an unbounded expected time and NaN type probabilities, so the metrics
    are shown as invalid there."""
    if "failed" in ev:
        return ["failed"] * 3
    if "timed_out" in ev:
        return ["timeout"] * 3
    n_bad, n = ev.get("num_unconverged", 0), ev.get("num_targets", 0)
    if n_bad:
        tag = "invalid (%d/%d unconverged)" % (n_bad, n)
        return [tag, tag, tag]
    return [fmt(ev.get("time_rmse")), fmt(ev.get("type_accuracy")), fmt(ev.get("top_k_accuracy"))]


def secs(x):
    return fmt(x, 1) if x is not None else "-"


def metrics_table(out, tim, d, models):
    lines = ["| model | LL/event | RMSE | accuracy | top-5 | epochs (best) | train s | eval s |",
             "|---|---|---|---|---|---|---|---|"]
    for m in models:
        r = row_for(out, tim, d, m)
        if r is None:
            continue
        ev, s = r["ev"], r["summary"] or {}
        epochs = "%s (%s)" % (s.get("epochs", "-"), s.get("best_epoch", "-"))
        ll = "failed" if "failed" in ev else "timeout" if "timed_out" in ev else fmt(r["ll"])
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            m, ll, " | ".join(prediction_cells(ev)), epochs, secs(r["train_s"]), secs(r["eval_s"])))
    return lines


def collect(a):
    out = a.out
    tim = timings(out)
    doc = ["# Experiment results (generated by experiments/neural/exptools.py collect)", ""]
    doc.append("LL/event: nats per user action, times in the data file's unit after the split "
               "(MIMIC-II: file unit; so_badges: days; synthetic: simulation unit). "
               "RMSE in the same unit. Accuracy/top-5: next-event type.")
    doc.append("")
    for ds in ("mimic2", "so_badges"):
        d = os.path.join(out, "real", ds)
        if os.path.isdir(d):
            doc += ["## %s" % ds, ""] + metrics_table(out, tim, d, MODELS) + [""]
    r = os.path.join(out, "recovery")
    if os.path.isdir(r):
        doc += ["## Recovery", ""]
        for sub, title in (("hawkes_data", "data from a 3-type exponential Hawkes process"),
                           ("nhp_data", "data from a neural Hawkes process")):
            d = os.path.join(r, sub)
            truth = read_json(os.path.join(d, "truth.eval.json"))
            if truth is None:
                continue
            t = truth["log_likelihood_per_event"]
            tt = tim.get(os.path.relpath(os.path.join(d, "truth"), start=os.getcwd()) + ".eval")
            doc += ["### %s" % title, "",
                    "| model | held-out LL/event | minus truth | RMSE | accuracy | train s | eval s |",
                    "|---|---|---|---|---|---|---|",
                    "| truth (generator) | %s | 0 | %s | %s | - | %s |" % (
                        fmt(t, 4), fmt(truth.get("time_rmse")), fmt(truth.get("type_accuracy")), secs(tt))]
            for m in ("hawkes", "nhp"):
                rr = row_for(out, tim, d, m)
                if rr is not None and rr["ll"] is not None and "timed_out" not in rr["ev"]:
                    cells = prediction_cells(rr["ev"])
                    doc.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                        m, fmt(rr["ll"], 4), fmt(rr["ll"] - t, 4), cells[0], cells[1],
                        secs(rr["train_s"]), secs(rr["eval_s"])))
            doc.append("")
    an = os.path.join(out, "anhp")
    if os.path.isdir(an):
        truth = read_json(os.path.join(an, "data", "test.truth.json"))
        doc += ["## anhp_synthetic (test split)", ""]
        if truth:
            true_ll = sum(truth["log_lik"]) / float(sum(truth["num_events"]))
            doc += ["True log-likelihood per event from the file's `log_lik`: %s" % fmt(true_ll, 4), ""]
        else:
            true_ll = None
        doc += ["| model | LL/event | minus truth | RMSE | accuracy | top-5 | train s | eval s |",
                "|---|---|---|---|---|---|---|---|"]
        for m in MODELS:
            rr = row_for(out, tim, an, m)
            if rr is None:
                continue
            ev = rr["ev"]
            if "timed_out" in ev or "failed" in ev:
                doc.append("| %s | timeout/failed | | | | | %s | %s |" % (m, secs(rr["train_s"]), secs(rr["eval_s"])))
                continue
            gap = rr["ll"] - true_ll if (true_ll is not None and rr["ll"] is not None) else None
            doc.append("| %s | %s | %s | %s | %s | %s |" % (
                m, fmt(rr["ll"], 4), fmt(gap, 4), " | ".join(prediction_cells(ev)),
                secs(rr["train_s"]), secs(rr["eval_s"])))
        doc.append("")
    print("\n".join(doc))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("split")
    s.add_argument("time_file")
    s.add_argument("event_file")
    s.add_argument("out_dir")
    s.add_argument("--parts", default="train,dev,test")
    s.add_argument("--fractions", default="0.6,0.2,0.2")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--time-unit", type=float, default=1.0)
    s.set_defaults(fn=split)
    s = sub.add_parser("merge")
    s.add_argument("base")
    s.add_argument("overrides")
    s.add_argument("model")
    s.set_defaults(fn=merge)
    s = sub.add_parser("with-train")
    s.add_argument("config")
    s.add_argument("train")
    s.set_defaults(fn=with_train)
    s = sub.add_parser("to-jsonl")
    s.add_argument("time_file")
    s.add_argument("out")
    s.add_argument("--num-types", type=int, required=True)
    s.add_argument("--schema-out")
    s.set_defaults(fn=to_jsonl)
    s = sub.add_parser("to-easytpp")
    s.add_argument("input")
    s.add_argument("out")
    s.add_argument("--split")
    s.add_argument("--num-types", type=int)
    s.set_defaults(fn=to_easytpp)
    s = sub.add_parser("scale")
    s.add_argument("data")
    s.add_argument("--per-type", type=int)
    s.set_defaults(fn=scale)
    s = sub.add_parser("collect")
    s.add_argument("out")
    s.set_defaults(fn=collect)
    a = ap.parse_args(argv)
    a.fn(a)


if __name__ == "__main__":
    main()

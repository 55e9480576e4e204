#!/usr/bin/env python3
"""Convert a Gatech-layout pickle (anhp-andtt / neural Hawkes data) to tpp's JSONL event log.

The pickle is a dict with `dim_process` and one split key (`train`, `dev` or `test`) holding a
list of sequences, each a list of event dicts with `time_since_start`, `time_since_last_event` and
0-based `type_event`. Writes, for `--out PREFIX`:

  PREFIX.jsonl         one event per line: {"user": "<split>-<n>", "time": t, "type": k}
  PREFIX.users.jsonl   one user per line with its window [t_start, t_end]: t_start is where the
                       first gap starts (0 for these files), t_end the last event time
  PREFIX.schema.json   {"num_action_types": dim_process}
  PREFIX.truth.json    the generator's ground truth when present: {"log_lik": [...per sequence...],
                       "num_events": [...], "log_intensity": [[...per event...]]}

Python 3 standard library only. Usage: gatech_to_jsonl.py IN.pkl --out PREFIX [--split KEY]
"""
import argparse
import json
import math
import pickle
import sys

SPLITS = ("train", "dev", "test")


def fail(msg):
    sys.stderr.write("gatech_to_jsonl: error: %s\n" % msg)
    sys.exit(2)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("--out", required=True, help="output prefix")
    ap.add_argument("--split", help="key holding the sequences (default: the one of train/dev/test present)")
    args = ap.parse_args(argv)

    try:
        with open(args.input, "rb") as f:
            data = pickle.load(f, encoding="latin-1")  # Python 2 protocol-2 pickles
    except (OSError, pickle.UnpicklingError, EOFError) as e:
        fail("%s: cannot read pickle: %s" % (args.input, e))
    if not isinstance(data, dict) or "dim_process" not in data:
        fail("%s: expected a dict with dim_process" % args.input)
    key = args.split or next((k for k in SPLITS if k in data), None)
    if key is None or key not in data:
        fail("%s: no split key (%s)" % (args.input, ", ".join(SPLITS)))
    dim = int(data["dim_process"])
    seqs = data[key]

    events_out, users_out = [], []
    log_intensity = []
    for n, seq in enumerate(seqs):
        if not seq:
            fail("%s: %s[%d]: empty sequence" % (args.input, key, n))
        user = "%s-%d" % (key, n)
        prev = None
        li = []
        for i, e in enumerate(seq):
            t = float(e["time_since_start"])
            k = int(e["type_event"])
            if not math.isfinite(t) or t < 0:
                fail("%s: %s[%d][%d]: bad time_since_start %r" % (args.input, key, n, i, t))
            if prev is not None and t < prev:
                fail("%s: %s[%d][%d]: time decreases" % (args.input, key, n, i))
            if not 0 <= k < dim:
                fail("%s: %s[%d][%d]: type_event %d outside [0, %d)" % (args.input, key, n, i, k, dim))
            events_out.append(json.dumps({"user": user, "time": t, "type": k}))
            if "log_intensity" in e:
                li.append(float(e["log_intensity"]))
            prev = t
        first = float(seq[0]["time_since_start"])
        start = max(0.0, first - float(seq[0].get("time_since_last_event", 0.0)))
        users_out.append(json.dumps({"user": user, "t_start": start, "t_end": prev}))
        log_intensity.append(li)

    with open(args.out + ".jsonl", "w") as f:
        f.write("\n".join(events_out) + "\n")
    with open(args.out + ".users.jsonl", "w") as f:
        f.write("\n".join(users_out) + "\n")
    with open(args.out + ".schema.json", "w") as f:
        json.dump({"num_action_types": dim}, f)
        f.write("\n")
    truth = {}
    if "log_lik" in data:
        # Stored as (log-likelihood, number of events) per sequence.
        truth["log_lik"] = [float(v[0]) if isinstance(v, (tuple, list)) else float(v) for v in data["log_lik"]]
        truth["num_events"] = [int(v[1]) if isinstance(v, (tuple, list)) else len(s) for v, s in zip(data["log_lik"], seqs)]
    if any(log_intensity):
        truth["log_intensity"] = log_intensity
    if truth:
        with open(args.out + ".truth.json", "w") as f:
            json.dump(truth, f)
            f.write("\n")
    sys.stdout.write("%s: %d sequences, %d events, %d types -> %s.jsonl\n"
                     % (args.input, len(seqs), len(events_out), dim, args.out))


if __name__ == "__main__":
    main()

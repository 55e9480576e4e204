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
import io
import json
import math
import os
import pickle
import sys

SPLITS = ("train", "dev", "test")
MAX_TYPES = 100000  # as tpp's readers: a count beyond it is refused before anything is built


class Failure(Exception):
    """A located error: `where: reason`, reported with exit code 2."""


def fail(msg):
    raise Failure(msg)


class PlainUnpickler(pickle.Unpickler):
    """Gatech pickles hold dicts, lists, numbers and strings only. Refusing every class keeps a
    malformed or hostile pickle from calling arbitrary code while it loads."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError("refuses class %s.%s (a Gatech pickle holds only dicts, lists and numbers)"
                                     % (module, name))


def number(value, where, kind):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail("%s: expected a number, got %r" % (where, type(value).__name__))
    x = float(value) if kind is float else value
    if kind is int and not isinstance(value, int):
        if not (math.isfinite(value) and value == int(value)):
            fail("%s: expected an integer, got %r" % (where, value))
        x = int(value)
    if kind is float and not math.isfinite(x):
        fail("%s: not finite: %r" % (where, value))
    return x


def write_atomically(path, text):
    """The whole file under its name or nothing: a temporary file, fsynced, then renamed."""
    tmp = path + ".tmp"
    try:
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.remove(tmp)
        except OSError:
            pass
        fail("%s: cannot write: %s" % (path, e.strerror or e))


def convert(path, out, split=None):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        fail("%s: cannot read: %s" % (path, e.strerror or e))
    try:
        data = PlainUnpickler(io.BytesIO(raw), encoding="latin-1").load()  # Python 2 protocol-2 pickles
    except Exception as e:  # a corrupt pickle raises almost anything (KeyError, ValueError, ...)
        fail("%s: cannot read pickle: %s: %s" % (path, type(e).__name__, e))
    if not isinstance(data, dict) or "dim_process" not in data:
        fail("%s: expected a dict with dim_process" % path)
    key = split or next((k for k in SPLITS if k in data), None)
    if key is None or key not in data:
        fail("%s: no split key (%s)" % (path, ", ".join(SPLITS)))
    dim = number(data["dim_process"], "%s: dim_process" % path, int)
    if not 1 <= dim <= MAX_TYPES:
        fail("%s: dim_process: must be in [1, %d], got %d" % (path, MAX_TYPES, dim))
    seqs = data[key]
    if not isinstance(seqs, (list, tuple)):
        fail("%s: %s: expected a list of sequences" % (path, key))

    events_out, users_out = [], []
    log_intensity = []
    for n, seq in enumerate(seqs):
        at = "%s: %s[%d]" % (path, key, n)
        if not isinstance(seq, (list, tuple)):
            fail("%s: expected a list of events" % at)
        if not seq:
            fail("%s: empty sequence" % at)
        user = "%s-%d" % (key, n)
        prev = None
        li = []
        for i, e in enumerate(seq):
            here = "%s[%d]" % (at, i)
            if not isinstance(e, dict):
                fail("%s: expected an event dict" % here)
            for field in ("time_since_start", "type_event"):
                if field not in e:
                    fail("%s: %s: missing" % (here, field))
            t = number(e["time_since_start"], here + ": time_since_start", float)
            k = number(e["type_event"], here + ": type_event", int)
            if t < 0:
                fail("%s: time_since_start: negative time %r" % (here, t))
            if prev is not None and t < prev:
                fail("%s: time_since_start: time decreases" % here)
            if not 0 <= k < dim:
                fail("%s: type_event: %d outside [0, %d)" % (here, k, dim))
            events_out.append(json.dumps({"user": user, "time": t, "type": k}))
            if "log_intensity" in e:
                li.append(number(e["log_intensity"], here + ": log_intensity", float))
            prev = t
        first = number(seq[0]["time_since_start"], at + "[0]: time_since_start", float)
        gap = number(seq[0].get("time_since_last_event", 0.0), at + "[0]: time_since_last_event", float)
        start = max(0.0, first - gap)
        users_out.append(json.dumps({"user": user, "t_start": start, "t_end": prev}))
        log_intensity.append(li)

    truth = {}
    if "log_lik" in data:
        # Stored as (log-likelihood, number of events) per sequence.
        lik = data["log_lik"]
        if not isinstance(lik, (list, tuple)) or len(lik) != len(seqs):
            fail("%s: log_lik: expected one entry per sequence of %s" % (path, key))
        truth["log_lik"], truth["num_events"] = [], []
        for n, (v, s) in enumerate(zip(lik, seqs)):
            pair = isinstance(v, (tuple, list)) and len(v) >= 2
            truth["log_lik"].append(number(v[0] if pair else v, "%s: log_lik[%d]" % (path, n), float))
            truth["num_events"].append(number(v[1], "%s: log_lik[%d][1]" % (path, n), int) if pair else len(s))
    if any(log_intensity):
        truth["log_intensity"] = log_intensity

    write_atomically(out + ".jsonl", "\n".join(events_out) + "\n")
    write_atomically(out + ".users.jsonl", "\n".join(users_out) + "\n")
    write_atomically(out + ".schema.json", json.dumps({"num_action_types": dim}) + "\n")
    if truth:
        write_atomically(out + ".truth.json", json.dumps(truth) + "\n")
    return len(seqs), len(events_out), dim


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("--out", required=True, help="output prefix")
    ap.add_argument("--split", help="key holding the sequences (default: the one of train/dev/test present)")
    args = ap.parse_args(argv)
    try:
        seqs, events, dim = convert(args.input, args.out, args.split)
    except Failure as e:
        sys.stderr.write("gatech_to_jsonl: error: %s\n" % e)
        sys.exit(2)
    sys.stdout.write("%s: %d sequences, %d events, %d types -> %s.jsonl\n" % (args.input, seqs, events, dim, args.out))


if __name__ == "__main__":
    main()

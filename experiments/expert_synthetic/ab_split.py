#!/usr/bin/env python3
"""ExPERT's A/B protocol (papers/expert.md, "Evaluation setup"): the users are split at random into
two halves A and B; train = A's whole sequences + the first 70% of B's actions, test = B's whole
sequences, of which `tpp evaluate --target-last 0.3` scores the last 30% of actions, each from its
full history.

    ab_split.py LOG.jsonl OUT_PREFIX SEED [TEST_FRACTION]
    ab_split.py --actions LOG.jsonl     (only LOG_actions.*: the log without its stimuli, e.g. a dev set)

Reads LOG.jsonl with its companions LOG.users.jsonl and LOG.schema.json (as `tpp generate` writes
them) and writes OUT_PREFIX_train.* and OUT_PREFIX_test.* with the same companions, and the same
two parts without their stimuli (OUT_PREFIX_train_actions.*, OUT_PREFIX_test_actions.*): the data
of a baseline that does not know the stimuli exist, as the paper's THP. A B user's
training prefix keeps every event up to its last history action, and its window ends there (the
time after it belongs to the test part), as tpp's expert_split does (data/split.h).
"""
import json
import math
import os
import random
import shutil
import sys


def companions(path):
    stem = path[: -len(".jsonl")]
    return stem + ".users.jsonl", stem + ".schema.json"


def write_rows(path, rows):
    # Through a temporary file and a rename, so a run reading the old file never sees half of one.
    with open(path + ".tmp", "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    os.replace(path + ".tmp", path)


def write(prefix, events, users, schema_path):
    users_path, schema_out = companions(prefix + ".jsonl")
    shutil.copyfile(schema_path, schema_out + ".tmp")
    os.replace(schema_out + ".tmp", schema_out)
    write_rows(users_path, users)
    write_rows(prefix + ".jsonl", events)


def without_stimuli(rows):
    return [r for r in rows if not r.get("stimulus", False)]


def main():
    if sys.argv[1] == "--actions":
        log = sys.argv[2]
        users_path, schema_path = companions(log)
        rows = [json.loads(line) for line in open(log)]
        users = [json.loads(line) for line in open(users_path)]
        write(log[: -len(".jsonl")] + "_actions", without_stimuli(rows), users, schema_path)
        return
    log, prefix, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    test_fraction = float(sys.argv[4]) if len(sys.argv) > 4 else 0.3
    users_path, schema_path = companions(log)
    users = [json.loads(line) for line in open(users_path)]
    by_user = {u["user"]: [] for u in users}
    for line in open(log):
        row = json.loads(line)
        by_user[row["user"]].append(row)
    order = [u["user"] for u in users]
    random.Random(seed).shuffle(order)
    b_users = set(order[len(order) // 2:])

    train_events, train_users, test_events, test_users = [], [], [], []
    for user in users:
        name = user["user"]
        events = sorted(by_user[name], key=lambda r: r["time"])
        if name not in b_users:
            train_events += events
            train_users.append(user)
            continue
        test_events += events
        test_users.append(user)
        actions = [i for i, r in enumerate(events) if not r.get("stimulus", False)]
        # The same count `tpp evaluate --target-last` keeps as history: floor((1 − f)·a).
        history = math.floor((1 - test_fraction) * len(actions) + 1e-9)
        if history == 0:
            continue  # nothing of this user's to train on
        last = actions[history - 1]
        train_events += events[: last + 1]
        prefix_user = dict(user)
        prefix_user["t_end"] = events[last]["time"]
        train_users.append(prefix_user)
    write(prefix + "_train", train_events, train_users, schema_path)
    write(prefix + "_test", test_events, test_users, schema_path)
    write(prefix + "_train_actions", without_stimuli(train_events), train_users, schema_path)
    write(prefix + "_test_actions", without_stimuli(test_events), test_users, schema_path)
    print(json.dumps({"train_users": len(train_users), "test_users": len(test_users),
                      "train_events": len(train_events), "test_events": len(test_events)}))


if __name__ == "__main__":
    main()

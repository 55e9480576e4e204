#!/usr/bin/env python3
"""A new-user task from real data for the IPTW models (docs/iptw.md): Stack Overflow badge awards
(../shared/data/so_badges, RMTPP text), each user's category derived from the first badge it was
awarded, the users who joined last held out as the new users.

  real.py prepare TIME_FILE EVENT_FILE OUTDIR    write OUTDIR/{train,test}.jsonl and their users
                                                 files (train with categories, test without)

Choices, fixed before any run: times in days since the user's first badge (window [0, last
badge]); category = the type of the first badge if it is one of the two most common first badges,
else "other" (three categories, as the paper's three clusters); the 30% of users whose first
badge came last (in absolute time) are the new users. Python 3 standard library only.
"""
import collections
import json
import os
import sys

DAY = 86400.0
NEW_SHARE = 0.3


def read_pairs(time_path, event_path):
    with open(time_path) as ft, open(event_path) as fe:
        for n, (tl, el) in enumerate(zip(ft, fe)):
            times, types = [float(x) for x in tl.split()], [int(x) for x in el.split()]
            if times:
                yield str(n), times, types


def prepare(time_path, event_path, out):
    users = list(read_pairs(time_path, event_path))
    first = collections.Counter(types[0] for _, _, types in users)
    top = [t for t, _ in first.most_common(2)]
    names = {t: "first-%d" % (t - 1) for t in top}  # tpp names RMTPP type t as "t - 1"
    users.sort(key=lambda u: u[1][0])  # by the time of the first badge
    cut = int(round(len(users) * (1 - NEW_SHARE)))
    os.makedirs(out, exist_ok=True)
    counts = collections.Counter()
    for split, part in (("train", users[:cut]), ("test", users[cut:])):
        with open(os.path.join(out, split + ".jsonl"), "w") as ev, \
                open(os.path.join(out, split + ".users.jsonl"), "w") as us:
            for user, times, types in part:
                t0 = times[0]
                for t, k in zip(times, types):
                    ev.write(json.dumps({"user": user, "time": (t - t0) / DAY, "type": str(k - 1)}) + "\n")
                row = {"user": user, "t_start": 0.0, "t_end": (times[-1] - t0) / DAY}
                category = names.get(types[0], "other")
                counts[split, category] += 1
                if split == "train":  # new users come without a category
                    row["category"] = category
                us.write(json.dumps(row) + "\n")
    # The schema names every type, so the new users' file reads against the same 22 names.
    with open(os.path.join(out, "schema.json"), "w") as f:
        json.dump({"action_names": [str(k) for k in range(max(k for _, _, ts in users for k in ts))]}, f)
    summary = {"users": len(users), "train_users": cut, "test_users": len(users) - cut,
               "first_badge_counts": {str(k - 1): c for k, c in first.most_common()},
               "categories": {"%s/%s" % key: c for key, c in sorted(counts.items())}}
    json.dump(summary, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)

#!/usr/bin/env python3
"""A rank killed mid-training ends its group with a clear error, within a bound, never a hang.

usage: launch_test.py TPP_BINARY

1. Two `tpp train` ranks started by hand: rank 1 is killed with SIGKILL after the first epoch;
   rank 0 must exit with code 2 and a message naming itself and the failed exchange.
2. `tpp launch -n 2`: one child is killed; the launcher must stop the other, name the killed
   rank, and exit non-zero, leaving no child behind.
3. SIGTERM to the launcher is forwarded: every rank stops, the launcher fails.
4. SIGKILL to the launcher (nothing to forward): the ranks stop all the same.
Every wait is bounded (BOUND seconds), so the test stops by itself.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

TPP = sys.argv[1]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
MIMIC = os.path.join(ROOT, "data", "mimic2")
BOUND = 30  # seconds any rank may take to notice a dead peer (the collective timeout below is 60)
CONFIG = json.dumps({"model": "rmtpp", "hidden": 8, "train": {"epochs": 100000, "patience": 0, "batch_size": 32}})


def train_args(out):
    return [TPP, "train", "--config", CONFIG, "--schema", os.path.join(MIMIC, "schema.json"),
            "--train", os.path.join(MIMIC, "time-1-train.txt"), "-o", out, "--threads", "1", "--json",
            "--collective-timeout", "60"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_first_epoch(proc):
    line = proc.stdout.readline()  # rank 0's first epoch record
    if not line:
        sys.exit("FAIL: training ended before its first epoch: " + proc.stderr.read())
    json.loads(line)


def wait_exit(proc, what):
    try:
        return proc.wait(timeout=BOUND)
    except subprocess.TimeoutExpired:
        proc.kill()
        sys.exit(f"FAIL: {what} still running {BOUND} s after a rank died")


def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def check(condition, message):
    if not condition:
        sys.exit("FAIL: " + message)


def by_hand(tmp):
    master = f"127.0.0.1:{free_port()}"
    ranks = [subprocess.Popen(train_args(os.path.join(tmp, "hand.tpp")) +
                              ["--world-size", "2", "--rank", str(r), "--master", master],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in (0, 1)]
    wait_for_first_epoch(ranks[0])
    ranks[1].kill()
    began = time.monotonic()
    code = wait_exit(ranks[0], "rank 0")
    err = ranks[0].stderr.read()
    ranks[1].wait()
    check(code == 2, f"rank 0 exited with {code}, expected 2: {err}")
    check("rank 0 of 2" in err and "failed" in err, "rank 0's error does not say what failed: " + err)
    print(f"by hand: rank 0 stopped {time.monotonic() - began:.2f} s after rank 1 was killed: {err.strip()}")


def launched_group(tmp, name):
    """`tpp launch -n 2` of a training into tmp/name, once its first epoch is done: (launcher, rank pids)."""
    launcher = subprocess.Popen([TPP, "launch", "-n", "2", "--"] + train_args(os.path.join(tmp, name)),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_first_epoch(launcher)
    return launcher, children(launcher.pid)


def under_launch(tmp):
    launcher, ranks = launched_group(tmp, "launch.tpp")
    check(len(ranks) == 2, f"launch started {ranks}, expected two processes")
    os.kill(ranks[1], signal.SIGKILL)
    began = time.monotonic()
    code = wait_exit(launcher, "tpp launch")
    err = launcher.stderr.read()
    check(code != 0, "tpp launch succeeded although a rank was killed")
    check("rank 1 of 2 was killed by signal 9" in err, "the launcher does not name the killed rank: " + err)
    check(not any(alive(p) for p in ranks), "a rank outlived its launcher")
    print(f"launch: group stopped {time.monotonic() - began:.2f} s after rank 1 was killed, exit {code}")


def forwarded_signal(tmp):
    launcher, ranks = launched_group(tmp, "term.tpp")
    launcher.send_signal(signal.SIGTERM)
    code = wait_exit(launcher, "tpp launch after SIGTERM")
    err = launcher.stderr.read()
    check(code != 0, "tpp launch succeeded although it was stopped")
    check("forwarded" in err, "the launcher does not say the signal was forwarded: " + err)
    check(not any(alive(p) for p in ranks), "a rank outlived its launcher")
    print(f"SIGTERM: every rank stopped, exit {code}")


def killed_launcher(tmp):
    launcher, ranks = launched_group(tmp, "orphan.tpp")
    launcher.kill()
    launcher.wait()
    deadline = time.monotonic() + BOUND
    while any(alive(p) for p in ranks) and time.monotonic() < deadline:
        time.sleep(0.1)
    check(not any(alive(p) for p in ranks), "ranks outlived a launcher killed with SIGKILL")
    print("SIGKILL to the launcher: every rank stopped")


with tempfile.TemporaryDirectory() as tmp:
    by_hand(tmp)
    under_launch(tmp)
    forwarded_signal(tmp)
    killed_launcher(tmp)
print("ok")

#!/usr/bin/env python3
"""Seeded mutation fuzzer for tools/gatech_to_jsonl.py, the one reader written in Python (the C++
readers are fuzzed by tpp_fuzz). Each input is a pickle of tests/fuzz/corpus/gatech/ with one to
four mutations (bit flips, byte inserts, deletes, duplicated ranges, truncation, awkward numbers
written over protocol-2 number opcodes); the converter runs in-process and the outcome is
  ok         converted
  located    its error names the file and a key or position ("PATH: train[3][0]: type_event: ...")
             or the whole file ("PATH: cannot read pickle: ...")
  internal   any other exception (a traceback for the user)
Exit code 0 only when no input was internal. Usage:
  fuzz_gatech.py [--inputs N] [--seed S] [--corpus DIR]
"""
import argparse
import importlib.util
import json
import os
import random
import resource
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("gatech_to_jsonl", os.path.join(HERE, "..", "..", "tools", "gatech_to_jsonl.py"))
gatech = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gatech)

AWKWARD = [1e309, -1e308, float("nan"), float("inf"), -1.0, 0.0, 2e9, 1.5, 2 ** 31, -(2 ** 31)]


def mutate(data, rng):
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        if op == 0 and b:
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        elif op == 1:
            b.insert(rng.randrange(len(b) + 1), rng.randrange(256))
        elif op == 2 and b:
            at = rng.randrange(len(b))
            del b[at:at + rng.randint(1, 8)]
        elif op == 3 and b:
            at = rng.randrange(len(b))
            part = b[at:at + rng.randint(1, 32)]
            pos = rng.randrange(len(b) + 1)
            b[pos:pos] = part
        elif op == 4 and b:
            del b[rng.randrange(len(b)):]
        else:
            # A BINFLOAT opcode ('G' + 8 bytes) rewritten with an awkward value.
            floats = [i for i in range(len(b) - 8) if b[i] == ord("G")]
            if floats:
                i = rng.choice(floats)
                b[i + 1:i + 9] = struct.pack(">d", rng.choice(AWKWARD))
    return bytes(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus", "gatech"))
    args = ap.parse_args()
    # A mutated length field can ask the unpickler for gigabytes: a bounded address space turns
    # that into a MemoryError at once (reported as an unreadable pickle) instead of swapping.
    limit = 2 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    corpus = [open(os.path.join(args.corpus, n), "rb").read() for n in sorted(os.listdir(args.corpus))]
    rng = random.Random(args.seed)
    counts = {"ok": 0, "located": 0, "internal": 0}
    examples = {}
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "in.pkl")
        out = os.path.join(work, "out")
        for _ in range(args.inputs):
            data = mutate(rng.choice(corpus), rng)
            with open(path, "wb") as f:
                f.write(data)
            try:
                gatech.convert(path, out)
                counts["ok"] += 1
            except gatech.Failure as e:
                located = str(e).startswith(path + ": ")
                counts["located" if located else "internal"] += 1
                if not located:
                    examples.setdefault("unlocated: " + str(e)[:200], data)
            except Exception as e:  # what the user would see as a traceback
                counts["internal"] += 1
                examples.setdefault("%s: %s" % (type(e).__name__, str(e)[:200]), data)
    print("gatech: " + json.dumps(dict(inputs=args.inputs, **counts)))
    for message in list(examples)[:10]:
        print("  " + message)
    return 0 if counts["internal"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Data-parallel training throughput (docs/scaling.md): the same THP run on MIMIC-II with 1 and 2
# processes (`tpp launch`), one thread each, and the gradient all-reduce time by size.
#   bench/scaling.sh [BUILD_DIR]     (env: OUT=out/scaling, EPOCHS=10, NPROCS="1 2", THREADS=1)
set -euo pipefail
BUILD=$(realpath "${1:-build}")
TPP=$BUILD/tpp
OUT=${OUT:-out/scaling}
EPOCHS=${EPOCHS:-10}
NPROCS=${NPROCS:-"1 2"}
THREADS=${THREADS:-1}  # per process
mkdir -p "$OUT"
M=data/mimic2
CONFIG='{"model":"thp","d_model":32,"dropout":0.0,"train":{"epochs":'$EPOCHS',"batch_size":64,"lr":0.003,"seed":1}}'
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
for n in $NPROCS; do
  if [ "$n" = 1 ]; then RUN=("$TPP"); else RUN=("$TPP" launch -n "$n" -- "$TPP"); fi
  "${RUN[@]}" train --config "$CONFIG" --schema $M/schema.json --train $M/time-1-train.txt \
    --dev $M/time-1-test.txt -o "$OUT/thp_$n.tpp" --threads "$THREADS" --json > "$OUT/thp_$n.jsonl"
  # The first epoch pays LibTorch's one-time set-up: the rate is the mean over the later ones.
  python3 - "$n" "$OUT/thp_$n.jsonl" <<'PY'
import json, sys
n, path = sys.argv[1], sys.argv[2]
records = [json.loads(l) for l in open(path) if '"events_per_second"' in l]
later = records[1:] or records
rate = sum(r["events_per_second"] for r in later) / len(later)
step = sum(r["seconds"] for r in later) / len(later)
print(f"processes {n}: {rate:.0f} events/s, {step:.3f} s/epoch, dev LL/event {records[-1]['dev_ll_per_event']:.6f}")
PY
done
# Bytes all-reduced per step: the trainable parameters are one flat float64 storage, saved as
# one tensor file in the model archive (with the few buffers).
python3 - "$OUT/thp_1.tpp" <<'PY'
import sys, zipfile
size = sum(i.file_size for i in zipfile.ZipFile(sys.argv[1]).infolist() if "/data/" in i.filename)
print(f"gradient per step: {size} bytes ({size // 8} float64 parameters and buffers)")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/allreduce_loopback" 2 50

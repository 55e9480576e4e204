#!/usr/bin/env bash
# `make bench`: training throughput (events/s), evaluation latency (ms per scored event) and peak
# memory of each model on one simulated 3-type Hawkes data set, from the CLI. Figures are reported
# as ratios against the RMTPP run of the same script, so they compare across machines.
#   bench/run.sh [BUILD_DIR]     (env: THREADS=1, OUT=out/bench)
set -euo pipefail
TPP=$(realpath "${1:-build}")/tpp
OUT=${OUT:-out/bench}
THREADS=${THREADS:-1}
mkdir -p "$OUT"
TIME=$(command -v time >/dev/null && [ -x /usr/bin/time ] && echo /usr/bin/time || true)

TRUE='{"model":"hawkes","mu":[0.2,0.1,0.15],"alpha":[[0.3,0.1,0.0],[0.05,0.4,0.1],[0.1,0.0,0.3]],"beta":1.5}'
"$TPP" simulate -q --config "$TRUE" --num-types 3 --n-seq 200 --horizon 100 --seed 1 -o "$OUT/train.jsonl"
"$TPP" simulate -q --config "$TRUE" --num-types 3 --n-seq 50 --horizon 100 --seed 2 -o "$OUT/test.jsonl"

# Model configs: three epochs of Adam; the rate is the last epoch's (the first pays LibTorch's
# one-time kernel set-up and the allocator's first growth).
declare -A CONFIG=(
  [rmtpp]='{"model":"rmtpp","train":{"epochs":3,"batch_size":16,"seed":1}}'
  [thp]='{"model":"thp","d_model":32,"layers":2,"train":{"epochs":3,"batch_size":16,"seed":1}}'
  [nhp]='{"model":"nhp","hidden_size":32,"train":{"epochs":3,"batch_size":16,"seed":1}}'
  [sahp]='{"model":"sahp","d_model":32,"train":{"epochs":3,"batch_size":16,"seed":1}}'
  [attnhp]='{"model":"attnhp","d_model":32,"train":{"epochs":3,"batch_size":16,"seed":1}}'
  [expert]='{"model":"expert","d_model":32,"layers":2,"train":{"epochs":3,"batch_size":16,"seed":1}}'
)
MODELS=${MODELS:-"rmtpp thp nhp sahp attnhp expert"}

peak_kib() {  # peak resident memory of a command, KiB (0 without /usr/bin/time)
  if [ -n "$TIME" ]; then "$TIME" -f "%M" -o "$OUT/peak" "$@" && cat "$OUT/peak"; else "$@" && echo 0; fi
}

printf "%-8s %12s %8s %14s %8s %12s\n" model "train ev/s" ratio "eval ms/event" ratio "peak MiB"
declare -A RATE LATENCY
for m in $MODELS; do
  peak=$(peak_kib "$TPP" train -q --json --threads "$THREADS" --config "${CONFIG[$m]}" --time-scale none \
    --train "$OUT/train.jsonl" -o "$OUT/$m.tpp" > "$OUT/$m.train.log" 2>/dev/null; tail -n 1 "$OUT/peak" 2>/dev/null || echo 0)
  rate=$(grep '"epoch"' "$OUT/$m.train.log" | tail -n 1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["events_per_second"])')
  start=$(date +%s.%N)
  "$TPP" evaluate --json --threads "$THREADS" --model "$OUT/$m.tpp" --data "$OUT/test.jsonl" > "$OUT/$m.eval.json"
  end=$(date +%s.%N)
  events=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["num_targets"])' "$OUT/$m.eval.json")
  RATE[$m]=$rate
  LATENCY[$m]=$(python3 -c "print(1000 * ($end - $start) / $events)")
  base=${RATE[rmtpp]:-$rate}
  base_latency=${LATENCY[rmtpp]:-${LATENCY[$m]}}
  python3 -c "
import sys
m, rate, base, lat, base_lat, peak = sys.argv[1], *map(float, sys.argv[2:])
print(f'{m:<8} {rate:12.0f} {rate / base:8.2f} {lat:14.3f} {lat / base_lat:8.2f} {peak / 1024:12.0f}')
" "$m" "$rate" "$base" "${LATENCY[$m]}" "$base_latency" "${peak:-0}"
done

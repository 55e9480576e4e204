#!/usr/bin/env bash
# Serving latency and throughput: for rmtpp, nhp and thp (sizes of `make bench`; expert on request), start
# `tpp serve` on a loopback port, preload 10k users with 20 events each, and run "append one event
# + predict" from 1, 8 and 64 concurrent clients (bench/serve_load.cpp); p50/p99 ms and requests/s.
#   bench/serve.sh [BUILD_DIR]   (env: WORKERS="1 2 64" request workers, SECONDS_PER_LEVEL=5,
#                                 USERS=10000, FSYNC=interval, MODELS="rmtpp nhp thp" (or expert), OUT=out/bench-serve)
set -euo pipefail
BUILD=$(realpath "${1:-build}")
TPP=$BUILD/tpp
OUT=${OUT:-out/bench-serve}
WORKERS=${WORKERS:-"1 2 64"}
SECONDS_PER_LEVEL=${SECONDS_PER_LEVEL:-5}
USERS=${USERS:-10000}
FSYNC=${FSYNC:-interval}
MODELS=${MODELS:-"rmtpp nhp thp"}
mkdir -p "$OUT"

TRUE='{"model":"hawkes","mu":[0.2,0.1,0.15],"alpha":[[0.3,0.1,0.0],[0.05,0.4,0.1],[0.1,0.0,0.3]],"beta":1.5}'
"$TPP" simulate -q --config "$TRUE" --num-types 3 --n-seq 100 --horizon 100 --seed 1 -o "$OUT/train.jsonl"
declare -A CONFIG=(
  [rmtpp]='{"model":"rmtpp","train":{"epochs":1,"batch_size":16,"seed":1}}'
  [nhp]='{"model":"nhp","hidden_size":32,"train":{"epochs":1,"batch_size":16,"seed":1}}'
  [thp]='{"model":"thp","d_model":32,"layers":2,"train":{"epochs":1,"batch_size":16,"seed":1}}'
  [expert]='{"model":"expert","d_model":32,"layers":2,"train":{"epochs":1,"batch_size":16,"seed":1}}'
)
for m in $MODELS; do
  "$TPP" train -q --config "${CONFIG[$m]}" --train "$OUT/train.jsonl" -o "$OUT/$m.tpp" --threads 1
  for w in $WORKERS; do
    rm -rf "$OUT/$m.state"
    "$TPP" serve -q --json --model "$OUT/$m.tpp" --port 0 --threads "$w" --dtype float32 --fsync "$FSYNC" \
      --cache-users "$USERS" --state-dir "$OUT/$m.state" > "$OUT/serve.json" &
    pid=$!
    for _ in $(seq 100); do [ -s "$OUT/serve.json" ] && break; sleep 0.1; done
    port=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['port'])" "$OUT/serve.json")
    rss_before=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
    "$BUILD/serve_load" --port "$port" --types 3 --users "$USERS" --history 20 --seconds "$SECONDS_PER_LEVEL" \
      --label "$m, $w worker(s)" --clients 1,8,64
    echo "server resident memory: $((rss_before / 1024)) MB idle, $(( $(awk '/VmHWM/{print $2}' /proc/$pid/status) / 1024 )) MB peak"
    echo
    kill -TERM $pid
    wait $pid
    rm -f "$OUT/serve.json"
  done
done

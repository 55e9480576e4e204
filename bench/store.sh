#!/usr/bin/env bash
# Data larger than memory: simulate EVENTS events straight into an event store, write the same
# events as a CSV log in shuffled row order, convert the shuffled log to a store by external sort,
# and train one epoch from the store and from memory (the ordered CSV). Reports seconds, events/s and peak resident
# memory (/usr/bin/time -v) of each step beside the sizes of the files (docs/scaling.md).
#   bench/store.sh [BUILD_DIR]   (env: EVENTS=1000000, OUT=out/bench-store, THREADS=1,
#                                 CHUNK_ROWS=1048576, MEMORY_TRAIN=1: also train from the CSV in memory,
#                                 READ_CSV=1: also time reading the CSV into memory; both need RAM
#                                 in proportion to EVENTS, about 0.7 GiB per 10^6 events;
#                                 CSV=0: no CSV round trip (its preparation reads the store into
#                                 memory), inspect and train from the simulated store)
set -euo pipefail
TPP=$(realpath "${1:-build}")/tpp
OUT=${OUT:-out/bench-store}
EVENTS=${EVENTS:-1000000}
THREADS=${THREADS:-1}
CHUNK_ROWS=${CHUNK_ROWS:-1048576}
MEMORY_TRAIN=${MEMORY_TRAIN:-1}
READ_CSV=${READ_CSV:-1}
CSV=${CSV:-1}
[ "$CSV" = 1 ] || { MEMORY_TRAIN=0; READ_CSV=0; }
mkdir -p "$OUT"
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 1; }

# Two-type Poisson at total rate 1 on windows of 100: 100 events per sequence on average.
HORIZON=100
NSEQ=$((EVENTS / HORIZON))
TRUE='{"model":"poisson","rate":[0.6,0.4],"action_names":["a","b"]}'
MODEL='{"model":"rmtpp","hidden":16,"train":{"epochs":1,"batch_size":64,"bucket_window":16,"seed":1}}'

measure() {  # measure NAME CMD...: wall seconds and peak RSS (KiB) into $OUT/NAME.time
  /usr/bin/time -v -o "$OUT/$1.time" "${@:2}"
}
seconds() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$OUT/$1.time"; }
peak_mib() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$OUT/$1.time"; }
size_mib() { du -m --apparent-size "$1" | cut -f1; }
rate() { python3 -c "print(f'{$1/$2:,.0f}')"; }

# The process's own floor: LibTorch and the binary, on a store of one short sequence.
"$TPP" simulate -q --config "$TRUE" --n-seq 1 --horizon 1 --seed 1 -o "$OUT/tiny.tpps"
measure floor "$TPP" inspect --json "$OUT/tiny.tpps" > /dev/null
measure simulate "$TPP" simulate -q --config "$TRUE" --n-seq "$NSEQ" --horizon "$HORIZON" --seed 1 -o "$OUT/sim.tpps"
N=$("$TPP" inspect --json "$OUT/sim.tpps" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')

STORE="$OUT/sim.tpps"
if [ "$CSV" = 1 ]; then
  # The same events as a CSV log, rows shuffled by an external sort (bounded memory too).
  # (This preparation reads the store into memory; it is not measured.)
  "$TPP" convert "$OUT/sim.tpps" "$OUT/sim.csv" > /dev/null
  { head -n 1 "$OUT/sim.csv"; tail -n +2 "$OUT/sim.csv" | sort -R --random-source=<(yes) -S 64M -T "$OUT"; } > "$OUT/shuffled.csv"
  measure convert "$TPP" convert --to store --chunk-rows "$CHUNK_ROWS" "$OUT/shuffled.csv" "$OUT/converted.tpps"
  STORE="$OUT/converted.tpps"
fi
[ "$READ_CSV" = 1 ] && measure read_csv "$TPP" inspect --json "$OUT/shuffled.csv" --sort > /dev/null
measure train_store "$TPP" train -q --json --threads "$THREADS" --config "$MODEL" --train "$STORE" \
  -o "$OUT/store.tpp" > "$OUT/train_store.log"
if [ "$MEMORY_TRAIN" = 1 ]; then
  measure train_memory "$TPP" train -q --json --threads "$THREADS" --config "$MODEL" --train "$OUT/sim.csv" \
    -o "$OUT/memory.tpp" > "$OUT/train_memory.log" || true
fi
epoch_rate() { grep '"epoch"' "$1" | tail -n 1 | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print("{:,.0f}".format(r["events_per_second"]))'; }

if [ "$CSV" = 1 ]; then
  echo "events $N in $NSEQ sequences; store $(size_mib "$STORE") MiB, CSV $(size_mib "$OUT/shuffled.csv") MiB"
else
  echo "events $N in $NSEQ sequences; store $(size_mib "$STORE") MiB (no CSV)"
fi
printf "%-34s %10s %14s %10s\n" step seconds "events/s" "peak MiB"
printf "%-34s %10s %14s %10s\n" "process floor (inspect a tiny store)" "-" "-" "$(peak_mib floor)"
printf "%-34s %10s %14s %10s\n" "simulate -o store" "$(seconds simulate)" "$(rate "$N" "$(seconds simulate)")" "$(peak_mib simulate)"
[ "$CSV" = 1 ] && printf "%-34s %10s %14s %10s\n" "convert shuffled CSV -> store" "$(seconds convert)" "$(rate "$N" "$(seconds convert)")" "$(peak_mib convert)"
[ "$READ_CSV" = 1 ] && printf "%-34s %10s %14s %10s\n" "read the CSV into memory (inspect)" "$(seconds read_csv)" "$(rate "$N" "$(seconds read_csv)")" "$(peak_mib read_csv)"
measure inspect_store "$TPP" inspect --json "$STORE" > /dev/null
printf "%-34s %10s %14s %10s\n" "inspect the store (streamed)" "$(seconds inspect_store)" "$(rate "$N" "$(seconds inspect_store)")" "$(peak_mib inspect_store)"
printf "%-34s %10s %14s %10s\n" "train 1 epoch from the store" "$(seconds train_store)" "$(epoch_rate "$OUT/train_store.log")" "$(peak_mib train_store)"
if [ "$MEMORY_TRAIN" = 1 ] && [ -s "$OUT/train_memory.log" ]; then
  printf "%-34s %10s %14s %10s\n" "train 1 epoch from memory (CSV)" "$(seconds train_memory)" "$(epoch_rate "$OUT/train_memory.log")" "$(peak_mib train_memory)"
fi

#!/usr/bin/env bash
# `make experiments`: neural models on real data, recovery of known generators, and closeness to a
# known true log-likelihood. Usage: experiments/run_all.sh TPP [real|recovery|anhp|collect|all]...
# Writes under $OUT (default out/experiments); docs/experiments.md explains every number.
# Environment: OUT, THREADS (default 1), DATA (default ../shared/data), MODELS (default: all five),
# DATASETS (stage real; default: mimic2 so_badges).
set -euo pipefail
TPP=${1:?usage: run_all.sh TPP [real|recovery|anhp|collect|all]...}
shift
STAGES=("$@")
[ ${#STAGES[@]} -eq 0 ] && STAGES=(all)
TPP=$(cd "$(dirname "$TPP")" && pwd)/$(basename "$TPP")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT"
OUT=${OUT:-out/experiments}
DATA=${DATA:-../shared/data}
THREADS=${THREADS:-1}
MODELS=${MODELS:-rmtpp nhp thp sahp attnhp}
DATASETS=${DATASETS:-mimic2 so_badges}
CFG=experiments/neural
TOOLS="python3 $CFG/exptools.py"

if [ ! -d "$DATA" ]; then
  echo "run_all.sh: $DATA not found: skipping the experiments (they need the shared data sets)"
  exit 0
fi
[ -x "$TPP" ] || { echo "run_all.sh: $TPP is not an executable tpp binary" >&2; exit 2; }
mkdir -p "$OUT"

# Runs a command, appending {"name", "seconds"} to $OUT/timings.jsonl.
timed() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  python3 -c "import json,sys; print(json.dumps({'name': sys.argv[1], 'seconds': round(float(sys.argv[3]) - float(sys.argv[2]), 2)}))" \
    "$name" "$t0" "$t1" >> "$OUT/timings.jsonl"
}

# train_eval DIR NAME CONFIG TRAIN DEV TEST [extra train args...]: fit, then evaluate on TEST.
train_eval() {
  local dir=$1 name=$2 config=$3 train=$4 dev=$5 test=$6; shift 6
  mkdir -p "$dir"
  rm -f "$dir/$name.tpp.ckpt"
  echo "-- $dir/$name: train"
  timed "$dir/$name.train" "$TPP" train -q --json --threads "$THREADS" --config "$config" \
    --train "$train" ${dev:+--dev "$dev"} -o "$dir/$name.tpp" "$@" > "$dir/$name.train.jsonl"
  echo "-- $dir/$name: evaluate"
  timed "$dir/$name.eval" "$TPP" evaluate --json --threads "$THREADS" --top-k 5 \
    --model "$dir/$name.tpp" --data "$test" > "$dir/$name.eval.json"
  tail -n 1 "$dir/$name.train.jsonl" | cut -c1-160
  grep -E '"(log_likelihood_per_event|time_rmse|type_accuracy|num_unconverged)"' "$dir/$name.eval.json" | tr -d ' \n'; echo
}

prepare_real() {
  local d=$OUT/data
  mkdir -p "$d"
  # MIMIC-II fold 1: the published train part, 10% of it carved out as dev; the published test part.
  $TOOLS split "$DATA/mimic2/time-1-train.txt" "$DATA/mimic2/event-1-train.txt" "$d/mimic2" \
    --parts train,dev --fractions 0.9,0.1 --seed 1
  cp "$DATA/mimic2/time-1-test.txt" "$d/mimic2/time-test.txt"
  cp "$DATA/mimic2/event-1-test.txt" "$d/mimic2/event-test.txt"
  # Stack Overflow badges: only fold 1's test part (1326 users) ships; split it by user 60/20/20,
  # times in days. Prediction metrics are computed on the first 50 users of the test part.
  $TOOLS split "$DATA/so_badges/time-1-test.txt" "$DATA/so_badges/event-1-test.txt" "$d/so_badges" \
    --parts train,dev,test --fractions 0.6,0.2,0.2 --seed 1 --time-unit 86400
  head -n 50 "$d/so_badges/time-test.txt" > "$d/so_badges/time-test50.txt"
  head -n 50 "$d/so_badges/event-test.txt" > "$d/so_badges/event-test50.txt"
}

run_real() {
  prepare_real
  local d=$OUT/data
  mkdir -p "$OUT/real"
  for ds in $DATASETS; do
    local schema=() test=$d/$ds/time-test.txt
    [ "$ds" = mimic2 ] && schema=(--schema data/mimic2/schema.json)
    [ "$ds" = so_badges ] && test=$d/$ds/time-test50.txt
    for m in $MODELS; do
      $TOOLS merge "$CFG/$m.json" "$CFG/$ds.json" "$m" > "$OUT/real/$ds.$m.config.json"
      train_eval "$OUT/real/$ds" "$m" "$OUT/real/$ds.$m.config.json" "$d/$ds/time-train.txt" \
        "$d/$ds/time-dev.txt" "$test" "${schema[@]}"
    done
  done
}

# Hawkes -> NHP and NHP -> Hawkes (Mei & Eisner 2017, appendix C.4).
run_recovery() {
  local r=$OUT/recovery
  mkdir -p "$r/hawkes_data" "$r/nhp_data"
  local hawkes='{"model":"hawkes","mu":[0.2,0.1,0.15],"alpha":[[0.3,0.1,0.0],[0.05,0.4,0.1],[0.1,0.0,0.3]],"beta":1.5}'
  echo "== recovery: data from a known 3-type exponential Hawkes process"
  for part in train:300:11 dev:60:12 test:200:13; do
    IFS=: read -r name n seed <<< "$part"
    "$TPP" simulate -q --config "$hawkes" --num-types 3 --n-seq "$n" --horizon 50 --seed "$seed" -o "$r/hawkes_$name.jsonl"
  done
  # The generator itself as a saved model (zero epochs keep the given parameters).
  "$TPP" train -q --json --time-scale none --config "$($TOOLS with-train "$hawkes" '{"epochs":0}')" \
    --train "$r/hawkes_train.jsonl" -o "$r/hawkes_data/truth.tpp" > /dev/null
  timed "$r/hawkes_data/truth.eval" "$TPP" evaluate --json --threads "$THREADS" --model "$r/hawkes_data/truth.tpp" \
    --data "$r/hawkes_test.jsonl" > "$r/hawkes_data/truth.eval.json"
  train_eval "$r/hawkes_data" hawkes '{"model":"hawkes","train":{"optimizer":"lbfgs"}}' \
    "$r/hawkes_train.jsonl" "" "$r/hawkes_test.jsonl" --time-scale none
  train_eval "$r/hawkes_data" nhp "$CFG/recovery_nhp.json" \
    "$r/hawkes_train.jsonl" "$r/hawkes_dev.jsonl" "$r/hawkes_test.jsonl" --time-scale none

  echo "== recovery: data from a neural Hawkes process (NHP fitted to self-correcting data)"
  # A randomly initialised NHP is close to a Poisson process; to get a generator with dynamics a
  # Hawkes process cannot express, fit an NHP to a self-correcting (regular, inhibiting) process.
  local sc='{"model":"self_correcting","mu":[0.5,0.8,0.3],"alpha":[[1.0,0.3,0.2],[0.2,1.2,0.3],[0.4,0.2,0.8]]}'
  "$TPP" simulate -q --config "$sc" --num-types 3 --n-seq 200 --horizon 50 --seed 21 -o "$r/sc_train.jsonl"
  train_eval "$r/nhp_data" generator "$CFG/recovery_generator.json" \
    "$r/sc_train.jsonl" "" "$r/sc_train.jsonl" --time-scale none
  for part in train:300:31 dev:60:32 test:200:33; do
    IFS=: read -r name n seed <<< "$part"
    timed "$r/nhp_data/simulate.$name" "$TPP" simulate -q --threads "$THREADS" --model-file "$r/nhp_data/generator.tpp" \
      --n-seq "$n" --horizon 50 --seed "$seed" -o "$r/nhp_$name.jsonl"
  done
  timed "$r/nhp_data/truth.eval" "$TPP" evaluate --json --threads "$THREADS" --model "$r/nhp_data/generator.tpp" \
    --data "$r/nhp_test.jsonl" > "$r/nhp_data/truth.eval.json"
  train_eval "$r/nhp_data" hawkes '{"model":"hawkes","train":{"optimizer":"lbfgs"}}' \
    "$r/nhp_train.jsonl" "" "$r/nhp_test.jsonl" --time-scale none
  train_eval "$r/nhp_data" nhp "$CFG/recovery_nhp.json" \
    "$r/nhp_train.jsonl" "$r/nhp_dev.jsonl" "$r/nhp_test.jsonl" --time-scale none
}

# anhp_synthetic: the generator's log-likelihood is in the pickles (see docs/experiments.md).
run_anhp() {
  local a=$OUT/anhp
  mkdir -p "$a/data"
  for s in train dev test; do
    python3 tools/gatech_to_jsonl.py "$DATA/anhp_synthetic/$s.pkl" --out "$a/data/$s"
  done
  for m in poisson hawkes; do
    train_eval "$a" "$m" "{\"model\":\"$m\",\"train\":{\"optimizer\":\"lbfgs\"}}" \
      "$a/data/train.jsonl" "" "$a/data/test.jsonl" --time-scale none --schema "$a/data/train.schema.json"
  done
  for m in $MODELS; do
    $TOOLS merge "$CFG/$m.json" "$CFG/anhp.json" "$m" > "$a/$m.config.json"
    train_eval "$a" "$m" "$a/$m.config.json" "$a/data/train.jsonl" "$a/data/dev.jsonl" "$a/data/test.jsonl" \
      --time-scale none --schema "$a/data/train.schema.json"
  done
}

for stage in "${STAGES[@]}"; do
  case $stage in
    real) run_real ;;
    recovery) run_recovery ;;
    anhp) run_anhp ;;
    collect) ;;
    all) run_real; run_recovery; run_anhp ;;
    *) echo "run_all.sh: unknown stage '$stage' (real, recovery, anhp, collect, all)" >&2; exit 2 ;;
  esac
done
$TOOLS collect "$OUT" > "$OUT/results.md"
echo "tables: $OUT/results.md"

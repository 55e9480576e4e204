#!/usr/bin/env bash
# `make experiments`: neural models on real data, recovery of known generators, and closeness to a
# known true log-likelihood. Usage: experiments/run_all.sh TPP [real|recovery|recovery-hawkes|recovery-nhp|anhp|collect|all]...
# Writes under $OUT (default out/experiments); docs/experiments.md explains every number.
# Environment: OUT, THREADS (default 1), DATA (default ../shared/data), MODELS (default: all five),
# DATASETS (stage real; default: mimic2 so_badges), EVAL_TIMEOUT (seconds per evaluate, default 600).
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
EVAL_TIMEOUT=${EVAL_TIMEOUT:-600}
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
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  "$@" || rc=$?
  t1=$(date +%s.%N)
  python3 -c "import json,sys; print(json.dumps({'name': sys.argv[1], 'seconds': round(float(sys.argv[3]) - float(sys.argv[2]), 2)}))" \
    "$name" "$t0" "$t1" >> "$OUT/timings.jsonl"
  return $rc
}

# train_eval DIR NAME CONFIG TRAIN DEV TEST [extra train args...]: fit, then evaluate on TEST.
train_eval() {
  local dir=$1 name=$2 config=$3 train=$4 dev=$5 test=$6; shift 6
  mkdir -p "$dir"
  rm -f "$dir/$name.tpp.ckpt"
  echo "-- $dir/$name: train"
  if ! timed "$dir/$name.train" "$TPP" train -q --json --threads "$THREADS" --config "$config" \
    --train "$train" ${dev:+--dev "$dev"} -o "$dir/$name.tpp" "$@" > "$dir/$name.train.jsonl"; then
    echo "!! $dir/$name: training failed (killed or error), see above; going on"
    echo '{"failed": "train"}' > "$dir/$name.eval.json"
    return 0
  fi
  echo "-- $dir/$name: evaluate"
  # Prediction of a defective next-event distribution (a model that may never fire again) drives
  # the quadrature to its limits for the whole batch; bound the wall clock and record it.
  if ! timed "$dir/$name.eval" timeout "$EVAL_TIMEOUT" "$TPP" evaluate --json --threads "$THREADS" --top-k 5 \
    --model "$dir/$name.tpp" --data "$test" > "$dir/$name.eval.json"; then
    echo "{\"timed_out\": $EVAL_TIMEOUT}" > "$dir/$name.eval.json"
  fi
  tail -n 1 "$dir/$name.train.jsonl" | cut -c1-160
  { grep -E '"(log_likelihood_per_event|time_rmse|type_accuracy|num_unconverged|timed_out)"' "$dir/$name.eval.json" || true; } | tr -d ' \n'; echo
}

prepare_real() {
  local d=$OUT/data
  [ -f "$d/so_badges/test50.jsonl" ] && return 0   # already prepared (deterministic)
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
  # Each sequence's first event becomes a conditioning stimulus (see exptools.py to-jsonl).
  local ds k part
  for ds in mimic2 so_badges; do
    k=75; [ "$ds" = so_badges ] && k=22
    for part in train dev test test50; do
      [ -f "$d/$ds/time-$part.txt" ] || continue
      $TOOLS to-jsonl "$d/$ds/time-$part.txt" "$d/$ds/$part.jsonl" --num-types $k --schema-out "$d/$ds/schema.json"
    done
  done
}

run_real() {
  prepare_real
  local d=$OUT/data
  mkdir -p "$OUT/real"
  for ds in $DATASETS; do
    local test=$d/$ds/test.jsonl
    [ "$ds" = so_badges ] && test=$d/$ds/test50.jsonl
    local k=75; [ "$ds" = so_badges ] && k=22
    for m in $MODELS; do
      $TOOLS merge "$CFG/$m.json" "$CFG/$ds.json" "$m" > "$OUT/real/$ds.$m.config.json"
      local train=$d/$ds/train.jsonl extra=()
      # SAHP's intensity never falls below softplus(min GELU) ~ 0.61 per type and model time unit:
      # give it one event per unit per type rather than per unit.
      [ "$m" = sahp ] && extra=(--time-scale "$($TOOLS scale "$train" --per-type $k)")
      train_eval "$OUT/real/$ds" "$m" "$OUT/real/$ds.$m.config.json" "$train" \
        "$d/$ds/dev.jsonl" "$test" --schema "$d/$ds/schema.json" "${extra[@]}"
    done
  done
}

# Hawkes -> NHP and NHP -> Hawkes (Mei & Eisner 2017, appendix C.4). Simulated sequences are
# stored as EasyTPP JSON whose window starts at 0 (a JSONL log would start at the first event).
simulate_parts() {  # simulate_parts PREFIX SEED_BASE SIZES HORIZON tpp-simulate-source-args...
  local prefix=$1 seed=$2 sizes=$3 horizon=$4; shift 4
  local part n
  for part in $sizes; do
    IFS=: read -r part n <<< "$part"
    seed=$((seed + 1))
    timed "$prefix.simulate.$part" "$TPP" simulate -q --threads "$THREADS" "$@" --n-seq "$n" --horizon "$horizon" \
      --seed "$seed" -o "$prefix.$part.jsonl"
    $TOOLS to-easytpp "$prefix.$part.jsonl" "$prefix.$part.json" --num-types 3
  done
}

run_recovery_hawkes() {
  local r=$OUT/recovery
  mkdir -p "$r/hawkes_data"
  local hawkes='{"model":"hawkes","mu":[0.2,0.1,0.15],"alpha":[[0.3,0.1,0.0],[0.05,0.4,0.1],[0.1,0.0,0.3]],"beta":1.5}'
  echo "== recovery: data from a known 3-type exponential Hawkes process"
  simulate_parts "$r/hawkes" 10 "train:300 dev:60 test:200" 50 --config "$hawkes" --num-types 3
  # The generator itself as a saved model (zero epochs keep the given parameters).
  "$TPP" train -q --json --time-scale none --config "$($TOOLS with-train "$hawkes" '{"epochs":0}')" \
    --train "$r/hawkes.train.json" -o "$r/hawkes_data/truth.tpp" > /dev/null
  timed "$r/hawkes_data/truth.eval" "$TPP" evaluate --json --threads "$THREADS" --model "$r/hawkes_data/truth.tpp" \
    --data "$r/hawkes.test.json" > "$r/hawkes_data/truth.eval.json"
  train_eval "$r/hawkes_data" hawkes '{"model":"hawkes","train":{"optimizer":"lbfgs"}}' \
    "$r/hawkes.train.json" "" "$r/hawkes.test.json" --time-scale none
  train_eval "$r/hawkes_data" nhp "$CFG/recovery_nhp.json" \
    "$r/hawkes.train.json" "$r/hawkes.dev.json" "$r/hawkes.test.json" --time-scale none
}

run_recovery_nhp() {
  local r=$OUT/recovery
  mkdir -p "$r/nhp_data"
  echo "== recovery: data from a neural Hawkes process"
  # A randomly initialised NHP is close to a Poisson process. To get an NHP generator with dynamics
  # a Hawkes process cannot express, fit one to data from Mei & Eisner's D-SM-MPP with strong
  # inhibition; that fitted NHP is the generator.
  local inh='{"model":"inhibition","mu":[0.8,0.6,0.7],"alpha":[[0.6,-2.0,0.3],[-2.0,0.5,-1.0],[0.4,-1.5,-2.0]],"delta":[[1.0,0.5,1.0],[0.5,1.0,1.0],[1.0,1.0,0.5]]}'
  "$TPP" simulate -q --config "$inh" --num-types 3 --n-seq 150 --horizon 30 --seed 21 -o "$r/inhibition.jsonl"
  $TOOLS to-easytpp "$r/inhibition.jsonl" "$r/inhibition.json" --num-types 3
  echo "-- $r/nhp_data/generator: train"
  timed "$r/nhp_data/generator.train" "$TPP" train -q --json --threads "$THREADS" --time-scale none \
    --config "$CFG/recovery_generator.json" --train "$r/inhibition.json" -o "$r/nhp_data/generator.tpp" \
    > "$r/nhp_data/generator.train.jsonl"
  # Thinning from a neural model re-encodes the growing history at every proposal: keep it small.
  simulate_parts "$r/nhp" 30 "train:150 dev:30 test:50" 30 --model-file "$r/nhp_data/generator.tpp"
  timed "$r/nhp_data/truth.eval" "$TPP" evaluate --json --threads "$THREADS" --model "$r/nhp_data/generator.tpp" \
    --data "$r/nhp.test.json" > "$r/nhp_data/truth.eval.json"
  train_eval "$r/nhp_data" hawkes '{"model":"hawkes","train":{"optimizer":"lbfgs"}}' \
    "$r/nhp.train.json" "" "$r/nhp.test.json" --time-scale none
  train_eval "$r/nhp_data" nhp "$CFG/recovery_nhp.json" \
    "$r/nhp.train.json" "$r/nhp.dev.json" "$r/nhp.test.json" --time-scale none
}

# anhp_synthetic: the pickles carry the generator's log-likelihood (see docs/experiments.md). They
# are read as EasyTPP JSON so the window is [0, last event], the window of that log_lik.
run_anhp() {
  local a=$OUT/anhp
  mkdir -p "$a/data"
  local s m
  for s in train dev test; do
    python3 tools/gatech_to_jsonl.py "$DATA/anhp_synthetic/$s.pkl" --out "$a/data/$s"   # truth.json
    $TOOLS to-easytpp "$DATA/anhp_synthetic/$s.pkl" "$a/data/$s.json"
  done
  for m in poisson hawkes; do
    train_eval "$a" "$m" "{\"model\":\"$m\",\"train\":{\"optimizer\":\"lbfgs\"}}" \
      "$a/data/train.json" "" "$a/data/test.json" --time-scale none
  done
  for m in $MODELS; do
    $TOOLS merge "$CFG/$m.json" "$CFG/anhp.json" "$m" > "$a/$m.config.json"
    local ts=none
    [ "$m" = sahp ] && ts=$($TOOLS scale "$a/data/train.json" --per-type 50)   # see run_real
    train_eval "$a" "$m" "$a/$m.config.json" "$a/data/train.json" "$a/data/dev.json" "$a/data/test.json" \
      --time-scale "$ts"
  done
}

for stage in "${STAGES[@]}"; do
  case $stage in
    real) run_real ;;
    recovery) run_recovery_hawkes; run_recovery_nhp ;;
    recovery-hawkes) run_recovery_hawkes ;;
    recovery-nhp) run_recovery_nhp ;;
    anhp) run_anhp ;;
    collect) ;;
    all) run_real; run_recovery_hawkes; run_recovery_nhp; run_anhp ;;
    *) echo "run_all.sh: unknown stage '$stage' (real, recovery[-hawkes|-nhp], anhp, collect, all)" >&2; exit 2 ;;
  esac
done
$TOOLS collect "$OUT" > "$OUT/results.md"
echo "tables: $OUT/results.md"

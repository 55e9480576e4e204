#!/usr/bin/env bash
# ExPERT's synthetic experiments (README.md in this folder): regenerate each data set, train THP and
# ExPERT (or the ablation variants) on it, evaluate on held-out sequences and write the tables.
#
#   experiments/expert_synthetic/run.sh [TPP] [count|selfexc|complex|ecommerce|all]
#
# Each data set: 500 sequences as in the paper, split 400 / 50 / 50 (train / dev / test) by drawing
# them with seeds 1, 2, 3 (N_TRAIN changes the 400). Tables go to $OUT/tables.md (default
# out/experiments/expert); SWEEP=quick runs K ∈ {1, 4, 10} and α ∈ {0.3, 0.5, 0.8} instead of
# every value (KS="..." and ALPHAS="..." pick others); EPOCHS overrides the configs' epochs. DTYPE (default float32) and THREADS are passed to train and evaluate.
set -euo pipefail
TPP=$(realpath "${1:-build/tpp}")
WHAT=${2:-all}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-out/experiments/expert}
SWEEP=${SWEEP:-full}
THREADS=${THREADS:-2}
N_TRAIN=${N_TRAIN:-400}
DTYPE=${DTYPE:-float32}
mkdir -p "$OUT"

# generate NAME PROCESS [--param k=v ...]: NAME_{train,dev,test}.jsonl (+ users, schema, truth).
generate() {
  local name=$1 process=$2
  shift 2
  local part n seed=1
  for part in train dev test; do
    case $part in train) n=$N_TRAIN ;; *) n=50 ;; esac
    "$TPP" generate -q --process "$process" "$@" --n-seq "$n" --seed "$seed" -o "$OUT/data/${name}_$part.jsonl"
    seed=$((seed + 1))
  done
  # The oracle: the generator's own log-likelihood per action on the test part.
  "$TPP" generate --json --process "$process" "$@" --n-seq 50 --seed 3 -o "$OUT/data/${name}_test.jsonl" \
    > "$OUT/data/${name}_oracle.json"
}

# fit NAME MODEL_CONFIG LABEL [extra JSON merged into the config]: trains, evaluates on test.
fit() {
  local name=$1 config=$2 label=$3 extra=${4:-"{}"}
  local merged
  merged=$(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
c.update(json.loads(sys.argv[2]))
if sys.argv[3]:
    c["train"]["epochs"] = int(sys.argv[3])
print(json.dumps(c))' "$config" "$extra" "${EPOCHS:-}")
  local start=$SECONDS
  "$TPP" train -q --json --threads "$THREADS" --dtype "$DTYPE" --time-scale none --config "$merged" \
    --train "$OUT/data/${name}_train.jsonl" --dev "$OUT/data/${name}_dev.jsonl" -o "$OUT/models/${name}_$label.tpp" \
    > "$OUT/logs/${name}_$label.train.log"
  "$TPP" evaluate --json --threads "$THREADS" --dtype "$DTYPE" --model "$OUT/models/${name}_$label.tpp" \
    --data "$OUT/data/${name}_test.jsonl" > "$OUT/results/${name}_$label.json"
  echo "$name $label: $(cat "$OUT/results/${name}_$label.json") ($((SECONDS - start)) s)"
}

mkdir -p "$OUT/data" "$OUT/models" "$OUT/logs" "$OUT/results"

count() {
  local ks=${KS:-"1 2 3 4 5 6 7 8 9 10"}
  [ "$SWEEP" = quick ] && ks="1 4 10"
  for k in $ks; do
    generate "count_K$k" stimulus_count --param num_stimuli="$k"
    fit "count_K$k" "$HERE/configs/thp.json" thp
    fit "count_K$k" "$HERE/configs/expert.json" expert
  done
}

selfexc() {
  local alphas=${ALPHAS:-"0.3 0.4 0.5 0.6 0.7 0.8"}
  [ "$SWEEP" = quick ] && alphas="0.3 0.5 0.8"
  for a in $alphas; do
    generate "selfexc_a$a" stimulus_count --param num_stimuli=2 --param onset_ratio=0.4 \
      --param stimulus_slope=0.2 --param alpha="$a" --param mu=0.3 --param beta=1
    fit "selfexc_a$a" "$HERE/configs/thp.json" thp
    fit "selfexc_a$a" "$HERE/configs/expert.json" expert
  done
}

complex() {
  generate complex complex_stimuli
  fit complex "$HERE/configs/thp.json" thp
  fit complex "$HERE/configs/expert.json" expert
}

ecommerce() {
  generate shop ecommerce
  fit shop "$HERE/configs/thp.json" thp
  for variant in p_user ext ext_p_user ext_p_user_cm; do
    fit shop "$HERE/configs/expert.json" "$variant" "{\"variant\": \"$variant\"}"
  done
  # Event metadata: the coupon and purchase texts through the built-in featuriser.
  fit shop "$HERE/configs/expert.json" full '{"variant": "full", "text_features": {"dim": 64}}'
  # The imminent-stimulus window: expiries up to one day ahead.
  fit shop "$HERE/configs/expert.json" full_future '{"variant": "full", "text_features": {"dim": 64}, "future_window": 1.0}'
}

case $WHAT in
  count) count ;;
  selfexc) selfexc ;;
  complex) complex ;;
  ecommerce) ecommerce ;;
  all) count; selfexc; complex; ecommerce ;;
  *) echo "unknown experiment '$WHAT' (count, selfexc, complex, ecommerce, all)" >&2; exit 2 ;;
esac
python3 "$HERE/tables.py" "$OUT" > "$OUT/tables.md"
cat "$OUT/tables.md"

#!/usr/bin/env bash
# ExPERT's synthetic experiments (README.md in this folder) under the paper's protocol: regenerate
# each data set, split its users A/B (ab_split.py: train = A whole + B's first 70% of actions, test =
# B's last 30%, scored from the full history), train THP and ExPERT (or the ablation variants) for
# every seed, evaluate with both point predictors, and write the tables.
#
#   experiments/expert_synthetic/run.sh [TPP] [count|selfexc|complex|ecommerce|all]
#
# Knobs (environment): N_SEQ sequences per data set (paper 500), SEEDS (the A/B split and training
# seed of each run; default "1 2 3"), EPOCHS (overrides the configs' 30), KS and ALPHAS (the Fig. 5
# sweeps; default every value of the paper), VARIANTS (the e-commerce ablation), SIZE (a JSON object
# merged into every model config, e.g. '{"d_model": 32, "layers": 2}'), JOBS (runs in parallel,
# default 2), THREADS (per run, default 1), DTYPE (default float32), PLACEMENT (the Fig. 5 stimulus
# times: onsets, the default, or random, drawn per sequence; README.md §1). Results: $OUT (default
# out/experiments/expert), tables in $OUT/tables.md.
#
# Baselines: "thp" is THP given the stimuli as events of their own types (tpp's THP conditions on
# them); "thp_blind" is THP on the actions alone, as the paper's THP, which knows no stimuli.
#
# Protocols (papers/expert.md, section 4): the likelihood experiments (Fig. 5) train with loss
# weights (ll, type, time) = (1, 1, 0) and report the test part's predictive log-likelihood per
# action. The prediction experiments (complex stimuli, e-commerce) train that model and also the
# paper's time model (1, 0, 1); the intensity predictor is read from the first, the heads predictor's
# type accuracy from the first and its time RMSE from the second.
set -euo pipefail
TPP=$(realpath "${1:-build/tpp}")
WHAT=${2:-all}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-out/experiments/expert}
N_SEQ=${N_SEQ:-500}
SEEDS=${SEEDS:-"1 2 3"}
THREADS=${THREADS:-1}
JOBS=${JOBS:-2}
DTYPE=${DTYPE:-float32}
SIZE=${SIZE:-"{}"}
PLACEMENT=${PLACEMENT:-onsets}
mkdir -p "$OUT/data" "$OUT/models" "$OUT/logs" "$OUT/results"

# generate NAME PROCESS [--param k=v ...]: the log (seed 1), its A/B splits per seed, and a dev set
# of other users (seed 2) for early stopping.
generate() {
  local name=$1 process=$2
  shift 2
  # The generator is deterministic: data already there (from an earlier run with the same N_SEQ) is kept.
  if [ ! -e "$OUT/data/${name}_dev.jsonl" ]; then
    "$TPP" generate -q --process "$process" "$@" --n-seq "$N_SEQ" --seed 1 -o "$OUT/data/$name.jsonl"
    "$TPP" generate -q --process "$process" "$@" --n-seq $((N_SEQ / 10 > 10 ? N_SEQ / 10 : 10)) --seed 2 \
      -o "$OUT/data/${name}_dev.jsonl"
  fi
  [ -e "$OUT/data/${name}_dev_actions.jsonl" ] || python3 "$HERE/ab_split.py" --actions "$OUT/data/${name}_dev.jsonl"
  local seed
  for seed in $SEEDS; do
    [ -e "$OUT/data/${name}_s${seed}_test_actions.jsonl" ] ||
      python3 "$HERE/ab_split.py" "$OUT/data/$name.jsonl" "$OUT/data/${name}_s$seed" "$seed" > /dev/null
  done
}

# fit NAME CONFIG LABEL SEED WEIGHTS [extra JSON] [data suffix]: trains on the seed's A/B train part,
# evaluates the test part's last 30% with both predictors: results/NAME_LABEL_sSEED_{intensity,heads}.json.
# Suffix "_actions": both parts without their stimuli (ab_split.py).
fit() {
  local name=$1 config=$2 label=$3 seed=$4 weights=$5 extra=${6:-"{}"} part=${7:-}
  local merged model="$OUT/models/${name}_${label}_s$seed.tpp"
  merged=$(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
c.update(json.loads(sys.argv[2]))
c.update(json.loads(sys.argv[3]))
c["train"]["seed"] = int(sys.argv[4])
c["train"]["loss_weights"] = json.loads(sys.argv[5])
if sys.argv[6]:
    c["train"]["epochs"] = int(sys.argv[6])
print(json.dumps(c))' "$config" "$SIZE" "$extra" "$seed" "$weights" "${EPOCHS:-}")
  local start=$SECONDS
  "$TPP" train -q --json --threads "$THREADS" --dtype "$DTYPE" --time-scale none --config "$merged" \
    --train "$OUT/data/${name}_s${seed}_train$part.jsonl" --dev "$OUT/data/${name}_dev$part.jsonl" -o "$model" \
    > "$OUT/logs/${name}_${label}_s$seed.train.log"
  local predictor
  for predictor in intensity heads; do
    "$TPP" evaluate --json --threads "$THREADS" --dtype "$DTYPE" --model "$model" --target-last 0.3 \
      --tolerance 1e-6 --predictor "$predictor" --data "$OUT/data/${name}_s${seed}_test$part.jsonl" \
      > "$OUT/results/${name}_${label}_s${seed}_$predictor.json"
  done
  echo "$name $label seed $seed: $((SECONDS - start)) s"
}

LL='{"ll": 1, "type": 1, "time": 0}'
TIME='{"ll": 1, "type": 0, "time": 1}'
TASKS=()
# LABELS (optional): run only the fits whose label is listed, e.g. LABELS="thp_blind".
task() {
  if [ -n "${LABELS:-}" ] && [[ " $LABELS " != *" $4 "* ]]; then return; fi
  TASKS+=("$(printf '%q ' "$@")")
}

count() {
  local k seed
  for k in ${KS:-1 2 3 4 5 6 7 8 9 10}; do
    generate "count_K$k" stimulus_count --param num_stimuli="$k" --param placement="$PLACEMENT"
    for seed in $SEEDS; do
      task fit "count_K$k" "$HERE/configs/thp.json" thp "$seed" "$LL"
      task fit "count_K$k" "$HERE/configs/thp.json" thp_blind "$seed" "$LL" '{}' _actions
      task fit "count_K$k" "$HERE/configs/expert.json" expert "$seed" "$LL"
    done
  done
}

selfexc() {
  local a seed
  for a in ${ALPHAS:-0.3 0.4 0.5 0.6 0.7 0.8}; do
    generate "selfexc_a$a" stimulus_count --param num_stimuli=2 --param onset_ratio=0.4 \
      --param stimulus_slope=0.2 --param alpha="$a" --param mu=0.3 --param beta=1 --param placement="$PLACEMENT"
    for seed in $SEEDS; do
      task fit "selfexc_a$a" "$HERE/configs/thp.json" thp "$seed" "$LL"
      task fit "selfexc_a$a" "$HERE/configs/thp.json" thp_blind "$seed" "$LL" '{}' _actions
      task fit "selfexc_a$a" "$HERE/configs/expert.json" expert "$seed" "$LL"
    done
  done
}

complex() {
  local seed
  generate complex complex_stimuli
  for seed in $SEEDS; do
    for model in thp expert; do
      task fit complex "$HERE/configs/$model.json" "$model" "$seed" "$LL"
      task fit complex "$HERE/configs/$model.json" "${model}_time" "$seed" "$TIME"
    done
    task fit complex "$HERE/configs/thp.json" thp_blind "$seed" "$LL" '{}' _actions
    task fit complex "$HERE/configs/thp.json" thp_blind_time "$seed" "$TIME" '{}' _actions
  done
}

# The e-commerce ablation (Table 3 layout): every variant, event metadata by the text featuriser,
# and the paper's literal mask beside ours.
variant_config() {
  case $1 in
    full) echo '{"variant": "full", "text_features": {"dim": 64}}' ;;
    full_query_mask) echo '{"variant": "full", "text_features": {"dim": 64}, "mask_rule": "query_type"}' ;;
    *) echo "{\"variant\": \"$1\"}" ;;
  esac
}

ecommerce() {
  local seed variant
  generate shop ecommerce
  for seed in $SEEDS; do
    for variant in ${VARIANTS:-thp p_user ext ext_p_user ext_p_user_cm full full_query_mask}; do
      local config="$HERE/configs/expert.json" extra
      extra=$(variant_config "$variant")
      [ "$variant" = thp ] && config="$HERE/configs/thp.json" && extra='{}'
      task fit shop "$config" "$variant" "$seed" "$LL" "$extra"
      task fit shop "$config" "${variant}_time" "$seed" "$TIME" "$extra"
    done
    task fit shop "$HERE/configs/thp.json" thp_blind "$seed" "$LL" '{}' _actions
    task fit shop "$HERE/configs/thp.json" thp_blind_time "$seed" "$TIME" '{}' _actions
  done
}

case $WHAT in
  count) count ;;
  selfexc) selfexc ;;
  complex) complex ;;
  ecommerce) ecommerce ;;
  all) count; selfexc; complex; ecommerce ;;
  *) echo "unknown experiment '$WHAT' (count, selfexc, complex, ecommerce, all)" >&2; exit 2 ;;
esac
export -f fit
export TPP OUT THREADS DTYPE SIZE EPOCHS
printf '%s\n' "${TASKS[@]}" | xargs -d '\n' -P "$JOBS" -I{} bash -c '{}'
python3 "$HERE/tables.py" "$OUT" > "$OUT/tables.md"
cat "$OUT/tables.md"

#!/usr/bin/env bash
# Synthetic experiments 1-3 of Yuchi & Zhu (docs/iptw.md): three Hawkes clusters, NH vs C-NH and
# RMTPP vs C-RMTPP (plus exponential Hawkes), trained on logged users with categories, scored on
# new users without them; optionally the bins ablation 1/δ ∈ {1, 5, 10} (METHODS below).
# Experiments 2 and 3 change the clusters' shares (EXP=2|3); the paper gives two readings
# (READING=text: the training shares change, 200/400/600 and 600/400/200, the test stays even;
# READING=appendix: the training stays even, the test shares are 50/100/150 and 150/100/50).
# Usage: bash experiments/iptw/run.sh build/tpp
# Environment: EXP (1), READING (text), OUT (out/iptw for exp 1, else out/iptw-expEXP-READING), JOBS (2).
set -euo pipefail
TPP=${1:?usage: run.sh TPP}
TPP=$(cd "$(dirname "$TPP")" && pwd)/$(basename "$TPP")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXP=${EXP:-1}
READING=${READING:-text}
case "$EXP/$READING" in
  1/*)          TRAIN_N="400 400 400"; TEST_N="100 100 100"; OUT=${OUT:-out/iptw} ;;
  2/text)       TRAIN_N="200 400 600"; TEST_N="100 100 100" ;;
  2/appendix)   TRAIN_N="400 400 400"; TEST_N="50 100 150" ;;
  3/text)       TRAIN_N="600 400 200"; TEST_N="100 100 100" ;;
  3/appendix)   TRAIN_N="400 400 400"; TEST_N="150 100 50" ;;
  *) echo "run.sh: EXP must be 1, 2 or 3 and READING text or appendix" >&2; exit 2 ;;
esac
OUT=${OUT:-out/iptw-exp$EXP-$READING}
JOBS=${JOBS:-2}
SEEDS="1 2 3"
mkdir -p "$OUT/data" "$OUT/runs"
D=$OUT/data
start=$(date +%s)

# Data: one fixed draw per experiment (seeds 10-12 training, 20-22 test, one per cluster).
python3 "$HERE/exp1.py" configs "$D" > "$D/reading.json"
read -r -a train_n <<< "$TRAIN_N"
read -r -a test_n <<< "$TEST_N"
for k in 0 1 2; do
  "$TPP" simulate -q --config "$D/c$k.json" --n-seq "${train_n[$k]}" --horizon 100 --seed $((10 + k)) -o "$D/train-c$k.jsonl"
  "$TPP" simulate -q --config "$D/c$k.json" --n-seq "${test_n[$k]}" --horizon 100 --seed $((20 + k)) -o "$D/test-c$k.jsonl"
done
python3 "$HERE/exp1.py" merge "$D" train $TRAIN_N
python3 "$HERE/exp1.py" merge "$D" test $TEST_N

# Methods: name -> config. q = 1 as in the paper (the hidden size is the binned dimension); 25 bins
# and η = 5 for exp 1; 20 epochs (small models, few epochs: the runtime budget of docs/iptw.md).
TRAIN='"epochs": 20, "lr": 0.01, "batch_size": 32, "clip": 1.0, "integral": "mc", "mc_points": 10'
iptw() { echo ", \"iptw\": {\"bins\": $1, \"refit_every\": 5, \"stabilized\": true}"; }
NH='"model": "nhp", "hidden_size": 1'
RM='"model": "rmtpp", "embed_dim": 1, "hidden": 1, "layers": 1, "cell": "gru"'
declare -A CFG=(
  [NH]="{$NH, \"train\": {$TRAIN}}"
  [C-NH]="{$NH, \"train\": {$TRAIN$(iptw 25)}}"
  [C-NH-b5]="{$NH, \"train\": {$TRAIN$(iptw 5)}}"
  [C-NH-b10]="{$NH, \"train\": {$TRAIN$(iptw 10)}}"
  [RMTPP]="{$RM, \"train\": {$TRAIN}}"
  [C-RMTPP]="{$RM, \"train\": {$TRAIN$(iptw 25)}}"
  [C-RMTPP-b5]="{$RM, \"train\": {$TRAIN$(iptw 5)}}"
  [C-RMTPP-b10]="{$RM, \"train\": {$TRAIN$(iptw 10)}}"
  [Hawkes]="{\"model\": \"hawkes\", \"train\": {\"epochs\": 20, \"lr\": 0.05, \"batch_size\": 32, \"integral\": \"exact\"}}"
)
# The bins ablation (1/δ = 5, 10; 1/δ = 1 is NH exactly) is opt-in, ~15 more minutes:
#   METHODS="C-NH-b5 C-NH-b10 C-RMTPP-b5 C-RMTPP-b10" bash experiments/iptw/run.sh build/tpp
METHODS=${METHODS:-NH C-NH RMTPP C-RMTPP Hawkes}

one() {  # METHOD SEED: train on the logged users, evaluate on the new ones
  local m=$1 s=$2 r=$OUT/runs/$1-s$2 v=CFG_${1//-/_}
  mkdir -p "$r"
  local cfg=${!v}
  cfg=${cfg%\}\}}", \"seed\": $s}}"
  "$TPP" train -q --json --threads 1 --time-scale none --train "$D/train.jsonl" -o "$r/model.tpp" --config "$cfg" \
    > "$r/train.json"
  # The test users file carries the categories for the truth only: the model never reads them.
  "$TPP" evaluate -q --json --threads 1 --model "$r/model.tpp" --data "$D/test.jsonl" --tolerance 1e-6 --target-last 0.1 \
    --intensity-mae --truth "$D/truth.json" > "$r/eval.json"
  echo "$m seed $s: $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['intensity_mae']['mean'])" "$r/eval.json")"
}
export -f one
export TPP OUT D
# xargs' shells see the configs as variables (bash cannot export an associative array).
for m in $METHODS; do export "CFG_${m//-/_}=${CFG[$m]}"; done
jobs=()
for m in $METHODS; do for s in $SEEDS; do jobs+=("$m $s"); done; done
printf '%s\n' "${jobs[@]}" | nice xargs -P "$JOBS" -L 1 bash -c 'one "$0" "$1"'

EXP=$EXP python3 "$HERE/table.py" "$OUT" NH C-NH RMTPP C-RMTPP Hawkes C-NH-b5 C-NH-b10 C-RMTPP-b5 C-RMTPP-b10 \
  > "$OUT/table.md"
cat "$OUT/table.md"
echo "total $(( $(date +%s) - start )) s"

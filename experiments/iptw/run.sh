#!/usr/bin/env bash
# Synthetic experiments 1-5 of Yuchi & Zhu (docs/iptw.md): three clusters of users, NH vs C-NH vs
# R-NH and RMTPP vs C-RMTPP vs R-RMTPP (R-: weights from randomly assigned categories), plus the
# exponential Hawkes and self-correcting baselines, trained on logged users with categories and
# scored on new users without them; optionally the bins ablation (METHODS below).
# Experiments 2 and 3 change the clusters' shares (EXP=2|3); the paper gives two readings
# (READING=text: the training shares change, 200/400/600 and 600/400/200, the test stays even;
# READING=appendix: the training stays even, the test shares are 50/100/150 and 150/100/50).
# Experiment 4 draws β per sequence (EXP=4); experiment 5 makes cluster 3 a neural Hawkes process
# with random parameters and bins q = 3 embedding dimensions (EXP=5); experiment 6 gives experiment
# 1's events three marks drawn by absolute time (EXP=6, q = 3).
# Usage: bash experiments/iptw/run.sh build/tpp
# Environment: EXP (1), READING (text), OUT (out/iptw for exp 1, else out/iptw-expEXP[-READING]),
# JOBS (2), METHODS (every method of the experiment's table).
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
  4/*|5/*|6/*)  TRAIN_N="400 400 400"; TEST_N="100 100 100"; OUT=${OUT:-out/iptw-exp$EXP} ;;
  *) echo "run.sh: EXP must be 1 to 6 and READING text or appendix" >&2; exit 2 ;;
esac
OUT=${OUT:-out/iptw-exp$EXP-$READING}
JOBS=${JOBS:-2}
SEEDS="1 2 3"
mkdir -p "$OUT/data" "$OUT/runs"
D=$OUT/data
start=$(date +%s)

# Data: one fixed draw per experiment (seeds 10-12 training, 20-22 test, one per cluster).
read -r -a train_n <<< "$TRAIN_N"
read -r -a test_n <<< "$TEST_N"
case $EXP in
  4)  # One hawkes config per user (β drawn per sequence, seeds 1 and 2), one simulation each.
    python3 "$HERE/exp1.py" configs "$D" > "$D/reading.json"
    { python3 "$HERE/exp1.py" per-user-betas "$D" train 1 $TRAIN_N
      python3 "$HERE/exp1.py" per-user-betas "$D" test 2 $TEST_N; } |
      xargs -P "$JOBS" -L 1 bash -c '"$0" simulate -q --config "$1" --n-seq 1 --horizon 100 --seed "$2" -o "$3"' "$TPP"
    python3 "$HERE/exp1.py" gather "$D" train $TRAIN_N
    python3 "$HERE/exp1.py" gather "$D" test $TEST_N
    python3 "$HERE/exp1.py" truth-by-user "$D" test $TEST_N ;;
  5)  # Clusters 1-2 hawkes (β = 0.5, 1.0); cluster 3 a neural Hawkes process, hidden size 2, with
      # the random parameters of its initialisation under seed 5 (0 training epochs).
    python3 "$HERE/exp1.py" configs "$D" > "$D/reading.json"
    python3 "$HERE/exp1.py" nh-truth "$D"
    "$TPP" simulate -q --config "$D/c0.json" --n-seq 1 --horizon 100 --seed 1 -o "$D/probe.jsonl"
    "$TPP" train -q --threads 1 --time-scale none --train "$D/probe.jsonl" -o "$D/nh.tpp" \
      --config '{"model": "nhp", "hidden_size": 2, "train": {"epochs": 0, "seed": 5}}' > /dev/null
    for k in 0 1 2; do
      src=$D/c$k.json; [ $k = 2 ] && src=$D/nh.tpp
      flag=--config; [ $k = 2 ] && flag=--model-file
      "$TPP" simulate -q $flag "$src" --n-seq "${train_n[$k]}" --horizon 100 --seed $((10 + k)) -o "$D/train-c$k.jsonl"
      "$TPP" simulate -q $flag "$src" --n-seq "${test_n[$k]}" --horizon 100 --seed $((20 + k)) -o "$D/test-c$k.jsonl"
    done ;;
  *)  # Exps 1-3; exp 6 draws the same ground processes and then their marks from f(m | t).
    python3 "$HERE/exp1.py" configs "$D" > "$D/reading.json"
    for k in 0 1 2; do
      "$TPP" simulate -q --config "$D/c$k.json" --n-seq "${train_n[$k]}" --horizon 100 --seed $((10 + k)) -o "$D/train-c$k.jsonl"
      "$TPP" simulate -q --config "$D/c$k.json" --n-seq "${test_n[$k]}" --horizon 100 --seed $((20 + k)) -o "$D/test-c$k.jsonl"
    done
    if [ "$EXP" = 6 ]; then
      python3 "$HERE/exp1.py" marks "$D" train 1
      python3 "$HERE/exp1.py" marks "$D" test 2
      python3 "$HERE/exp1.py" marks-truth "$D"
    fi ;;
esac
python3 "$HERE/exp1.py" merge "$D" train $TRAIN_N
python3 "$HERE/exp1.py" merge "$D" test $TEST_N
python3 "$HERE/exp1.py" randomize "$D" train

# Methods: name -> config. q = 1 as in the paper (the hidden size is the binned dimension); 25 bins
# and η = 5 for exps 1-4; exps 5-6: q = 3 (hidden size 3), 125 cells (5 bins per dimension); 20 epochs
# (small models, few epochs: the runtime budget of docs/iptw.md).
TRAIN='"epochs": 20, "lr": 0.01, "batch_size": 32, "clip": 1.0, "integral": "mc", "mc_points": 10'
Q=1; BINS=25
[ "$EXP" = 5 ] || [ "$EXP" = 6 ] && { Q=3; BINS=5; }
iptw() { echo ", \"iptw\": {\"bins\": $1, \"refit_every\": ${2:-5}, \"stabilized\": true, \"dims\": $Q}"; }
NH="\"model\": \"nhp\", \"hidden_size\": $Q"
RM="\"model\": \"rmtpp\", \"embed_dim\": 1, \"hidden\": $Q, \"layers\": 1, \"cell\": \"gru\""
CLASSICAL='"train": {"epochs": 20, "lr": 0.05, "batch_size": 32, "integral": "exact"}'
declare -A CFG=(
  [NH]="{$NH, \"train\": {$TRAIN}}"
  [C-NH]="{$NH, \"train\": {$TRAIN$(iptw $BINS)}}"
  [R-NH]="{$NH, \"train\": {$TRAIN$(iptw $BINS)}}"
  [C-NH-b5]="{$NH, \"train\": {$TRAIN$(iptw 5)}}"
  [C-NH-b10]="{$NH, \"train\": {$TRAIN$(iptw 10)}}"
  [C-NH-b15]="{$NH, \"train\": {$TRAIN$(iptw 15)}}"
  [C-NH-b20]="{$NH, \"train\": {$TRAIN$(iptw 20)}}"
  [RMTPP]="{$RM, \"train\": {$TRAIN}}"
  [C-RMTPP]="{$RM, \"train\": {$TRAIN$(iptw $BINS)}}"
  [R-RMTPP]="{$RM, \"train\": {$TRAIN$(iptw $BINS)}}"
  [C-RMTPP-b5]="{$RM, \"train\": {$TRAIN$(iptw 5)}}"
  [C-RMTPP-b10]="{$RM, \"train\": {$TRAIN$(iptw 10)}}"
  [C-RMTPP-b15]="{$RM, \"train\": {$TRAIN$(iptw 15)}}"
  [C-RMTPP-b20]="{$RM, \"train\": {$TRAIN$(iptw 20)}}"
  [C-NH-e10]="{$NH, \"train\": {$TRAIN$(iptw 10 10)}}"
  [C-NH-e15]="{$NH, \"train\": {$TRAIN$(iptw 10 15)}}"
  [C-RMTPP-e10]="{$RM, \"train\": {$TRAIN$(iptw 10 10)}}"
  [C-RMTPP-e15]="{$RM, \"train\": {$TRAIN$(iptw 10 15)}}"
  [Hawkes]="{\"model\": \"hawkes\", $CLASSICAL}"
  [SelfCorr]="{\"model\": \"self_correcting\", $CLASSICAL}"
)
# The ablations are opt-in (exp 1: ~10 more minutes each). Bins 1/δ = 5, 10, 15, 20 at η = 5
# (1/δ = 1 is NH exactly):
#   METHODS="C-NH-b5 C-NH-b10 C-NH-b15 C-NH-b20 C-RMTPP-b5 ..." bash experiments/iptw/run.sh build/tpp
# Refit period η = 10, 15 at 1/δ = 10 (C-NH-e10 ...; η = 5 is C-NH-b10; with 20 epochs and no
# refit after the last, η = 20 and η = ∞ are both the unweighted model exactly).
ALL="NH C-NH R-NH RMTPP C-RMTPP R-RMTPP Hawkes SelfCorr"
METHODS=${METHODS:-$ALL}

one() {  # METHOD SEED: train on the logged users, evaluate on the new ones
  local m=$1 s=$2 r=$OUT/runs/$1-s$2 v=CFG_${1//-/_}
  mkdir -p "$r"
  local cfg=${!v}
  cfg=${cfg%\}\}}", \"seed\": $s}}"
  local data=$D/train.jsonl
  [[ $m == R-* ]] && data=$D/train-random.jsonl  # the same users, categories drawn at random
  "$TPP" train -q --json --threads 1 --time-scale none --train "$data" -o "$r/model.tpp" --config "$cfg" \
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

EXP=$EXP python3 "$HERE/table.py" "$OUT" $ALL C-NH-b5 C-NH-b10 C-NH-b15 C-NH-b20 \
  C-RMTPP-b5 C-RMTPP-b10 C-RMTPP-b15 C-RMTPP-b20 C-NH-e10 C-NH-e15 C-RMTPP-e10 C-RMTPP-e15 \
  > "$OUT/table.md"
cat "$OUT/table.md"
echo "total $(( $(date +%s) - start )) s"

#!/usr/bin/env bash
# The new-user task on real data (docs/iptw.md): Stack Overflow badges, categories from each
# user's first badge, trained on the 70% of users who joined first, scored on the 30% who joined
# last (no categories). NH vs C-NH and RMTPP vs C-RMTPP, 3 seeds each: time MAE and top-5 accuracy.
# Usage: bash experiments/iptw/real.sh build/tpp [SO_DIR]   (SO_DIR: ../shared/data/so_badges)
# Environment: OUT (out/iptw-real), JOBS (2).
set -euo pipefail
TPP=${1:?usage: real.sh TPP [SO_DIR]}
TPP=$(cd "$(dirname "$TPP")" && pwd)/$(basename "$TPP")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SO=${2:-$HERE/../../../shared/data/so_badges}
[ -f "$SO/time-1-test.txt" ] || { echo "real.sh: no Stack Overflow data at $SO (../shared/data/so_badges)"; exit 0; }
OUT=${OUT:-out/iptw-real}
JOBS=${JOBS:-2}
D=$OUT/data
mkdir -p "$D" "$OUT/runs"
start=$(date +%s)
python3 "$HERE/real.py" prepare "$SO/time-1-test.txt" "$SO/event-1-test.txt" "$D" > "$D/summary.json"

# Hidden size 16; the re-weighted models bin a fixed 2-dimensional projection of the state into
# 10 bins per dimension, refitted every 5 of 15 epochs.
TRAIN='"epochs": 15, "lr": 0.01, "batch_size": 32, "clip": 1.0, "integral": "mc", "mc_points": 10'
IPTW=', "iptw": {"bins": 10, "dims": 2, "refit_every": 5, "stabilized": true}'
NH='"model": "nhp", "hidden_size": 16'
RM='"model": "rmtpp", "embed_dim": 8, "hidden": 16, "layers": 1, "cell": "gru"'
export CFG_NH="{$NH, \"train\": {$TRAIN}}" CFG_C_NH="{$NH, \"train\": {$TRAIN$IPTW}}"
export CFG_RMTPP="{$RM, \"train\": {$TRAIN}}" CFG_C_RMTPP="{$RM, \"train\": {$TRAIN$IPTW}}"
one() {  # METHOD SEED
  local m=$1 s=$2 r=$OUT/runs/$1-s$2 v=CFG_${1//-/_}
  mkdir -p "$r"
  local cfg=${!v}
  cfg=${cfg%\}\}}", \"seed\": $s}}"
  "$TPP" train -q --json --threads 1 --time-scale none --schema "$D/schema.json" --train "$D/train.jsonl" \
    -o "$r/model.tpp" --config "$cfg" > "$r/train.json"
  "$TPP" evaluate -q --json --threads 1 --model "$r/model.tpp" --data "$D/test.jsonl" --tolerance 1e-6 --top-k 5 \
    > "$r/eval.json"
  echo "$m seed $s: $(python3 -c "import json,sys; e=json.load(open(sys.argv[1])); print(e['time_mae'], e['top_k_accuracy'])" "$r/eval.json")"
}
export -f one
export TPP OUT D
for m in NH C-NH RMTPP C-RMTPP; do for s in 1 2 3; do echo "$m $s"; done; done |
  nice xargs -P "$JOBS" -L 1 bash -c 'one "$0" "$1"'
python3 - "$OUT" > "$OUT/table.md" <<'PY'
import glob, json, math, os, sys
out = sys.argv[1]
def stats(xs):
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
    return "%.4f ± %.4f" % (m, sd)
print("| method | seeds | time MAE (days) | top-5 accuracy | type accuracy | LL / event |")
print("|---|---|---|---|---|---|")
for m in ("NH", "C-NH", "RMTPP", "C-RMTPP"):
    ev = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, "runs", m + "-s*", "eval.json")))]
    if ev:
        print("| %s | %d | %s | %s | %s | %s |" % (m, len(ev), stats([e["time_mae"] for e in ev]),
              stats([e["top_k_accuracy"] for e in ev]), stats([e["type_accuracy"] for e in ev]),
              stats([e["log_likelihood_per_event"] for e in ev])))
PY
cat "$OUT/table.md"
echo "total $(( $(date +%s) - start )) s"

#!/usr/bin/env bash
# `make run`: what tpp is for, in four steps on data that ships with the repository or is generated
# on the spot (a few minutes on 2 cores after the build). Each step prints one line on what it
# shows; the run ends with a summary table (also in $OUT/summary.md).
#   bash tools/demo.sh [path/to/tpp]        OUT=out/demo THREADS=0 (0: the cores not already busy)
set -euo pipefail
TPP=${1:-build/tpp}
OUT=${OUT:-out/demo}
THREADS=${THREADS:-0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"   # data, model, evaluate --json file: the summary table's rows
: > "$RESULTS"
# Every verb but generate computes with LibTorch and takes --threads.
tpp() {
  local verb=$1
  shift
  if [ "$verb" = generate ]; then "$TPP" "$verb" "$@"; else "$TPP" "$verb" --threads "$THREADS" "$@"; fi
}
step() { printf '\n== %s\n' "$1"; }
# evaluate DATA_LABEL MODEL_LABEL MODEL_FILE TEST_FILE: held-out metrics, one line here, a row in the summary.
evaluate() {
  local json="$OUT/$(basename "$3" .tpp).eval.json"
  tpp evaluate --model "$3" --data "$4" --tolerance 1e-6 --top-k 5 --json > "$json"
  printf '%s\t%s\t%s\n' "$1" "$2" "$json" >> "$RESULTS"
  python3 - "$2" "$json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[2]))
print("   %-18s LL/event %8.4f   time RMSE (mean) %7.3f   time MAE (median) %7.3f   type accuracy %.3f"
      % (sys.argv[1], m["log_likelihood_per_event"], m["time_rmse"], m["time_mae"], m["type_accuracy"]))
EOF
}
started=$(date +%s)

# ---------------------------------------------------------------------------------------------
step "1/4 Recovery: data simulated from a known 3-type Hawkes process; maximum likelihood finds its parameters again, each within a few standard errors"
TRUE='{"model":"hawkes","mu":[0.2,0.1,0.15],"alpha":[[0.3,0.1,0.0],[0.05,0.4,0.1],[0.1,0.0,0.3]],"beta":1.5}'
tpp simulate -q --config "$TRUE" --n-seq 300 --horizon 100 --seed 1 -o "$OUT/hawkes_train.jsonl"
tpp simulate -q --config "$TRUE" --n-seq 100 --horizon 100 --seed 2 -o "$OUT/hawkes_test.jsonl"
tpp train -q --json --config '{"model":"hawkes","train":{"optimizer":"lbfgs"}}' --time-scale none \
  --train "$OUT/hawkes_train.jsonl" -o "$OUT/hawkes.tpp" | tail -n 1 > "$OUT/hawkes.train.json"
python3 - "$TRUE" "$OUT/hawkes.train.json" "$OUT/recovery.txt" <<'EOF'
import json, sys
true = json.loads(sys.argv[1])
truth = list(true["mu"]) + [a for row in true["alpha"] for a in row] + [true["beta"]]
fitted = json.load(open(sys.argv[2]))["parameters"]
print("   %-14s %8s %9s %9s %8s" % ("parameter", "true", "fitted", "std.err", "z"))
within = 0
for t, p in zip(truth, fitted):
    z = (p["value"] - t) / p["standard_error"]
    within += abs(z) < 2
    print("   %-14s %8.3f %9.4f %9.4f %8.2f" % (p["name"], t, p["value"], p["standard_error"], z))
line = "%d of %d parameters within 2 standard errors of the truth" % (within, len(truth))
print("   " + line)
open(sys.argv[3], "w").write(line + "\n")
EOF
tpp train -q --config '{"model":"poisson","train":{"optimizer":"lbfgs"}}' --time-scale none \
  --train "$OUT/hawkes_train.jsonl" -o "$OUT/hawkes_poisson.tpp"
echo "   held out (100 new sequences): the fitted Hawkes beats a Poisson fit, which ignores excitation"
evaluate "simulated Hawkes" poisson "$OUT/hawkes_poisson.tpp" "$OUT/hawkes_test.jsonl"
evaluate "simulated Hawkes" "hawkes (L-BFGS)" "$OUT/hawkes.tpp" "$OUT/hawkes_test.jsonl"

# ---------------------------------------------------------------------------------------------
step "2/4 MIMIC-II (data/mimic2, fold 1): neural models learn which diagnosis follows which, so they predict the next type far better than Poisson/Hawkes (protocol of docs/experiments.md: 90/10 train/dev split, early stopping on dev, fold-1 test)"
MIMIC="$OUT/mimic"
python3 "$ROOT/experiments/neural/exptools.py" split "$ROOT/data/mimic2/time-1-train.txt" \
  "$ROOT/data/mimic2/event-1-train.txt" "$MIMIC" --parts train,dev --fractions 0.9,0.1 --seed 1 > /dev/null
SCHEMA="$ROOT/data/mimic2/schema.json"
TEST="$ROOT/data/mimic2/time-1-test.txt"
tpp train -q --config '{"model":"poisson","train":{"optimizer":"lbfgs"}}' --time-scale none \
  --train "$MIMIC/time-train.txt" --schema "$SCHEMA" -o "$OUT/mimic_poisson.tpp"
tpp train -q --config '{"model":"hawkes","train":{"optimizer":"lbfgs"}}' --time-scale none \
  --train "$MIMIC/time-train.txt" --schema "$SCHEMA" -o "$OUT/mimic_hawkes.tpp"
for model in rmtpp thp; do
  tpp train -q --config "$ROOT/experiments/neural/$model.json" --time-scale none --train "$MIMIC/time-train.txt" \
    --dev "$MIMIC/time-dev.txt" --schema "$SCHEMA" -o "$OUT/mimic_$model.tpp"
done
evaluate "MIMIC-II fold 1" poisson "$OUT/mimic_poisson.tpp" "$TEST"
evaluate "MIMIC-II fold 1" "hawkes (L-BFGS)" "$OUT/mimic_hawkes.tpp" "$TEST"
evaluate "MIMIC-II fold 1" "rmtpp" "$OUT/mimic_rmtpp.tpp" "$TEST"
evaluate "MIMIC-II fold 1" "thp" "$OUT/mimic_thp.tpp" "$TEST"
echo "   each sequence's first event only conditions (it has no interval before it); times in the files' unit"

# ---------------------------------------------------------------------------------------------
step "3/4 Stimuli: a generated shop log with coupons and their expiry dates; ExPERT, which sees the stimuli and the users' features, models it better than THP on the same log"
tpp generate -q --process ecommerce --n-seq 200 --seed 1 -o "$OUT/shop_train.jsonl" --plot "$OUT/shop_true_intensity.svg"
tpp generate -q --process ecommerce --n-seq 50 --seed 2 -o "$OUT/shop_dev.jsonl"
tpp generate --json --process ecommerce --n-seq 50 --seed 3 -o "$OUT/shop_test.jsonl" > "$OUT/shop_test.json"
tpp inspect "$OUT/shop_train.jsonl"
for model in thp expert; do
  python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["train"]["epochs"]=8; print(json.dumps(c))' \
    "$ROOT/experiments/expert_synthetic/configs/$model.json" > "$OUT/shop_$model.json"
  tpp train -q --config "$OUT/shop_$model.json" --train "$OUT/shop_train.jsonl" --dev "$OUT/shop_dev.jsonl" \
    -o "$OUT/shop_$model.tpp"
done
evaluate "shop with coupons" thp "$OUT/shop_thp.tpp" "$OUT/shop_test.jsonl"
evaluate "shop with coupons" "expert (full)" "$OUT/shop_expert.tpp" "$OUT/shop_test.jsonl"
python3 -c 'import json,sys; print("   the generator itself (the ceiling): LL/event %.4f" % json.load(open(sys.argv[1]))["oracle_log_likelihood_per_action"])' "$OUT/shop_test.json"
tpp predict -q --model "$OUT/shop_expert.tpp" --data "$OUT/shop_test.jsonl" --plot "$OUT/shop_expert_intensity.svg"
echo "   intensity plots (stimuli marked): $OUT/shop_expert_intensity.svg (ExPERT, test user 0), $OUT/shop_true_intensity.svg (the generator)"

# ---------------------------------------------------------------------------------------------
step "4/4 Prediction: one shopper's next purchase, as tpp predict --user tells it"
USER_ID=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["user"])' "$OUT/shop_test.jsonl")
echo "   tpp predict --model $OUT/shop_expert.tpp --data $OUT/shop_test.jsonl --user $USER_ID --top-k 3"
tpp predict --model "$OUT/shop_expert.tpp" --data "$OUT/shop_test.jsonl" --user "$USER_ID" --top-k 3 | sed 's/^/   /'

# ---------------------------------------------------------------------------------------------
step "Summary: held-out metrics (LL/event in nats per action, higher is better; times in each data set's unit)"
python3 - "$RESULTS" "$OUT/recovery.txt" "$(( $(date +%s) - started ))" "$OUT/summary.md" <<'EOF'
import json, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
lines = ["| data | model | LL/event | time RMSE (mean) | time MAE (median) | type accuracy |",
         "|---|---|---|---|---|---|"]
last = None
for data, model, path in rows:
    m = json.load(open(path))
    lines.append("| %s | %s | %.4f | %.3f | %.3f | %.3f |" % (data if data != last else "", model,
                 m["log_likelihood_per_event"], m["time_rmse"], m["time_mae"], m["type_accuracy"]))
    last = data
lines.append("")
lines.append("Hawkes recovery: " + open(sys.argv[2]).read().strip() + ". Demo time: %s s." % sys.argv[3])
open(sys.argv[4], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF

#!/usr/bin/env bash
# `make run`: simulate a 3-type Hawkes data set, fit it, evaluate it; then fit and evaluate models on
# the MIMIC-II fold shipped in data/mimic2. Uses only what ships in the repository.
set -euo pipefail
TPP=${1:-build/tpp}
OUT=${OUT:-out/demo}
mkdir -p "$OUT"
TRUE='{"model":"hawkes","mu":[0.2,0.1,0.15],"alpha":[[0.3,0.1,0.0],[0.05,0.4,0.1],[0.1,0.0,0.3]],"beta":1.5}'

echo "== 1. Synthetic 3-type Hawkes"
echo "true parameters: $TRUE"
"$TPP" simulate --config "$TRUE" --num-types 3 --n-seq 200 --horizon 100 --seed 1 -o "$OUT/hawkes_train.jsonl"
"$TPP" simulate --config "$TRUE" --num-types 3 --n-seq 50 --horizon 100 --seed 2 -o "$OUT/hawkes_test.jsonl"
"$TPP" inspect "$OUT/hawkes_train.jsonl" | head -8
for model in poisson hawkes; do
  "$TPP" train -q --config "{\"model\":\"$model\",\"train\":{\"optimizer\":\"lbfgs\"}}" \
    --train "$OUT/hawkes_train.jsonl" --time-scale none --json -o "$OUT/$model.tpp" > "$OUT/$model.train.log"
  echo "-- fitted $model on held-out sequences"
  "$TPP" evaluate --model "$OUT/$model.tpp" --data "$OUT/hawkes_test.jsonl"
done
echo "fitted hawkes parameters:"
tail -n 1 "$OUT/hawkes.train.log" | grep -o '"config":{[^}]*}' 

echo
echo "== 2. MIMIC-II (fold 1, data/mimic2)"
TRAIN=data/mimic2/time-1-train.txt
TEST=data/mimic2/time-1-test.txt
for model in poisson hawkes; do
  "$TPP" train -q --config "{\"model\":\"$model\",\"train\":{\"optimizer\":\"lbfgs\"}}" \
    --train "$TRAIN" --schema data/mimic2/schema.json -o "$OUT/mimic_$model.tpp" > /dev/null
  echo "-- $model"
  "$TPP" evaluate --model "$OUT/mimic_$model.tpp" --data "$TEST"
done
"$TPP" train -q --config '{"model":"thp","d_model":32,"d_ff":64,"heads":2,"layers":1,"train":{"epochs":20,"batch_size":64,"lr":0.003,"seed":1,"loss_weights":{"ll":1,"type":1,"time":0}}}' \
  --train "$TRAIN" --schema data/mimic2/schema.json -o "$OUT/mimic_thp.tpp" > /dev/null
echo "-- thp"
"$TPP" evaluate --model "$OUT/mimic_thp.tpp" --data "$TEST"

#!/usr/bin/env bash
# Repeated action delivery (docs/policy.md): simulate logs under the random logging policy, fit the
# user model, optimise the policy on it, evaluate on the true simulator against the baselines, and
# write the table.
#
#   experiments/policy/run.sh [TPP]
#
# USERS (default 1000) simulated users per evaluated policy; SEED (default 1); ESTIMATOR overrides
# the config's policy-gradient estimator (reinforce | pathwise); ENSEMBLE the number of bootstrap
# user models; CONFOUNDING="0 1 2" adds the sweep over the hidden trait's logging tilt γ (the trait
# also scales action effects by 1 ± 0.8; the first γ listed is the reference of the paired column,
# so list 0 first). Output in $OUT (default out/experiments/policy):
# results.md, the logs, policy files and JSON results.
set -euo pipefail
TPP=$(realpath "${1:-build/tpp}")
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-out/experiments/policy}
USERS=${USERS:-1000}
SEED=${SEED:-1}
THREADS=${THREADS:-2}
DTYPE=${DTYPE:-float32}
mkdir -p "$OUT"
COMMON=(--seed "$SEED" --threads "$THREADS" --dtype "$DTYPE")

config="$HERE/policy.json"
if [[ -n "${ESTIMATOR:-}" || -n "${ENSEMBLE:-}" ]]; then
  python3 - "$config" "${ESTIMATOR:-}" "${ENSEMBLE:-}" > "$OUT/policy.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
if sys.argv[2]: c["optimiser"]["estimator"] = sys.argv[2]
if sys.argv[3]: c["ensemble"] = int(sys.argv[3])
print(json.dumps(c, indent=1))
PY
  config="$OUT/policy.json"
fi

# run_one NAME SIMULATOR_JSON: log, fit, evaluate; NAME.md and NAME.json in $OUT.
run_one() {
  local name=$1 simulator=$2
  local began=$SECONDS
  "$TPP" policy simulate -q "${COMMON[@]}" --simulator "$simulator" -o "$OUT/$name.logged.jsonl"
  "$TPP" policy fit --json "${COMMON[@]}" --config "$config" --log "$OUT/$name.logged.jsonl" \
    -o "$OUT/$name.policy.tpp" > "$OUT/$name.fit.json"
  "$TPP" policy evaluate --json "${COMMON[@]}" --policy "$OUT/$name.policy.tpp" --simulator "$simulator" \
    --log "$OUT/$name.logged.jsonl" --users "$USERS" --markdown "$OUT/$name.md" > "$OUT/$name.json"
  "$TPP" policy evaluate --json "${COMMON[@]}" --policy "$OUT/$name.policy.tpp" --log "$OUT/$name.logged.jsonl" \
    > "$OUT/$name.off_policy.json"
  echo "$name: $((SECONDS - began)) s" >&2
}

run_one default "$HERE/simulator.json"
{
  echo "# Repeated action delivery: learned policy against baselines"
  echo
  echo "\`experiments/policy/run.sh\` (seed $SEED, $USERS simulated users per policy, dtype $DTYPE)."
  echo "User model fit: $(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("log-likelihood %.4f nats/event, rollout utility %.3f -> %.3f during optimisation, %.0f s" % (j["log_likelihood_per_event"][0], j["first_rollout_utility"], j["final_rollout_utility"], j["seconds"]))' "$OUT/default.fit.json")."
  echo
  cat "$OUT/default.md"
  echo
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("Off-policy estimate of the learned policy from the log over the last horizon of each logged user: self-normalised IS per trajectory %.3f, 95%% CI [%.3f, %.3f], effective sample size %.1f of %d; weighted per-decision IS %.3f, 95%% bootstrap CI [%.3f, %.3f]; weighted doubly robust %.3f, 95%% bootstrap CI [%.3f, %.3f]; the fitted model alone %.3f; logged (random) policy %.3f." % (j["off_policy_value"], j["ci95"][0], j["ci95"][1], j["effective_sample_size"], j["users"], j["per_decision_value"], j["per_decision_ci95"][0], j["per_decision_ci95"][1], j["doubly_robust_value"], j["doubly_robust_ci95"][0], j["doubly_robust_ci95"][1], j["model_value"], j["logged_value"]))' "$OUT/default.off_policy.json"
} > "$OUT/results.md"

if [[ -n "${CONFOUNDING:-}" ]]; then
  # Each γ's log is confounded; its policy is evaluated twice: on users whose warm-up was logged by
  # the same confounded policy (what the model was fitted on), and on users whose warm-up was logged
  # without the tilt (the users of confounded_0 warm-ups, identical for every γ, so the learned
  # policies of different γ compare paired).
  {
    echo
    echo "## Confounding sweep"
    echo
    echo "A hidden trait z (probability 1/2) scales every action effect by 1 + 0.8 (2z − 1) and tilts the logging"
    echo "policy's actions by exp(γ (2z − 1)); γ = 0 is unconfounded. Warm-up: the logging policy that wrote the"
    echo "evaluated users' histories before the policy takes over (confounded: tilted by γ like the fitted log;"
    echo "unconfounded: not tilted, the same users for every γ)."
    echo
    echo "| γ | warm-up | learned | never act | best single action | learned − best baseline (95% CI) | learned − learned at γ = 0 (95% CI) |"
    echo "|---:|---|---:|---:|---:|---:|---:|"
  } >> "$OUT/results.md"
  for gamma in $CONFOUNDING; do
    python3 - "$HERE/simulator.json" "$gamma" > "$OUT/confounded_$gamma.simulator.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["trait"] = {"effect": 0.8, "logging_tilt": float(sys.argv[2])}
print(json.dumps(c))
PY
  done
  unconfounded="$OUT/warmup_untilted.simulator.json"
  python3 - "$HERE/simulator.json" > "$unconfounded" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["trait"] = {"effect": 0.8, "logging_tilt": 0.0}
print(json.dumps(c))
PY
  for gamma in $CONFOUNDING; do
    name="confounded_$gamma"
    run_one "$name" "$OUT/$name.simulator.json"
    "$TPP" policy evaluate --json "${COMMON[@]}" --policy "$OUT/$name.policy.tpp" --simulator "$unconfounded" \
      --log "$OUT/$name.logged.jsonl" --users "$USERS" --utilities "$OUT/$name.untilted.utilities.csv" \
      > "$OUT/$name.untilted.json"
  done
  python3 - "$OUT" $CONFOUNDING >> "$OUT/results.md" <<'PY'
import csv, json, math, sys
out, gammas = sys.argv[1], sys.argv[2:]
def row(path):
    r = {x["policy"]: x for x in json.load(open(path))["results"]}
    learned = r["learned policy"]
    best = max((x for k, x in r.items() if k != "learned policy"), key=lambda x: x["mean_utility"])
    single = next(x for k, x in r.items() if k.startswith("best single"))
    return learned, r["never act"], single, best
def learned_utilities(path):
    with open(path) as f:
        return [float(x["learned policy"]) for x in csv.DictReader(f)]
reference = learned_utilities("%s/confounded_%s.untilted.utilities.csv" % (out, gammas[0]))
for g in gammas:
    for warmup, path in (("confounded", "%s/confounded_%s.json" % (out, g)), ("unconfounded", "%s/confounded_%s.untilted.json" % (out, g))):
        learned, never, single, best = row(path)
        paired = ""
        if warmup == "unconfounded":
            d = [a - b for a, b in zip(learned_utilities("%s/confounded_%s.untilted.utilities.csv" % (out, g)), reference)]
            m = sum(d) / len(d)
            h = 1.96 * math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d))
            paired = "%+.3f [%+.3f, %+.3f]" % (m, m - h, m + h)
        print("| %s | %s | %.3f | %.3f | %.3f | %+.3f [%+.3f, %+.3f] (%s) | %s |" % (g, warmup, learned["mean_utility"], never["mean_utility"],
              single["mean_utility"], best["learned_minus_this"], best["learned_minus_this_ci95"][0], best["learned_minus_this_ci95"][1],
              best["policy"], paired))
PY
fi
cat "$OUT/results.md"

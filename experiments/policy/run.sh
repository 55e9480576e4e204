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
# also scales action effects by 1 ± 0.8). Output in $OUT (default out/experiments/policy):
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
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("Off-policy estimate of the learned policy from the log over the last horizon of each logged user: self-normalised IS per trajectory %.3f, 95%% CI [%.3f, %.3f], effective sample size %.1f of %d; weighted per-decision IS %.3f, 95%% bootstrap CI [%.3f, %.3f]; logged (random) policy %.3f." % (j["off_policy_value"], j["ci95"][0], j["ci95"][1], j["effective_sample_size"], j["users"], j["per_decision_value"], j["per_decision_ci95"][0], j["per_decision_ci95"][1], j["logged_value"]))' "$OUT/default.off_policy.json"
} > "$OUT/results.md"

if [[ -n "${CONFOUNDING:-}" ]]; then
  {
    echo
    echo "## Confounding sweep"
    echo
    echo "A hidden trait z (probability 1/2) scales every action effect by 1 + 0.8 (2z − 1) and tilts the logging"
    echo "policy's actions by exp(γ (2z − 1)); γ = 0 is unconfounded."
    echo
    echo "| γ | learned | never act | best single action | learned − best baseline (95% CI) |"
    echo "|---:|---:|---:|---:|---:|"
  } >> "$OUT/results.md"
  for gamma in $CONFOUNDING; do
    python3 - "$HERE/simulator.json" "$gamma" > "$OUT/confounded_$gamma.simulator.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["trait"] = {"effect": 0.8, "logging_tilt": float(sys.argv[2])}
print(json.dumps(c))
PY
    run_one "confounded_$gamma" "$OUT/confounded_$gamma.simulator.json"
    python3 - "$OUT/confounded_$gamma.json" "$gamma" >> "$OUT/results.md" <<'PY'
import json, sys
r = {x["policy"]: x for x in json.load(open(sys.argv[1]))["results"]}
learned = r["learned policy"]
best = max((x for k, x in r.items() if k != "learned policy"), key=lambda x: x["mean_utility"])
single = next(x for k, x in r.items() if k.startswith("best single"))
print("| %s | %.3f | %.3f | %.3f | %+.3f [%+.3f, %+.3f] (%s) |" % (sys.argv[2], learned["mean_utility"], r["never act"]["mean_utility"],
      single["mean_utility"], best["learned_minus_this"], best["learned_minus_this_ci95"][0], best["learned_minus_this_ci95"][1], best["policy"]))
PY
  done
fi
cat "$OUT/results.md"

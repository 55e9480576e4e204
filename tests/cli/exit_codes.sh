#!/usr/bin/env bash
# What `tpp` itself answers before any verb runs, with its exit codes: 0 for help and --version,
# 2 for any command line it rejects (an unknown command names the commands). CTest `cli_exit_codes`:
#   bash tests/cli/exit_codes.sh build/tpp
set -uo pipefail
tpp=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
failures=0
# expect CODE PATTERN ARGS...: exit code CODE and PATTERN (grep -E) in stdout + stderr.
expect() {
  local code=$1 pattern=$2
  shift 2
  local out rc
  out=$("$tpp" "$@" 2>&1)
  rc=$?
  if [ "$rc" != "$code" ] || ! grep -Eq -- "$pattern" <<< "$out"; then
    echo "FAIL: tpp $* -> exit $rc (expected $code), output:" >&2
    echo "$out" | head -5 >&2
    failures=$((failures + 1))
  fi
}
expect 2 "^tpp: error: unknown command 'foo'; commands: convert, inspect, simulate, evaluate, predict, train, generate, serve, policy, launch$" foo
expect 2 "unknown command 'trian'" trian --config x
expect 2 "a command is required: convert, inspect" 
expect 0 "^tpp [0-9]+\.[0-9]+\.[0-9]+$" --version
expect 0 "Usage:" --help
expect 0 "Usage:" train --help
expect 2 "not expected" inspect "$root/data/mimic2/time-1-train.txt" extra-argument
expect 2 "required" train --train x.jsonl
# The data verbs accept --threads like the modelling verbs.
expect 0 "sequences +585" inspect --threads 1 "$root/data/mimic2/time-1-train.txt"
# A config sized for other than --num-types names the option.
expect 2 "array of 3 numbers \\(the number of types came from --num-types 3" simulate --num-types 3 --n-seq 1 \
  --horizon 1 --config '{"model":"hawkes","mu":[0.2,0.1],"alpha":[[0.3,0.1],[0.1,0.3]],"beta":1.5}'
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
expect 0 "" convert --threads 2 "$root/data/mimic2/time-1-test.txt" "$out/test.jsonl"
[ "$failures" = 0 ] && echo "cli_exit_codes: all passed"
exit "$failures"

#!/usr/bin/env bash
# Runs every ```bash block of examples/shop/README.md (the data are made again and must equal the
# shipped files byte for byte) and then of docs/walkthrough_stimuli.md, in order, from a scratch
# copy of examples/, with tpp = the given binary first on PATH. Two things differ from the page, to
# keep the test short: the model configs train for EPOCHS epochs (default 1), and the seed loop
# `for seed in 1 2 3; do` runs SEEDS (default 1). Fails on the first block that fails.
# Test `walkthrough_stimuli`:
#   bash tests/cli/walkthrough_stimuli.sh build/tpp      (EPOCHS=20 SEEDS="1 2 3": the page's runs)
set -euo pipefail
tpp_bin=$(realpath "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
epochs=${EPOCHS:-1}
seeds=${SEEDS:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/examples" "$work/examples"
for config in "$work"/examples/shop/*.json; do
  case $config in *.schema.json) continue ;; esac
  python3 - "$config" "$epochs" <<'EOF'
import json, sys
path, epochs = sys.argv[1], int(sys.argv[2])
config = json.load(open(path))
config["train"]["epochs"] = epochs
open(path, "w").write(json.dumps(config, indent=2) + "\n")
EOF
done
mkdir -p "$work/bin" "$work/blocks"
ln -s "$tpp_bin" "$work/bin/tpp"
export PATH="$work/bin:$PATH"
cd "$work"

# Each ```bash ... ``` block of $1 into blocks/<tag>-<n>.sh; prints the files' names.
extract() {
  awk -v prefix="blocks/$2-" '
    /^```bash$/ { n++; file = sprintf("%s%02d.sh", prefix, n); printf "" > file; print file; next }
    /^```/ { file = ""; next }
    file != "" { print >> file }' "$1"
}
run_blocks() {
  local doc=$1 tag=$2 count=0 block
  local blocks
  blocks=$(extract "$root/$doc" "$tag")
  [ -n "$blocks" ] || { echo "walkthrough_stimuli: no bash blocks in $doc" >&2; exit 1; }
  if [ "$tag" = walk ]; then
    # shellcheck disable=SC2086
    grep -l '^for seed in 1 2 3; do$' $blocks > /dev/null ||
      { echo "walkthrough_stimuli: no line 'for seed in 1 2 3; do' in $doc (update this script)" >&2; exit 1; }
    # shellcheck disable=SC2086
    sed -i "s/^for seed in 1 2 3; do\$/for seed in $seeds; do/" $blocks
  fi
  for block in $blocks; do
    count=$((count + 1))
    local start=$SECONDS
    if ! bash -euo pipefail "$block" > "$block.log" 2>&1; then
      echo "walkthrough_stimuli: block $count of $doc failed:" >&2
      cat "$block" >&2
      echo "--- its output (last 30 lines):" >&2
      tail -30 "$block.log" >&2
      exit 1
    fi
    echo "[$doc, block $count, $((SECONDS - start)) s] $(head -1 "$block")"
  done
  echo "walkthrough_stimuli: $count blocks of $doc ran"
}

run_blocks examples/shop/README.md data
for file in train.csv train.users.csv train.schema.json test.csv test.users.csv test.schema.json; do
  if ! cmp -s "examples/shop/$file" "$root/examples/shop/$file"; then
    echo "walkthrough_stimuli: examples/shop/$file differs from what examples/shop/README.md's commands make now" >&2
    exit 1
  fi
done
echo "walkthrough_stimuli: the data commands give the shipped files"

run_blocks docs/walkthrough_stimuli.md walk
# The figures the walk-through shows are committed beside it.
for figure in $(grep -o 'figures/[A-Za-z0-9_.-]*\.svg' "$root/docs/walkthrough_stimuli.md" | sort -u); do
  [ -s "$root/docs/$figure" ] || { echo "walkthrough_stimuli: docs/$figure is missing" >&2; exit 1; }
done

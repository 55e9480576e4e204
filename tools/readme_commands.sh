#!/usr/bin/env bash
# Runs every command of the README's CLI block verbatim (tpp = the given binary) from a scratch
# copy of the repository's data, and fails on the first that fails. Used by the test
# `readme_commands`:   bash tools/readme_commands.sh build/tpp
set -euo pipefail
tpp_bin=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/data" "$work/data"
mkdir -p "$work/out"
# The block between the line "## CLI" and the first closing fence after it; continuation lines
# (ending in a backslash) join the next one.
awk '/^## CLI$/ {in_section = 1; next}
     in_section && /^```/ { if (in_block) exit; in_block = 1; next }
     in_block { print }' "$root/README.md" |
  awk '{ if (sub(/\\$/, "")) { line = line $0 } else { print line $0; line = "" } }' > "$work/commands"
[ -s "$work/commands" ] || { echo "readme_commands: no commands found in README.md" >&2; exit 1; }
# "tpp" is the binary under test, found first on PATH, so `tpp ... &` and `$!` behave as at a shell.
mkdir -p "$work/bin"
ln -s "$tpp_bin" "$work/bin/tpp"
export PATH="$work/bin:$PATH"
cd "$work"
n=0
while IFS= read -r command; do
  [ -z "${command// }" ] && continue
  n=$((n + 1))
  echo "[$n] $command"
  if ! (eval "$command" > "out/command-$n.log" 2>&1); then
    echo "readme_commands: command $n failed:" >&2
    tail -20 "out/command-$n.log" >&2
    exit 1
  fi
done < "$work/commands"
echo "readme_commands: $n commands ran"

#!/usr/bin/env bash
# Every table of docs/iptw.md: experiments 1-6 (2 and 3 under both readings), experiment 1's bins
# and refit-period ablations, and the Stack Overflow new-user case. About 2.5 hours on 2 cores.
# Usage: bash experiments/iptw/all.sh build/tpp
set -euo pipefail
TPP=${1:?usage: all.sh TPP}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ABLATIONS="C-NH-b5 C-NH-b10 C-NH-b15 C-NH-b20 C-RMTPP-b5 C-RMTPP-b10 C-RMTPP-b15 C-RMTPP-b20"
ABLATIONS="$ABLATIONS C-NH-e10 C-NH-e15 C-RMTPP-e10 C-RMTPP-e15"
EXP=1 METHODS="NH C-NH R-NH RMTPP C-RMTPP R-RMTPP Hawkes SelfCorr $ABLATIONS" bash "$HERE/run.sh" "$TPP"
for reading in text appendix; do
  for e in 2 3; do EXP=$e READING=$reading bash "$HERE/run.sh" "$TPP"; done
done
for e in 4 5 6; do EXP=$e bash "$HERE/run.sh" "$TPP"; done
bash "$HERE/real.sh" "$TPP"

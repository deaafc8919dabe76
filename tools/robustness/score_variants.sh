#!/bin/bash
# Scores the listener (`performia analyze --offline`, the DSP of PerfListen) on a guitar corpus and on its altered
# copies, one line per set with the pooled figures of every area (score.py's ALL rows).
# usage: tools/robustness/score_variants.sh [CORPUS_DIR [VARIANTS_DIR]] ; defaults ../shared/guitar-dev, target/variants
# The variants are made (once) by make_variants.py beside this script; needs python3 with numpy ($PYTHON if set).
set -eu
py=${PYTHON:-python3}
"$py" -c 'import numpy' 2>/dev/null || { echo "$py has no numpy: apt-get install python3-numpy (or set PYTHON)" >&2; exit 1; }
cd "$(dirname "$0")/../.."
corpus=$(realpath "${1:-../shared/guitar-dev}")
variants=${2:-target/variants}
[ -f "$corpus/score.py" ] || { echo "no score.py in $corpus: give guitar-dev's folder" >&2; exit 1; }
[ -d "$variants/sr22" ] || "$py" tools/robustness/make_variants.py "$corpus" "$variants"
cargo build --release -q -p performia
performia=${CARGO_TARGET_DIR:-target}/release/performia
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for set in base hum60 hum60q hum50 noise reverb hot dark thin bright dc flat32 up2 down2 sr22 sr32 sr44 sr96; do
  dir=$variants/$set
  [ "$set" = base ] && dir=$corpus
  "$performia" analyze --offline "$dir"/*.wav -o "$out/$set" 2>/dev/null
  "$py" "$corpus/score.py" "$dir" "$out/$set" --json-only | tail -1 | "$py" -c '
import json, sys
d = json.load(sys.stdin)["overall"]; o, p, c, b = d["onsets"], d["pitch"], d["chords"], d["beats"]
print("%-7s onsets F %.3f false/min %4.1f delay %.1f/%.1f ms | pitch RPA %.3f oct %.3f f.a. %.3f | chords %.3f <=100ms %.3f | beats F %.3f CMLc %.3f"
      % (sys.argv[1], o["F50"], o["false_per_min"], o["delay_med_ms"], o["delay_p90_ms"], p["RPA"], p["octave_err"],
         p["voicing_fa"], c["chord_acc"], c["within_100ms"], b["F"], b["CMLc"]))' "$set"
done

#!/usr/bin/env bash
# Renders a plucked string with supernova in non-real-time mode and prints what PerfPeak measured, 4 times a
# second. Writes out/perf_peak_demo.wav (the pluck and PerfPeak's output as two channels).
set -euo pipefail
cd "$(dirname "$0")/.."
ext="${SC_EXTENSIONS_DIR:-$HOME/.local/share/SuperCollider/Extensions}"
mkdir -p out
# A private sclang config: the installed classes, whatever the user's own config says.
printf 'includePaths:\n    - %s\nexcludePaths:\n    []\npostInlineWarnings: false\n' "$ext/Performia/Classes" \
  > out/sclang_conf.yaml
QTWEBENGINE_DISABLE_SANDBOX=1 QT_QPA_PLATFORM=offscreen timeout 120 \
  sclang -l out/sclang_conf.yaml examples/perf_peak_demo.scd > out/sclang.log 2>&1 || true
grep -q "score written" out/sclang.log || { echo "sclang could not write the score; see out/sclang.log" >&2; exit 1; }
supernova -N out/perf_peak_demo.osc _ out/perf_peak_demo.wav 48000 WAV float -o 2 \
  -U "/usr/lib/SuperCollider/plugins:$ext" | grep -E "Performia|PerfPeak"
echo "wrote out/perf_peak_demo.wav"

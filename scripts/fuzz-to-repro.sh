#!/usr/bin/env bash
# Turn fuzz_oplog inputs (libFuzzer's crash-* files, or the *.bin files collected with
# TORNPAGE_FUZZ_FINDINGS) into reproducers in corpus/repro, like any other finding.
#   scripts/fuzz-to-repro.sh INPUT...
# For each input: `fuzz_oplog --print INPUT` decodes it to its op log (written to
# $TMPDIR/tornpage-fuzz-to-repro/NAME.log; a reproducer holds its log), then
# `tornpage crash` runs that log with fuzz_oplog's own sampling (--atomic 512
# --exhaustive 6 --samples 8 --seed 1: the same crash images are judged) and --save
# writes one reproducer per finding signature that --baseline corpus/repro lacks. Then the baseline the fuzzer
# reads is brought up to date: corpus/repro/SIGNATURES when it exists (tornpage repro
# --signatures), else the new signatures are appended to fuzz/known-signatures.txt.
# Environment: TORNPAGE_BUILD (default build): a build with fuzz_oplog and tornpage;
# TORNPAGE_REPRO_DIR (default corpus/repro).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${TORNPAGE_BUILD:-build}
repro_dir=${TORNPAGE_REPRO_DIR:-corpus/repro}
fuzz=$build/fuzz/fuzz_oplog
tp=$build/harness/tornpage
if [ $# -eq 0 ]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
for exe in "$fuzz" "$tp"; do
  [ -x "$exe" ] || { echo "fuzz-to-repro: $exe missing: build first (cmake --build $build)" >&2; exit 2; }
done
logdir=${TMPDIR:-/tmp}/tornpage-fuzz-to-repro
mkdir -p "$repro_dir" "$logdir"
crash_flags=(--atomic 512 --exhaustive 6 --samples 8 --seed 1)
can_save=0
"$tp" crash --help | grep -q -- '--save DIR' && can_save=1
for input in "$@"; do
  name=$(basename "$input"); name=${name%.bin}
  log=$logdir/$name.log
  "$fuzz" --print "$input" > "$log"
  echo "== $input -> $log"
  if ((can_save)); then
    "$tp" crash --quiet "${crash_flags[@]}" --baseline "$repro_dir" --save "$repro_dir" "$log" || true
  else
    echo "(this tornpage has no crash --save yet: showing the findings only)"
    "$tp" crash "${crash_flags[@]}" "$log" || true
  fi
done
# The fuzzer's baseline.
if [ -f "$repro_dir/SIGNATURES" ] && "$tp" repro --help 2>&1 | grep -q -- '--signatures'; then
  shopt -s nullglob
  files=("$repro_dir"/*.repro)
  "$tp" repro --signatures "${files[@]}" > "$repro_dir/SIGNATURES.new" && mv "$repro_dir/SIGNATURES.new" "$repro_dir/SIGNATURES"
  echo "updated $repro_dir/SIGNATURES ($(wc -l < "$repro_dir/SIGNATURES") signatures)"
else
  logs=()
  for input in "$@"; do name=$(basename "$input"); logs+=("$logdir/${name%.bin}.log"); done
  before=$(grep -vc '^#' fuzz/known-signatures.txt || true)
  { grep -v '^#' fuzz/known-signatures.txt; "$fuzz" --signatures --fuzz-config "${logs[@]}"; } | sort -u > fuzz/known-signatures.new
  { grep '^#' fuzz/known-signatures.txt; cat fuzz/known-signatures.new; } > fuzz/known-signatures.txt.tmp
  mv fuzz/known-signatures.txt.tmp fuzz/known-signatures.txt
  rm -f fuzz/known-signatures.new
  echo "fuzz/known-signatures.txt: $before -> $(grep -vc '^#' fuzz/known-signatures.txt) signatures"
fi

#!/usr/bin/env bash
# Minimise a committed fuzz corpus with libFuzzer's -merge=1, keeping the seed inputs
# (docs/fuzzing.md "Corpora"):
#   scripts/fuzz-minimize.sh image|oplog [EXTRA_DIR...]
# The seeds (corpus/images: golden-*.img, log-*.img; corpus/fuzz/oplog: log-*.bin, made
# by scripts/mkimages.sh) are kept whatever the merge thinks of them; every other input
# of the corpus (found-*, regress-*...) and of each EXTRA_DIR (e.g. a work corpus of
# scripts/fuzz.sh) competes in one merge into the seeds: only what adds coverage beyond
# them is kept, smallest first (libFuzzer's order). Inputs bigger than
# TORNPAGE_MINIMIZE_MAX bytes (default 16385: 16 KiB pages + the header byte; 128 for
# oplog, which decodes only that much) are left out, to keep the corpus small and fast.
# regress-* inputs (regression inputs of fixed bugs) are always kept. Kept fuzz inputs
# are named found-SHA1.img / found-SHA1.bin. Needs a libFuzzer build (scripts/fuzz.sh
# makes one; TORNPAGE_FUZZ_BUILD, default build-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
[ $# -ge 1 ] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
target=${1#fuzz_}; shift
case $target in
  image) corpus=corpus/images; ext=img; seeds='golden-*.img log-*.img'; max=${TORNPAGE_MINIMIZE_MAX:-16385}; flags=(-timeout=20) ;;
  oplog) corpus=corpus/fuzz/oplog; ext=bin; seeds='log-*.bin'; max=${TORNPAGE_MINIMIZE_MAX:-128}; flags=(-timeout=60 -max_len=128) ;;
  *) echo "fuzz-minimize: target image or oplog" >&2; exit 2 ;;
esac
build=${TORNPAGE_FUZZ_BUILD:-build-fuzz}
case $build in /*) ;; *) build=$root/$build ;; esac
exe=$build/fuzz/fuzz_$target
[ -x "$exe" ] || { echo "fuzz-minimize: $exe missing (scripts/fuzz.sh $target 0 builds it)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/keep" "$tmp/cand"
before="$(ls "$corpus" | wc -l) inputs, $(du -sb "$corpus" | cut -f1) bytes"
shopt -s nullglob
for f in $(cd "$corpus" && echo $seeds regress-*); do cp "$corpus/$f" "$tmp/keep/"; done
nseeds=$(ls "$tmp/keep" | wc -l)
for src in "$corpus" "$@"; do
  for f in "$src"/*; do
    b=$(basename "$f")
    [ -e "$tmp/keep/$b" ] && continue
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -le "$max" ] && cp "$f" "$tmp/cand/"
  done
done
echo "fuzz-minimize: $nseeds kept inputs (seeds, regress-*), $(ls "$tmp/cand" | wc -l) candidate(s) <= $max bytes"
(cd "$tmp" && "$exe" -merge=1 -artifact_prefix="$tmp/" "${flags[@]}" "$tmp/keep" "$tmp/cand" >"$tmp/merge.log" 2>&1) ||
  { tail -5 "$tmp/merge.log" >&2; echo "fuzz-minimize: merge failed" >&2; exit 2; }
grep 'MERGE-OUTER: .* new files' "$tmp/merge.log" || true
for f in "$tmp"/keep/*; do
  b=$(basename "$f")
  if [[ $b =~ ^[0-9a-f]{40}$ ]]; then mv "$f" "$tmp/keep/found-$b.$ext"; fi
done
# Inputs already named found-* were copied under their own name: keep the name.
rm -rf "${corpus:?}"/*
cp "$tmp"/keep/* "$corpus/"
echo "fuzz-minimize: $corpus: $before -> $(ls "$corpus" | wc -l) inputs, $(du -sb "$corpus" | cut -f1) bytes"

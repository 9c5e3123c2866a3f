#!/usr/bin/env bash
# scripts/proof-v2.sh — the proof that format 2 (docs/format-2.md) survives what tornpage
# throws at it, with an EMPTY baseline: any finding fails.
#
#   logs: every corpus/oplogs log in a format 2 copy ("create L" -> "create L v2", made
#         here, not kept twice in the tree) and generated format 2 logs
#         (tornpage gen --format 2, the seeds scripts/findings.sh uses for format 1);
#   1. tornpage crash at --atomic 512, 1024, 4096 and page;
#   2. tornpage matrix at 512 and 4096, with and without --lost-writes.
# Format 1 keeps its own baseline (corpus/repro); this script never reads it.
# usage: scripts/proof-v2.sh [BUILD]   (BUILD holds harness/tornpage; default build-gcc)
#        PROOF_V2_LOGS=DIR keeps the generated logs there (default: a temporary dir).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-gcc}
tp=${TORNPAGE:-$build/harness/tornpage}
[ -x "$tp" ] || { echo "proof-v2.sh: no $tp (build first)" >&2; exit 2; }
if [ -n "${PROOF_V2_LOGS:-}" ]; then
  logs=$PROOF_V2_LOGS
  mkdir -p "$logs"
else
  logs=$(mktemp -d)
  trap 'rm -rf "$logs"' EXIT
fi

# The corpus in format 2: the same ops, the create asking for v2.
for f in corpus/oplogs/*.log; do
  sed -E 's/^([[:space:]]*create[[:space:]]+[0-9]+)([[:space:]]*(#.*)?)$/\1 v2\2/' "$f" >"$logs/v2-$(basename "$f")"
  grep -Eq '^[[:space:]]*create[[:space:]]+[0-9]+ v2' "$logs/v2-$(basename "$f")" ||
    { echo "proof-v2.sh: $f: no create line to turn into v2" >&2; exit 2; }
done
# Generated logs, 1 KiB, 2 KiB and 4 KiB pages.
"$tp" gen --seed 101 --ops 150 --page-log2 10 --format 2 -o "$logs/v2-gen-s101.log"
"$tp" gen --seed 102 --ops 150 --page-log2 12 --format 2 -o "$logs/v2-gen-s102.log"
"$tp" gen --seed 103 --ops 150 --page-log2 10 --format 2 -o "$logs/v2-gen-s103.log"
"$tp" gen --seed 8 --ops 150 --page-log2 12 --format 2 -o "$logs/v2-gen-s8.log"
"$tp" gen --seed 21 --ops 200 --page-log2 11 --format 2 -o "$logs/v2-gen-s21.log"
set -- "$logs"/v2-*.log
echo "proof-v2.sh: $# format 2 logs"

rc=0
run() { # what, command...
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "ok   $what: $(tail -1 <<<"$out")"
  else
    echo "FAIL $what (an empty baseline: every finding counts)"
    sed -n '/^FINDING/,$p' <<<"$out" | head -60
    rc=1
  fi
}

for a in 512 1024 4096 page; do
  run "crash --atomic $a" "$tp" crash --quiet --atomic "$a" "$@"
done
for a in 512 4096; do
  for lw in "" --lost-writes; do
    run "matrix --atomic $a $lw" "$tp" matrix --quiet --atomic "$a" $lw "$@"
  done
done
exit "$rc"

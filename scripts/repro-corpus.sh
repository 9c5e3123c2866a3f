#!/usr/bin/env bash
# CTest (harness/repro_corpus): the saved findings are consistent with the code and the docs.
#   1. every reproducer in corpus/repro replays to exactly its expected verdicts;
#   2. corpus/repro/SIGNATURES (the fuzzer's baseline) is what the reproducers say;
#   3. every reproducer docs/findings.md names exists (names are content hashes: a
#      regenerated corpus renames files, and the doc must follow).
# usage: scripts/repro-corpus.sh TORNPAGE    Exit: 0, 1 on a mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
tp=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
if ! "$tp" repro --quiet corpus/repro/*.repro >"$tmp/replay" 2>&1; then
  grep -v '^ok' "$tmp/replay" >&2
  rc=1
fi
"$tp" repro --signatures corpus/repro/*.repro >"$tmp/sigs"
if ! cmp -s "$tmp/sigs" corpus/repro/SIGNATURES; then
  echo "corpus/repro/SIGNATURES is stale (regenerate: tornpage repro --signatures corpus/repro/*.repro):" >&2
  diff "$tmp/sigs" corpus/repro/SIGNATURES | head -10 >&2
  rc=1
fi
for name in $(grep -oE '[A-Z]-[A-Z-]+-[0-9a-f]{16}(\.repro)?' docs/findings.md | sed 's/\.repro$//' | sort -u); do
  if [ ! -e "corpus/repro/$name.repro" ]; then
    echo "docs/findings.md names $name.repro, which is not in corpus/repro" >&2
    rc=1
  fi
done
[ "$rc" -eq 0 ] && tail -1 "$tmp/replay"
exit "$rc"

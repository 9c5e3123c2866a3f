#!/usr/bin/env bash
# scripts/findings.sh — regenerate corpus/repro: every distinct finding of the seed
# protocol as a shrunk reproducer, plus corpus/repro/SIGNATURES (read by the fuzzer).
#
#   1. logs: corpus/oplogs/*.log and a few generated ones (tornpage gen, fixed seeds);
#   2. tornpage crash --save at --atomic 512, 4096 and page (one reproducer per signature);
#      tornpage matrix --save at both units, with and without --lost-writes;
#   3. tornpage shrink each one (ddmin over ops, then persisted units);
#   4. keep a cover: smallest reproducers first, one kept when it brings a signature
#      no kept one has, then every old reproducer that still replays and brings a
#      signature the cover lacks; the corpus replaces corpus/repro/*.repro;
#   5. SIGNATURES = tornpage repro --signatures corpus/repro/*.repro; every reproducer
#      must replay (tornpage repro), and a crash run against the new baseline must find
#      nothing new.
# Deterministic: same pager, same corpus, same files. Usage: scripts/findings.sh [BUILD]
# (BUILD: a build directory holding harness/tornpage; default build; or TORNPAGE=binary).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tp=${TORNPAGE:-$build/harness/tornpage}
[ -x "$tp" ] || { echo "findings.sh: no $tp (build first)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/logs" "$work/raw" "$work/shrunk" "$work/keep"

# 1. logs (generated ones: two 1 KiB-page logs and two 4 KiB-page logs)
cp corpus/oplogs/*.log "$work/logs/"
"$tp" gen --seed 101 --ops 150 --page-log2 10 -o "$work/logs/gen-s101.log"
"$tp" gen --seed 102 --ops 150 --page-log2 12 -o "$work/logs/gen-s102.log"
"$tp" gen --seed 103 --ops 150 --page-log2 10 -o "$work/logs/gen-s103.log"
"$tp" gen --seed 8 --ops 150 --page-log2 12 -o "$work/logs/gen-s8.log"
logs=("$work"/logs/*.log)

# 2. raw findings (crash exits 1 when it finds violations: expected here)
for a in 512 4096 page; do
  rc=0
  "$tp" crash --quiet --atomic "$a" --save "$work/raw" "${logs[@]}" >"$work/crash-$a.txt" || rc=$?
  [ "$rc" -le 1 ] || { cat "$work/crash-$a.txt"; exit "$rc"; }
done
for a in 512 4096; do
  for lw in "" --lost-writes; do
    rc=0
    "$tp" matrix --quiet --atomic "$a" $lw --save "$work/raw" "${logs[@]}" >"$work/matrix-$a$lw.txt" || rc=$?
    [ "$rc" -le 1 ] || { cat "$work/matrix-$a$lw.txt"; exit "$rc"; }
  done
done
echo "findings.sh: $(ls "$work/raw" | wc -l) raw reproducer(s)"

# 3. shrink every one
for f in "$work"/raw/*.repro; do
  "$tp" shrink "$f" -o "$work/shrunk/" 2>>"$work/shrink.txt"
done
grep -o 'ops [0-9]* -> [0-9]*, units [0-9]* -> [0-9]*' "$work/shrink.txt" >"$work/reductions.txt" || true
grep -o 'ops [0-9]* -> [0-9]*, [0-9]* candidates replayed' "$work/shrink.txt" | sed 's/, [0-9]* candidates replayed//' >"$work/fault-reductions.txt" || true

# 4. a signature cover, smallest first (ops, then persisted units, then name)
for f in "$work"/shrunk/*.repro; do
  ops=$(grep -cv -e '^#' -e '^[[:space:]]*$' "$f" || true)
  units=$(sed -n 's/^#! crash .* persisted //p' "$f" | tr ',' '\n' | grep -cv '^none$' || true)
  printf '%06d %06d %s\n' "$ops" "$units" "$f"
done | sort >"$work/order.txt"
: >"$work/covered.txt"
while read -r _ _ f; do
  "$tp" repro --signatures "$f" >"$work/sigs.txt"
  if grep -qvxF -f "$work/covered.txt" "$work/sigs.txt" || [ ! -s "$work/covered.txt" ]; then
    cp "$f" "$work/keep/"
    sort -u "$work/covered.txt" "$work/sigs.txt" -o "$work/covered.txt"
  fi
done <"$work/order.txt"

# 4b. findings never vanish silently: an existing reproducer that still replays to its
# verdicts and has a signature the new cover lacks is kept (e.g. a finding an earlier run
# saw through options this script does not use). One that no longer replays is dropped
# and listed: that is a change of verdict to explain in docs/findings.md.
for f in corpus/repro/*.repro; do
  [ -e "$f" ] || continue
  "$tp" repro --signatures "$f" >"$work/sigs.txt" 2>/dev/null || continue
  grep -qvxF -f "$work/covered.txt" "$work/sigs.txt" || continue
  if "$tp" repro --quiet "$f" >/dev/null 2>&1; then
    cp "$f" "$work/keep/"
    sort -u "$work/covered.txt" "$work/sigs.txt" -o "$work/covered.txt"
    echo "findings.sh: kept $f (a signature this run did not find)"
  else
    echo "findings.sh: dropped $f: it no longer gives its verdicts" >&2
  fi
done

rm -f corpus/repro/*.repro
cp "$work"/keep/*.repro corpus/repro/
"$tp" repro --signatures corpus/repro/*.repro >corpus/repro/SIGNATURES

# 5. checks
"$tp" repro --quiet corpus/repro/*.repro >"$work/replay.txt" || { grep -v "^ok" "$work/replay.txt"; exit 1; }
tail -1 "$work/replay.txt"
for a in 512 4096 page; do
  "$tp" crash --quiet --atomic "$a" --baseline corpus/repro "${logs[@]}" >"$work/check-$a.txt" ||
    { sed -n '/^baseline/,$p' "$work/check-$a.txt"; echo "findings.sh: new findings at --atomic $a" >&2; exit 1; }
done
for a in 512 4096; do
  for lw in "" --lost-writes; do
    "$tp" matrix --quiet --atomic "$a" $lw --baseline corpus/repro "${logs[@]}" >"$work/mcheck-$a$lw.txt" ||
      { sed -n '/^baseline/,$p' "$work/mcheck-$a$lw.txt"; echo "findings.sh: new matrix findings at --atomic $a $lw" >&2; exit 1; }
  done
done
echo "findings.sh: $(ls corpus/repro/*.repro | wc -l) reproducer(s), $(wc -l <corpus/repro/SIGNATURES) signature(s)"
echo "findings.sh: shrink reductions (ops before -> after, units before -> after), most common first:"
sort "$work/reductions.txt" | uniq -c | sort -rn | head -12
if [ -s "$work/fault-reductions.txt" ]; then
  echo "findings.sh: fault reproducers (ops before -> after), most common first:"
  sort "$work/fault-reductions.txt" | uniq -c | sort -rn | head -8
fi

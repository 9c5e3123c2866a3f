#!/usr/bin/env bash
# CI: the fault matrix over corpus/oplogs, published as files for the CI's test and
# artifact views:  build/reports/matrix.json (docs/matrix.md schema), matrix.xml (JUnit,
# one testcase per case), matrix.md (summary for a CI page; appended to
# $GITHUB_STEP_SUMMARY when set), matrix.html (one self-contained page: the heat map
# and every distinct finding's story, docs/report.md).
#
# usage: scripts/matrix.sh [BUILD_DIR] [extra tornpage matrix options, e.g. --shard 0/4]
# MATRIX_ARGS overrides the default options (--lost-writes --seed 1). With --shard I/N
# the files are matrix-I-of-N.*; join them with `tornpage merge`.
#
# Exit status: 0 when the matrix ran — fatal verdicts of the seed protocol are findings
# to read in the reports, not a broken build (MATRIX_STRICT=1 makes them exit 1);
# 2 when it could not run.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ $# -gt 0 ] && shift
tp=$build/harness/tornpage
if [ ! -x "$tp" ]; then
  echo "scripts/matrix.sh: $tp not built" >&2
  exit 2
fi
out=build/reports
mkdir -p "$out"
name=matrix
for ((i = 1; i <= $#; i++)); do
  if [ "${!i}" = --shard ]; then
    j=$((i + 1)); s=${!j}; name="matrix-${s%/*}-of-${s#*/}"
  fi
done
# shellcheck disable=SC2086
"$tp" matrix corpus/oplogs/*.log ${MATRIX_ARGS:---lost-writes --seed 1} --quiet "$@" \
  --json "$out/$name.json" --junit "$out/$name.xml" --md "$out/$name.md" --html "$out/$name.html"
rc=$?
if [ "$rc" -gt 1 ]; then
  echo "scripts/matrix.sh: tornpage matrix failed (exit $rc)" >&2
  exit 2
fi
echo "reports: $out/$name.json $out/$name.xml $out/$name.md $out/$name.html"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$out/$name.md" >>"$GITHUB_STEP_SUMMARY"
fi
if [ "$rc" -eq 1 ] && [ "${MATRIX_STRICT:-0}" = 1 ]; then
  exit 1
fi
exit 0

#!/usr/bin/env bash
# libfiu's own preload works on the tornpage CLI, next to the pager's compiled-in points:
#   fiu-run -x -c 'enable name=posix/mm/msync' tornpage run --io posix LOG
# makes the run report a failure (exit 1: the pager's msync fails, the model check
# reports it) while the same run without fiu-run exits 0. Then the same for one of the
# pager's own points by name (no -x needed: they are compiled into the binary).
# usage: scripts/fiu-run-cli.sh [TORNPAGE] [LOG]   (exit 77 = skipped: no fiu-run)
set -u
tp=${1:-build/harness/tornpage}
log=${2:-$(cd "$(dirname "$0")/.." && pwd)/corpus/oplogs/meta-commit.log}
if ! command -v fiu-run >/dev/null 2>&1; then
  echo "fiu-run not installed (Debian: fiu-utils): skipped"
  exit 77
fi
# The preload library leaks one strdup at startup: not ours; keep LeakSanitizer quiet
# about it in sanitizer builds (harmless elsewhere).
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0
fail=0
check() { # name, expected exit, expected output regex, command...
  local name=$1 want=$2 re=$3; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ] || ! grep -Eq -- "$re" <<<"$out"; then
    echo "FAIL $name: exit $rc (want $want), output:"; sed 's/^/    /' <<<"$out"; fail=1
  else
    echo "ok   $name: exit $rc"
  fi
}
check "no fault: posix run" 0 '^ok ' "$tp" run --io posix "$log"
check "fiu-run -x posix/mm/msync: posix run fails" 1 'FINDING I-MODEL.*PAGER_EIO' \
  fiu-run -x -c 'enable name=posix/mm/msync' "$tp" run --io posix "$log"
check "fiu-run pager/commit/sb_sync (ENOSPC): simdisk run fails" 1 'FINDING I-MODEL.*alloc.*PAGER_EIO' \
  fiu-run -c 'enable name=pager/commit/sb_sync,failnum=1,failinfo=28' "$tp" run "$log"
check "no fault: simdisk run" 0 '^ok ' "$tp" run "$log"
exit $fail

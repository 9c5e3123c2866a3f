#!/usr/bin/env bash
# contract.sh — the tornpage CLI contract (docs/cli-contract.md), one row per case.
#
# usage: contract.sh TORNPAGE SOURCE_DIR [CASES]    (ctest: harness/cli_contract)
#
# Every row of CASES (default: cases next to this script) is
#     RC  CLASS  ARGS...
# ARGS are eval'd (quotes work) after `tornpage` in a scratch directory that holds the
# fixtures below. CLASS says how the command runs and what else is asserted:
#   err     stdout to a file: exactly one line on stderr, nothing on stdout
#   ok      stdout to a file: nothing asserted on stderr (RC 0 or 1: a normal run)
#   quiet   like ok, and stderr is empty (no progress line when stderr is not a terminal)
#   full    stdout is /dev/full: exactly one line on stderr
#   stdin   like err, with /dev/zero on stdin
#   oom     under `ulimit -v $CONTRACT_MEM_KB` (skipped under ASan, which reserves
#           terabytes of address space): exactly one line on stderr
#   int     SIGINT (term: SIGTERM) once stdout shows its second line: RC is the
#   term    shell's status for the signal; stdout's last line says "interrupted"
# And after every row: the fixtures are unchanged, no file was added to the scratch
# directory (except out* files by rows with RC 0 or 1) and $TMPDIR (private to the run)
# is empty. A row that runs longer than 20 s fails (a FIFO that blocks, an endless input).
# Fixtures: good.log good2.log (op logs), bad.log (a bad op), good.repro, bad.repro,
# fifo (a FIFO nobody writes), dir/ (a directory), empty (an empty file).
set -u
tp=$(realpath "$1")
src=$(realpath "$2")
cases=$(realpath "${3:-$(dirname "$0")/cases}")
[ -x "$tp" ] || { echo "no tornpage binary at $tp"; exit 2; }
export CI=1 # no terminal progress line, whatever the parent has
unset TORNPAGE_PROGRESS

work=$(mktemp -d "${TMPDIR:-/tmp}/tornpage-contract-XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
scratch=$work/s
export TMPDIR=$work/tmp
mkdir -p "$scratch/dir" "$TMPDIR"
cp "$src/corpus/oplogs/meta-commit.log" "$scratch/good.log"
cp "$src/corpus/oplogs/reopen.log" "$scratch/good2.log"
printf 'create 10\npalloc\n' >"$scratch/bad.log"
cp "$src/corpus/repro/F-SILENT-44fbd40dc2c708b0.repro" "$scratch/good.repro"
printf '#! tornpage repro 1\n#! frobnicate\n' >"$scratch/bad.repro"
: >"$scratch/empty"
mkfifo "$scratch/fifo"
sanitized=0
if nm -a "$tp" 2>/dev/null | grep -q __asan_init; then sanitized=1; fi
mem_kb=${CONTRACT_MEM_KB:-60000}

# Few processes per row (the machine is shared): bash builtins wherever they do.
cd "$scratch" || exit 2
fixtures=(good.log good2.log bad.log good.repro bad.repro empty)
fingerprint() { md5sum "${fixtures[@]}"; }
before=$(fingerprint)
shopt -s nullglob dotglob
listing_before=$(printf '%s ' *)

pass=0 fail=0 skip=0 n=0
bad() { [ $ok = 1 ] && echo "FAIL line $lineno: $row"; echo "     $*"; ok=0; }
lines() { local l; mapfile -t l <"$1"; echo ${#l[@]}; }
has() { local l; mapfile l <"$1"; [[ "${l[*]}" == *$2* ]]; }

# run ARGS with the class's plumbing; sets rc
run_row() {
  local class=$1 args=$2
  case $class in
  err | ok | quiet) eval "timeout 20 \"$tp\" $args" >"$work/out" 2>"$work/err" </dev/null ;;
  stdin) eval "timeout 20 \"$tp\" $args" >"$work/out" 2>"$work/err" </dev/zero ;;
  full) eval "timeout 20 \"$tp\" $args" >/dev/full 2>"$work/err" </dev/null; local r=$?; : >"$work/out"; return $r ;;
  oom) (ulimit -v "$mem_kb" && eval "exec timeout 20 \"$tp\" $args" >"$work/out" 2>"$work/err" </dev/null) ;;
  int | term)
    local sig=INT
    [ "$class" = term ] && sig=TERM
    eval "\"$tp\" $args" >"$work/out" 2>"$work/err" </dev/null &
    local pid=$! t=0
    while [ "$(lines "$work/out")" -lt 2 ] && kill -0 "$pid" 2>/dev/null && [ $t -lt 200 ]; do
      sleep 0.1; t=$((t + 1))
    done
    kill -s "$sig" "$pid" 2>/dev/null
    t=0
    while kill -0 "$pid" 2>/dev/null && [ $t -lt 200 ]; do sleep 0.1; t=$((t + 1)); done
    kill -9 "$pid" 2>/dev/null
    wait "$pid"
    ;;
  *) return 99 ;;
  esac
}

lineno=0
while IFS= read -r row || [ -n "$row" ]; do
  lineno=$((lineno + 1))
  case $row in '' | '#'*) continue ;; esac
  read -r want class args <<<"$row"
  n=$((n + 1))
  if [ "$class" = oom ] && [ $sanitized = 1 ]; then
    skip=$((skip + 1)); continue
  fi
  ok=1
  run_row "$class" "$args"
  rc=$?
  [ $rc = 99 ] && { bad "unknown class '$class'"; continue; }
  [ $rc = 124 ] && bad "timed out (20 s)"
  [ "$rc" = "$want" ] || bad "exit $rc, want $want"
  case $class in
  err | stdin | full | oom)
    [ "$(lines "$work/err")" = 1 ] || bad "stderr has $(lines "$work/err") lines, want 1"
    ;;
  esac
  case $class in
  err | stdin) [ -s "$work/out" ] && bad "stdout is not empty" ;;
  quiet) [ -s "$work/err" ] && bad "stderr is not empty" ;;
  int | term)
    mapfile -t l <"$work/out"
    [[ ${#l[@]} -gt 0 && "${l[-1]}" == *interrupted* ]] || bad "stdout's last line does not say 'interrupted'"
    ;;
  esac
  { has "$work/err" Sanitizer || has "$work/err" 'runtime error'; } && bad "sanitizer report"
  outs=(out*)
  if [ "$want" -ge 2 ] && [ ${#outs[@]} -gt 0 ]; then bad "left a file behind: ${outs[*]}"; fi
  [ ${#outs[@]} -gt 0 ] && rm -rf "${outs[@]}"
  listing=$(printf '%s ' *)
  [ "$listing" = "$listing_before" ] || bad "files added or removed: $listing"
  [ "$(fingerprint)" = "$before" ] || bad "an input changed"
  left=("$TMPDIR"/*)
  [ ${#left[@]} = 0 ] || { bad "left in \$TMPDIR: ${left[*]}"; rm -rf "${left[@]}"; }
  if [ $ok = 1 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    sed 's/^/     stderr: /' "$work/err" | head -5
    sed 's/^/     stdout: /' "$work/out" | tail -3
  fi
done <"$cases"
echo "cli contract: $n cases, $pass passed, $fail failed, $skip skipped$([ $sanitized = 1 ] && echo ' (oom rows: ASan cannot run under ulimit -v)')"
[ $fail = 0 ]

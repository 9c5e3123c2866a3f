#!/usr/bin/env bash
# check-architecture.sh [LIBTORNPAGE.a] — the harness's shape, checked (docs/architecture.md).
#  1. Concerns depend one way: json <- disk <- ops <- judge <- crash, matrix <- report, repro
#     <- html <- cli.
#     A file may include headers of its own concern or of a lower one, never of a sibling
#     or a higher one (so there is no include cycle between folders).
#  2. Public headers (harness/include) include only public headers: their own, the
#     pager's public ones (pager/include) and system headers.
#  3. With the library archive given: libtornpage writes to neither stdout nor stderr
#     (no reference to stdout, stderr, printf, puts, putchar, perror); the CLI prints.
# Exit 0 when all hold, 1 with one line per violation.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A rank=([json]=-1 [disk]=0 [ops]=1 [judge]=2 [crash]=3 [matrix]=3 [report]=4 [repro]=4 [html]=5 [cli]=6)
# the concern of each public header (harness/include/tornpage/NAME)
declare -A public=([version.h]=base [subsets.h]=disk [simdisk.h]=disk [dfault.h]=disk [oplog.h]=ops [ops.def]=ops
  [model.h]=ops [mcheck.h]=ops [replay.h]=ops [verdicts.h]=judge [verdicts.def]=judge [crash.h]=crash
  [matrix.h]=matrix [report.h]=report [image.h]=report [repro.h]=repro [shrink.h]=repro [baseline.h]=repro [html.h]=html)
rank[base]=-1

bad=0
fail() { echo "check-architecture: $*"; bad=1; }

# Sets C to the concern a quoted include names, seen from file $1 (empty: not a harness
# header; "?" unknown).
concern_of() { # file, included path
  local file=$1 inc=$2 dir
  case $inc in
    tornpage/*)
      local name=${inc#tornpage/}
      C=${public[$name]:-?}
      if [[ $C == "?" && -f harness/include/$inc ]]; then
        fail "$file: public header $inc has no concern in this script"
      fi
      return 0 ;;
    */*) C=${inc%%/*}; return 0 ;;
  esac
  # a bare name: the including file's own folder (a private header beside it), or
  # something else on the include path (pager.h, the CLI's commands.def)
  dir=${file%/*}
  if [[ -f $dir/$inc ]]; then C=${dir##*/}; else C=""; fi
  return 0
}

for f in harness/src/*/*.[ch] harness/cli/*.[ch] harness/cli/*.def harness/include/tornpage/*.h \
         harness/include/tornpage/*.def; do
  [[ -f $f ]] || continue
  case $f in
    harness/include/*) own=${public[$(basename "$f")]:-?} ;;
    harness/cli/*) own=cli ;;
    *) own=$(basename "$(dirname "$f")") ;;
  esac
  [[ -n ${rank[$own]+x} ]] || { fail "$f: folder '$own' has no place in the dependency order"; continue; }
  while IFS= read -r inc; do
    concern_of "$f" "$inc"
    c=$C
    [[ -z $c || $c == "$own" ]] && continue
    if [[ $c == "?" || -z ${rank[$c]+x} ]]; then
      fail "$f includes \"$inc\": unknown concern"
    elif (( rank[$c] >= rank[$own] )); then
      fail "$f ($own) includes \"$inc\" ($c): concerns depend downwards only"
    fi
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done

# 2. public headers: only public includes
for f in harness/include/tornpage.h harness/include/tornpage/*.h harness/include/tornpage/*.in; do
  [[ -f $f ]] || continue
  while IFS= read -r inc; do
    case $inc in
      tornpage/*) [[ -f harness/include/$inc || -f harness/include/$inc.in ]] ||
                    fail "$f includes \"$inc\": not a public header" ;;
      *) [[ -f pager/include/$inc ]] || fail "$f includes \"$inc\": not a public header" ;;
    esac
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done

# 3. the library prints nothing
if [[ $# -ge 1 ]]; then
  syms=$(nm -u "$1" 2>/dev/null | awk '{print $2}' | sort -u |
         grep -E '^(stdout|stderr|printf|puts|putchar|perror|vprintf|__printf_chk|__vprintf_chk)$' || true)
  [[ -z $syms ]] || fail "$1 refers to $(echo $syms): the library must not print (the CLI does)"
fi

exit $bad

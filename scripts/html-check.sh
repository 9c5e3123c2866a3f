#!/usr/bin/env bash
# html-check.sh — the HTML report (docs/report.md) rendered by headless Chromium.
#
# usage: html-check.sh TORNPAGE SOURCE_DIR OUT_DIR      (ctest: harness/html_chromium)
#
# Writes three pages with the CLI — `repro --html` over corpus/repro, `crash --html` and
# (with libfiu) `matrix --html` over two corpus logs — then renders each one to OUT_DIR/*.png
# in headless Chromium (Debian `chromium`) with its console on stderr. A page passes when
# Chromium exits 0, the page's script said "tornpage report ready: N stories" on the
# console with the N expected, the console said nothing else (an exception, a CSP
# violation — the page may fetch nothing — or a message of ours), and the PNG is a real
# rendering (its header says the window's size, and it is not blank).
# Exit 77 (ctest: skipped) when chromium is not installed; 0 pass; 1 fail.
set -u
tp=$1 src=$2 out=$3
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "html-check: no chromium (Debian package chromium): skipped"; exit 77; }
mkdir -p "$out" || exit 1
profile=$(mktemp -d "${TMPDIR:-/tmp}/tornpage-chromium-XXXXXX") || exit 1
trap 'rm -rf "$profile"' EXIT
fail=0
bad() { echo "html-check: FAIL $*"; fail=1; }

# ---- the pages ----------------------------------------------------------------------
"$tp" repro -q --html "$out/repro.html" "$src"/corpus/repro/*.repro >/dev/null ||
  bad "tornpage repro --html exited $?"
logs=("$src/corpus/oplogs/meta-commit.log" "$src/corpus/oplogs/protected-commit.log")
"$tp" crash -q --html "$out/crash.html" "${logs[@]}" >/dev/null
[ $? -le 1 ] || bad "tornpage crash --html failed"
pages=(repro crash)
if "$tp" matrix -q --html "$out/matrix.html" "${logs[@]}" >/dev/null 2>"$out/matrix.err"; [ $? -le 1 ]; then
  pages+=(matrix)
elif grep -q "libfiu" "$out/matrix.err"; then
  echo "html-check: this build has no libfiu: no matrix page"
else
  bad "tornpage matrix --html failed: $(cat "$out/matrix.err")"
fi

# ---- each page in Chromium ---------------------------------------------------------
w=1280 h=2000
for p in "${pages[@]}"; do
  html=$out/$p.html png=$out/$p.png log=$out/$p.console
  [ -s "$html" ] || { bad "$p: no page written"; continue; }
  stories=$(grep -c '<article class="story' "$html")
  rm -f "$png"
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile/$p" --enable-logging=stderr --v=0 --hide-scrollbars \
    --window-size=$w,$h --screenshot="$png" "file://$(realpath "$html")" >/dev/null 2>"$log"
  rc=$?
  [ $rc = 0 ] || bad "$p: chromium exited $rc"
  console=$(grep ':CONSOLE' "$log" || true)
  ready=$(grep -c "\"tornpage report ready: $stories stories\"" <<<"$console")
  [ "$ready" = 1 ] || bad "$p: the page's script did not finish (no 'ready: $stories stories' line)"
  others=$(grep -v '"tornpage report ready: ' <<<"$console" | grep . || true)
  [ -z "$others" ] || bad "$p: console messages: $others"
  if [ -s "$png" ]; then
    # PNG signature, then IHDR: width and height, big-endian, at bytes 16..24.
    sig=$(od -An -tx1 -N8 "$png" | tr -d ' \n')
    dims=$(od -An -tu1 -j16 -N8 "$png" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}')
    size=$(stat -c %s "$png")
    [ "$sig" = 89504e470d0a1a0a ] || bad "$p: $png is not a PNG"
    [ "$dims" = "${w}x${h}" ] || bad "$p: $png is $dims, want ${w}x${h}"
    [ "$size" -gt 40000 ] || bad "$p: $png has $size bytes: a blank page?"
    echo "html-check: $p: $stories stories, $(stat -c %s "$html") bytes of HTML, $png $dims ($size bytes)"
  else
    bad "$p: no screenshot"
  fi
done
[ $fail = 0 ] && echo "html-check: ${#pages[@]} pages render without a console message"
exit $fail

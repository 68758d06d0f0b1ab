#!/bin/sh
# Static checks, before anything is built: no banned function in C code
# (docs/STYLE.md), shellcheck (warnings and errors) on every shell script,
# and the formatting .clang-format describes. Each check first shows that
# it rejects a bad input, so that a check that passes everything cannot
# make CI green. Exits 1 when a check fails.
set -eu
cd "$(dirname "$0")/.."
status=0
banned='(^|[^[:alnum:]_])(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|atol|gets|gmtime|localtime|asctime|ctime|system|popen)[[:space:]]*\('
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the checks reject what they must (negative controls)
printf 'int f(char *b) { return sprintf(b, "x"); }\n' >"$tmp/bad.c"
printf 'int f(char *b) { return snprintf(b, 2, "x"); }\n' >"$tmp/good.c"
if ! grep -qE "$banned" "$tmp/bad.c" || grep -qE "$banned" "$tmp/good.c"; then
  echo "lint: the banned-function check does not work"
  exit 1
fi
printf '#!/bin/sh\nrm -rf $1/*\n' >"$tmp/bad.sh"
if shellcheck -S warning "$tmp/bad.sh" >/dev/null 2>&1; then
  echo "lint: shellcheck passes a script it must refuse"
  exit 1
fi

echo "== banned functions"
if git ls-files -z 'src/*.[ch]' 'fuzz/*.c' 'tests/unit/*.[ch]' 'tests/conformance/*.c' 'bench/*.c' |
    xargs -0 grep -nE "$banned"; then
  echo "lint: a banned function is used (see docs/STYLE.md for what to use)"
  status=1
fi

echo "== shellcheck"
for f in $(git ls-files '*.sh'); do
  shellcheck -x -S warning "$f" || status=1
done

if [ -f .clang-format ]; then
  echo "== formatting (.clang-format)"
  printf 'int  f( void ){return 0;}\n' >"$tmp/ugly.c"
  if clang-format --dry-run -Werror "$tmp/ugly.c" 2>/dev/null; then
    echo "lint: clang-format passes badly formatted code"
    exit 1
  fi
  for f in $(git ls-files 'src/*.[ch]' 'fuzz/*.c' 'tests/unit/*.[ch]' 'bench/*.c'); do
    clang-format --dry-run -Werror "$f" 2>/dev/null || {
      echo "lint: $f is not formatted (clang-format -i $f)"
      status=1
    }
  done
fi
[ $status = 0 ] && echo "lint: all clean"
exit $status

#!/bin/bash
# Command-line behaviour: exit codes, and error messages that name the file
# and line, for bad input of every kind. Each case runs crier in a fresh
# temporary site and checks the exit status and a pattern in its output.
CRIER=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$2
export LC_ALL=C TZ=UTC
unset CRIER_NOW GITHUB_ACTIONS
pass=0 fail=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# expect STATUS PATTERN CMD...: CMD exits STATUS and its stdout+stderr
# match the extended regular expression PATTERN.
expect() {
  local want=$1 pat=$2
  shift 2
  local out
  out=$("$@" 2>&1)
  local st=$?
  if [ "$st" = "$want" ] && grep -Eq -- "$pat" <<<"$out"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $*"
    echo "  want status $want and /$pat/, got status $st:"
    head -c 1500 <<<"$out" | sed 's/^/  | /'
  fi
}

site() { # a fresh minimal site in $T/s with one good event
  rm -rf "$T/s"
  mkdir -p "$T/s/_posts" "$T/s/_data"
  cat >"$T/s/crier.yaml" <<'Y'
site:
  timezone: Europe/Berlin
  url: https://example.net
channels:
  - name: chat
    type: matrix
    homeserver: https://m.example.net
    room: "#r:example.net"
    access_token: {env: T_TOKEN}
Y
  printf 'here:\n  name: "Here"\n  street: "Street 1"\n  city: "Town"\n' \
    >"$T/s/_data/locations.yml"
  printf -- '---\ntitle: "Good"\ndate: 2030-05-06 19:00\nlocation: here\n---\nBody\n' \
    >"$T/s/_posts/2030-05-06-good.md"
}
post() { printf '%b' "$2" >"$T/s/_posts/$1"; }
C="$CRIER -c $T/s/crier.yaml"

# --- help and usage ---
expect 0 'usage: crier' $CRIER --help
expect 0 'commands:' $CRIER help
expect 0 '^crier [0-9]+\.[0-9]+' $CRIER --version
for cmd in check list preview run announce status webhook changed serve state; do
  expect 0 "usage: crier $cmd" $CRIER $cmd --help
done
expect 64 "unknown command 'frobnicate'" $CRIER frobnicate
expect 64 'usage: crier' $CRIER
expect 64 "unknown option '--bogus'" $CRIER list --bogus
expect 64 "needs a value" $CRIER preview x --notice
expect 78 'no configuration' env -C "$T" $CRIER check

# --- a good site ---
site
expect 0 'checked 1 event file: 0 errors, 0 warnings' $C check
expect 0 '"errors": 0' $C check --json
expect 0 'Good' $C list --now 2030-05-01T00:00:00Z
expect 0 'due now' $C list --now 2030-05-01T00:00:00Z
expect 0 '^Good – ' $C preview good --lang de
expect 0 '<p>' $C preview good --html
expect 64 "unknown notice 'reminder-3d'" $C preview good --notice reminder-3d
expect 64 "no channel 'nope'" $C preview good --channel nope
expect 64 "--lang must be one of the languages \(de, en, nl\), not 'fr'" $C preview good --lang fr
expect 66 "no event 'missing'" $C preview missing
expect 64 'bad time' $C list --now yesterday
expect 64 'CRIER_NOW: bad time' env CRIER_NOW=soon $C list
expect 0 'result=dry-run' $C run --dry-run --now 2030-05-01T00:00:00Z
# a library is loaded only by the commands that need it (src/lazy.h):
# check, --version and a dry run without a journal load none of libcurl,
# libcrypto, libmicrohttpd and libsqlite3; a journal loads SQLite only;
# Markdown made HTML loads libcmark, which a run with nothing due does
# not, nor check (it renders every notice but makes no HTML); rendering,
# --json and sending load Jansson (a text's data is a JSON document),
# which a run with nothing due does not; YAML that crier's own reader
# does not take (a broken file) loads libyaml
loaded() {
  LD_DEBUG=files "$@" 2>&1 >/dev/null |
    grep -oE 'file=lib(curl|crypto|microhttpd|sqlite3|cmark|unistring|jansson|yaml-0)\.so[.0-9]*' |
    sed 's/^file=//; s/\.so.*//' | sort -u | tr '\n' ' '
}
expect 0 '^libjansson $' loaded $C check
expect 0 '^$' loaded $CRIER --version
expect 0 '^libcmark libjansson $' loaded $C run --dry-run --now 2030-05-01T00:00:00Z
expect 0 '^libsqlite3 $' loaded $C run --now 2030-04-01T00:00:00Z
expect 0 '^libsqlite3 $' loaded $C list --now 2030-04-01T00:00:00Z
expect 0 '^libjansson libsqlite3 $' loaded $C run --json --now 2030-04-01T00:00:00Z
expect 0 '"result": "dry-run"' $C run --json --dry-run --now 2030-05-01T00:00:00Z
expect 0 '^\[\]$' $C run --json --now 2030-04-01T00:00:00Z
post 2030-05-07-flow.md '---\ntitle: [unclosed\ndate: 2030-05-07 19:00\n---\nBody\n'
expect 0 '^libjansson libyaml-0 $' loaded $C check
expect 65 '2030-05-07-flow\.md:3: .*expected' $C check
rm -f "$T/s/_posts/2030-05-07-flow.md"
# a library that cannot be loaded is an error that names it (exit 69),
# not a crash, and nothing is claimed: an empty file under each library's
# name (read from the binary) comes first on the loader's path. A binary
# that links them does not start at all (the loader exits 127).
site
mkdir -p "$T/broken"
# (the SONAMEs are read from the binary: CRIER_BINARY when CRIER is a
# wrapper, as scripts/valgrind.sh's is)
break_lib() { # NAME: an empty file under libNAME's SONAME
  so=$(grep -aoE "lib$1\.so(\.[0-9]+)+" "${CRIER_BINARY:-$CRIER}" | head -n 1)
  : >"$T/broken/${so:-lib$1.so.missing}"
}
for lib in curl sqlite3 cmark; do break_lib $lib; done
expect 69 'cannot load libsqlite3\.so\.[0-9]+ \(needed for the journal\): .*file too short' \
  env LD_LIBRARY_PATH="$T/broken" $C run --now 2030-04-01T00:00:00Z
rm -f "$T"/broken/libsqlite3.*
expect 69 'cannot load libcurl\.so\.[0-9]+ \(needed to send\): .*file too short' \
  env LD_LIBRARY_PATH="$T/broken" T_TOKEN=syt_x $C announce good
rm -f "$T"/broken/libcurl.*
expect 69 'cannot load libcmark\.so\.[0-9.]+ \(needed to turn Markdown into HTML and plain text\): .*file too short' \
  env LD_LIBRARY_PATH="$T/broken" $C preview good
# sending: every library a delivery needs is loaded before the first is
# claimed (one missing later would end the process with others under way)
expect 69 'not started: a library is missing' \
  env LD_LIBRARY_PATH="$T/broken" T_TOKEN=syt_x $C announce good
rm -f "$T"/broken/libcmark.*
# libsodium: check needs none of it; a delivery's key does
break_lib sodium
expect 0 'checked' env LD_LIBRARY_PATH="$T/broken" $C check
expect 69 'cannot load libsodium\.so\.[0-9]+ \(needed for hashes, signatures and random numbers\): .*file too short' \
  env LD_LIBRARY_PATH="$T/broken" T_TOKEN=syt_x $C announce good
rm -f "$T"/broken/libsodium.*
# Jansson: list needs none of it; rendering and sending do, and a
# delivery is not claimed without it
break_lib jansson
expect 0 'Good' env LD_LIBRARY_PATH="$T/broken" $C list --now 2030-04-01T00:00:00Z
expect 69 'cannot load libjansson\.so\.[0-9]+ \(needed for JSON and the texts. data\): .*file too short' \
  env LD_LIBRARY_PATH="$T/broken" $C check
expect 69 'cannot load libjansson\.so\.[0-9]+ \(needed for JSON and the texts. data\): .*file too short' \
  env LD_LIBRARY_PATH="$T/broken" T_TOKEN=syt_x $C announce good
rm -f "$T"/broken/libjansson.*
# libyaml: the site's block YAML needs none of it; a file crier's own
# reader does not take does
break_lib yaml-0
expect 0 'checked 1 event file: 0 errors' env LD_LIBRARY_PATH="$T/broken" $C check
post 2030-05-07-flow.md '---\ntitle: [unclosed\ndate: 2030-05-07 19:00\n---\nBody\n'
expect 69 'cannot load libyaml-0\.so\.[0-9]+ \(needed to read YAML that crier.s own reader does not take\): .*file too short' \
  env LD_LIBRARY_PATH="$T/broken" $C check
rm -f "$T"/broken/libyaml-0.* "$T/s/_posts/2030-05-07-flow.md"
expect 0 'crier: 0 deliveries' $C status
site # without the journal those runs made
expect 0 '0 notices due' $C run --dry-run --now 2030-01-01T00:00:00Z
expect 0 '0 notices due' $C run --dry-run --now 2030-05-06T19:00:00+02:00
expect 0 'nothing sent yet' $C status
expect 0 ': 0 sent, 0 skipped, 0 failed' $C run --now 2030-01-01T00:00:00Z
expect 0 '0 deliveries' $C status
expect 64 'missing argument' $C announce
expect 78 'serve needs serve.github_secret or serve.announce_secret' $C serve
expect 64 'give --base and --head, or files' $C changed
expect 64 'give --base and --head, or files' $C changed --base HEAD
expect 0 'result=dry-run' $C changed good --dry-run --now 2030-01-01T00:00:00Z
expect 64 'give --secret-env or --secret-file' $CRIER webhook sign --id x --timestamp 1
expect 64 "unknown action 'frob'" $CRIER webhook frob
expect 78 'the environment variable NOPE_X is not set' $CRIER webhook sign --secret-env NOPE_X --id x --timestamp 1 /dev/null
expect 64 'unix seconds' env K=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw $CRIER webhook sign --secret-env K --id x --timestamp soon /dev/null
expect 0 '^whsk_.*whpk_' sh -c "$CRIER webhook keygen --ed25519 | tr '\\n' ' '"
expect 0 'result=dry-run' $C announce good --dry-run
expect 0 'PUT https://m.example.net/_matrix/client/v3/rooms/%23r%3Aexample.net/send/m.room.message/' $C announce good --dry-run
expect 0 'Authorization: \*\*\*' env T_TOKEN=syt_visible_secret $C announce good --dry-run
expect 78 'T_TOKEN is not set' $C announce good
expect 64 "no channel 'nope'" $C announce good --channel nope

# --- bad event files: file:line, exit 65, other events still load ---
site
post 2030-06-01-bad-yaml.md '---\ntitle: "x\ndate: 2030-06-01 19:00\n---\n'
expect 65 '2030-06-01-bad-yaml.md:[0-9]+: error: invalid YAML' $C check
expect 65 'checked 2 event files: 1 error' $C check
expect 65 'Good' $C list --now 2030-05-01T00:00:00Z
expect 65 'event=2030-05-06-good notice=announce channel=chat lang=de result=dry-run' $C run --dry-run --now 2030-05-01T00:00:00Z
site
post 2030-06-01-key.md '---\ntitle: "x"\ndate: 2030-06-01 19:00\nlocaton: here\n---\n'
expect 0 "2030-06-01-key.md:4: warning: unknown front-matter key 'locaton' \(did you mean 'location'\?\)" $C check
site
post 2030-02-30-date.md '---\ntitle: "x"\ndate: 2030-02-30 19:00\n---\n'
expect 65 "2030-02-30-date.md:3: error: date '2030-02-30 19:00' does not exist" $C check
site
post 2030-03-31-gap.md '---\ntitle: "x"\ndate: 2030-03-31 02:30\n---\n'
expect 65 '2030-03-31-gap.md:3: error: 2030-03-31 02:30 does not exist in Europe/Berlin' $C check
site
post 2030-07-01-off.md '---\ntitle: "x"\ndate: 2030-07-01 19:00 +01:00\n---\n'
expect 0 "2030-07-01-off.md:3: warning: '2030-07-01 19:00 \+01:00' is at \+01:00, but Europe/Berlin is \+02:00 \(CEST\) then: the event starts at 20:00 there" $C check
site
post 2030-07-01-abbr.md '---\ntitle: "x"\ndate: 2030-07-01 19:00 MEZ\n---\n'
expect 0 "2030-07-01-abbr.md:3: warning: zone 'MEZ' contradicts" $C check
site
post 2030-06-01-utf8.md '---\ntitle: "K\xf6ln"\ndate: 2030-06-01 19:00\n---\n'
expect 65 '2030-06-01-utf8.md:2: error: invalid UTF-8' $C check
site
post 2030-06-01-bin.md '---\ntitle: x\n\x00\x01\x02'
expect 65 '2030-06-01-bin.md:3: error: NUL byte' $C check
site
head -c 2000000 /dev/zero | tr '\0' 'a' >"$T/s/_posts/2030-06-01-huge.md"
expect 65 '2030-06-01-huge.md: error: file is 2000000 bytes, larger than the limit of 1048576' $C check
site
post 2030-06-01-alias.md '---\ntitle: &t "x"\ndate: 2030-06-01 19:00\n---\n'
expect 65 '2030-06-01-alias.md:2: error: YAML anchors are not supported' $C check
site
post 2030-06-01-nofm.md 'just text\n'
expect 65 "2030-06-01-nofm.md:1: error: no YAML front matter" $C check
site
post 2030-06-01-open.md '---\ntitle: x\n'
expect 65 "2030-06-01-open.md:1: error: the front matter is not closed" $C check
site
post 2030-06-01-loc.md '---\ntitle: "x"\ndate: 2030-06-01 19:00\nlocation: hre\n---\n'
expect 65 "2030-06-01-loc.md:4: error: location 'hre' is not in .*locations.yml \(did you mean 'here'\?\)" $C check
site
post 2030-06-01-talks.md '---\ntitle: "x"\ndate: 2030-06-01 19:00\ntalks: maybe\n---\n'
expect 65 "2030-06-01-talks.md:4: error: 'talks' must be a list of talks, \[\] or false" $C check
site
post 2030-06-01-dup.md '---\ntitle: "x"\ntitle: "y"\ndate: 2030-06-01 19:00\n---\n'
expect 65 "2030-06-01-dup.md:3: error: duplicate key 'title' \(first on line 2\)" $C check
site
post 2030-06-01-deep.md "---\ntitle: x\nlinks: $(printf '[%.0s' $(seq 200))\n---\n"
expect 65 '2030-06-01-deep.md:3: error: nesting deeper than the limit' $C check
site
post 2030-06-02-month.md '---\ntitle: "Rust in May"\ndate: 2030-06-02 19:00\n---\n'
expect 0 '2030-06-02-month.md:2: warning: the title names May but the event is in June' $C check
site
post 2030-06-03-name.md '---\ntitle: "x"\ndate: 2030-06-04 19:00\n---\n'
expect 0 "2030-06-03-name.md:3: warning: the file name says 2030-06-03 but 'date:' says 2030-06-04" $C check
site
post 2030-06-01-a.md '---\ntitle: "a"\ndate: 2030-06-01 19:00\nlinks:\n  "Meetup.com": "https://m.example/1"\n---\n'
post 2030-06-08-b.md '---\ntitle: "b"\ndate: 2030-06-08 19:00\nlinks:\n  "Meetup.com": "https://m.example/1"\n---\n'
expect 0 "2030-06-08-b.md:5: warning: the same 'Meetup.com' link as" $C check
expect 0 '"severity": "warning"' $C check --json
# GitHub Actions annotations
site
post 2030-02-30-date.md '---\ntitle: "x"\ndate: 2030-02-30 19:00\n---\n'
expect 65 '::error file=.*2030-02-30-date.md,line=3::date' env GITHUB_ACTIONS=true $C check

# --- hostile input: a clear error in bounded time, nothing sent ---
site
truncate -s 100M "$T/s/_posts/2030-06-01-100mb.md"
expect 65 '2030-06-01-100mb.md: error: file is 104857600 bytes, larger than the limit' timeout 10 $C check
rm "$T/s/_posts/2030-06-01-100mb.md"
# invalid UTF-8 in every field: each names its line
fields='title: "\xff"|date: 2030-06-01 19:00 \xfe|location: h\xc3|talks:\n- title: "\xed\xa0\x80"|links:\n  "\xc0\xaf": "https://x"|categories: \xf8'
i=0
echo "$fields" | tr '|' '\n' | while IFS= read -r f; do
  i=$((i + 1))
  printf -- "---\ntitle: x\ndate: 2030-06-01 19:00\n$f\n---\nbody\n" | sed '0,/^title: x$/{//d}' >"$T/utf8-$i.md"
done
for f in "$T"/utf8-*.md; do
  expect 65 "utf8-[0-9].md:[2-4]: error: invalid UTF-8" timeout 10 $C check "$f"
done
printf -- '---\ntitle: x\ndate: 2030-06-01 19:00\n---\nbody \xff\n' >"$T/utf8-body.md"
expect 65 'utf8-body.md:5: error: invalid UTF-8' $C check "$T/utf8-body.md"
# YAML that explodes: an alias bomb, 10,000 nested levels
printf -- '---\na: &a ["x","x"]\nb: &b [*a,*a]\nc: [*b,*b]\ntitle: x\n---\n' >"$T/s/_posts/2030-06-01-bomb.md"
expect 65 'bomb.md:2: error: YAML anchors are not supported' timeout 10 $C check
rm "$T/s/_posts/2030-06-01-bomb.md"
printf -- '---\ntitle: %s\n---\n' "$(head -c 10000 /dev/zero | tr '\0' '[')" >"$T/s/_posts/2030-06-01-deep.md"
expect 65 'deep.md:2: error: nesting deeper than the limit of 32 levels' timeout 10 $C check
rm "$T/s/_posts/2030-06-01-deep.md"
# a locations file that is a list
site
printf -- '- a\n- b\n' >"$T/s/_data/locations.yml"
expect 65 'locations.yml:1: error: the locations file must be a map' timeout 10 $C check
# 10,000 events in one directory
rm -rf "$T/big" && sh "$ROOT/bench/gen-site.sh" "$T/big" 10000
expect 0 'checked 10000 event files: 0 errors' timeout 60 $CRIER -c "$T/big/crier.yaml" check
# a journal that is a directory: a clear error, nothing sent
site
mkdir "$T/s/journal-dir"
printf 'journal: journal-dir\n' >>"$T/s/crier.yaml"
expect 73 'journal-dir is not a regular file' env T_TOKEN=x $C announce good
expect 73 'journal-dir is not a regular file' env T_TOKEN=x $C run --now 2030-05-01T00:00:00Z

# --- bad configs: exit 78 with file:line and the closest key ---
site
printf 'site:\n  timezone: Europe/Berlin\n  permalnk: x\n' >"$T/s/crier.yaml"
expect 78 "crier.yaml:3: error: unknown key 'permalnk' in 'site' \(did you mean 'permalink'\?\)" $C check
printf 'sites:\n  timezone: Europe/Berlin\n' >"$T/s/crier.yaml"
expect 78 "crier.yaml:1: error: unknown key 'sites' in the configuration \(did you mean 'site'\?\)" $C list
printf 'site:\n  timezone: Europe/Cologne\n' >"$T/s/crier.yaml"
expect 78 "crier.yaml:2: error: unknown time zone 'Europe/Cologne'" $C list
printf 'delivery:\n  connections: 0\n' >"$T/s/crier.yaml"
expect 78 "crier.yaml:2: error: 'connections' must be between 1 and 256" $C check
printf 'channels:\n  - name: m\n    type: matrix\n    homeserver: https://x\n    room: "#r:x"\n    access_token: syt_secret_in_file\n' >"$T/s/crier.yaml"
expect 78 "crier.yaml:6: error: 'access_token' is a secret: write \{env: NAME\} or \{file: PATH\}" $C check
printf 'channels:\n  - name: m\n    type: matrx\n' >"$T/s/crier.yaml"
expect 78 "crier.yaml:3: error: unknown channel type 'matrx' \(did you mean 'matrix'\?\)" $C check
printf 'channels:\n  - name: g\n    type: github\n    repo: nope\n    token: {env: X}\n    lang: fr\n' >"$T/s/crier.yaml"
expect 78 "crier.yaml:4: error: 'repo' must be 'owner/name'" $C check
expect 78 "crier.yaml:6: error: 'lang' must be one of the languages with a data file \(de, en, nl\), each once, not 'fr'" $C check
printf 'schedule:\n  reminders: [7d, soon]\n  announce_lead: 3x\n' >"$T/s/crier.yaml"
expect 78 "crier.yaml:2: error: 'reminders': bad duration 'soon'" $C check
expect 78 "crier.yaml:3: error: 'announce_lead': bad duration '3x'" $C check
printf 'channels:\n  - name: w\n    type: webhook\n    url: https://x\n    secret: {env: S}\n    notices: [anounce]\n' >"$T/s/crier.yaml"
expect 78 "crier.yaml:6: error: unknown notice 'anounce' \(did you mean 'announce'\?\)" $C check
printf 'site: [\n' >"$T/s/crier.yaml"
expect 78 "crier.yaml:2: error: invalid YAML" $C check
expect 78 "cannot open" $CRIER -c "$T/nonexistent.yaml" check

# --- broken templates: file:line, exit 65 ---
site
mkdir -p "$T/s/templates/de" "$T/s/templates/en"
printf 'templates: templates\n' >>"$T/s/crier.yaml"
printf '{{#event.talks}}\nno end\n' >"$T/s/templates/de/announce.md.mustache"
expect 65 "templates/de/announce.md.mustache:1: '(event.talks)' is never closed" $C check
expect 65 "is never closed" $C preview good --lang de
printf '{{> loop}}\n' >"$T/s/templates/de/announce.md.mustache"
mkdir -p "$T/s/templates/de/partials"
printf 'again {{> loop}}\n' >"$T/s/templates/de/partials/loop.mustache"
expect 65 "partials nested deeper than 40 \(does 'loop' include itself\?\)" $C preview good --lang de
printf '{{> missing}}\n' >"$T/s/templates/de/announce.md.mustache"
expect 65 "partial 'missing' not found" $C check
printf 'Hallo {{event.title}}\n' >"$T/s/templates/de/announce.md.mustache"
expect 0 '^Hallo Good' $C preview good --lang de
expect 0 'Hello everyone' $C preview good --lang en

# --- check parses and renders crier's own templates of the languages and
# channel types the site can send; with templates of the site's own (which
# may change what any of them includes) every one. Templates of crier's
# that cannot render (Discord) or do not parse (Slack, and Dutch, which no
# channel of the site speaks):
site
cp -r "$ROOT/templates" "$T/builtin"
printf '{{> missing_discord}}\n' >"$T/builtin/de/discord/announce.md.mustache"
printf '{{#event.talks}}\n' >"$T/builtin/en/slack/announce.md.mustache"
printf '{{#event.title}}\n' >"$T/builtin/nl/announce.md.mustache"
B="env CRIER_TEMPLATES_DIR=$T/builtin"
expect 0 'checked 1 event file: 0 errors' $B $C check
cp "$T/s/crier.yaml" "$T/plain.yaml"
cat >>"$T/s/crier.yaml" <<'Y'
  - name: dc
    type: discord
    webhook_url: {env: T_HOOK}
Y
expect 65 "partial 'missing_discord' not found" $B $C check
cp "$T/plain.yaml" "$T/s/crier.yaml"
cat >>"$T/s/crier.yaml" <<'Y'
  - name: sl
    type: slack
    webhook_url: {env: T_HOOK}
Y
expect 65 "builtin/en/slack/announce.md.mustache:1: '\(?event.talks\)?' is never closed" $B $C check
cp "$T/plain.yaml" "$T/s/crier.yaml"
cat >>"$T/s/crier.yaml" <<'Y'
    lang: [de, nl]
Y
expect 65 "builtin/nl/announce.md.mustache:1: '\(?event.title\)?' is never closed" $B $C check
cp "$T/plain.yaml" "$T/s/crier.yaml"
mkdir -p "$T/s/templates"
printf 'templates: templates\n' >>"$T/s/crier.yaml"
expect 65 "partial 'missing_discord' not found" $B $C check
expect 65 "builtin/en/slack/announce.md.mustache:1: .* is never closed" $B $C check
expect 65 "builtin/nl/announce.md.mustache:1: .* is never closed" $B $C check
rm -rf "$T/builtin" "$T/plain.yaml"

# --- security (each case failed before its fix) ---
# a template directory whose partials grow the cache while a template is in
# use (a heap use-after-free under ASan)
site
mkdir -p "$T/s/templates/en/partials"
printf 'templates: templates\n' >>"$T/s/crier.yaml"
body=""
for i in $(seq 1 20); do
  echo "p$i" >"$T/s/templates/en/partials/p$i.mustache"
  body="$body{{> p$i}}"
done
echo "$body{{> missing}}" >"$T/s/templates/en/announce.md.mustache"
expect 65 "announce.md.mustache: partial 'missing' not found" $C preview good --lang en
rm "$T/s/templates/en/announce.md.mustache"
echo "$body" >"$T/s/templates/en/announce.md.mustache"
expect 0 '^p1p2p3' $C preview good --lang en
# "loopback" is an address, not a name that starts like one
site
cat >>"$T/s/crier.yaml" <<'Y'
  - name: hook
    type: webhook
    url: http://127.attacker.example/hook
Y
expect 78 "crier.yaml:12: error: 'url': URL 'http://127.attacker.example/hook' must be https://" $C check
expect 78 "must be https://" env T_TOKEN=x $C run --now 2030-05-01T00:00:00Z
expect 78 "must be https://" env T_TOKEN=x $C announce good --dry-run
sed -i 's|http://127.attacker.example/hook|https://api.github.com@127.0.0.1/hook|' "$T/s/crier.yaml"
expect 78 "user information before the host" $C check
# a webhook timestamp no clock shows: refused, no overflow (UBSan aborted)
: >"$T/empty"
expect 1 'timestamp -9223372036854775808 is out of range' env K=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw $CRIER webhook verify --secret-env K --id x --timestamp -9223372036854775808 --signature v1,AAAA "$T/empty"
# a channel without a required key: an error naming it, for every channel
# type whose own checks read that key (a telegram channel without chat_id
# crashed check: found by fuzz_config)
site
cat >>"$T/s/crier.yaml" <<'Y'
  - name: tg
    type: telegram
    bot_token: {env: T_TOKEN}
Y
expect 78 "crier.yaml:10: error: channel 'tg' needs 'chat_id'" $C check
# revisions are never options to git
site
git -C "$T/s" init -q && git -C "$T/s" add -A && git -C "$T/s" -c user.name=t -c user.email=t@t commit -qm one
expect 64 "--base '--output=$T/pwned' is not a revision" env -C "$T/s" $C changed --base "--output=$T/pwned" --head HEAD
expect 64 "--head '--output=$T/pwned' is not a revision" env -C "$T/s" $C changed --base HEAD --head "--output=$T/pwned"
expect 65 "--base 'no-such-rev' is not a commit" env -C "$T/s" $C changed --base no-such-rev --head HEAD
for f in "$T"/pwned*; do [ -e "$f" ] && { fail=$((fail + 1)); echo "FAIL: git wrote $f"; }; done
expect 0 'no event files changed' env -C "$T/s" $C changed --base HEAD --head HEAD
rm -rf "$T/s/.git"
# a FIFO, a directory or a link out of the events directory named *.md:
# a warning, never a hang
site
mkfifo "$T/s/_posts/2030-06-01-fifo.md"
mkdir "$T/s/_posts/2030-06-02-dir.md"
printf -- '---\ntitle: "Outside"\ndate: 2030-06-03 19:00\n---\n' >"$T/outside.md"
ln -s "$T/outside.md" "$T/s/_posts/2030-06-03-out.md"
ln -s 2030-05-06-good.md "$T/s/_posts/2030-06-04-inside.md"
expect 0 '2030-06-01-fifo.md: warning: not a regular file \(a FIFO\); skipped' timeout 10 $C check
expect 0 '2030-06-02-dir.md: warning: not a regular file \(a directory\); skipped' timeout 10 $C check
expect 0 '2030-06-03-out.md: warning: a link that leads out of the events directory' timeout 10 $C check
expect 0 'checked 2 event files: 0 errors' timeout 10 $C check
expect 0 'Good' timeout 10 $C list --now 2030-05-01T00:00:00Z
expect 65 'not a regular file' timeout 10 $C check "$T/s/_posts/2030-06-01-fifo.md"
# terminal control characters in event files are shown escaped
site
post 2030-06-05-esc.md '---\ntitle: "Evil \\e]0;pwned\\a \\x9b x"\ndate: 2030-06-05 19:00\nlocation: here\n---\nBody \033[2J\n'
expect 0 '2030-06-05-esc.md:2: warning: control character U\+001B in a value' $C check
expect 0 '2030-06-05-esc.md:6: warning: control character U\+001B in the text' $C check
expect 0 'Evil \\x1b\]0;pwned\\x07 \\u009b x' $C list --now 2030-05-01T00:00:00Z
for cmd in "list --now 2030-05-01T00:00:00Z" "check" "preview esc" "run --dry-run --now 2030-05-20T00:00:00Z" "status"; do
  # shellcheck disable=SC2086
  if $C $cmd 2>&1 | LC_ALL=C grep -q $'[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]\|\xc2[\x80-\x9f]'; then
    fail=$((fail + 1))
    echo "FAIL: crier $cmd wrote a raw control character"
  else
    pass=$((pass + 1))
  fi
done

# --- notices only when meant ---
# limits in the config are errors, never a silent cut
site
printf 'schedule:\n  reminders: [%s]\n' "$(seq -s, 1 33 | sed 's/\([0-9]*\)/\1h/g')" >>"$T/s/crier.yaml"
expect 78 "crier.yaml:[0-9]+: error: 'reminders': 33 reminders, more than the limit of 32" $C check
# drafts are never announced, and check and list say so
site
post 2030-06-01-draft.md '---\ntitle: "Draft"\ndate: 2030-06-01 19:00\npublished: false\n---\n'
post 2030-06-02-hugo.md '---\ntitle: "Hugo draft"\ndate: 2030-06-02 19:00\ndraft: true\n---\n'
expect 0 '2030-06-01-draft.md: warning: a draft \(published: false or draft: true\): crier never announces it' $C check
expect 0 '2030-06-02-hugo.md: warning: a draft' $C check
expect 0 'Draft  \[unpublished: never announced\]' $C list --now 2030-05-20T00:00:00Z
expect 0 '0 notices due' $C run --dry-run --now 2030-05-20T00:00:00Z
if $C changed 2030-06-01-draft 2030-06-02-hugo --dry-run --now 2030-05-20T00:00:00Z 2>&1 | grep -q 'event=2030-06-0[12]'; then
  fail=$((fail + 1)); echo "FAIL: a draft was planned"
else
  pass=$((pass + 1))
fi
post 2030-06-03-bad.md '---\ntitle: "x"\ndate: 2030-06-03 19:00\npublished: maybe\n---\n'
expect 65 "2030-06-03-bad.md:4: error: 'published' must be true or false" $C check
# a Meetup title longer than Meetup allows is an error, not a cut
site
cat >>"$T/s/crier.yaml" <<'Y'
  - name: mu
    type: meetup
    group: g
    auth: {access_token: {env: MU}}
Y
post 2030-06-04-long.md "---\ntitle: \"$(printf 'x%.0s' $(seq 90))\"\ndate: 2030-06-04 19:00\n---\n"
expect 65 "2030-06-04-long.md:2: error: channel 'mu': the Meetup title 'x+' has 90 characters, more than Meetup's 80" $C check
expect 65 "has 90 characters" env MU=t $C announce long --dry-run
# --- crier calendar ---
site
expect 0 'usage: crier calendar' $C calendar --help
expect 0 'BEGIN:VCALENDAR' $C calendar --now 2030-05-01T00:00:00Z
expect 0 '"uid": "2030-05-06-good@example.net"' $C --json calendar --now 2030-05-01T00:00:00Z
expect 64 'unexpected argument|usage' $C calendar extra
expect 73 "cannot write $T/nowhere/e.ics: No such file" $C calendar -o "$T/nowhere/e.ics" --now 2030-05-01T00:00:00Z
expect 0 'calendar: .*/e.ics written' $C calendar -o "$T/e.ics" --now 2030-05-01T00:00:00Z
expect 0 'calendar: .*/e.ics unchanged' $C calendar -o "$T/e.ics" --now 2030-05-02T00:00:00Z
# a control character in a title does not reach the feed
post 2030-06-05-esc.md '---\ntitle: "Evil \\e]0;pwned\\a \\x9b x"\ndate: 2030-06-05 19:00\n---\nBody \033[2J\n'
expect 0 'SUMMARY:Evil \]0\\;pwned' $C calendar --now 2030-05-01T00:00:00Z
if $C calendar --now 2030-05-01T00:00:00Z 2>/dev/null | tr -d '\r' | LC_ALL=C grep -q $'[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]\\|\xc2[\x80-\x9f]'; then
  fail=$((fail + 1))
  echo "FAIL: crier calendar wrote a raw control character"
else
  pass=$((pass + 1))
fi
# end: and duration: with errors that name the line
post 2030-06-12-end.md '---\ntitle: "E"\ndate: 2030-06-12 19:00\nend: 2030-06-12 18:00\n---\n'
expect 65 '2030-06-12-end.md:4: error: the event ends' $C check
post 2030-06-12-end.md '---\ntitle: "E"\ndate: 2030-06-12 19:00\nduration: 2 hours\n---\n'
expect 65 "2030-06-12-end.md:4: error: 'duration': bad duration" $C check
# --- other sites' shapes: every problem names its file and line ---
shape() { # a site with a config of its own ($1) and files made by the caller
  rm -rf "$T/h" && mkdir -p "$T/h/events"
  printf '%b' "$1" >"$T/h/crier.yaml"
}
H="$CRIER -c $T/h/crier.yaml"
ev() { mkdir -p "$(dirname "$T/h/$1")" && printf '%b' "$2" >"$T/h/$1"; }
base='site:\n  events: events\n  timezone: Europe/Berlin\n  url: https://h.example\n  places: text\n  recursive: true\n'
# ids are unique: two files, a bundle and a file, named alike
shape "$base"
ev events/a/x.md '---\ntitle: A\ndate: 2030-05-06 19:00\n---\n'
ev events/b/x.md '---\ntitle: B\ndate: 2030-05-07 19:00\n---\n'
expect 65 "events/b/x.md: error: the id 'x' is also that of .*events/a/x.md \(event ids must be unique" $H check
shape "$base"
ev events/42/index.md '---\ntitle: A\ndate: 2030-05-06 19:00\n---\n'
ev events/42.md '---\ntitle: B\ndate: 2030-05-07 19:00\n---\n'
expect 65 "events/42/index.md: error: the id '42' is also that of .*events/42.md" $H check
# section pages and hidden files are not events; a FIFO deep down is a
# warning; a link to a directory is not followed (no loop)
shape "$base"
ev events/_index.md '---\ntitle: Events\n---\n'
ev events/y/2030/z.md '---\ntitle: Z\ndate: 2030-05-06 19:00\n---\n'
mkfifo "$T/h/events/y/2030/f.md"
ln -s .. "$T/h/events/y/loop"
expect 0 'y/2030/f.md: warning: not a regular file \(a FIFO\); skipped' timeout 10 $H check
expect 0 'checked 1 event file: 0 errors' timeout 10 $H check
# the format's keys in the config; the example config has them all
expect 65 'checked 0 event files: [0-9]+ errors' $CRIER -c "$ROOT/config/crier.example.yaml" check
shape "${base}  translations: []\n  data: []\n  default_time: ~\n"
expect 0 'checked 0 event files: 0 errors' $H check
shape "${base}  fields:\n    tilte: name\n"
expect 78 "crier.yaml:8: error: unknown field 'tilte' in 'site.fields' \(did you mean 'title'\?\)" $H check
shape "${base}  talks_missing: maybe\n"
expect 78 "crier.yaml:7: error: 'site.talks_missing' must be wanted or description, not 'maybe'" $H check
shape "${base}  archive_after: soon\n"
expect 78 "crier.yaml:7: error: 'site.archive_after': bad duration 'soon'" $H check
shape "${base}  fields:\n    date: event..date\n"
expect 78 "crier.yaml:8: error: 'site.fields.date' must be a key or a dotted path" $H check
# dates: the line of the value at fault, and the forms the site uses
shape "${base}  fields:\n    date: event.date\n    time: event.time\n    timezone: tz\n"
ev events/good.md '---\ntitle: G\nevent:\n  date: "May 6, 2030"\n  time: "7:00 PM"\n---\n'
ev events/bad-date.md '---\ntitle: B\nevent:\n  date: "6/5/2030"\n  time: "7:00 PM"\n---\n'
ev events/bad-time.md '---\ntitle: T\nevent:\n  date: "May 6, 2030"\n  time: "19 Uhr"\n---\n'
ev events/bad-zone.md '---\ntitle: Z\nevent:\n  date: "May 6, 2030"\n  time: "7:00 PM PDT"\n---\n'
ev events/bad-tz.md '---\ntitle: Y\nevent:\n  date: "May 6, 2030"\n  time: "7:00 PM"\ntz: Europe/Koeln\n---\n'
expect 65 "bad-date.md:4: error: date '6/5/2030': not a date I can read \(the site's other events write event.date: 'May 6, 2030', event.time: '7:00 PM', as in .*good.md\)" $H check --now 2030-01-01T00:00:00Z
expect 65 "bad-time.md:5: error: time '19 Uhr': not a time I can read" $H check --now 2030-01-01T00:00:00Z
expect 65 "bad-zone.md:5: error: '7:00 PM PDT': unknown zone 'PDT' for Europe/Berlin \(it uses CET, CEST; also written MEZ, MET, MESZ, MEST, MEZT; or write an offset such as \+02:00, or give the event its own time zone\)" $H check --now 2030-01-01T00:00:00Z
expect 65 "bad-tz.md:6: error: unknown time zone 'Europe/Koeln'" $H check --now 2030-01-01T00:00:00Z
# a broken file of an event long past: a warning for run and check, an
# error with check --strict; a broken future one fails the run
rm "$T/h/events/bad-"*.md
ev events/old.md '---\ntitle: O\nevent:\n  date: "2015-02-30"\n  time: "7:00 PM"\n---\n'
expect 0 "old.md:4: warning: date '2015-02-30' does not exist \(an event of the past: a warning only; 'crier check --strict' makes it an error\)" $H check --now 2030-01-01T00:00:00Z
expect 65 "old.md:4: error: date '2015-02-30' does not exist" $H check --strict --now 2030-01-01T00:00:00Z
expect 0 "0 notices due" $H run --dry-run --now 2030-01-01T00:00:00Z
ev events/soon.md '---\ntitle: S\nevent:\n  date: "2030-02-30"\n  time: "7:00 PM"\n---\n'
expect 65 "soon.md:4: error: date '2030-02-30' does not exist" $H run --dry-run --now 2030-01-01T00:00:00Z
# keys other sites use point to site.fields
shape "$base"
ev events/v.md '---\ntitle: V\ndate: 2030-05-06 19:00\nvenue: Hall\nstart_time: "19:00"\nspeakers: [A]\n---\n'
expect 0 "v.md:4: warning: unknown front-matter key 'venue' \(crier reads the place from 'location'; to read it from here, set site.fields.location: venue\)" $H check
expect 0 "v.md:5: warning: unknown front-matter key 'start_time' \(to read the time from it, set site.fields.time: start_time\)" $H check
expect 0 "v.md:6: warning: unknown front-matter key 'speakers' \(to read the speakers from it, set site.fields.speakers: speakers\)" $H check
shape "${base}  fields:\n    title: name\n"
ev events/t.md '---\ntitle: T\ndate: 2030-05-06 19:00\n---\n'
expect 65 "t.md:2: warning: unknown front-matter key 'title' \(crier reads the title from 'name'; to read it from here, set site.fields.title: title\)" $H check
expect 65 "t.md:2: error: no 'name' \(site.fields.title\)" $H check
# places and online events
shape "$base"
ev events/p.md '---\ntitle: P\ndate: 2030-05-06 19:00\nlocation: {address: "Street 1", city: Town}\n---\n'
ev events/o.md '---\ntitle: O\ndate: 2030-05-06 19:00\nlocation: Hall\n---\n'
expect 65 "p.md:4: error: the place has no name" $H check
shape "${base}  fields:\n    online: stream\n"
ev events/o.md '---\ntitle: O\ndate: 2030-05-06 19:00\nstream: "meet me there"\n---\n'
expect 65 "o.md:4: error: 'stream' must be the http\(s\) URL to join online, not 'meet me there'" $H check
shape "$base"
ev events/s.md '---\ntitle: S\ndate: 2030-05-06 19:00\ntalks:\n- title: x\n  speaker: [A, B]\n---\n'
expect 65 "s.md:6: error: 'speaker' must be a name or a map, not a list \(use 'speakers' for several\)" $H check
# data files: ids, entries, a file that does not parse
shape 'site:\n  data: events.yml\n  timezone: Europe/Berlin\n  places: text\n'
ev events.yml '- id: one\n  title: One\n  date: 2030-05-06 19:00\n- title: No id\n  date: 2030-05-07 19:00\n- id: "two words"\n  title: Two\n  date: 2030-05-08 19:00\n- id: one\n  title: Again\n  date: 2030-05-09 19:00\n'
expect 65 "events.yml:4: error: an event without 'id'" $H check
expect 65 "events.yml:6: error: the id 'two words' may hold only letters, digits" $H check
expect 65 "events.yml: error: the id 'one' is also that of .*events.yml" $H check
expect 65 "events.yml:4: error: an event without 'id'" $H check "$T/h/events.yml"
ev events.yml '- id: one\n  title: One\n  date: 2030-05-06 19:00\n- id: two\n  title: [Two\n  date: 2030-05-07 19:00\n'
expect 65 "events.yml:[0-9]+: error: invalid YAML" $H check
expect 65 "events.yml: warning: 2 events in this file are left alone until it loads" $H check
expect 65 "events.yml:[0-9]+: error: invalid YAML" $H run --dry-run --now 2030-01-01T00:00:00Z
ev events.yml 'title: just a map\n'
expect 65 "events.yml:1: error: event 'title' must be a map of fields, not a string" $H check

# changed: page bundles, translations and data files map to their events
shape 'site:\n  events: events\n  data: data\n  timezone: Europe/Berlin\n  places: text\n  translations: [en, de]\nchannels:\n  - name: hook\n    type: webhook\n    url: https://h.example/in\n    secret: {env: S}\n'
ev events/01-a/index.md '---\ntitle: A\ndate: 2030-05-06 19:00\n---\n'
ev data/x.yml '- id: one\n  title: One\n  date: 2030-05-07 19:00\n- id: two\n  title: Two\n  date: 2030-05-08 19:00\n'
git -C "$T/h" init -q && git -C "$T/h" add -A && git -C "$T/h" -c user.name=t -c user.email=t@t commit -qm one
ev events/01-a/index.de.md '---\ntitle: A auf Deutsch\n---\n'
ev data/x.yml '- id: one\n  title: One, later\n  date: 2030-05-07 20:00\n- id: three\n  title: Three\n  date: 2030-05-09 19:00\n'
git -C "$T/h" add -A && git -C "$T/h" -c user.name=t -c user.email=t@t commit -qm two
expect 0 'event=01-a notice=announce' env -C "$T/h" S=x $H changed --base HEAD~1 --head HEAD --dry-run --now 2030-05-01T00:00:00Z
expect 0 'event=three notice=announce' env -C "$T/h" S=x $H changed --base HEAD~1 --head HEAD --dry-run --now 2030-05-01T00:00:00Z
expect 0 'event=one notice=announce' env -C "$T/h" S=x $H changed --base HEAD~1 --head HEAD --dry-run --now 2030-05-01T00:00:00Z
expect 0 'crier: M data/x.yml' env -C "$T/h" S=x $H changed --base HEAD~1 --head HEAD --dry-run -v --now 2030-05-01T00:00:00Z
expect 0 '^crier: dry run .*: 3 notices due' env -C "$T/h" S=x $H changed --base HEAD~1 --head HEAD --dry-run --now 2030-05-01T00:00:00Z

# changed on a data file: an unchanged event is left alone, a changed
# one looked at, a removed and announced one cancelled (a receiver on
# loopback takes the announcement; stopped by its PID)
cat >"$T/recv.py" <<'P'
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('content-length', 0)))
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
P
python3 "$T/recv.py" >"$T/recv.port" &
recv=$!
for _ in $(seq 50); do [ -s "$T/recv.port" ] && break; sleep 0.1; done
shape "site:\n  data: data\n  timezone: Europe/Berlin\n  places: text\njournal: j.db\nchannels:\n  - name: hook\n    type: webhook\n    url: http://127.0.0.1:$(cat "$T/recv.port")/in\n    secret: {env: S}\n"
ev data/x.yml '- id: one\n  title: One\n  date: 2030-05-07 19:00\n- id: two\n  title: Two\n  date: 2030-05-08 19:00\n- id: four\n  title: Four\n  date: 2030-05-10 19:00\n'
git -C "$T/h" init -q && git -C "$T/h" add -A && git -C "$T/h" -c user.name=t -c user.email=t@t commit -qm one
W=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
expect 0 'event=two notice=announce channel=hook lang=de result=sent' env S=$W $H announce two --now 2030-05-01T00:00:00Z
ev data/x.yml '- id: one\n  title: One\n  date: 2030-05-07 19:00\n- id: four\n  title: Four, later\n  date: 2030-05-10 20:00\n'
git -C "$T/h" add -A && git -C "$T/h" -c user.name=t -c user.email=t@t commit -qm two
out=$(env -C "$T/h" S=$W $H changed --base HEAD~1 --head HEAD --dry-run --now 2030-05-01T01:00:00Z 2>&1)
expect 0 'event=two notice=cancel channel=hook lang=de result=dry-run' printf '%s' "$out"
expect 0 'event=four notice=announce' printf '%s' "$out"
if grep -q 'event=one' <<<"$out"; then fail=$((fail + 1)); echo "FAIL: changed looked at the unchanged event one"; else pass=$((pass + 1)); fi
# stdout and stderr closed by the caller (cron's `>&-`): the first files
# and sockets crier opens (the journal's lock, the transport's socket) must
# not take their numbers, or what crier prints (-v: a line a request) goes
# into them
rc=0
env S=$W $H announce four --now 2030-05-01T00:00:00Z -v >&- 2>&- || rc=$?
if [ "$rc" = 0 ] && [ ! -s "$T/h/j.db.lock" ]; then pass=$((pass + 1)); else
  fail=$((fail + 1))
  echo "FAIL: announce with stdio closed: status $rc, lock file: $(head -c 200 "$T/h/j.db.lock" 2>/dev/null)"
fi
expect 0 'four +announce +hook +de +sent' env S=$W $H status
kill "$recv"
wait "$recv" 2>/dev/null

# --- crier changed --since-state: the last commit finished, in the journal ---
site
cat >"$T/s/crier.yaml" <<'Y'
site:
  timezone: Europe/Berlin
  url: https://example.net
channels:
  - name: hook
    type: webhook
    url: http://127.0.0.1:9/hook
    secret: {env: W}
    lang: en
    retries: 0
Y
G="git -C $T/s -c user.name=t -c user.email=t@t"
$G init -q && $G add -A && $G commit -qm one
c1=$($G rev-parse HEAD)
N="--now 2030-05-01T00:00:00Z"
expect 64 '--since-state needs --head, and no files' $C changed --since-state
expect 64 '--since-state needs --head, and no files' $C changed --since-state --head HEAD good
expect 64 '--markdown is for --dry-run' $C changed --base HEAD --head HEAD --markdown
expect 0 "no commit crier finished is recorded: ${c1:0:12} is the starting point" env -C "$T/s" $C changed --since-state --head HEAD $N
post 2030-05-13-next.md '---\ntitle: "Next"\ndate: 2030-05-13 19:00\nlocation: here\n---\n'
$G add -A && $G commit -qm two
c2=$($G rev-parse HEAD)
expect 0 "changes since ${c1:0:12}, the last commit crier finished" env -C "$T/s" $C changed --since-state --head HEAD --dry-run $N
expect 0 'event=2030-05-13-next notice=announce channel=hook lang=en result=dry-run' env -C "$T/s" $C changed --since-state --head HEAD --dry-run $N
# a run that did not send everything is not the new start
expect 75 "${c2:0:12} is not recorded as finished: the next run starts from the same commit" env -C "$T/s" W=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw $C changed --since-state --head HEAD $N
expect 0 "changes since ${c1:0:12}, the last commit crier finished" env -C "$T/s" $C changed --since-state --head HEAD --dry-run $N
sed -i 's/^    retries: 0/    retries: 0\n    notices: [cancel]/' "$T/s/crier.yaml"
expect 0 "changes since ${c1:0:12}" env -C "$T/s" $C changed --since-state --head HEAD $N
expect 0 "changes since ${c2:0:12}" env -C "$T/s" $C changed --since-state --head HEAD $N
expect 0 'no event files changed' env -C "$T/s" $C changed --since-state --head HEAD $N
# a force-push took that commit away: every event counts, --base first
$G commit -q --amend -m 'two, again'
$G reflog expire --expire=now --all && $G gc -q --prune=now
expect 0 "is not in this checkout \(a force-push\?\); changes since --base ${c1:0:12}" env -C "$T/s" $C changed --since-state --base "$c1" --head HEAD --dry-run $N
expect 0 "the last commit crier finished, ${c2:0:12}, is not in this checkout \(a force-push\?\): every event counts as changed" env -C "$T/s" $C changed --since-state --head HEAD $N
expect 0 "changes since $($G rev-parse --short=12 HEAD)" env -C "$T/s" $C changed --since-state --head HEAD $N
# the markdown of a dry run: code, not markup
sed -i '/notices: \[cancel\]/d' "$T/s/crier.yaml"
post 2030-05-20-md.md '---\ntitle: "@octocat <b>x</b> ``` y"\ndate: 2030-05-20 19:00\nlocation: here\n---\nBody with ```` four\n'
$G add -A && $G commit -qm three
expect 0 '^#### `2030-05-20-md`: announce' env -C "$T/s" $C changed --base HEAD~1 --head HEAD --dry-run --markdown $N
expect 0 '<code>@octocat &lt;b&gt;x&lt;/b&gt; ``` y' env -C "$T/s" $C changed --base HEAD~1 --head HEAD --dry-run --markdown $N
expect 0 '^`````markdown$' env -C "$T/s" $C changed --base HEAD~1 --head HEAD --dry-run --markdown $N
expect 0 '^Nothing would be sent\.$' env -C "$T/s" $C changed --base HEAD --head HEAD --dry-run --markdown $N
rm -rf "$T/s/.git"
# --- crier state ---
site
expect 0 "^journal $T/s/crier.db$" $C state paths
expect 0 "\"tokens\": \"$T/s/crier.db.tokens\"" $C --json state paths
expect 0 "\"events\": \"$T/s/_posts\"" $C --json state paths
expect 64 'crier state: missing argument' $C state
expect 64 'expected paths, or seal or unseal' $C state seal only-one
K=$(openssl rand -base64 32)
printf '{"meetup:x":"rt-canary-secret"}' >"$T/tok"
expect 0 '' env CRIER_STATE_KEY="$K" $CRIER state seal "$T/tok" "$T/tok.sealed"
if grep -q canary "$T/tok.sealed" || [ "$(stat -c %a "$T/tok.sealed")" != 600 ]; then
  fail=$((fail + 1)); echo "FAIL: the sealed file shows the token or others may read it"
else pass=$((pass + 1)); fi
expect 0 '' env CRIER_STATE_KEY="$K" $CRIER state unseal "$T/tok.sealed" "$T/tok.out"
if cmp -s "$T/tok" "$T/tok.out"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: unseal gave other bytes"; fi
expect 65 'does not open with \$CRIER_STATE_KEY' env CRIER_STATE_KEY="$(openssl rand -base64 32)" $CRIER state unseal "$T/tok.sealed" "$T/x"
expect 65 'is not a file crier sealed' env CRIER_STATE_KEY="$K" $CRIER state unseal "$T/tok" "$T/x"
expect 78 'is not the base64 of 32 bytes' env CRIER_STATE_KEY=c2hvcnQ= $CRIER state seal "$T/tok" "$T/x"
expect 78 'CRIER_STATE_KEY is not set' env -u CRIER_STATE_KEY $CRIER state seal "$T/tok" "$T/x"
expect 66 'cannot' env CRIER_STATE_KEY="$K" $CRIER state seal "$T/nope" "$T/x"
# one bit of byte 50 flipped: writing a fixed byte there left the file
# as it was once in 256 runs (the nonce is random)
b=$(od -An -tu1 -j50 -N1 "$T/tok.sealed" | tr -d ' ')
# shellcheck disable=SC2059 # the format is the octal escape of the byte
printf "\\$(printf '%03o' $((b ^ 1)))" | dd of="$T/tok.sealed" bs=1 seek=50 conv=notrunc 2>/dev/null
expect 65 'altered, or sealed with another key' env CRIER_STATE_KEY="$K" $CRIER state unseal "$T/tok.sealed" "$T/x"
if [ -e "$T/x" ]; then fail=$((fail + 1)); echo "FAIL: a refused unseal wrote its output"; else pass=$((pass + 1)); fi

# --- run --dry-run: readable, and in order in one file or pipe ---
E="$CRIER -c $ROOT/examples/site/crier.yaml"
AT=2031-03-10T18:00:00+01:00
# --summary: one line per notice (six due, one skipped), then the total
$E run --dry-run --summary --now $AT >"$T/sum.out" 2>"$T/sum.err"
if [ "$(wc -l <"$T/sum.out")" = 7 ] && [ "$(wc -l <"$T/sum.err")" = 1 ] &&
  grep -q '^2031-03-12-async-in-practice · announce · matrix-de (matrix, de): Rust im März' "$T/sum.out" &&
  grep -q 'reminder-7d · matrix-de (matrix, de): skipped – the announcement goes out instead$' "$T/sum.out"; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL: run --dry-run --summary is not one line per notice:"
  sed 's/^/  | /' "$T/sum.out" "$T/sum.err"
fi
expect 64 '--summary goes with --dry-run' $E run --summary --now $AT
# stdout and stderr into one pipe: every message whole, its result lines
# after the messages, never inside one
$E run --dry-run --now $AT 2>&1 | cat >"$T/mixed"
if awk '/^=== /{m++} /^event=/{r++; if (m < 6) bad=1} END{exit !(m == 6 && r == 7 && !bad)}' "$T/mixed"; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL: result lines inside the messages of run --dry-run 2>&1:"
  grep -n '^=== \|^event=' "$T/mixed" | sed 's/^/  | /'
fi

echo "cli: $pass passed, $fail failed"
[ $fail = 0 ]

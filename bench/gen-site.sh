#!/bin/sh
# Writes a site of N events (default 10000) into DIR, with talks, links and
# a location, like a real meetup's, in one of three shapes (SHAPE):
#   jekyll   (default) one file per event in _posts/
#   bundles  Hugo page bundles content/events/NNNNN-event/index.md, every
#            tenth with a German translation (index.de.md), _index.md
#            section pages, ISO 8601 dates with offsets
#   data     YAML data files, one per year (_data/events/YYYY.yml), each
#            event with an id key
# Every shape puts four events on a day (10:00, 13:00, 16:00, 19:00) from
# 2030-01-01 on, so that 10,000 of them end in 2036, before 2037: after
# 2037 glibc computes each local time from the zone's rule instead of its
# table, which would make every event dearer than a real site's. The
# dates are computed here (not with awk's strftime: mawk's stops at
# 2038-01-19), Berlin's offsets with the EU rule.
# Usage: bench/gen-site.sh DIR [N] [SHAPE]
set -eu
dir=$1
n=${2:-10000}
shape=${3:-jekyll}
channels() { # the channel every generated site has
  cat >>"$dir/crier.yaml" <<'Y'
channels:
  - name: chat
    type: matrix
    homeserver: https://m.example.org
    room: "#r:example.org"
    access_token: {env: BENCH_TOKEN}
    lang: [de, en]
Y
}
mkdir -p "$dir/_data"
case $shape in
jekyll)
  mkdir -p "$dir/_posts"
  cat >"$dir/_data/locations.yml" <<'Y'
hall:
  short: "Hall"
  name: "Big Hall"
  street: "Hauptstraße 1"
  city: "Köln"
  osm: "https://www.openstreetmap.org/node/1"
  directions: |
    Take the tram to "Hauptstraße" and walk two minutes.
Y
  cat >"$dir/crier.yaml" <<'Y'
site:
  events: _posts
  locations: _data/locations.yml
  timezone: Europe/Berlin
  url: https://bench.example.org
Y
  ;;
bundles | data)
  cat >"$dir/_data/locations.yml" <<'Y'
hall:
  short: "Hall"
  name: "Big Hall"
  street: "Hauptstraße 1"
  city: "Köln"
Y
  ;;
*)
  echo "gen-site.sh: unknown shape '$shape' (jekyll, bundles, data)" >&2
  exit 64
  ;;
esac
if [ "$shape" = bundles ]; then
  mkdir -p "$dir/content/events"
  printf -- '---\ntitle: "Events"\n---\nAll events.\n' >"$dir/content/events/_index.md"
  cat >"$dir/crier.yaml" <<'Y'
site:
  events: content/events
  recursive: true
  translations: [en, de]
  locations: _data/locations.yml
  timezone: Europe/Berlin
  url: https://bench.example.org
  permalink: /events/:title/
Y
  awk -v n="$n" -v dir="$dir" 'BEGIN {
    for (i = 0; i < n; i++) printf "%s/content/events/%05d-event\n", dir, i
  }' | xargs mkdir -p
elif [ "$shape" = data ]; then
  mkdir -p "$dir/_data/events"
  cat >"$dir/crier.yaml" <<'Y'
site:
  data: _data/events
  locations: _data/locations.yml
  timezone: Europe/Berlin
  url: https://bench.example.org
  fields:
    title: name
    date: date
    time: time
    body: description
    link:
      Meetup.com: meetup_url
Y
fi
channels
awk -v n="$n" -v dir="$dir" -v shape="$shape" '
# days since 1970-01-01 to y, m, d (H. Hinnant'"'"'s algorithm)
function civil(z,   era, doe, yoe, doy, mp) {
  z += 719468
  era = int(z / 146097)
  doe = z - era * 146097
  yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
  doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
  mp = int((5 * doy + 2) / 153)
  D = doy - int((153 * mp + 2) / 5) + 1
  M = mp < 10 ? mp + 3 : mp - 9
  Y = yoe + era * 400 + (M <= 2)
}
function days(y, m, d,   era, yoe, doy) { # y-m-d to days since 1970
  y -= (m <= 2)
  era = int(y / 400)
  yoe = y - era * 400
  doy = int((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
  return era * 146097 + yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy - 719468
}
function last_sunday(y, m, dd) { # of month m (31 days)
  dd = days(y, m, 31)
  return dd - (dd + 4) % 7 # 1970-01-01 was a Thursday
}
# Berlin'"'"'s offset on day z after 03:00 local time: +02:00 from the
# last Sunday of March to the last Sunday of October (the EU rule)
function offset(z) {
  civil(z)
  return z >= last_sunday(Y, 3) && z < last_sunday(Y, 10) ? "+02:00" : "+01:00"
}
BEGIN {
  day0 = 21915 # 2030-01-01
  for (i = 0; i < n; i++) {
    z = day0 + int(i / 4)
    hh = 10 + 3 * (i % 4)
    civil(z)
    d = sprintf("%04d-%02d-%02d", Y, M, D)
    if (shape == "jekyll") {
      f = sprintf("%s/_posts/%s-event-%05d.md", dir, d, i)
      printf "---\ntitle: \"Meetup number %d: Glühwein & Lifetimes\"\n", i > f
      printf "date: %s %02d:00\ncategories: meetup\nlocation: hall\n", d, hh > f
      printf "links:\n  \"Meetup.com\": \"https://www.meetup.com/x/events/%d/\"\n", i > f
      printf "talks:\n- title: \"Talk %d\"\n  speaker:\n    name: \"Speaker %d\"\n", i, i > f
      printf "    github: speaker%d\n  abstract: |\n    A talk about lifetimes,\n", i > f
      printf "    borrowing and the rest.\n---\nWelcome to meetup %d!\n", i > f
      close(f)
    } else if (shape == "bundles") {
      b = sprintf("%s/content/events/%05d-event", dir, i)
      f = b "/index.md"
      printf "---\ntitle: \"Meetup number %d: Glühwein & Lifetimes\"\n", i > f
      printf "date: %sT%02d:00:00%s\nlocation: hall\n", d, hh, offset(z) > f
      printf "links:\n  \"Meetup.com\": \"https://www.meetup.com/x/events/%d/\"\n", i > f
      printf "talks:\n- title: \"Talk %d\"\n  speaker:\n    name: \"Speaker %d\"\n", i, i > f
      printf "    github: speaker%d\n  abstract: |\n    A talk about lifetimes,\n", i > f
      printf "    borrowing and the rest.\n---\nWelcome to meetup %d! {{< youtube x%d >}}\n", i, i > f
      close(f)
      if (i % 10 == 0) {
        f = b "/index.de.md"
        printf "---\ntitle: \"Treffen Nummer %d\"\n---\nWillkommen!\n", i > f
        close(f)
      }
    } else {
      f = sprintf("%s/_data/events/%04d.yml", dir, Y)
      printf "- id: event-%05d\n  name: \"Meetup number %d: Glühwein & Lifetimes\"\n", i, i > f
      printf "  date: \"%s\"\n  time: \"%d:00\"\n  location: hall\n", d, hh > f
      printf "  meetup_url: \"https://www.meetup.com/x/events/%d/\"\n", i > f
      printf "  talks:\n  - title: \"Talk %d\"\n    speaker: {name: \"Speaker %d\", github: speaker%d}\n", i, i, i > f
      printf "    abstract: A talk about lifetimes, borrowing and the rest.\n", i > f
      printf "  description: |\n    Welcome to meetup %d!\n", i > f
    }
  }
}'

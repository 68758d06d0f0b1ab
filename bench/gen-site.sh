#!/bin/sh
# Writes a site of N events (default 10000) into DIR, with talks, links and
# a location, like a real meetup's, in one of three shapes (SHAPE):
#   jekyll   (default) one file per event in _posts/, weekly from 2030 on
#   bundles  Hugo page bundles content/events/NNNNN-event/index.md, every
#            tenth with a German translation (index.de.md), _index.md
#            section pages, ISO 8601 dates with offsets
#   data     YAML data files, one per year (_data/events/YYYY.yml), each
#            event with an id key
# bundles and data put four events a day (10:00 to 19:00) from 2030 on,
# so that 10,000 events end before 2037.
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
if [ "$shape" = bundles ] || [ "$shape" = data ]; then
  mkdir -p "$dir/_data"
  cat >"$dir/_data/locations.yml" <<'Y'
hall:
  short: "Hall"
  name: "Big Hall"
  street: "Hauptstraße 1"
  city: "Köln"
Y
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
  else
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
  if [ "$shape" = bundles ]; then
    awk -v n="$n" -v dir="$dir" 'BEGIN {
      for (i = 0; i < n; i++) printf "%s/content/events/%05d-event\n", dir, i
    }' | xargs mkdir -p
  fi
  TZ=Europe/Berlin awk -v n="$n" -v dir="$dir" -v shape="$shape" 'BEGIN {
    t0 = 1893499200  # 2030-01-02 12:00 UTC
    for (i = 0; i < n; i++) {
      day = t0 + int(i / 4) * 86400
      d = strftime("%Y-%m-%d", day)
      hh = 10 + 3 * (i % 4)
      t = mktime(strftime("%Y %m %d ", day) hh " 00 00")
      z = strftime("%z", t)
      z = substr(z, 1, 3) ":" substr(z, 4, 2)
      if (shape == "bundles") {
        b = sprintf("%s/content/events/%05d-event", dir, i)
        f = b "/index.md"
        printf "---\ntitle: \"Meetup number %d: Glühwein & Lifetimes\"\n", i > f
        printf "date: %sT%02d:00:00%s\nlocation: hall\n", d, hh, z > f
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
        f = sprintf("%s/_data/events/%s.yml", dir, substr(d, 1, 4))
        printf "- id: event-%05d\n  name: \"Meetup number %d: Glühwein & Lifetimes\"\n", i, i > f
        printf "  date: \"%s\"\n  time: \"%d:00\"\n  location: hall\n", d, hh > f
        printf "  meetup_url: \"https://www.meetup.com/x/events/%d/\"\n", i > f
        printf "  talks:\n  - title: \"Talk %d\"\n    speaker: {name: \"Speaker %d\", github: speaker%d}\n", i, i, i > f
        printf "    abstract: A talk about lifetimes, borrowing and the rest.\n", i > f
        printf "  description: |\n    Welcome to meetup %d!\n", i > f
      }
    }
  }'
  exit 0
fi
mkdir -p "$dir/_posts" "$dir/_data"
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
channels
# Dates are computed here (days to a civil date, as in H. Hinnant's
# algorithm): mawk's strftime stops at 2038-01-19, which made every event
# after the 420th fall on that day.
awk -v n="$n" -v dir="$dir/_posts" '
function civil(z,   era, doe, yoe, y, doy, mp, d, m) {
  z += 719468
  era = int(z / 146097)
  doe = z - era * 146097
  yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
  y = yoe + era * 400
  doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
  mp = int((5 * doy + 2) / 153)
  d = doy - int((153 * mp + 2) / 5) + 1
  m = mp < 10 ? mp + 3 : mp - 9
  return sprintf("%04d-%02d-%02d", y + (m <= 2), m, d)
}
BEGIN {
  day = 21916  # 2030-01-02, a Wednesday (days since 1970-01-01)
  for (i = 0; i < n; i++) {
    d = civil(day + i * 7)
    f = sprintf("%s/%s-event-%05d.md", dir, d, i)
    printf "---\ntitle: \"Meetup number %d: Glühwein & Lifetimes\"\n", i > f
    printf "date: %s 19:00\ncategories: meetup\nlocation: hall\n", d > f
    printf "links:\n  \"Meetup.com\": \"https://www.meetup.com/x/events/%d/\"\n", i > f
    printf "talks:\n- title: \"Talk %d\"\n  speaker:\n    name: \"Speaker %d\"\n", i, i > f
    printf "    github: speaker%d\n  abstract: |\n    A talk about lifetimes,\n", i > f
    printf "    borrowing and the rest.\n---\nWelcome to meetup %d!\n", i > f
    close(f)
  }
}'

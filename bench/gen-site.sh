#!/bin/sh
# Writes a site of N event files (default 10000) into DIR, weekly events
# from 2030 on, with talks, links and a location, like a real meetup's.
set -eu
dir=$1
n=${2:-10000}
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
channels:
  - name: chat
    type: matrix
    homeserver: https://m.example.org
    room: "#r:example.org"
    access_token: {env: BENCH_TOKEN}
    lang: [de, en]
Y
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

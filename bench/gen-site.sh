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
awk -v n="$n" -v dir="$dir/_posts" 'BEGIN {
  t = 1893528000  # 2030-01-02 20:00 UTC, a Wednesday
  for (i = 0; i < n; i++) {
    d = strftime("%Y-%m-%d", t + i * 7 * 86400, 1)
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

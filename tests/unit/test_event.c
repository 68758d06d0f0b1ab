/* Event files: the four states of talks, links, locations, errors with
 * lines; and every shared fixture loads without an error. */
#include "harness.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "when.h"

static char dir[] = "/tmp/crier-test-event-XXXXXX";

static const char *put(const char *name, const char *text)
{
  static char path[512];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  return path;
}

static struct event *load(const char *name, const char *text,
                          const struct locations *l, struct diags *d)
{
  diags_release(d);
  return event_load(put(name, text), NULL, l, d);
}

static void test_states(const struct locations *l)
{
  struct diags d;
  diags_init(&d);
  struct event *ev = load("2030-01-01-a.md",
                          "---\ntitle: A\ndate: 2030-01-01 19:00\n"
                          "talks:\n- title: T\n  speaker:\n    name: N\n---\n",
                          l, &d);
  OK(ev && ev->talks_state == TALKS_LIST && ev->ntalks == 1, "a list");
  STR_EQ(ev->talks[0].speaker, "N");
  event_free(ev);
  ev = load("2030-01-01-b.md",
            "---\ntitle: B\ndate: 2030-01-01 19:00\ntalks: []\n---\n", l, &d);
  OK(ev && ev->talks_state == TALKS_NONE, "[]");
  event_free(ev);
  ev =
      load("2030-01-01-c.md",
           "---\ntitle: C\ndate: 2030-01-01 19:00\ntalks: false\n---\n", l, &d);
  OK(ev && ev->talks_state == TALKS_OPEN, "false");
  event_free(ev);
  ev = load("2030-01-01-d.md", "---\ntitle: D\ndate: 2030-01-01 19:00\n---", l,
            &d);
  OK(ev && ev->talks_state == TALKS_WANTED, "absent");
  STR_EQ(event_own_body(ev), "");
  event_free(ev);
  /* a speaker given only by a GitHub name, or as a plain string */
  ev = load("2030-01-01-e.md",
            "---\ntitle: E\ndate: 2030-01-01 19:00\ntalks:\n- title: T\n"
            "  speaker:\n    github: nick\n- title: U\n  speaker: \"A and B\"\n"
            "---\n",
            l, &d);
  OK(ev && ev->ntalks == 2, "two talks");
  STR_EQ(ev->talks[0].speaker, "nick");
  STR_EQ(ev->talks[1].speaker, "A and B");
  event_free(ev);
  diags_release(&d);
}

/* Each speaker of a talk with every handle given; the first GitHub and
 * Twitter names stay where the calendar and the webhook read them. */
static void test_speakers(const struct locations *l)
{
  struct diags d;
  diags_init(&d);
  struct event *ev =
      load("2030-01-02-s.md",
           "---\ntitle: S\ndate: 2030-01-02 19:00\ntalks:\n- title: T\n"
           "  speakers:\n  - {name: Ada, github: ada, mastodon: "
           "\"@ada@rust.social\"}\n"
           "  - {name: Bo, twitter: bo, bluesky: bo.bsky.social, url: "
           "\"https://bo.example\"}\n  - Cy\n---\n",
           l, &d);
  OK(ev && ev->ntalks == 1 && ev->talks[0].npeople == 3, "three speakers");
  if (ev && ev->ntalks == 1 && ev->talks[0].npeople == 3) {
    const struct talk *t = &ev->talks[0];
    STR_EQ(t->speaker, "Ada, Bo, Cy");
    STR_EQ(t->github, "ada");
    STR_EQ(t->twitter, "bo");
    STR_EQ(t->people[0].mastodon, "@ada@rust.social");
    STR_EQ(t->people[1].bluesky, "bo.bsky.social");
    STR_EQ(t->people[1].url, "https://bo.example");
    STR_EQ(t->people[2].name, "Cy");
    OK(!t->people[2].github, "a name alone has no handles");
  }
  OK(d.n == 0, "no problems: %s", d.n ? d.v[0].msg : "");
  event_free(ev);
  /* a handle crier does not know is a warning with the line */
  ev = load("2030-01-02-t.md",
            "---\ntitle: S\ndate: 2030-01-02 19:00\ntalks:\n- title: T\n"
            "  speaker: {name: Ada, mastodn: x}\n---\n",
            l, &d);
  OK(ev && d.n == 1 && d.v[0].sev == DIAG_WARNING && d.v[0].line == 6 &&
         strstr(d.v[0].msg, "did you mean 'mastodon'"),
     "misspelt handle: %s", d.n ? d.v[0].msg : "");
  event_free(ev);
  diags_release(&d);
}

/* Directions as one text, or by language. */
static void test_directions(void)
{
  struct diags d;
  diags_init(&d);
  struct locations l;
  const char *p = put("dir.yml", "a:\n  name: A\n  street: S\n"
                                 "  directions: \"Tram 7\"\n"
                                 "b:\n  name: B\n  street: S\n  directions:\n"
                                 "    en: \"Take the stairs\"\n"
                                 "    de: \"Die Treppe runter\"\n");
  OK(locations_load(&l, p, &d) == 0 && l.n == 2, "directions load");
  if (l.n == 2) {
    STR_EQ(location_directions(&l.v[0], "de"), "Tram 7");
    STR_EQ(location_directions(&l.v[1], "de"), "Die Treppe runter");
    STR_EQ(location_directions(&l.v[1], "en"), "Take the stairs");
    /* a language without its own: the first as written */
    STR_EQ(location_directions(&l.v[1], "nl"), "Take the stairs");
  }
  locations_release(&l);
  diags_release(&d);
  OK(locations_load(&l, put("dir2.yml", "a:\n  name: A\n  directions: [x]\n"),
                    &d) < 0 &&
         d.n == 1 && d.v[0].line == 3 && strstr(d.v[0].msg, "'directions'"),
     "a list is refused: %s", d.n ? d.v[0].msg : "");
  locations_release(&l);
  diags_release(&d);
  OK(locations_load(&l,
                    put("dir3.yml", "a:\n  name: A\n  directions:\n"
                                    "    xx: y\n"),
                    &d) == 0 &&
         d.n == 1 && d.v[0].sev == DIAG_WARNING &&
         strstr(d.v[0].msg, "'xx', which is not a language"),
     "an unknown language warns: %s", d.n ? d.v[0].msg : "");
  locations_release(&l);
  diags_release(&d);
}

static void test_fields(const struct locations *l)
{
  struct diags d;
  diags_init(&d);
  struct event *ev =
      load("2030-02-03-fields.md",
           "---\ntitle: \"Köln – Glühwein\"\ndate: 2030-02-03 19:30:00 MEZ\n"
           "categories: meetup cologne\nlocation: here\nlinks:\n"
           "  \"Meetup.com\": \"https://m.example/1\"\n"
           "  \"Slides v1.2\": \"https://s.example/x\"\ncancelled: true\n---\n"
           "Body line\n",
           l, &d);
  OK(ev != NULL, "loads: %s", d.n ? d.v[0].msg : "");
  STR_EQ(ev->id, "2030-02-03-fields");
  STR_EQ(ev->title, "Köln – Glühwein");
  struct buf b = BUF_INIT;
  when_rfc3339(ev->start, &b);
  STR_EQ(b.data, "2030-02-03T19:30:00+01:00");
  buf_release(&b);
  OK(ev->loc && strcmp(ev->loc->name, "Here") == 0, "location resolved");
  STR_EQ(event_link(ev, "meetup.com"), "https://m.example/1");
  STR_EQ(event_link(ev, "Slides v1.2"), "https://s.example/x");
  INT_EQ(ev->links[1].line, 8);
  OK(ev->cancelled, "cancelled");
  STR_EQ(event_own_body(ev), "Body line\n");
  INT_EQ(ev->line_body, 11);
  INT_EQ(d.errors + d.warnings, 0);
  char hash1[65];
  memcpy(hash1, event_hash(ev), sizeof(hash1));
  event_free(ev);
  /* the hash changes with the time, not with the body */
  ev = load("2030-02-03-fields.md",
            "---\ntitle: \"Köln – Glühwein\"\ndate: 2030-02-03 19:30:00 MEZ\n"
            "location: here\n---\nOther body\n",
            l, &d);
  OK(strcmp(event_hash(ev), hash1) == 0, "body does not change the hash");
  event_free(ev);
  ev = load("2030-02-03-fields.md",
            "---\ntitle: \"Köln – Glühwein\"\ndate: 2030-02-03 20:00 MEZ\n"
            "location: here\n---\n",
            l, &d);
  OK(strcmp(event_hash(ev), hash1) != 0, "time changes the hash");
  event_free(ev);
  diags_release(&d);
}

static void test_errors(const struct locations *l)
{
  static const struct {
    const char *text, *msg;
    int line;
  } bad[] = {
      {"---\ndate: 2030-01-01 19:00\n---\n", "no 'title'", 2},
      {"---\ntitle: x\n---\n", "no 'date'", 2},
      {"---\ntitle: [x]\ndate: 2030-01-01 19:00\n---\n", "'title' must be", 2},
      {"---\ntitle: x\ndate: 2030-01-01 19:00\nlocation: nowhere\n---\n",
       "location 'nowhere' is not in", 4},
      {"---\ntitle: x\ndate: 2030-01-01 19:00\ntalks: true\n---\n",
       "'talks: true' means nothing", 4},
      {"---\ntitle: x\ndate: 2030-01-01 19:00\ntalks:\n- speaker: {name: a}\n"
       "---\n",
       "a talk without a 'title'", 5},
      {"---\ntitle: x\ndate: 2030-01-01 19:00\nlinks: [a]\n---\n",
       "'links' must be a map", 4},
      {"---\ntitle: x\ndate: 2030-01-01 19:00\ncancelled: maybe\n---\n",
       "'cancelled' must be true or false", 4},
      {"no front matter\n", "no YAML front matter", 1},
      {"---\ntitle: x\n", "not closed", 1},
      {"---\n- a\n---\n", "must be a map of fields", 2},
      {"---\ntitle: x\ndate: 2030-01-01 19:00\nend: 21:00\nduration: 2h\n"
       "---\n",
       "'end' or 'duration', not both", 5},
      {"---\ntitle: x\ndate: 2030-01-01 19:00\nduration: 2 hours\n---\n",
       "'duration': bad duration", 4},
      {"---\ntitle: x\ndate: 2030-01-01 19:00\nduration: 0h\n---\n",
       "ends ('0h') before it starts", 4},
      {"---\ntitle: x\ndate: 2030-01-01 19:00\nend: 2030-01-01 18:00\n---\n",
       "before it starts", 4},
      {"---\ntitle: x\ndate: 2030-01-01 19:00\nend: soon\n---\n",
       "'end': date 'soon': not a date", 4},
      {"---\ntitle: x\ndate: 2030-03-30 19:00\nend: 02:30\n---\n",
       "'end: 02:30' does not exist", 4},
      {"---\ntitle: x\ndate: 2030-01-01 19:00\nend: [21:00]\n---\n",
       "'end' must be a time", 4},
  };
  struct diags d;
  diags_init(&d);
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
    struct event *ev = load("2030-01-01-bad.md", bad[i].text, l, &d);
    OK(!ev, "refused: %s", bad[i].text);
    bool found = false;
    for (size_t k = 0; k < d.n; k++)
      found |= d.v[k].sev == DIAG_ERROR && strstr(d.v[k].msg, bad[i].msg) &&
               d.v[k].line == bad[i].line;
    OK(found, "want line %d '%s', got %d '%s'", bad[i].line, bad[i].msg,
       d.n ? d.v[0].line : 0, d.n ? d.v[0].msg : "");
    event_free(ev);
  }
  diags_release(&d);
}

/* 'end:' and 'duration:': the end, across midnight and a DST change; what
 * the snapshot keeps; and the hash changes with an end only when given. */
static void test_end(const struct locations *l)
{
  struct diags d;
  diags_init(&d);
  struct event *ev = load("2030-01-01-e1.md",
                          "---\ntitle: A\ndate: "
                          "2030-10-26 19:00\nend: 21:30\n---\n",
                          l, &d);
  OK(ev && ev->end == at("2030-10-26T21:30:00+02:00"), "end: a time");
  INT_EQ(ev ? ev->line_end : 0, 4);
  char *snap = ev ? event_snapshot(ev) : NULL;
  struct event *back = snap ? event_from_snapshot(snap) : NULL;
  OK(back && back->end == ev->end, "the snapshot keeps the end");
  OK(back && strcmp(event_hash(back), event_hash(ev)) == 0,
     "and the same hash");
  event_free(back);
  free(snap);
  char hash_with_end[65];
  snprintf(hash_with_end, sizeof(hash_with_end), "%s",
           ev ? event_hash(ev) : "");
  event_free(ev);
  /* across midnight into the night the clocks go back */
  ev = load("2030-01-01-e2.md",
            "---\ntitle: A\ndate: 2030-10-26 19:00\n"
            "end: 03:30\n---\n",
            l, &d);
  OK(ev && ev->end == at("2030-10-27T03:30:00+01:00"), "end: the next day");
  OK(ev && event_end(ev, 7200) == ev->end, "event_end: its own");
  event_free(ev);
  ev = load("2030-01-01-e3.md",
            "---\ntitle: A\ndate: 2030-10-26 19:00\n"
            "duration: 1h30m\n---\n",
            l, &d);
  OK(ev && ev->end == at("2030-10-26T20:30:00+02:00"), "duration");
  event_free(ev);
  /* a whole date and time, with a zone, a day later: a warning */
  ev = load("2030-01-01-e4.md",
            "---\ntitle: A\ndate: 2030-10-26 19:00\n"
            "end: 2030-10-28 12:00 MEZ\n---\n",
            l, &d);
  OK(ev && ev->end == at("2030-10-28T12:00:00+01:00"), "end: a date");
  OK(d.n == 1 && d.v[0].sev == DIAG_WARNING &&
         strstr(d.v[0].msg, "more than a day"),
     "long: %s", d.n ? d.v[0].msg : "no warning");
  event_free(ev);
  ev = load("2030-01-01-e5.md",
            "---\ntitle: A\ndate: 2030-10-26 19:00\n"
            "---\n",
            l, &d);
  OK(ev && ev->end == 0 &&
         event_end(ev, 7200) == at("2030-10-26T21:00:00+02:00"),
     "no end: the default duration");
  OK(ev && strcmp(event_hash(ev), hash_with_end) != 0,
     "an end changes the hash");
  char *s2 = ev ? event_snapshot(ev) : NULL;
  OK(s2 && !strstr(s2, "\"end\""), "no end in the snapshot when not given");
  free(s2);
  event_free(ev);
  diags_release(&d);
}

/* Coordinates: lat/lon, or from the osm link; half of them is an error. */
static void test_geo(void)
{
  struct diags d;
  diags_init(&d);
  struct locations l;
  const char *p =
      put("geo.yml", "a:\n  name: A\n  lat: \"50.9481\"\n  lon: \"6.9196\"\n"
                     "b:\n  name: B\n  osm: \"https://www.openstreetmap.org/"
                     "?mlat=50.1&mlon=-6.25#map=19/50.1/-6.25\"\n"
                     "c:\n  name: C\n  osm: \"https://www.openstreetmap.org/"
                     "#map=17/-33.85/151.2\"\n"
                     "d:\n  name: D\n  osm: \"https://www.openstreetmap.org/"
                     "node/1446603282\"\n");
  OK(locations_load(&l, p, &d) == 0 && l.n == 4, "geo locations");
  OK(l.v[0].has_geo && l.v[0].lat == 50.9481 && l.v[0].lon == 6.9196,
     "lat/lon");
  OK(l.v[1].has_geo && l.v[1].lat == 50.1 && l.v[1].lon == -6.25, "mlat");
  OK(l.v[2].has_geo && l.v[2].lat == -33.85 && l.v[2].lon == 151.2, "#map");
  OK(!l.v[3].has_geo, "a node link has no coordinates");
  locations_release(&l);
  OK(locations_load(&l, put("geo2.yml", "a:\n  name: A\n  lat: \"50\"\n"), &d) <
         0,
     "lat without lon refused");
  locations_release(&l);
  OK(locations_load(&l,
                    put("geo3.yml", "a:\n  name: A\n  lat: \"95\"\n"
                                    "  lon: \"6\"\n"),
                    &d) < 0,
     "lat out of range refused");
  locations_release(&l);
  diags_release(&d);
}

static void test_shared(const struct locations *unused)
{
  (void)unused;
  const char *shared = getenv("CRIER_SHARED");
  char posts[1024], locs[1024];
  snprintf(posts, sizeof(posts), "%s/fixtures/rust-cologne/_posts",
           shared ? shared : "../shared");
  snprintf(locs, sizeof(locs), "%s/fixtures/rust-cologne/_data/locations.yml",
           shared ? shared : "../shared");
  DIR *dd = opendir(posts);
  if (!dd) {
    printf("SKIP: %s is absent: shared fixtures not loaded\n", posts);
    return;
  }
  struct locations l;
  struct diags d;
  diags_init(&d);
  OK(locations_load(&l, locs, &d) == 0 && l.n == 6, "shared locations");
  int files = 0, loaded = 0, states[4] = {0};
  struct dirent *de;
  while ((de = readdir(dd))) {
    if (de->d_name[0] == '.')
      continue;
    char path[2048];
    snprintf(path, sizeof(path), "%s/%s", posts, de->d_name);
    files++;
    struct event *ev = event_load(path, NULL, &l, &d);
    if (ev) {
      loaded++;
      states[ev->talks_state]++;
      OK(ev->loc != NULL, "%s: location resolved", de->d_name);
    }
    event_free(ev);
  }
  closedir(dd);
  INT_EQ(files, 61);
  INT_EQ(loaded, files);
  INT_EQ(d.errors, 0);
  for (size_t k = 0; k < d.n; k++)
    if (d.v[k].sev == DIAG_ERROR)
      fprintf(stderr, "%s:%d: %s\n", d.v[k].file, d.v[k].line, d.v[k].msg);
  OK(states[TALKS_LIST] && states[TALKS_OPEN] && states[TALKS_WANTED],
     "the fixtures use lists, false and absent talks");
  locations_release(&l);
  diags_release(&d);
}

/* The body is kept as written at load and cleaned when first asked (a
 * cron run that renders nothing never asks): links resolve against the
 * event's page, {{ page.title }} is the title, and asking again gives the
 * same text without cleaning it again. */
static void test_body_when_asked(void)
{
  struct config cfg;
  struct diags d;
  diags_init(&d);
  const char *y = "site:\n  url: https://x.example\n"
                  "  permalink: /:year/:title/\n";
  OK(config_parse(&cfg, "c.yaml", y, strlen(y), &d) == 0, "config: %s",
     d.n ? d.v[0].msg : "");
  const char *text = "---\ntitle: Glühwein\ndate: 2030-12-05 19:00\n---\n"
                     "{{ page.title }}: [Folien](slides.pdf), "
                     "[vorher]({% post_url 2029-11-07-x %})\n";
  struct event *ev = event_parse("2030-12-05-gluehwein.md", NULL, text,
                                 strlen(text), &cfg, NULL, &d, NULL);
  OK(ev && !ev->body && ev->body_src, "kept as written");
  const char *b = ev ? event_own_body(ev) : NULL;
  STR_EQ(b ? b : "", "Glühwein: [Folien](https://x.example/2030/gluehwein/"
                     "slides.pdf), [vorher](https://x.example/2029/x/)\n");
  OK(ev && event_own_body(ev) == b && !ev->body_src, "cleaned once");
  STR_EQ(ev ? event_body(ev, "en") : "", b ? b : "");
  event_free(ev);
  config_release(&cfg);
  diags_release(&d);
}

int main(void)
{
  struct err e;
  if (when_set_zone("Europe/Berlin", &e) < 0 || !mkdtemp(dir)) {
    printf("SKIP: no tz database or no /tmp\n");
    return 77;
  }
  struct locations l;
  struct diags d;
  diags_init(&d);
  const char *lp =
      put("locations.yml", "here:\n  name: \"Here\"\n"
                           "  street: \"S 1\"\n  city: \"Köln\"\n");
  OK(locations_load(&l, lp, &d) == 0 && l.n == 1, "locations");
  /* a list instead of a map, and a location without a name */
  struct locations l2;
  OK(locations_load(&l2, put("l2.yml", "- a\n- b\n"), &d) < 0, "list refused");
  locations_release(&l2);
  OK(locations_load(&l2, put("l3.yml", "x:\n  street: s\n"), &d) < 0,
     "nameless location refused");
  locations_release(&l2);
  diags_release(&d);
  test_states(&l);
  test_speakers(&l);
  test_directions();
  test_fields(&l);
  test_body_when_asked();
  test_errors(&l);
  test_end(&l);
  test_geo();
  test_shared(&l);
  locations_release(&l);
  t_rmdir(dir);
  return t_summary();
}

/* A site in other shapes: page bundles, translations, data files; ids
 * unique; every event that exists but does not load is listed as broken
 * (a data file that does not parse too); old events only warn. */
#define _XOPEN_SOURCE 700
#include "harness.h"

#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "config.h"
#include "site.h"
#include "when.h"

static char dir[] = "/tmp/crier-test-site-XXXXXX";

static void put(const char *rel, const char *text)
{
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", dir, rel);
  for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
    *p = '\0';
    mkdir(path, 0700);
    *p = '/';
  }
  t_put(dir, rel, text);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
  (void)st;
  (void)flag;
  (void)f;
  return remove(p);
}

struct loaded {
  struct config cfg;
  struct site s;
  struct diags d;
};

static int load(struct loaded *l, const char *config, time_t now)
{
  put("crier.yaml", config);
  char p[600];
  snprintf(p, sizeof(p), "%s/crier.yaml", dir);
  diags_init(&l->d);
  if (config_load(&l->cfg, p, &l->d) < 0)
    return -1;
  struct site_opts o = {.now = now};
  return site_load(&l->s, &l->cfg, &o, &l->d);
}

static void unload(struct loaded *l)
{
  site_release(&l->s);
  config_release(&l->cfg);
  diags_release(&l->d);
}

static bool has_diag(const struct diags *d, enum diag_sev sev,
                     const char *file_end, int line, const char *text)
{
  for (size_t i = 0; i < d->n; i++) {
    const struct diag *g = &d->v[i];
    size_t fl = g->file ? strlen(g->file) : 0, el = strlen(file_end);
    if (g->sev == sev && g->line == line && fl >= el &&
        strcmp(g->file + fl - el, file_end) == 0 && strstr(g->msg, text))
      return true;
  }
  for (size_t i = 0; i < d->n; i++)
    fprintf(stderr, "  have %s:%d: %s\n", d->v[i].file ? d->v[i].file : "",
            d->v[i].line, d->v[i].msg);
  return false;
}

static const struct event *by_id(const struct site *s, const char *id)
{
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->events[i]->id, id) == 0)
      return s->events[i];
  return NULL;
}

static void test_bundles_and_translations(void)
{
  struct loaded l;
  put("content/events/_index.md", "---\ntitle: Events\n---\n");
  put("content/events/01-a/index.md",
      "---\ntitle: A\ndate: 2031-04-09T18:30:00+02:00\n---\nEnglish\n");
  put("content/events/01-a/index.de.md",
      "---\ntitle: A auf Deutsch\n---\nDeutsch\n");
  put("content/events/02-b/index.de.md",
      "---\ntitle: Nur Deutsch\ndate: 2031-05-09T18:30:00+02:00\n---\n");
  put("content/events/02-b/notes.md", "not an event: not an index\n");
  put("content/events/03-c/index.md", "---\ntitle: [broken\n---\n");
  OK(load(&l,
          "site:\n  events: content/events\n  translations: [en, de]\n"
          "  timezone: Europe/Berlin\n",
          0) == 0,
     "loads");
  INT_EQ(l.s.n, 2);
  INT_EQ(l.s.nfiles, 3);
  const struct event *a = by_id(&l.s, "01-a");
  OK(a && a->ntexts == 1, "01-a has its German text");
  if (a) {
    STR_EQ(event_title(a, "de"), "A auf Deutsch");
    STR_EQ(event_body(a, "de"), "Deutsch\n");
    STR_EQ(event_title(a, "en"), "A");
    STR_EQ(a->lang, "en");
  }
  const struct event *b = by_id(&l.s, "02-b");
  OK(b && b->lang && strcmp(b->lang, "de") == 0, "a page only in German");
  OK(site_is_broken(&l.s, "03-c") && !site_is_broken(&l.s, "01-a") &&
         !site_is_broken(&l.s, "04-none"),
     "the broken bundle is listed");
  unload(&l);
}

static void test_data_files(void)
{
  struct loaded l;
  put("d/a.yml", "- id: one\n  title: One\n  date: 2031-05-06 19:00\n"
                 "- id: two\n  title: Two\n  date: 2031-02-30 19:00\n");
  put("d/b.yaml", "three:\n  title: Three\n  date: 2031-05-08 19:00\n");
  put("d/c.yml", "id: four\ntitle: Four\ndate: 2031-05-09 19:00\n");
  put("d/.hidden.yml", "- [\n");
  OK(load(&l, "site:\n  data: d\n  timezone: Europe/Berlin\n", 0) == 0,
     "loads");
  INT_EQ(l.s.n, 3);
  INT_EQ(l.s.nfiles, 4);
  OK(by_id(&l.s, "one") && by_id(&l.s, "three") && by_id(&l.s, "four"),
     "a list, a map from id, one event");
  OK(site_is_broken(&l.s, "two") && !l.s.broken_unknown, "two is broken");
  OK(has_diag(&l.d, DIAG_ERROR, "d/a.yml", 6, "does not exist"),
     "the line in the data file");
  unload(&l);
  /* a data file that does not parse: the ids it seems to hold */
  put("d/a.yml", "- id: one\n  title: One\n  date: 2031-05-06 19:00\n"
                 "- id: 'two'\n  title: [Two\n");
  OK(load(&l, "site:\n  data: d/a.yml\n  timezone: Europe/Berlin\n", 0) == 0,
     "loads");
  INT_EQ(l.s.n, 0);
  OK(site_is_broken(&l.s, "one") && site_is_broken(&l.s, "two") &&
         !site_is_broken(&l.s, "five") && !l.s.broken_unknown,
     "ids scanned");
  unload(&l);
  /* a map from id to event that does not parse: its keys */
  put("d/a.yml", "one:\n  title: One\n  date: [2031-05-06\nthree:\n"
                 "  title: Three\n");
  OK(load(&l, "site:\n  data: d/a.yml\n  timezone: Europe/Berlin\n", 0) == 0,
     "loads");
  OK(site_is_broken(&l.s, "one") && site_is_broken(&l.s, "three") &&
         !site_is_broken(&l.s, "title") && !l.s.broken_unknown,
     "keys scanned");
  unload(&l);
  /* and one without a line that names an id: any id may be in it */
  put("d/a.yml", "[ { title: x, id: one ]\n");
  OK(load(&l, "site:\n  data: d/a.yml\n  timezone: Europe/Berlin\n", 0) == 0,
     "loads");
  OK(l.s.broken_unknown && site_is_broken(&l.s, "anything"), "broken_unknown");
  unload(&l);
}

static void test_unique_and_archive(void)
{
  struct loaded l;
  put("e/x.md", "---\ntitle: X\ndate: 2015-02-30 19:00\n---\n");
  put("e/sub/y.md", "---\ntitle: Y\ndate: 2031-02-30 19:00\n---\n");
  put("e/sub/x.md", "---\ntitle: X2\ndate: 2031-05-06 19:00\n---\n");
  time_t now = at("2031-01-01T00:00:00Z");
  OK(load(&l,
          "site:\n  events: e\n  recursive: true\n"
          "  timezone: Europe/Berlin\n",
          now) == 0,
     "loads");
  OK(has_diag(&l.d, DIAG_ERROR, "e/x.md", 0, "the id 'x' is also that of"),
     "duplicate id");
  OK(has_diag(&l.d, DIAG_WARNING, "e/x.md", 3, "an event of the past"),
     "an old event warns");
  OK(has_diag(&l.d, DIAG_ERROR, "e/sub/y.md", 3, "does not exist"),
     "a coming one is an error");
  OK(by_id(&l.s, "x") && site_is_broken(&l.s, "y"),
     "x is loaded (from e/sub/x.md), y is broken");
  unload(&l);
}

int main(void)
{
  struct err e;
  if (when_set_zone("Europe/Berlin", &e) < 0 || !mkdtemp(dir))
    return 77;
  test_bundles_and_translations();
  test_data_files();
  test_unique_and_archive();
  nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  return t_summary();
}

/* Event identities: a renamed or moved file keeps the identity of the
 * event it was announced as, and a file the journal already knows is
 * never taken for another event. The view announce and retry read
 * (jview_load_ids: no delivery rows; whether an identity has any is asked
 * of the journal when it matters) must identify every event as the
 * planner's full view does. */
#include "harness.h"

#include <stdlib.h>

#include <sqlite3.h>

#include "config.h"
#include "journal.h"
#include "schedule.h"
#include "site.h"
#include "when.h"

static char dir[] = "/tmp/crier-test-identify-XXXXXX";

/* The announced record of uid on channel "chat", with the snapshot of
 * an event of that title and start. */
static void announced(struct journal *j, const char *uid, const char *title,
                      const char *date)
{
  struct config cfg;
  struct diags d;
  diags_init(&d);
  const char *y = "site:\n  url: https://x.example\n";
  config_parse(&cfg, "c.yaml", y, strlen(y), &d);
  char text[256];
  snprintf(text, sizeof(text), "---\ntitle: %s\ndate: %s\n---\nBody\n", title,
           date);
  char name[128];
  snprintf(name, sizeof(name), "%s.md", uid);
  struct event *ev =
      event_parse(name, NULL, text, strlen(text), &cfg, NULL, &d, NULL);
  OK(ev != NULL, "snapshot event %s", uid);
  char *snap = ev ? event_snapshot(ev) : NULL;
  struct jannounced a = {.event = (char *)uid,
                         .channel = (char *)"chat",
                         .hash = (char *)"h",
                         .snapshot = snap,
                         .generation = 0};
  struct err e;
  OK(journal_set_announced(j, &a, &e) == 0, "announced %s", uid);
  free(snap);
  event_free(ev);
  config_release(&cfg);
  diags_release(&d);
}

/* A delivery row of uid that failed: the journal knows the identity,
 * and nothing was announced under it. */
static void failed_row(struct journal *j, const char *uid, const char *key)
{
  struct jrow r = {.event = (char *)uid,
                   .notice = (char *)"announce",
                   .channel = (char *)"chat",
                   .lang = (char *)"de"};
  snprintf(r.key, sizeof(r.key), "%s", key);
  struct err e;
  OK(journal_claim(j, &r, &e) == 0 &&
         journal_finish(j, key, DS_FAILED, NULL, NULL, "no", 0, &e) == 0,
     "row of %s", uid);
}

static const char *uid_of(const struct site *s, const char *id)
{
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->events[i]->id, id) == 0)
      return event_uid(s->events[i]);
  return "(no such event)";
}

/* The configuration and the site of dir's three event files. */
static void load_site(struct config *cfg, struct site *s, struct diags *d)
{
  diags_init(d);
  char y[512];
  snprintf(y, sizeof(y),
           "site:\n  url: https://x.example\n  events: %s\n"
           "  locations: %s/locations.yml\n",
           dir, dir);
  OK(config_parse(cfg, "c.yaml", y, strlen(y), d) == 0, "config");
  OK(site_load(s, cfg, NULL, d) == 0 && s->n == 3, "site: %zu events", s->n);
}

/* The identities the site's events get with one loader. */
static void identify(struct journal *j, bool ids, char out[3][64])
{
  struct config cfg;
  struct diags d;
  struct site s;
  load_site(&cfg, &s, &d);
  struct jview v;
  struct err e;
  struct schedule_opts o = {.dry = true};
  int rc = ids ? jview_load_ids(&v, j, &e) : jview_load(&v, j, &e);
  OK(rc == 0, "load");
  OK(schedule_identify(&s, &cfg, &v, j, at("2030-05-01T10:00:00+02:00"), &o, &d,
                       &e) == 0,
     "identify");
  const char *ids_[] = {"2030-05-07-good", "2030-05-21-other",
                        "2030-05-22-fresh"};
  for (int i = 0; i < 3; i++)
    snprintf(out[i], 64, "%s", uid_of(&s, ids_[i]));
  OK(jview_announced(&v, "2030-05-06-good", "chat") != NULL,
     "the announced record is read");
  OK(jview_announced(&v, "2030-05-21-other", "chat") == NULL,
     "a failed row is no announcement");
  jview_release(&v);
  site_release(&s);
  config_release(&cfg);
  diags_release(&d);
}

/* Another connection to the journal runs sql (a test's own hand on the
 * file, as a damaged or foreign journal would be). */
static void tamper(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  OK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
         sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
     "%s", sql);
  sqlite3_close(db);
}

/* When the journal cannot say whether it has rows of an identity (its
 * delivery table is gone), identifying fails with the journal's error: a
 * moved file is never taken for a new event on a guess, and announce
 * stops before it claims anything. */
static void identify_cannot_ask(struct journal *j, const char *path)
{
  struct config cfg;
  struct diags d;
  struct site s;
  load_site(&cfg, &s, &d);
  tamper(path, "ALTER TABLE delivery RENAME TO delivery_away");
  struct jview v;
  struct err e = {0};
  struct schedule_opts o = {.dry = true};
  /* the lighter view reads no delivery row: it loads */
  OK(jview_load_ids(&v, j, &e) == 0, "load: %s", e.msg);
  int rc = schedule_identify(&s, &cfg, &v, j, at("2030-05-01T10:00:00+02:00"),
                             &o, &d, &e);
  OK(rc < 0, "identifying fails when the journal cannot be asked");
  OK(strstr(e.msg, path) && strstr(e.msg, "delivery"),
     "the error names the journal and what it lacks: %s", e.msg);
  OK(e.code != 0, "with an exit code: %d", e.code);
  OK(strstr(e.msg, "looking up the deliveries of an event") != NULL,
     "and what it was doing: %s", e.msg);
  jview_release(&v);
  tamper(path, "ALTER TABLE delivery_away RENAME TO delivery");
  site_release(&s);
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
  t_put(dir, "locations.yml", "here:\n  name: Here\n");
  /* moved by a day: the same title as an announced event that vanished */
  t_put(dir, "2030-05-07-good.md",
        "---\ntitle: Good\ndate: 2030-05-07 19:00\n---\nBody\n");
  /* the title of another vanished announcement, but crier has tried to
   * send this file's own announcement: a different event */
  t_put(dir, "2030-05-21-other.md",
        "---\ntitle: Gone\ndate: 2030-05-21 19:00\n---\nBody\n");
  t_put(dir, "2030-05-22-fresh.md",
        "---\ntitle: Fresh\ndate: 2030-05-22 19:00\n---\nBody\n");
  char path[256];
  snprintf(path, sizeof(path), "%s/journal.db", dir);
  struct journal *j = journal_open(path, 0, &e);
  OK(j != NULL, "journal");
  if (!j)
    return t_summary();
  announced(j, "2030-05-06-good", "Good", "2030-05-06 19:00");
  announced(j, "2030-05-20-gone", "Gone", "2030-05-20 19:00");
  /* rows of an identity twice, and of one the site does not have */
  failed_row(j, "2030-05-21-other", "k1");
  failed_row(j, "2030-05-21-other", "k2");
  failed_row(j, "2029-01-01-old", "k3");
  char full[3][64], ids[3][64];
  identify(j, false, full);
  identify(j, true, ids);
  STR_EQ(full[0], "2030-05-06-good");
  STR_EQ(full[1], "2030-05-21-other");
  STR_EQ(full[2], "2030-05-22-fresh");
  for (int i = 0; i < 3; i++)
    STR_EQ(ids[i], full[i]);
  identify_cannot_ask(j, path);
  /* and with the table back, the same identities again */
  identify(j, true, ids);
  for (int i = 0; i < 3; i++)
    STR_EQ(ids[i], full[i]);
  journal_close(j);
  char wal[300];
  snprintf(wal, sizeof(wal), "%s-wal", path);
  unlink(wal);
  snprintf(wal, sizeof(wal), "%s-shm", path);
  unlink(wal);
  t_rmdir(dir);
  return t_summary();
}

/* The journal: claim, finish, state, the lock, keys; calendar sequences
 * and the migration of a version-2 journal. */
#define _GNU_SOURCE /* RTLD_NOLOAD */
#include "harness.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>
#include <sys/stat.h>

#include "deliver.h"
#include "journal.h"
#include "lazy.h"
#include "util.h"

static int user_version(const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int v = -1;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
          SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

static int copy_file(const char *from, const char *to)
{
  struct buf b = BUF_INIT;
  struct err e;
  int rc = file_read(from, (size_t)1 << 24, &b, &e);
  FILE *f = rc == 0 ? fopen(to, "wb") : NULL;
  if (!f || fwrite(b.data, 1, b.len, f) != b.len)
    rc = -1;
  if (f)
    fclose(f);
  buf_release(&b);
  return rc;
}

/* The most heap SQLite has held (sqlite3_memory_highwater, asked of the
 * library the journal loaded). */
static long long sqlite_heap_peak(void)
{
  void *h = dlopen(lazy_sqlite_spec.soname, RTLD_LAZY | RTLD_NOLOAD);
  void *sym = h ? dlsym(h, "sqlite3_memory_highwater") : NULL;
  sqlite3_int64 (*peak)(int) = NULL;
  memcpy(&peak, &sym, sizeof(sym));
  return peak ? (long long)peak(0) : -1;
}

static void on_brief(void *ud, const struct jbrief *r)
{
  int *n = ud;
  (*n)++;
  char key[65];
  delivery_key(r->event, r->notice, r->channel, "en", NULL, key);
  if (strcmp(r->notice, "announce") == 0)
    OK(strcmp(r->key, key) == 0 && r->status == DS_SENT && r->updated,
       "migrated row: %s %s %s", r->event, r->notice, dstatus_name(r->status));
}

static void on_announced(void *ud, const struct jannounced *a)
{
  int *n = ud;
  (*n)++;
  OK(strcmp(a->event, "2030-12-04-gluehwein") == 0 && a->generation == 0 &&
         !a->remote && !a->cancelled,
     "migrated announced row: %s gen %d", a->event, a->generation);
}

/* A journal written by crier 0.1.0 (tests/data/journal-0.1.0.db: an
 * announcement and a 7d reminder to a webhook) opens, is migrated to the
 * current schema, and keeps what it knew. */
static void migration(const char *dir)
{
  const char *data = getenv("CRIER_TEST_DATA");
  char src[512], path[512];
  snprintf(src, sizeof(src), "%s/journal-0.1.0.db", data ? data : ".");
  snprintf(path, sizeof(path), "%s/old.db", dir);
  OK(copy_file(src, path) == 0, "copy %s", src);
  INT_EQ(user_version(path), 0);
  struct err e;
  struct journal *j = journal_open(path, 0, &e);
  OK(j != NULL, "a 0.1.0 journal opens: %s", e.msg);
  if (!j)
    return;
  INT_EQ(user_version(path), JOURNAL_VERSION);
  char key[65];
  delivery_key("2030-12-04-gluehwein", "announce", "w", "en", NULL, key);
  struct jrow r = {0};
  OK(journal_get(j, key, &r) && r.status == DS_SENT && r.for_start == 0,
     "its announcement is still sent");
  jrow_release(&r);
  int n = 0;
  OK(journal_each_announced(j, on_announced, &n, &e) == 0 && n == 1,
     "one announced row");
  char *snap = journal_snapshot(j, "2030-12-04-gluehwein", "w");
  OK(snap && strstr(snap, "\"id\""), "its snapshot: %s", snap ? snap : "none");
  free(snap);
  OK(!journal_snapshot(j, "2030-12-04-gluehwein", "nope"), "no snapshot");
  n = 0;
  OK(journal_each_brief(j, on_brief, &n, &e) == 0 && n >= 1, "brief rows");
  OK(journal_set_alias(j, "2030-12-05-gluehwein", "2030-12-04-gluehwein", &e) ==
         0,
     "the new tables are there: %s", e.msg);
  journal_close(j);
  /* opened again: nothing to migrate, still fine */
  j = journal_open(path, 0, &e);
  OK(j != NULL, "reopened: %s", e.msg);
  journal_close(j);

  /* a journal from a newer crier is refused and left untouched */
  snprintf(path, sizeof(path), "%s/new.db", dir);
  sqlite3 *db = NULL;
  sqlite3_open(path, &db);
  sqlite3_exec(db, "CREATE TABLE future (x); PRAGMA user_version=99;", NULL,
               NULL, NULL);
  sqlite3_close(db);
  struct buf before = BUF_INIT, after = BUF_INIT;
  file_read(path, (size_t)1 << 20, &before, &e);
  j = journal_open(path, 0, &e);
  OK(!j && e.code == EX_CONFIG && strstr(e.msg, "newer crier") &&
         strstr(e.msg, "left untouched"),
     "newer journal: %s", e.msg);
  journal_close(j);
  file_read(path, (size_t)1 << 20, &after, &e);
  OK(before.len == after.len &&
         memcmp(before.data, after.data, before.len) == 0,
     "the newer journal's bytes are unchanged");
  char wal[600];
  snprintf(wal, sizeof(wal), "%s-wal", path);
  struct stat sb;
  OK(stat(wal, &sb) < 0, "and no WAL was created beside it");
  INT_EQ(user_version(path), 99);
  buf_release(&before);
  buf_release(&after);
}

static char dir[] = "/tmp/crier-test-journal-XXXXXX";

static void rm_db(const char *path)
{
  char p[600];
  unlink(path);
  snprintf(p, sizeof(p), "%s-wal", path);
  unlink(p);
  snprintf(p, sizeof(p), "%s-shm", path);
  unlink(p);
  snprintf(p, sizeof(p), "%s.lock", path);
  unlink(p);
}

/* SEQUENCE: 0 at first, the same for the same state, one more for each
 * change (title/time/place through the hash, the end, the status), never
 * less; computed without recording, it does not move. */
static void test_sequence(const char *path)
{
  struct err e;
  rm_db(path);
  struct journal *j = journal_open(path, 0, &e);
  OK(j != NULL, "%s", e.msg);
  if (!j)
    return;
  int seq = -1;
  time_t changed = 0;
  journal_set_clock(j, 1000);
  OK(journal_sequence(j, "ev", "h1", 5000, false, true, &seq, &changed, &e) ==
         0,
     "%s", e.msg);
  INT_EQ(seq, 0);
  INT_EQ(changed, 1000);
  journal_set_clock(j, 2000);
  journal_sequence(j, "ev", "h1", 5000, false, true, &seq, &changed, &e);
  INT_EQ(seq, 0);
  INT_EQ(changed, 1000); /* when the state was first seen */
  /* a look without recording: one more, and nothing written */
  journal_sequence(j, "ev", "h2", 5000, false, false, &seq, &changed, &e);
  INT_EQ(seq, 1);
  INT_EQ(changed, 2000);
  journal_sequence(j, "ev", "h1", 5000, false, false, &seq, &changed, &e);
  INT_EQ(seq, 0);
  /* each change counts: hash, end, status */
  journal_sequence(j, "ev", "h2", 5000, false, true, &seq, &changed, &e);
  INT_EQ(seq, 1);
  journal_sequence(j, "ev", "h2", 6000, false, true, &seq, &changed, &e);
  INT_EQ(seq, 2);
  journal_sequence(j, "ev", "h2", 6000, true, true, &seq, &changed, &e);
  INT_EQ(seq, 3);
  /* back to an earlier state: still up */
  journal_sequence(j, "ev", "h1", 5000, false, true, &seq, &changed, &e);
  INT_EQ(seq, 4);
  journal_sequence(j, "other", "h1", 5000, false, true, &seq, &changed, &e);
  INT_EQ(seq, 0);
  journal_close(j);
  j = journal_open(path, 0, &e);
  journal_sequence(j, "ev", "h1", 5000, false, false, &seq, &changed, &e);
  OK(seq == 4, "durable: %d", seq);
  journal_close(j);
}

/* What crier wrote at schema version 2 (the tables of version 1 and the
 * migration to 2): opened now, it is migrated to version 3, and its
 * announced events start with the SEQUENCE calendars have: 0, or for an
 * event crier 0.1 sent an update for, the minute it recorded it. */
static void test_migrate_v2(const char *path)
{
  rm_db(path);
  sqlite3 *db = NULL;
  OK(sqlite3_open(path, &db) == SQLITE_OK, "sqlite");
  const char *v2 =
      "CREATE TABLE delivery (key TEXT PRIMARY KEY, event TEXT NOT NULL,"
      " notice TEXT NOT NULL, channel TEXT NOT NULL, lang TEXT NOT NULL,"
      " status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
      " remote_id TEXT, url TEXT, error TEXT, state TEXT,"
      " created TEXT NOT NULL, updated TEXT NOT NULL, for_start INTEGER);"
      "CREATE INDEX delivery_event ON delivery(event);"
      "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL);"
      "CREATE TABLE announced (event TEXT NOT NULL, channel TEXT NOT NULL,"
      " hash TEXT NOT NULL, snapshot TEXT NOT NULL,"
      " cancelled INTEGER NOT NULL DEFAULT 0, updated TEXT NOT NULL,"
      " generation INTEGER NOT NULL DEFAULT 0, remote TEXT,"
      " PRIMARY KEY (event, channel));"
      "CREATE TABLE alias (id TEXT PRIMARY KEY, uid TEXT NOT NULL,"
      " updated TEXT NOT NULL);"
      "INSERT INTO announced VALUES ('plain', 'mail', 'hp', '{}', 0,"
      " '2030-01-01T10:00:00Z', 0, NULL);"
      "INSERT INTO announced VALUES ('moved', 'mail', 'old', '{}', 0,"
      " '2030-01-01T10:00:00Z', 0, NULL);"
      "INSERT INTO announced VALUES ('moved', 'chat', 'new', '{}', 0,"
      " '2030-01-02T10:00:00Z', 0, NULL);"
      "INSERT INTO delivery VALUES ('k1', 'moved', 'update', 'chat', 'de',"
      " 'sent', 1, NULL, NULL, NULL, NULL, '2030-01-02T10:00:00Z',"
      " '2030-01-02T10:00:00Z', NULL);"
      "PRAGMA user_version=2;";
  OK(sqlite3_exec(db, v2, NULL, NULL, NULL) == SQLITE_OK, "%s",
     sqlite3_errmsg(db));
  sqlite3_close(db);
  struct err e;
  struct journal *j = journal_open(path, 0, &e);
  OK(j != NULL, "a version-2 journal opens: %s", e.msg);
  if (!j)
    return;
  int seq = -1;
  time_t changed = 0;
  journal_sequence(j, "plain", "hp", 0, false, false, &seq, &changed, &e);
  INT_EQ(seq, 0);
  OK(changed == at("2030-01-01T10:00:00Z"), "changed: %lld",
     (long long)changed);
  /* the latest state, at the minute its update was recorded */
  long minute = (long)(at("2030-01-02T10:00:00Z") / 60 % 100000000);
  journal_sequence(j, "moved", "new", 7200, false, false, &seq, &changed, &e);
  INT_EQ(seq, minute);
  journal_sequence(j, "moved", "newer", 0, false, false, &seq, &changed, &e);
  INT_EQ(seq, minute + 1);
  journal_close(j);
  OK(sqlite3_open(path, &db) == SQLITE_OK, "sqlite");
  sqlite3_stmt *st = NULL;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
  OK(sqlite3_step(st) == SQLITE_ROW &&
         sqlite3_column_int(st, 0) == JOURNAL_VERSION,
     "version %d now", JOURNAL_VERSION);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

int main(void)
{
  if (!mkdtemp(dir))
    return 77;
  char path[512];
  snprintf(path, sizeof(path), "%s/j.db", dir);
  struct err e;
  struct journal *j = journal_open(path, 0, &e);
  OK(j != NULL, "%s", e.msg);
  /* opening and setting up a new journal reads a few pages: SQLite
   * allocates them one by one (lazy_sqlite_page_by_page), not 20 at once
   * (with them, it peaked at 289 KB here; without, at 171 KB) */
  long long peak = sqlite_heap_peak();
  OK(peak > 0 && peak < 224 * 1024, "SQLite's heap peaked at %lld bytes", peak);
  /* a second holder is refused with EX_TEMPFAIL */
  struct journal *j2 = journal_open(path, 200, &e);
  OK(!j2 && e.code == EX_TEMPFAIL && strstr(e.msg, "another crier"), "lock: %s",
     e.msg);
  struct jrow r = {.event = (char *)"ev",
                   .notice = (char *)"announce",
                   .channel = (char *)"chat",
                   .lang = (char *)"de"};
  delivery_key("ev", "announce", "chat", "de", NULL, r.key);
  OK(strlen(r.key) == 64, "hex key");
  char k2[65];
  delivery_key("ev", "announce", "chat", "en", NULL, k2);
  OK(strcmp(r.key, k2) != 0, "the language is part of the key");
  delivery_key("ev", "announce", "chat", "de", NULL, k2);
  STR_EQ(k2, r.key);
  /* the run's clock may be pinned; when a claim or a write left is the
   * system's */
  journal_set_clock(j, 1900000000);
  time_t t0 = time(NULL);
  struct jrow got;
  OK(!journal_get(j, r.key, &got), "no row before the claim");
  OK(journal_claim(j, &r, &e) == 0, "claim");
  OK(journal_get(j, r.key, &got) && got.status == DS_SENDING &&
         got.attempts == 1 && got.claimed_at >= t0 &&
         got.claimed_at <= time(NULL),
     "claimed_at by the system's clock: %lld", (long long)got.claimed_at);
  jrow_release(&got);
  sqlite3 *raw;
  OK(sqlite3_open(path, &raw) == SQLITE_OK, "sqlite");
  char sql[200];
  snprintf(sql, sizeof(sql), "UPDATE delivery SET claimed_at=1 WHERE key='%s'",
           r.key);
  OK(sqlite3_exec(raw, sql, NULL, NULL, NULL) == SQLITE_OK, "age it");
  sqlite3_close(raw);
  OK(journal_touch(j, r.key, &e) == 0, "touch: %s", e.msg);
  OK(journal_get(j, r.key, &got) && got.claimed_at >= t0,
     "a write leaving moves claimed_at: %lld", (long long)got.claimed_at);
  jrow_release(&got);
  journal_set_clock(j, 0);
  OK(journal_set_state(j, r.key, "{\"event_id\":\"1\"}", &e) == 0, "state");
  OK(journal_claim(j, &r, &e) == 0, "a second claim");
  OK(journal_finish(j, r.key, DS_FAILED, NULL, NULL,
                    "HTTP 500: token syt_abc123 Authorization: Bearer xyz", 0,
                    &e) == 0,
     "finish");
  OK(journal_get(j, r.key, &got), "get");
  INT_EQ(got.status, DS_FAILED);
  INT_EQ(got.attempts, 2);
  OK(strstr(got.error, "Bearer") == NULL || strstr(got.error, "***"),
     "errors are redacted: %s", got.error);
  STR_EQ(got.state, "{\"event_id\":\"1\"}");
  jrow_release(&got);
  OK(journal_finish(j, r.key, DS_SENT, "$ev", "https://x/1", NULL, 0, &e) == 0,
     "sent");
  OK(journal_get(j, r.key, &got) && got.status == DS_SENT &&
         strcmp(got.url, "https://x/1") == 0 && !got.error,
     "sent row");
  jrow_release(&got);
  /* a claim of a sent row (deliver skips those; the journal does not
   * refuse one): 'sending', one attempt more, what was recorded kept */
  OK(journal_claim(j, &r, &e) == 0, "a third claim");
  OK(journal_get(j, r.key, &got) && got.status == DS_SENDING &&
         got.attempts == 3 && strcmp(got.url, "https://x/1") == 0,
     "claimed again: status %d, %d attempts", got.status, got.attempts);
  jrow_release(&got);
  OK(journal_finish(j, r.key, DS_SENT, NULL, NULL, NULL, 0, &e) == 0,
     "sent again");
  OK(journal_kv_set(j, "k", "v1", &e) == 0 &&
         journal_kv_set(j, "k", "v2", &e) == 0,
     "kv");
  char *v = journal_kv_get(j, "k");
  STR_EQ(v, "v2");
  free(v);
  /* tokens: beside the journal, mode 600, replaced whole */
  OK(journal_token_set(j, "meetup:m", "rt-first", &e) == 0 &&
         journal_token_set(j, "meetup:m", "rt-second", &e) == 0,
     "tokens: %s", e.msg);
  v = journal_token_get(j, "meetup:m");
  STR_EQ(v, "rt-second");
  free(v);
  char tok[600];
  snprintf(tok, sizeof(tok), "%s.tokens", path);
  struct stat ts;
  OK(stat(tok, &ts) == 0 && (ts.st_mode & 0777) == 0600, "tokens mode %o",
     (unsigned)(ts.st_mode & 0777));
  /* a file that cannot be replaced: an error, the old one stays */
  snprintf(tok, sizeof(tok), "%s/no-such-dir/x", dir);
  OK(file_replace(tok, "x", 1, 0600, &e) < 0 && e.code == EX_CANTCREAT,
     "file_replace: %s", e.msg);
  journal_close(j);
  /* reopened, everything is there */
  j = journal_open(path, 0, &e);
  OK(j && journal_get(j, r.key, &got) && got.status == DS_SENT, "durable");
  jrow_release(&got);
  journal_close(j);
  test_sequence(path);
  test_migrate_v2(path);
  migration(dir);
  /* a directory is not a journal */
  OK(!journal_open(dir, 0, &e) && e.code == EX_CANTCREAT, "%s", e.msg);
  snprintf(path, sizeof(path), "%s/j.db", dir);
  rm_db(path);
  snprintf(path, sizeof(path), "%s/j.db.tokens", dir);
  unlink(path);
  static const char *const extra[] = {
      "old.db-wal",  "old.db-shm",  "new.db-wal", "new.db-shm",
      "old.db.lock", "new.db.lock", "old.db",     "new.db"};
  for (size_t i = 0; i < sizeof(extra) / sizeof(*extra); i++) {
    snprintf(path, sizeof(path), "%s/%s", dir, extra[i]);
    unlink(path);
  }
  t_rmdir(dir);
  return t_summary();
}

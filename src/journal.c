#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "secret.h"
#include "when.h"
#include "xalloc.h"

struct journal {
  sqlite3 *db;
  bool in_tx;
  int lock_fd;
  char *path;
};

static const char *const status_names[] = {
    "none", "pending", "sending", "sent", "failed", "uncertain", "skipped"};

const char *dstatus_name(enum dstatus s)
{
  return status_names[s];
}

static enum dstatus status_from(const char *s)
{
  for (size_t i = 0; i < sizeof(status_names) / sizeof(*status_names); i++)
    if (s && strcmp(s, status_names[i]) == 0)
      return (enum dstatus)i;
  return DS_NONE;
}

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS delivery ("
    " key TEXT PRIMARY KEY, event TEXT NOT NULL, notice TEXT NOT NULL,"
    " channel TEXT NOT NULL, lang TEXT NOT NULL, status TEXT NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0, remote_id TEXT, url TEXT,"
    " error TEXT, state TEXT, created TEXT NOT NULL, updated TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS delivery_event ON delivery(event);"
    "CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS announced (event TEXT NOT NULL,"
    " channel TEXT NOT NULL, hash TEXT NOT NULL, snapshot TEXT NOT NULL,"
    " cancelled INTEGER NOT NULL DEFAULT 0, updated TEXT NOT NULL,"
    " PRIMARY KEY (event, channel));";

static int db_err(struct journal *j, struct err *e, const char *what)
{
  return err_set(e, EX_IOERR, "journal %s: %s: %s", j->path, what,
                 sqlite3_errmsg(j->db));
}

static int take_lock(const char *path, int wait_ms, int *fd, struct err *e)
{
  struct buf lp = BUF_INIT;
  buf_addf(&lp, "%s.lock", path);
  *fd = open(lp.data, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (*fd < 0) {
    err_set(e, EX_CANTCREAT, "cannot create the lock file %s: %s", lp.data,
            strerror(errno));
    buf_release(&lp);
    return -1;
  }
  for (int waited = 0;; waited += 100) {
    if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
      break;
    if (errno != EWOULDBLOCK || waited >= wait_ms) {
      err_set(e, EX_TEMPFAIL, "another crier is using the journal %s (lock "
              "%s); try again later", path, lp.data);
      close(*fd);
      *fd = -1;
      buf_release(&lp);
      return -1;
    }
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  buf_release(&lp);
  return 0;
}

struct journal *journal_open(const char *path, int wait_ms, struct err *e)
{
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    err_set(e, EX_CANTCREAT, "journal %s is not a regular file", path);
    return NULL;
  }
  struct journal *j = xcalloc(1, sizeof(*j));
  j->path = xstrdup(path);
  j->lock_fd = -1;
  if (take_lock(path, wait_ms, &j->lock_fd, e) < 0)
    goto fail;
  if (sqlite3_open_v2(path, &j->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
      SQLITE_OK) {
    err_set(e, EX_CANTCREAT, "cannot open the journal %s: %s", path,
            j->db ? sqlite3_errmsg(j->db) : "out of memory");
    goto fail;
  }
  sqlite3_busy_timeout(j->db, 5000);
  chmod(path, 0600);
  char *msg = NULL;
  if (sqlite3_exec(j->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
    err_set(e, EX_IOERR, "journal %s: %s", path, msg ? msg : "?");
    sqlite3_free(msg);
    goto fail;
  }
  return j;
fail:
  journal_close(j);
  return NULL;
}

void journal_close(struct journal *j)
{
  if (!j)
    return;
  if (j->db)
    sqlite3_close(j->db);
  if (j->lock_fd >= 0)
    close(j->lock_fd);
  free(j->path);
  free(j);
}

static char *col(sqlite3_stmt *st, int i)
{
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? xstrdup((const char *)s) : NULL;
}

static void read_row(sqlite3_stmt *st, struct jrow *r)
{
  memset(r, 0, sizeof(*r));
  const unsigned char *k = sqlite3_column_text(st, 0);
  snprintf(r->key, sizeof(r->key), "%s", k ? (const char *)k : "");
  r->event = col(st, 1);
  r->notice = col(st, 2);
  r->channel = col(st, 3);
  r->lang = col(st, 4);
  char *s = col(st, 5);
  r->status = status_from(s);
  free(s);
  r->attempts = sqlite3_column_int(st, 6);
  r->remote_id = col(st, 7);
  r->url = col(st, 8);
  r->error = col(st, 9);
  r->state = col(st, 10);
  r->created = col(st, 11);
  r->updated = col(st, 12);
}

#define COLS                                                                   \
  "key, event, notice, channel, lang, status, attempts, remote_id, url, "     \
  "error, state, created, updated"

void jrow_release(struct jrow *r)
{
  free(r->event);
  free(r->notice);
  free(r->channel);
  free(r->lang);
  free(r->remote_id);
  free(r->url);
  free(r->error);
  free(r->state);
  free(r->created);
  free(r->updated);
  memset(r, 0, sizeof(*r));
}

bool journal_get(struct journal *j, const char *key, struct jrow *r)
{
  sqlite3_stmt *st = NULL;
  bool found = false;
  if (sqlite3_prepare_v2(j->db, "SELECT " COLS " FROM delivery WHERE key=?",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
      read_row(st, r);
      found = true;
    }
  }
  sqlite3_finalize(st);
  return found;
}

static void now_text(char out[32])
{
  struct buf b = BUF_INIT;
  when_rfc3339_utc(time(NULL), &b);
  snprintf(out, 32, "%s", b.data);
  buf_release(&b);
}

static int exec(struct journal *j, const char *sql, struct err *e);

static int exec(struct journal *j, const char *sql, struct err *e)
{
  if (sqlite3_exec(j->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return db_err(j, e, sql);
  return 0;
}

/* Runs one statement with text parameters (NULL binds NULL). */
static int run_sql(struct journal *j, const char *what, const char *sql,
                   const char *const *vals, int n, struct err *e)
{
  sqlite3_stmt *st = NULL;
  int rc = -1;
  if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
    db_err(j, e, what);
    goto out;
  }
  for (int i = 0; i < n; i++)
    sqlite3_bind_text(st, i + 1, vals[i], -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE) {
    db_err(j, e, what);
    goto out;
  }
  rc = 0;
out:
  sqlite3_finalize(st);
  return rc;
}

int journal_begin(struct journal *j, struct err *e)
{
  if (exec(j, "BEGIN IMMEDIATE", e) < 0)
    return -1;
  j->in_tx = true;
  return 0;
}

int journal_commit(struct journal *j, struct err *e)
{
  j->in_tx = false;
  return exec(j, "COMMIT", e);
}

int journal_claim(struct journal *j, const struct jrow *r,
                  enum dstatus *before, struct err *e)
{
  char now[32];
  now_text(now);
  bool own = !j->in_tx;
  if (own && exec(j, "BEGIN IMMEDIATE", e) < 0)
    return -1;
  struct jrow old;
  *before = DS_NONE;
  if (journal_get(j, r->key, &old)) {
    *before = old.status;
    jrow_release(&old);
  }
  const char *sql =
      "INSERT INTO delivery (key, event, notice, channel, lang, status, "
      "attempts, created, updated) VALUES (?, ?, ?, ?, ?, 'sending', 1, ?, ?) "
      "ON CONFLICT(key) DO UPDATE SET status='sending', "
      "attempts=attempts+1, updated=excluded.updated";
  const char *vals[] = {r->key, r->event, r->notice, r->channel, r->lang,
                        now, now};
  int rc = run_sql(j, "claim", sql, vals, 7, e);
  if (!own)
    return rc;
  if (rc == 0)
    rc = exec(j, "COMMIT", e);
  else
    exec(j, "ROLLBACK", NULL);
  return rc;
}

int journal_finish(struct journal *j, const char *key, enum dstatus s,
                   const char *remote_id, const char *url, const char *error,
                   struct err *e)
{
  char now[32];
  now_text(now);
  char *clean = error ? secret_redacted(error) : NULL;
  const char *sql =
      "UPDATE delivery SET status=?, remote_id=coalesce(?, remote_id), "
      "url=coalesce(?, url), error=?, updated=? WHERE key=?";
  const char *vals[] = {dstatus_name(s), remote_id, url, clean, now, key};
  int rc = run_sql(j, "finish", sql, vals, 6, e);
  free(clean);
  return rc;
}

int journal_set_state(struct journal *j, const char *key, const char *state,
                      struct err *e)
{
  const char *vals[] = {state, key};
  return run_sql(j, "state", "UPDATE delivery SET state=? WHERE key=?", vals,
                 2, e);
}

/* Runs a SELECT of COLS with text parameters and calls fn for each row. */
static int each_row(struct journal *j, const char *sql,
                    const char *const *vals, int n,
                    void (*fn)(void *ud, const struct jrow *r), void *ud,
                    struct err *e)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
    return db_err(j, e, "list");
  for (int i = 0; i < n; i++)
    sqlite3_bind_text(st, i + 1, vals[i], -1, SQLITE_STATIC);
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    struct jrow r;
    read_row(st, &r);
    fn(ud, &r);
    jrow_release(&r);
  }
  sqlite3_finalize(st);
  if (s != SQLITE_DONE)
    return db_err(j, e, "list");
  return 0;
}

int journal_each(struct journal *j, const char *event,
                 void (*fn)(void *ud, const struct jrow *r), void *ud,
                 struct err *e)
{
  const char *vals[] = {event};
  if (event)
    return each_row(j,
                    "SELECT " COLS " FROM delivery WHERE event=? "
                    "ORDER BY updated DESC, key",
                    vals, 1, fn, ud, e);
  return each_row(j,
                  "SELECT " COLS " FROM delivery ORDER BY event, "
                  "updated DESC, key",
                  NULL, 0, fn, ud, e);
}

char *journal_kv_get(struct journal *j, const char *k)
{
  sqlite3_stmt *st = NULL;
  char *v = NULL;
  if (sqlite3_prepare_v2(j->db, "SELECT v FROM kv WHERE k=?", -1, &st,
                         NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
      v = col(st, 0);
  }
  sqlite3_finalize(st);
  return v;
}

int journal_kv_set(struct journal *j, const char *k, const char *v,
                   struct err *e)
{
  const char *vals[] = {k, v};
  return run_sql(j, "kv",
                 "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT(k) DO "
                 "UPDATE SET v=excluded.v",
                 vals, 2, e);
}

int journal_kv_each(struct journal *j, const char *prefix,
                    void (*fn)(void *ud, const char *k, const char *v),
                    void *ud, struct err *e)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(j->db,
                         "SELECT k, v FROM kv WHERE substr(k, 1, length(?1))"
                         " = ?1",
                         -1, &st, NULL) != SQLITE_OK)
    return db_err(j, e, "kv");
  sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
  int r;
  while ((r = sqlite3_step(st)) == SQLITE_ROW)
    fn(ud, (const char *)sqlite3_column_text(st, 0),
       (const char *)sqlite3_column_text(st, 1));
  int rc = r == SQLITE_DONE ? 0 : db_err(j, e, "kv");
  sqlite3_finalize(st);
  return rc;
}

int journal_set_announced(struct journal *j, const char *event,
                          const char *channel, const char *hash,
                          const char *snapshot, bool cancelled,
                          struct err *e)
{
  char now[32];
  now_text(now);
  const char *vals[] = {event, channel, hash, snapshot, cancelled ? "1" : "0",
                        now};
  return run_sql(j, "announced",
                 "INSERT INTO announced (event, channel, hash, snapshot, "
                 "cancelled, updated) VALUES (?, ?, ?, ?, ?, ?) ON "
                 "CONFLICT(event, channel) DO UPDATE SET hash=excluded.hash, "
                 "snapshot=excluded.snapshot, cancelled=excluded.cancelled, "
                 "updated=excluded.updated",
                 vals, 6, e);
}

int journal_each_announced(struct journal *j, const char *event,
                           void (*fn)(void *ud, const struct jannounced *a),
                           void *ud, struct err *e)
{
  sqlite3_stmt *st = NULL;
  const char *sql =
      event ? "SELECT event, channel, hash, snapshot, cancelled FROM "
              "announced WHERE event=? ORDER BY event, channel"
            : "SELECT event, channel, hash, snapshot, cancelled FROM "
              "announced ORDER BY event, channel";
  if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
    return db_err(j, e, "announced");
  if (event)
    sqlite3_bind_text(st, 1, event, -1, SQLITE_STATIC);
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    struct jannounced a = {col(st, 0), col(st, 1), col(st, 2), col(st, 3),
                           sqlite3_column_int(st, 4) != 0};
    fn(ud, &a);
    free(a.event);
    free(a.channel);
    free(a.hash);
    free(a.snapshot);
  }
  sqlite3_finalize(st);
  if (s != SQLITE_DONE)
    return db_err(j, e, "announced");
  return 0;
}

int journal_skip(struct journal *j, const struct jrow *r, const char *reason,
                 struct err *e)
{
  char now[32];
  now_text(now);
  const char *sql =
      "INSERT INTO delivery (key, event, notice, channel, lang, status, "
      "attempts, error, created, updated) VALUES (?, ?, ?, ?, ?, 'skipped', "
      "0, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET status='skipped', "
      "error=excluded.error, updated=excluded.updated";
  const char *vals[] = {r->key, r->event, r->notice, r->channel, r->lang,
                        reason, now, now};
  return run_sql(j, "skip", sql, vals, 8, e);
}

int journal_each_of(struct journal *j, const char *event, const char *channel,
                    void (*fn)(void *ud, const struct jrow *r), void *ud,
                    struct err *e)
{
  const char *vals[] = {event, channel};
  return each_row(j,
                  "SELECT " COLS " FROM delivery WHERE event=? AND "
                  "channel=? ORDER BY updated",
                  vals, 2, fn, ud, e);
}

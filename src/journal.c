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

#include <pthread.h>
#include <sqlite3.h>

#include "buf.h"
#include "lazy.h"
#include "secret.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

/* Statements prepared once per journal and kept for its life. */
enum stmt_id {
  S_GET,
  S_CLAIM,
  S_FINISH,
  S_STATE,
  S_TOUCH,
  S_SKIP,
  S_SET_ANNOUNCED,
  S_ALIAS,
  S_KV_GET,
  S_KV_SET,
  S_KV_DEL,
  S_SEQ_GET,
  S_SEQ_SET,
  S_SNAPSHOT,
  S_HAS_EVENT,
  S_BEGIN,
  S_COMMIT,
  S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_GET] = "SELECT key, event, notice, channel, lang, status, attempts, "
              "remote_id, url, error, state, created, updated, for_start, "
              "claimed_at FROM delivery WHERE key=?",
    [S_CLAIM] = "INSERT INTO delivery (key, event, notice, channel, lang, "
                "status, attempts, created, updated, for_start, claimed_at) "
                "VALUES (?, ?, ?, ?, ?, 'sending', 1, ?, ?, ?, ?) ON "
                "CONFLICT(key) DO UPDATE SET status='sending', "
                "attempts=attempts+1, updated=excluded.updated, "
                "claimed_at=excluded.claimed_at",
    [S_FINISH] = "UPDATE delivery SET status=?, remote_id=coalesce(?, "
                 "remote_id), url=coalesce(?, url), error=?, updated=?, "
                 "attempts=attempts+? WHERE key=?",
    [S_STATE] = "UPDATE delivery SET state=? WHERE key=?",
    [S_TOUCH] = "UPDATE delivery SET claimed_at=? WHERE key=?",
    [S_SKIP] = "INSERT INTO delivery (key, event, notice, channel, lang, "
               "status, attempts, error, created, updated, for_start) "
               "VALUES (?, ?, ?, ?, ?, 'skipped', 0, ?, ?, ?, ?) ON "
               "CONFLICT(key) DO UPDATE SET status='skipped', "
               "error=excluded.error, updated=excluded.updated",
    [S_SET_ANNOUNCED] =
        "INSERT INTO announced (event, channel, hash, snapshot, cancelled, "
        "updated, generation, remote) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON "
        "CONFLICT(event, channel) DO UPDATE SET hash=excluded.hash, "
        "snapshot=excluded.snapshot, cancelled=excluded.cancelled, "
        "updated=excluded.updated, generation=excluded.generation, "
        "remote=coalesce(excluded.remote, remote)",
    [S_ALIAS] = "INSERT INTO alias (id, uid, updated) VALUES (?, ?, ?) ON "
                "CONFLICT(id) DO UPDATE SET uid=excluded.uid, "
                "updated=excluded.updated",
    [S_KV_GET] = "SELECT v FROM kv WHERE k=?",
    [S_KV_SET] = "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT(k) DO "
                 "UPDATE SET v=excluded.v",
    [S_KV_DEL] = "DELETE FROM kv WHERE k=?",
    [S_SEQ_GET] = "SELECT seq, hash, end_time, cancelled, changed FROM "
                  "sequence WHERE event=?",
    [S_SEQ_SET] = "INSERT INTO sequence (event, seq, hash, end_time, "
                  "cancelled, changed) VALUES (?, ?, ?, ?, ?, ?) ON "
                  "CONFLICT(event) DO UPDATE SET seq=excluded.seq, "
                  "hash=excluded.hash, end_time=excluded.end_time, "
                  "cancelled=excluded.cancelled, changed=excluded.changed",
    [S_SNAPSHOT] = "SELECT snapshot, remote FROM announced WHERE event=? "
                   "AND channel=?",
    /* one look into the index on event */
    [S_HAS_EVENT] = "SELECT 1 FROM delivery WHERE event=? LIMIT 1",
};

struct journal {
  sqlite3 *db;
  bool in_tx;
  int lock_fd;
  char *path;
  time_t now; /* the run's clock; 0: the system's */
  sqlite3_stmt *stmts[S_COUNT];
  time_t now_at; /* now_text is this instant */
  char now_text[32];
};

static const char *const status_names[] = {
    "none", "pending", "sending", "sent", "failed", "uncertain", "skipped"};

const char *dstatus_name(enum dstatus s)
{
  return status_names[s];
}

bool dstatus_final(enum dstatus s)
{
  return s == DS_SENT || s == DS_SKIPPED || s == DS_UNCERTAIN;
}

static enum dstatus status_from(const char *s)
{
  for (size_t i = 0; i < ARRAY_SIZE(status_names); i++)
    if (s && strcmp(s, status_names[i]) == 0)
      return (enum dstatus)i;
  return DS_NONE;
}

/* The schema as crier 0.1 wrote it (version 1, no user_version). A new
 * journal is created as version 1 and migrated like an old one, so that
 * the migrations are the one way to the current schema. */
static const char schema_v1[] =
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

/* migrations[v] takes a journal from version v to v + 1 */
static const char *const migrations[] = {
    [1] = "ALTER TABLE delivery ADD COLUMN for_start INTEGER;"
          "ALTER TABLE announced ADD COLUMN generation INTEGER NOT NULL "
          "DEFAULT 0;"
          "ALTER TABLE announced ADD COLUMN remote TEXT;"
          "CREATE TABLE alias (id TEXT PRIMARY KEY, uid TEXT NOT NULL,"
          " updated TEXT NOT NULL);",
    /* The calendar entry of each event: its SEQUENCE and the state it is
     * for. Events announced before start from what their channels were
     * last told; crier before version 3 sent updates and cancellations
     * with the minute of sending as their SEQUENCE, so an event that had
     * one starts from that minute (as the journal recorded it), never
     * below what calendars have. The end is unknown (NULL). */
    [2] = "CREATE TABLE sequence (event TEXT PRIMARY KEY,"
          " seq INTEGER NOT NULL, hash TEXT NOT NULL, end_time INTEGER,"
          " cancelled INTEGER NOT NULL DEFAULT 0, changed TEXT NOT NULL);"
          "INSERT INTO sequence (event, seq, hash, end_time, cancelled,"
          " changed) SELECT a.event, coalesce((SELECT"
          " max(CAST(strftime('%s', d.updated) AS INTEGER) / 60 % 100000000)"
          " FROM delivery d WHERE d.event = a.event AND d.notice IN"
          " ('update', 'cancel') AND d.status IN ('sent', 'uncertain')), 0),"
          " a.hash, NULL, a.cancelled, a.updated FROM announced a WHERE"
          " a.updated = (SELECT max(b.updated) FROM announced b WHERE"
          " b.event = a.event) GROUP BY a.event;",
    /* When a delivery was last claimed, by the system's clock (rows of
     * earlier versions: NULL, read as long ago). */
    [3] = "ALTER TABLE delivery ADD COLUMN claimed_at INTEGER;",
};

static int db_err(struct journal *j, struct err *e, const char *what)
{
  int code = sqlite3_errcode(j->db);
  return err_set(
      e, code == SQLITE_BUSY || code == SQLITE_LOCKED ? EX_TEMPFAIL : EX_IOERR,
      "journal %s: %s: %s", j->path, what, sqlite3_errmsg(j->db));
}

static int exec(struct journal *j, const char *sql, struct err *e)
{
  char *msg = NULL;
  if (sqlite3_exec(j->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    err_set(e, EX_IOERR, "journal %s: %s", j->path, msg ? msg : "?");
    sqlite3_free(msg);
    return -1;
  }
  return 0;
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
      err_set(e, EX_TEMPFAIL,
              "another crier is using the journal %s (lock "
              "%s); try again later",
              path, lp.data);
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

/* The schema version of the open file: user_version, or 1 for crier 0.1's
 * journals (tables but no version), 0 for an empty file. */
static int file_version(struct journal *j, int *version, struct err *e)
{
  sqlite3_stmt *st = NULL;
  int rc = -1;
  if (sqlite3_prepare_v2(j->db, "PRAGMA user_version", -1, &st, NULL) !=
          SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW) {
    db_err(j, e, "reading the schema version");
    goto out;
  }
  *version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  st = NULL;
  if (*version == 0) {
    if (sqlite3_prepare_v2(j->db,
                           "SELECT count(*) FROM sqlite_master WHERE "
                           "type='table' AND name='delivery'",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
      db_err(j, e, "reading the schema");
      goto out;
    }
    *version = sqlite3_column_int(st, 0) ? 1 : 0;
  }
  rc = 0;
out:
  sqlite3_finalize(st);
  return rc;
}

/* Brings the file to JOURNAL_VERSION in one transaction. */
static int migrate(struct journal *j, int version, struct err *e)
{
  if (exec(j, "BEGIN IMMEDIATE", e) < 0)
    return -1;
  if (version == 0 && exec(j, schema_v1, e) < 0)
    goto fail;
  if (version == 0)
    version = 1;
  for (int v = version; v < JOURNAL_VERSION; v++)
    if (exec(j, migrations[v], e) < 0)
      goto fail;
  char sql[64];
  snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", JOURNAL_VERSION);
  if (exec(j, sql, e) < 0 || exec(j, "COMMIT", e) < 0)
    goto fail;
  return 0;
fail:
  sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}

struct journal *journal_open(const char *path, int wait_ms, struct err *e)
{
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    err_set(e, EX_CANTCREAT, "journal %s is not a regular file", path);
    return NULL;
  }
  if (lazy_load(LAZY_SQLITE, e) < 0)
    return NULL;
  static pthread_once_t configured = PTHREAD_ONCE_INIT;
  pthread_once(&configured, lazy_sqlite_page_by_page);
  struct journal *j = xcalloc(1, sizeof(*j));
  j->path = xstrdup(path);
  j->lock_fd = -1;
  int version = 0;
  if (take_lock(path, wait_ms, &j->lock_fd, e) < 0)
    goto fail;
  if (sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      NULL) != SQLITE_OK) {
    err_set(e, EX_CANTCREAT, "cannot open the journal %s: %s", path,
            j->db ? sqlite3_errmsg(j->db) : "out of memory");
    goto fail;
  }
  sqlite3_busy_timeout(j->db, 5000);
  /* nothing is written before the version is known: a newer journal is
   * left exactly as it is */
  if (file_version(j, &version, e) < 0)
    goto fail;
  if (version > JOURNAL_VERSION) {
    err_set(e, EX_CONFIG,
            "journal %s was written by a newer crier (schema "
            "version %d; this crier knows up to %d); it is left untouched: "
            "upgrade crier, or point 'journal:' elsewhere",
            path, version, JOURNAL_VERSION);
    goto fail;
  }
  chmod(path, 0600);
  if (exec(j, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", e) < 0)
    goto fail;
  if (version < JOURNAL_VERSION && migrate(j, version, e) < 0)
    goto fail;
  return j;
fail:
  journal_close(j);
  return NULL;
}

void journal_close(struct journal *j)
{
  if (!j)
    return;
  for (int i = 0; i < S_COUNT; i++)
    sqlite3_finalize(j->stmts[i]);
  if (j->db)
    sqlite3_close(j->db);
  if (j->lock_fd >= 0)
    close(j->lock_fd);
  free(j->path);
  free(j);
}

const char *journal_path(const struct journal *j)
{
  return j->path;
}

void journal_set_clock(struct journal *j, time_t now)
{
  j->now = now;
}

/* The statement id, prepared on first use, reset and with its bindings
 * cleared; NULL after filling e. */
static sqlite3_stmt *stmt(struct journal *j, enum stmt_id id, struct err *e)
{
  if (!j->stmts[id] && sqlite3_prepare_v2(j->db, stmt_sql[id], -1,
                                          &j->stmts[id], NULL) != SQLITE_OK) {
    db_err(j, e, "preparing a statement");
    return NULL;
  }
  sqlite3_reset(j->stmts[id]);
  sqlite3_clear_bindings(j->stmts[id]);
  return j->stmts[id];
}

/* Binds text values (NULL binds NULL) from position 1. */
static void bind_texts(sqlite3_stmt *st, const char *const *vals, int n)
{
  for (int i = 0; i < n; i++)
    sqlite3_bind_text(st, i + 1, vals[i], -1, SQLITE_STATIC);
}

/* Runs statement id with text parameters to its end. */
static int run_stmt(struct journal *j, enum stmt_id id, const char *what,
                    const char *const *vals, int n, struct err *e)
{
  sqlite3_stmt *st = stmt(j, id, e);
  if (!st)
    return -1;
  bind_texts(st, vals, n);
  int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(j, e, what);
  sqlite3_reset(st);
  return rc;
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
  r->for_start = (time_t)sqlite3_column_int64(st, 13);
  if (sqlite3_column_count(st) > 14)
    r->claimed_at = (time_t)sqlite3_column_int64(st, 14);
}

#define COLS                                                                   \
  "key, event, notice, channel, lang, status, attempts, remote_id, url, "      \
  "error, state, created, updated, for_start"

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
  struct err e;
  sqlite3_stmt *st = stmt(j, S_GET, &e);
  bool found = false;
  if (!st)
    return false;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) {
    read_row(st, r);
    found = true;
  }
  sqlite3_reset(st);
  return found;
}

static void now_text(struct journal *j, char out[32])
{
  time_t t = j->now ? j->now : time(NULL);
  if (!j->now_text[0] || t != j->now_at) { /* a run writes many a second */
    struct buf b = BUF_INIT;
    when_rfc3339_utc(t, &b);
    snprintf(j->now_text, sizeof(j->now_text), "%s", b.data);
    buf_release(&b);
    j->now_at = t;
  }
  memcpy(out, j->now_text, sizeof(j->now_text));
}

/* Runs the prepared statement id, which returns no rows (BEGIN, COMMIT):
 * 0, or -1 with e filled as exec fills it. */
static int exec_stmt(struct journal *j, enum stmt_id id, struct err *e)
{
  sqlite3_stmt *st = stmt(j, id, e);
  if (!st)
    return -1;
  int rc = sqlite3_step(st) == SQLITE_DONE
               ? 0
               : err_set(e, EX_IOERR, "journal %s: %s", j->path,
                         sqlite3_errmsg(j->db));
  sqlite3_reset(st);
  return rc;
}

int journal_begin(struct journal *j, struct err *e)
{
  if (exec_stmt(j, S_BEGIN, e) < 0)
    return -1;
  j->in_tx = true;
  return 0;
}

int journal_commit(struct journal *j, struct err *e)
{
  j->in_tx = false;
  if (exec_stmt(j, S_COMMIT, e) == 0)
    return 0;
  sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}

void journal_rollback(struct journal *j)
{
  j->in_tx = false;
  sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
}

int journal_claim(struct journal *j, const struct jrow *r, struct err *e)
{
  char now[32];
  now_text(j, now);
  sqlite3_stmt *st = stmt(j, S_CLAIM, e);
  if (!st)
    return -1;
  const char *vals[] = {r->key,  r->event, r->notice, r->channel,
                        r->lang, now,      now};
  bind_texts(st, vals, 7);
  if (r->for_start)
    sqlite3_bind_int64(st, 8, (sqlite3_int64)r->for_start);
  /* the system's clock, not the run's: how long ago a request may have
   * left is a matter of real seconds, also when --now is pinned */
  sqlite3_bind_int64(st, 9, (sqlite3_int64)time(NULL));
  int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(j, e, "claim");
  sqlite3_reset(st);
  return rc;
}

void journal_prepare_outcomes(struct journal *j)
{
  struct err e;
  stmt(j, S_FINISH, &e);
  stmt(j, S_SET_ANNOUNCED, &e);
}

void journal_prepare_claims(struct journal *j)
{
  struct err e;
  stmt(j, S_BEGIN, &e);
  stmt(j, S_CLAIM, &e);
  stmt(j, S_COMMIT, &e);
}

int journal_finish(struct journal *j, const char *key, enum dstatus s,
                   const char *remote_id, const char *url, const char *error,
                   int retries, struct err *e)
{
  char now[32];
  now_text(j, now);
  char *clean = error ? secret_redacted(error) : NULL;
  sqlite3_stmt *st = stmt(j, S_FINISH, e);
  int rc = -1;
  if (st) {
    const char *vals[] = {dstatus_name(s), remote_id, url, clean, now};
    bind_texts(st, vals, 5);
    sqlite3_bind_int(st, 6, retries);
    sqlite3_bind_text(st, 7, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(j, e, "finish");
    sqlite3_reset(st);
  }
  free(clean);
  return rc;
}

int journal_set_state(struct journal *j, const char *key, const char *state,
                      struct err *e)
{
  const char *vals[] = {state, key};
  return run_stmt(j, S_STATE, "state", vals, 2, e);
}

int journal_touch(struct journal *j, const char *key, struct err *e)
{
  sqlite3_stmt *st = stmt(j, S_TOUCH, e);
  if (!st)
    return -1;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
  sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(j, e, "touch");
  sqlite3_reset(st);
  return rc;
}

int journal_skip(struct journal *j, const struct jrow *r, const char *reason,
                 struct err *e)
{
  char now[32];
  now_text(j, now);
  sqlite3_stmt *st = stmt(j, S_SKIP, e);
  if (!st)
    return -1;
  const char *vals[] = {r->key,  r->event, r->notice, r->channel,
                        r->lang, reason,   now,       now};
  bind_texts(st, vals, 8);
  if (r->for_start)
    sqlite3_bind_int64(st, 9, (sqlite3_int64)r->for_start);
  int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(j, e, "skip");
  sqlite3_reset(st);
  return rc;
}

/* Runs a SELECT of COLS with text parameters and calls fn for each row. */
static int each_row(struct journal *j, const char *sql, const char *const *vals,
                    int n, void (*fn)(void *ud, const struct jrow *r), void *ud,
                    struct err *e)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
    return db_err(j, e, "list");
  bind_texts(st, vals, n);
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

int journal_each_brief(struct journal *j,
                       void (*fn)(void *ud, const struct jbrief *r), void *ud,
                       struct err *e)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(j->db,
                         "SELECT key, event, notice, channel, status, "
                         "updated, for_start FROM delivery ORDER BY event, "
                         "updated DESC, key",
                         -1, &st, NULL) != SQLITE_OK)
    return db_err(j, e, "list");
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    struct jbrief r = {
        (const char *)sqlite3_column_text(st, 0),
        (const char *)sqlite3_column_text(st, 1),
        (const char *)sqlite3_column_text(st, 2),
        (const char *)sqlite3_column_text(st, 3),
        (const char *)sqlite3_column_text(st, 5),
        status_from((const char *)sqlite3_column_text(st, 4)),
        (time_t)sqlite3_column_int64(st, 6),
    };
    if (r.key && r.event && r.notice && r.channel)
      fn(ud, &r);
  }
  sqlite3_finalize(st);
  if (s != SQLITE_DONE)
    return db_err(j, e, "list");
  return 0;
}

int journal_has_event(struct journal *j, const char *event, struct err *e)
{
  sqlite3_stmt *st = stmt(j, S_HAS_EVENT, e);
  if (!st)
    return -1;
  sqlite3_bind_text(st, 1, event, -1, SQLITE_STATIC);
  int r = sqlite3_step(st);
  int rc = r == SQLITE_ROW ? 1
           : r == SQLITE_DONE
               ? 0
               : db_err(j, e, "looking up the deliveries of an event");
  sqlite3_reset(st);
  return rc;
}

void jannounced_release(struct jannounced *a)
{
  free(a->event);
  free(a->channel);
  free(a->hash);
  free(a->snapshot);
  free(a->remote);
  memset(a, 0, sizeof(*a));
}

int journal_set_announced(struct journal *j, const struct jannounced *a,
                          struct err *e)
{
  char now[32];
  now_text(j, now);
  sqlite3_stmt *st = stmt(j, S_SET_ANNOUNCED, e);
  if (!st)
    return -1;
  const char *vals[] = {
      a->event, a->channel, a->hash, a->snapshot, a->cancelled ? "1" : "0",
      now};
  bind_texts(st, vals, 6);
  sqlite3_bind_int(st, 7, a->generation);
  sqlite3_bind_text(st, 8, a->remote, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(j, e, "announced");
  sqlite3_reset(st);
  return rc;
}

int journal_each_announced(struct journal *j,
                           void (*fn)(void *ud, const struct jannounced *a),
                           void *ud, struct err *e)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(j->db,
                         "SELECT event, channel, hash, cancelled, generation, "
                         "remote IS NOT NULL FROM announced ORDER BY event, "
                         "channel",
                         -1, &st, NULL) != SQLITE_OK)
    return db_err(j, e, "announced");
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW) {
    /* borrowed for the call: the snapshot and remote stay in the journal */
    struct jannounced a = {.event = (char *)sqlite3_column_text(st, 0),
                           .channel = (char *)sqlite3_column_text(st, 1),
                           .hash = (char *)sqlite3_column_text(st, 2),
                           .cancelled = sqlite3_column_int(st, 3) != 0,
                           .generation = sqlite3_column_int(st, 4),
                           .has_remote = sqlite3_column_int(st, 5) != 0};
    if (a.event && a.channel && a.hash)
      fn(ud, &a);
  }
  sqlite3_finalize(st);
  if (s != SQLITE_DONE)
    return db_err(j, e, "announced");
  return 0;
}

/* Column i of (event, channel)'s announced row (0 snapshot, 1 remote). */
static char *announced_text(struct journal *j, const char *event,
                            const char *channel, int i)
{
  struct err e;
  sqlite3_stmt *st = stmt(j, S_SNAPSHOT, &e);
  if (!st)
    return NULL;
  const char *vals[] = {event, channel};
  bind_texts(st, vals, 2);
  char *text = sqlite3_step(st) == SQLITE_ROW ? col(st, i) : NULL;
  sqlite3_reset(st);
  return text;
}

char *journal_snapshot(struct journal *j, const char *event,
                       const char *channel)
{
  return announced_text(j, event, channel, 0);
}

char *journal_remote(struct journal *j, const char *event, const char *channel)
{
  return announced_text(j, event, channel, 1);
}

int journal_set_alias(struct journal *j, const char *id, const char *uid,
                      struct err *e)
{
  char now[32];
  now_text(j, now);
  const char *vals[] = {id, uid, now};
  return run_stmt(j, S_ALIAS, "alias", vals, 3, e);
}

int journal_each_alias(struct journal *j,
                       void (*fn)(void *ud, const char *id, const char *uid),
                       void *ud, struct err *e)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(j->db, "SELECT id, uid FROM alias ORDER BY id", -1,
                         &st, NULL) != SQLITE_OK)
    return db_err(j, e, "alias");
  int s;
  while ((s = sqlite3_step(st)) == SQLITE_ROW)
    fn(ud, (const char *)sqlite3_column_text(st, 0),
       (const char *)sqlite3_column_text(st, 1));
  sqlite3_finalize(st);
  if (s != SQLITE_DONE)
    return db_err(j, e, "alias");
  return 0;
}

int journal_sequence(struct journal *j, const char *event, const char *hash,
                     time_t end, bool cancelled, bool record, int *seq,
                     time_t *changed, struct err *e)
{
  sqlite3_stmt *st = stmt(j, S_SEQ_GET, e);
  if (!st)
    return -1;
  sqlite3_bind_text(st, 1, event, -1, SQLITE_STATIC);
  int r = sqlite3_step(st);
  if (r != SQLITE_ROW && r != SQLITE_DONE) {
    db_err(j, e, "sequence");
    sqlite3_reset(st);
    return -1;
  }
  bool found = r == SQLITE_ROW, same = false, end_known = false;
  int have = 0;
  time_t at = 0;
  if (found) {
    have = sqlite3_column_int(st, 0);
    const char *h = (const char *)sqlite3_column_text(st, 1);
    end_known = sqlite3_column_type(st, 2) != SQLITE_NULL;
    time_t e0 = (time_t)sqlite3_column_int64(st, 2);
    bool c0 = sqlite3_column_int(st, 3) != 0;
    const char *ch = (const char *)sqlite3_column_text(st, 4);
    struct err pe;
    if (ch)
      when_parse_now(ch, &at, &pe);
    same = h && strcmp(h, hash) == 0 && c0 == cancelled &&
           (!end_known || !end || e0 == end);
  }
  sqlite3_reset(st);
  *seq = !found ? 0 : same ? have : have + 1;
  if (!found || !same)
    at = j->now ? j->now : time(NULL);
  *changed = at;
  /* nothing to write: the same state, its end known or still unknown */
  if (!record || (same && (end_known || !end)))
    return 0;
  char at_text[32];
  struct buf b = BUF_INIT;
  when_rfc3339_utc(at, &b);
  snprintf(at_text, sizeof(at_text), "%s", b.data);
  buf_release(&b);
  st = stmt(j, S_SEQ_SET, e);
  if (!st)
    return -1;
  sqlite3_bind_text(st, 1, event, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, *seq);
  sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
  if (end)
    sqlite3_bind_int64(st, 4, (sqlite3_int64)end);
  sqlite3_bind_int(st, 5, cancelled);
  sqlite3_bind_text(st, 6, at_text, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(j, e, "sequence");
  sqlite3_reset(st);
  return rc;
}

char *journal_kv_get(struct journal *j, const char *k)
{
  struct err e;
  sqlite3_stmt *st = stmt(j, S_KV_GET, &e);
  char *v = NULL;
  if (!st)
    return NULL;
  sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW)
    v = col(st, 0);
  sqlite3_reset(st);
  return v;
}

int journal_kv_set(struct journal *j, const char *k, const char *v,
                   struct err *e)
{
  const char *vals[] = {k, v};
  return run_stmt(j, S_KV_SET, "kv", vals, 2, e);
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

/* ---- tokens: the secrets crier must keep between runs ---- */

static void tokens_path(const struct journal *j, struct buf *p)
{
  buf_addf(p, "%s.tokens", j->path);
}

/* The tokens file as a JSON object (new reference; empty when absent). */
static json_t *tokens_load(const struct journal *j)
{
  struct buf p = BUF_INIT, text = BUF_INIT;
  tokens_path(j, &p);
  json_t *o = NULL;
  struct err e;
  if (access(p.data, F_OK) == 0 && file_read(p.data, 65536, &text, &e) == 0)
    o = json_loadb(text.data, text.len, 0, NULL);
  secret_wipe(&text);
  buf_release(&p);
  if (!json_is_object(o)) {
    json_decref(o);
    o = json_object();
  }
  return o;
}

char *journal_token_get(struct journal *j, const char *k)
{
  json_t *o = tokens_load(j);
  const char *v = json_string_value(json_object_get(o, k));
  char *r = v ? xstrdup(v) : NULL;
  json_decref(o);
  if (!r) {
    /* crier 0.1 kept rotated tokens in the kv table: move them out */
    r = journal_kv_get(j, k);
    struct err e;
    if (r && journal_token_set(j, k, r, &e) == 0) {
      const char *vals[] = {k};
      run_stmt(j, S_KV_DEL, "kv", vals, 1, &e);
    }
  }
  if (r)
    secret_register(r, strlen(r));
  return r;
}

int journal_token_set(struct journal *j, const char *k, const char *v,
                      struct err *e)
{
  json_t *o = tokens_load(j);
  json_object_set_new(o, k, json_string(v));
  char *text = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
  json_decref(o);
  struct buf p = BUF_INIT;
  tokens_path(j, &p);
  size_t n = strlen(text);
  int rc = file_replace(p.data, text, n, 0600, e);
  explicit_bzero(text, n);
  free(text);
  buf_release(&p);
  return rc;
}

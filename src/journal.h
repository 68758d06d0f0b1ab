#ifndef CRIER_JOURNAL_H
#define CRIER_JOURNAL_H
/*
 * The journal: an SQLite file recording every delivery (event, notice,
 * channel, language) by its idempotency key, with its status, attempts,
 * remote id and URL, last error (redacted), and channel state between
 * steps. A row is claimed (status 'sending') in a transaction before its
 * first request and marked 'sent' only after a success response. Only one
 * process holds a journal at a time (a lock file beside it).
 */
#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "err.h"

struct journal;

enum dstatus { DS_NONE, DS_PENDING, DS_SENDING, DS_SENT, DS_FAILED,
               DS_UNCERTAIN, DS_SKIPPED };

const char *dstatus_name(enum dstatus s);

struct jrow {
  char key[65];
  char *event, *notice, *channel, *lang;
  enum dstatus status;
  int attempts;
  char *remote_id, *url, *error;
  char *state; /* JSON text owned by the channel, or NULL */
  char *created, *updated;
};

/* Opens (creating) the journal at path and takes its lock, waiting up to
 * wait_ms. Fails with EX_TEMPFAIL when another crier holds it, EX_CANTCREAT
 * or EX_IOERR when the file cannot be used. */
struct journal *journal_open(const char *path, int wait_ms, struct err *e);
void journal_close(struct journal *j);

/* The row of key, or false if there is none. r is released by
 * jrow_release. */
bool journal_get(struct journal *j, const char *key, struct jrow *r);
void jrow_release(struct jrow *r);

/* Claims key for sending: inserts the row or moves it to 'sending' and
 * counts an attempt. Returns the status it had before (DS_NONE for a new
 * row). */
int journal_claim(struct journal *j, const struct jrow *r,
                  enum dstatus *before, struct err *e);
/* Groups the claims or outcomes of many deliveries in one transaction (one
 * write to disk). */
int journal_begin(struct journal *j, struct err *e);
int journal_commit(struct journal *j, struct err *e);

/* Records the outcome of key. remote_id, url, error may be NULL (kept). */
int journal_finish(struct journal *j, const char *key, enum dstatus s,
                   const char *remote_id, const char *url, const char *error,
                   struct err *e);
/* Saves the channel state (JSON text) of key at once. */
int journal_set_state(struct journal *j, const char *key, const char *state,
                      struct err *e);

/* Rows for an event (NULL: all), newest first. Calls fn for each. */
int journal_each(struct journal *j, const char *event,
                 void (*fn)(void *ud, const struct jrow *r), void *ud,
                 struct err *e);

/* What an event looked like when a channel last announced it (or sent an
 * update): its content hash and a JSON snapshot (title, start, place), so
 * that changes and cancellations can be told later, even when the file is
 * gone. */
struct jannounced {
  char *event, *channel, *hash, *snapshot;
  bool cancelled;
};
int journal_set_announced(struct journal *j, const char *event,
                          const char *channel, const char *hash,
                          const char *snapshot, bool cancelled,
                          struct err *e);
/* Calls fn for every announced (event, channel); event NULL: all. */
int journal_each_announced(struct journal *j, const char *event,
                           void (*fn)(void *ud, const struct jannounced *a),
                           void *ud, struct err *e);

/* Records a notice that is not sent, with the reason (status 'skipped'). */
int journal_skip(struct journal *j, const struct jrow *r, const char *reason,
                 struct err *e);

/* The rows of one event and channel (for planning). */
int journal_each_of(struct journal *j, const char *event, const char *channel,
                    void (*fn)(void *ud, const struct jrow *r), void *ud,
                    struct err *e);

/* A small key-value store for values that must survive between runs (the
 * rotating Meetup refresh token). NULL when absent; caller frees. */
char *journal_kv_get(struct journal *j, const char *k);
int journal_kv_set(struct journal *j, const char *k, const char *v,
                   struct err *e);
/* Calls fn for every pair whose key starts with prefix. */
int journal_kv_each(struct journal *j, const char *prefix,
                    void (*fn)(void *ud, const char *k, const char *v),
                    void *ud, struct err *e);

#endif

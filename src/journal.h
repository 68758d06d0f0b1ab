#ifndef CRIER_JOURNAL_H
#define CRIER_JOURNAL_H
/*
 * The journal: an SQLite file recording every delivery (event, notice,
 * channel, language) by its idempotency key, with its status, attempts,
 * remote id and URL, last error (redacted), and channel state between
 * steps; what each channel announced (a snapshot of the event and where
 * the announcement went), so later notices reach the same place even when
 * the file or the configuration changed; and which file names belong to
 * which event (an event keeps its identity when its file is renamed).
 *
 * Only one process holds a journal at a time (a lock file beside it). The
 * file carries a schema version (PRAGMA user_version); an older journal is
 * migrated when opened, a newer one is refused and left untouched.
 *
 * Every time the journal records is the run's clock (journal_set_clock),
 * so that runs pinned with --now and runs on a machine whose clock was set
 * back stay consistent. Every write reports its failure: a caller must not
 * say "sent" for an outcome it could not record.
 *
 * Strings in the structs below are owned by the struct (released by the
 * matching _release function) unless marked borrowed.
 */
#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "err.h"

#define JOURNAL_VERSION 4 /* the schema this crier writes */

struct journal;

enum dstatus {
  DS_NONE,
  DS_PENDING,
  DS_SENDING,
  DS_SENT,
  DS_FAILED,
  DS_UNCERTAIN,
  DS_SKIPPED
};

const char *dstatus_name(enum dstatus s);
/* Whether a delivery in status s is finished for good: sent, skipped or
 * uncertain (failed and sending ones are tried again). */
bool dstatus_final(enum dstatus s);

struct jrow {
  char key[65];
  char *event, *notice, *channel, *lang;
  enum dstatus status;
  int attempts;
  char *remote_id, *url, *error;
  char *state; /* JSON text owned by the channel, or NULL */
  char *created, *updated;
  time_t for_start;  /* reminders: the start they were for (0: any) */
  time_t claimed_at; /* when it was last claimed, by the system's clock
                        (0: not known) */
};

/* Opens (creating or migrating) the journal at path and takes its lock,
 * waiting up to wait_ms. Fails with EX_TEMPFAIL when another crier holds
 * it, EX_CANTCREAT or EX_IOERR when the file cannot be used, EX_CONFIG
 * when a newer crier wrote it. */
struct journal *journal_open(const char *path, int wait_ms, struct err *e);
void journal_close(struct journal *j);
/* The path of the journal (borrowed). */
const char *journal_path(const struct journal *j);
/* The clock of the run: every time recorded from now on (0: the system's
 * clock, the default). */
void journal_set_clock(struct journal *j, time_t now);

/* The row of key, or false if there is none. r is released by
 * jrow_release. */
bool journal_get(struct journal *j, const char *key, struct jrow *r);
void jrow_release(struct jrow *r);

/* Claims key for sending: inserts the row or moves it to 'sending' and
 * counts an attempt (what the row recorded before stays). */
int journal_claim(struct journal *j, const struct jrow *r, struct err *e);
/* Prepares the statements that record outcomes (journal_finish,
 * journal_set_announced), so that recording one after an answer costs no
 * parsing. Failures are left for those calls to report. */
void journal_prepare_outcomes(struct journal *j);
/* The same for claims (journal_begin, journal_claim, journal_commit). */
void journal_prepare_claims(struct journal *j);
/* Groups writes in one transaction (one write to disk). */
int journal_begin(struct journal *j, struct err *e);
int journal_commit(struct journal *j, struct err *e);
void journal_rollback(struct journal *j);

/* Records the outcome of key. remote_id, url, error may be NULL (kept;
 * error is cleared when NULL); retries: tries after the first in this run
 * (attempts counts every try). */
int journal_finish(struct journal *j, const char *key, enum dstatus s,
                   const char *remote_id, const char *url, const char *error,
                   int retries, struct err *e);
/* Saves the channel state (JSON text) of key at once. */
int journal_set_state(struct journal *j, const char *key, const char *state,
                      struct err *e);
/* Notes that a request for key is leaving now (claimed_at, by the
 * system's clock): a later run knows how long it may still be on its
 * way. */
int journal_touch(struct journal *j, const char *key, struct err *e);
/* Records a notice that is not sent, with the reason (status 'skipped'). */
int journal_skip(struct journal *j, const struct jrow *r, const char *reason,
                 struct err *e);

/* What planning reads of a delivery row; the strings are the journal's,
 * valid during the call. */
struct jbrief {
  const char *key, *event, *notice, *channel;
  const char *updated; /* may be NULL */
  enum dstatus status;
  time_t for_start;
};
/* Calls fn for every delivery row, by event and newest first, as
 * journal_each(j, NULL, ...) does, reading only what planning needs. */
int journal_each_brief(struct journal *j,
                       void (*fn)(void *ud, const struct jbrief *r), void *ud,
                       struct err *e);

/* 1 when event has delivery rows, 0 when it has none, -1 on error. */
int journal_has_event(struct journal *j, const char *event, struct err *e);

/* Rows for an event (NULL: all), newest first. Calls fn for each. */
int journal_each(struct journal *j, const char *event,
                 void (*fn)(void *ud, const struct jrow *r), void *ud,
                 struct err *e);

/* What an event looked like when a channel last announced it (or sent an
 * update): its content hash and a JSON snapshot (title, start, place,
 * links), whether a cancellation went out, how many times it was cancelled
 * or reinstated (generation), and where the announcement went (remote:
 * JSON {"remote_id", "url", "state"} of the announcement's delivery). */
struct jannounced {
  char *event, *channel, *hash, *snapshot;
  bool cancelled;
  int generation;
  char *remote;    /* may be NULL */
  bool has_remote; /* journal_each_announced: the journal has a remote */
};
void jannounced_release(struct jannounced *a);
/* Inserts or replaces (event, channel). remote NULL keeps the one there. */
int journal_set_announced(struct journal *j, const struct jannounced *a,
                          struct err *e);
/* Calls fn for every announced (event, channel), by event and channel,
 * without its snapshot and remote (NULL: journal_snapshot and
 * journal_remote read them; has_remote says whether there is one); the
 * strings are the journal's, valid during the call. */
int journal_each_announced(struct journal *j,
                           void (*fn)(void *ud, const struct jannounced *a),
                           void *ud, struct err *e);
/* The snapshot, the remote of (event, channel), or NULL; caller frees. */
char *journal_snapshot(struct journal *j, const char *event,
                       const char *channel);
char *journal_remote(struct journal *j, const char *event, const char *channel);

/* Event identities: file id → the id the journal knows the event by. */
int journal_set_alias(struct journal *j, const char *id, const char *uid,
                      struct err *e);
int journal_each_alias(struct journal *j,
                       void (*fn)(void *ud, const char *id, const char *uid),
                       void *ud, struct err *e);

/* The SEQUENCE (RFC 5545) of an event's calendar entry in the state given
 * by its content hash, end and status: the number the journal has for the
 * event when that is the state it last saw, else one more (0 for an event
 * it never saw), so that the number never goes down and grows with every
 * change of date, time, place, title or status. record: the state and its
 * number are written (a new row, or a change). *changed: when the journal
 * first saw this state (the run's clock when it is new). An end of 0, or
 * one the journal does not know (journals before version 3), is not
 * compared. */
int journal_sequence(struct journal *j, const char *event, const char *hash,
                     time_t end, bool cancelled, bool record, int *seq,
                     time_t *changed, struct err *e);

/* A small key-value store for values that must survive between runs (the
 * ids of webhooks `serve` handled). NULL when absent; caller frees. */
char *journal_kv_get(struct journal *j, const char *k);
int journal_kv_set(struct journal *j, const char *k, const char *v,
                   struct err *e);
/* Calls fn for every pair whose key starts with prefix. */
int journal_kv_each(struct journal *j, const char *prefix,
                    void (*fn)(void *ud, const char *k, const char *v),
                    void *ud, struct err *e);

/* Secrets that must survive between runs (the rotating Meetup refresh
 * token) are kept apart from the database, in "<journal>.tokens" (mode
 * 0600, replaced atomically), so that the journal itself never holds a
 * secret. journal_token_get returns a new string (NULL when absent) and
 * registers it for redaction; a token an older crier kept in the kv table
 * is moved out on first read. */
char *journal_token_get(struct journal *j, const char *k);
int journal_token_set(struct journal *j, const char *k, const char *v,
                      struct err *e);

#endif

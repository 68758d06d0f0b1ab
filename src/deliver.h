#ifndef CRIER_DELIVER_H
#define CRIER_DELIVER_H
/*
 * Drives deliveries, exactly once:
 *
 *  prepare  each item's idempotency key; what the journal already has
 *           (sent: skipped; uncertain: left alone; left 'sending' by a run
 *           that was stopped: sent again only on channels where the server
 *           recognises a repeat, else 'uncertain'); the message rendered;
 *  claim    right before a delivery's first request, its row is committed
 *           as 'sending' (claims that start together share one commit);
 *  run      every channel's requests concurrently on the HTTP engine, at
 *           most a window of deliveries at once;
 *  record   each outcome is committed as soon as its final response
 *           arrives, before anything else is started;
 *  status   the exit status from the outcomes.
 *
 * SIGTERM and SIGINT start nothing new: requests in flight finish (bounded
 * by their timeouts) and are recorded; the exit status is 75. A journal
 * write that fails makes the command fail (EX_IOERR) with a message naming
 * what was sent but could not be recorded; no result line ever says "sent"
 * for an outcome the journal does not have.
 *
 * One result line per delivery goes to stderr (and a --json record).
 */
#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "event.h"
#include "journal.h"
#include "key.h"
#include "render.h"

struct deliver_item {
  const struct event *ev;
  const struct channel *ch;
  const char *notice;      /* "announce", "reminder-7d", … (borrowed) */
  const struct event *old; /* update: the event as announced */
  const char *skip_reason; /* not sent: recorded as skipped with this */
  int generation;          /* cancellations and reinstatements so far */
  const char *remote;      /* where the announcement went (JSON), or NULL */
};

/* A dry run prints each request, each message, or one line per notice
 * (DRY_SUMMARY: its subject, or what became of it, instead of a result
 * line). */
enum deliver_dry { DRY_NONE, DRY_REQUESTS, DRY_MESSAGES, DRY_SUMMARY };

struct deliver_opts {
  enum deliver_dry dry; /* print requests or messages; nothing is sent or
                           written */
  bool force;           /* send again under a new key */
  bool quiet;
  bool json;   /* --json: dry-run messages go into the records only */
  int verbose; /* 1: a line per request; 2: headers and bodies */
  time_t now;  /* for the texts, and the journal's clock */
  struct journal *journal; /* an open journal to use (else opened here) */
};

struct deliver_summary {
  int sent, skipped, failed, temporary, uncertain;
  int dry;        /* shown by a dry run */
  int config;     /* failed because a channel's configuration is broken */
  int data;       /* failed because an event file or template is broken */
  int unrecorded; /* outcomes the journal could not record */
  int later;      /* left for a later run: a stopped run's request may
                     still be reaching the server */
  bool stopped;   /* SIGTERM or SIGINT */
};

/* The key of an item in lang: the event's identity, and what makes a
 * repeat of the notice a new delivery (an update's content, a reminder's
 * start, a cancellation's generation; nonce for --force, may be NULL). */
void deliver_item_key(const struct deliver_item *it, const char *lang,
                      const char *nonce, char out[65]);

/* What became of a delivery. */
enum dresult {
  RESULT_SENT,
  RESULT_SKIPPED,
  RESULT_FAILED,
  RESULT_UNCERTAIN,
  RESULT_DRY_RUN,
  RESULT_NOT_SENT,
  RESULT_UNRECORDED
};
/* Its name in result lines and --json: "sent", "dry-run", … (static). */
const char *dresult_name(enum dresult r);

/* One delivery's result: a line on stderr (unless quiet, but failures and
 * uncertain ones always) and, when results is not NULL, a JSON record
 * appended to it, which is returned (borrowed) for more fields. */
struct deliver_result {
  const char *event, *notice, *channel, *lang;
  enum dresult result;
  const char *url, *error; /* NULL or "": none */
};
json_t *deliver_report(const struct deliver_result *r, bool quiet,
                       json_t *results);

/* Delivers items. results (may be NULL) gets one JSON record per item.
 * Returns the exit status: 0 when everything was sent or skipped, 75 when
 * every failure was temporary (or the run was stopped), 78 when every
 * failure came from a broken channel configuration, 65 from a broken event
 * file or template, 74 when an outcome could not be recorded, 1 otherwise; the
 * journal's own status when it cannot be opened. */
int deliver_run(const struct config *cfg, struct renderer *r,
                const struct deliver_item *items, size_t n,
                const struct deliver_opts *o, json_t *results,
                struct deliver_summary *sum);

#endif

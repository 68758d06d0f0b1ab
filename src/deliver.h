#ifndef CRIER_DELIVER_H
#define CRIER_DELIVER_H
/*
 * Drives deliveries: computes each one's idempotency key, skips what the
 * journal says was sent, renders, claims the row, runs every channel's
 * requests concurrently on the HTTP engine, and records the outcome.
 * Prints one result line per delivery on stderr (and collects --json
 * records).
 */
#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "event.h"
#include "journal.h"
#include "render.h"

struct deliver_item {
  const struct event *ev;
  const struct channel *ch;
  const char *notice; /* "announce", "reminder-7d", … (borrowed) */
  const struct event *old;  /* update: the event as announced */
  const char *skip_reason;  /* not sent: recorded as skipped with this */
};

struct deliver_opts {
  bool dry_run;   /* print the requests; no journal, nothing sent */
  bool force;     /* send again under a new key */
  bool quiet;
  int verbose;    /* 1: a line per request; 2: headers and bodies */
  time_t now;     /* for the texts */
  struct journal *journal; /* an open journal to use (else opened here) */
};

struct deliver_summary {
  int sent, skipped, failed, temporary, uncertain;
  int config; /* failed because a channel's configuration is broken */
};

/* The key: hex SHA-256 of event, notice, channel and language (and the
 * content hash for updates, and a nonce when forced). */
void delivery_key(const char *event, const char *notice, const char *channel,
                  const char *lang, const char *extra, char out[65]);

/* One delivery's result: a line on stderr (unless quiet, but failures and
 * uncertain ones always) and, when results is not NULL, a JSON record
 * appended to it, which is returned (borrowed) for more fields. */
struct deliver_result {
  const char *event, *notice, *channel, *lang, *result;
  const char *url, *error; /* NULL or "": none */
};
json_t *deliver_report(const struct deliver_result *r, bool quiet,
                       json_t *results);

/* Delivers items. results (may be NULL) gets one JSON record per item.
 * Returns the exit status: 0 when everything was sent or skipped, 75 when
 * every failure was temporary, 78 when every failure came from a broken
 * channel configuration (a missing secret), 1 otherwise; EX_TEMPFAIL/EX_CANTCREAT when
 * the journal cannot be used. */
int deliver_run(const struct config *cfg, struct renderer *r,
                const struct deliver_item *items, size_t n,
                const struct deliver_opts *o, json_t *results,
                struct deliver_summary *sum);

#endif

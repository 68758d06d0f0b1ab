#ifndef CRIER_CHAN_H
#define CRIER_CHAN_H
/*
 * Channel adapters. A delivery is one (event, notice, channel, language)
 * with its idempotency key and rendered message; a channel adapter turns
 * it into a sequence of requests (a step function for the HTTP engine).
 * Adding a channel means a chan_*.c with its ops, an entry in
 * chan_ops_for, and its type and fields in config.c (docs/HACKING.md).
 * Channel contexts hold what deliveries to one channel share (secrets,
 * tokens); secrets are wiped when the context is released.
 */
#include <stdbool.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "event.h"
#include "http.h"
#include "journal.h"
#include "plan.h"
#include "render.h"

struct chan_ctx {
  const struct channel *ch;
  const struct config *cfg;
  struct journal *journal; /* NULL in dry runs */
  struct buf token;   /* matrix/github/meetup access token; webhook secret */
  struct buf secret2; /* the second secret: webhook signing key, mail
                         password, Meetup client secret */
  char *serial;       /* the serial key of this channel's writes */
  bool ready;         /* secrets resolved */
  char *meetup_token; /* an access token fetched this run (secret) */
  char *login;        /* github: the account the token posts as */
  struct err error;   /* why the context could not be prepared */
};

struct delivery {
  char key[65];
  const struct event *ev;
  const char *notice;    /* its name: "announce", "reminder-7d", … */
  enum notice_kind kind; /* the kind of notice */
  char lang[8];
  int langs;
  bool en_first;
  struct message msg;
  struct message announcement; /* updates, when the channel shows the
                                  announcement (Meetup's description) */
  struct chan_ctx *ctx;
  time_t now;              /* the moment of sending, for texts */
  const struct event *old; /* update: the event as announced */
  int sequence;            /* the SEQUENCE of the event's calendar entry
                              (journal_sequence) */
  json_t *state;           /* channel state kept in the journal */
  json_t *first;           /* where the announcement went: {"remote_id",
                              "url", "state"} (NULL: not known) */
  struct http_task task;
  /* the result */
  char url[512];
  char remote_id[256];
  /* working fields of the step functions */
  int phase;
  int page; /* a step's counter: GitHub result pages read, Matrix joins
               tried */
  struct buf scratch;
  char *aux;   /* a step's string: the Matrix room id */
  long number; /* GitHub issue number */
};

struct chan_ops {
  enum chan_type type;
  /* Resolves the channel's secrets into ctx (once per channel). */
  int (*prepare)(struct chan_ctx *ctx, struct err *e);
  http_step_fn step;
  /* The request that carries the message (for --dry-run). */
  void (*dry)(struct delivery *d, struct http_req *req);
  /* Notices the channel cannot carry (Meetup has no messages): NULL if it
   * can carry this one, else the reason. */
  const char *(*cannot)(const struct delivery *d);
  /* A delivery left 'sending' by a stopped run may be sent again: the
   * server recognises the repeat (Matrix transaction ids, webhook ids) or
   * the channel checks first (GitHub markers, Meetup's state). Mail cannot
   * tell: such a delivery becomes 'uncertain'. */
  bool resend_safe;
  /* A resend asks the server whether the first attempt arrived (GitHub's
   * markers, Meetup's own events): the server shows only what it has
   * finished, so a delivery a stopped run left 'sending' waits until that
   * run's request can no longer be on its way. */
  bool checks_first;
  /* An update re-renders the announcement too (d->announcement): the
   * channel keeps showing it, with the new facts. */
  bool update_shows_announcement;
};

const struct chan_ops *chan_ops_for(enum chan_type t);

extern const struct chan_ops chan_webhook_ops;
extern const struct chan_ops chan_matrix_ops;
extern const struct chan_ops chan_github_ops;
extern const struct chan_ops chan_mail_ops;
extern const struct chan_ops chan_meetup_ops;

/* Shared helpers for adapters. */
/* The delivery behind a task (a task's ud starts with its delivery). */
static inline struct delivery *task_delivery(struct http_task *t)
{
  return t->ud;
}
/* Sets the task's error from a response and a lead text; returns RETRY
 * for temporary failures, else FAIL. */
enum step chan_fail(struct http_task *t, const struct http_resp *r,
                    const char *what);
/* Saves d->state to the journal now (no-op in dry runs). */
void chan_save_state(struct delivery *d);
/* Parses a JSON response body; NULL if it is not JSON. */
json_t *chan_json(const struct http_resp *r);
/* Where the event's announcement went on this channel (for later
 * notices): a string of its channel state, and its remote id; NULL when
 * not known. Borrowed from d->first. */
const char *chan_first_state(const struct delivery *d, const char *key);
const char *chan_first_remote_id(const struct delivery *d);
/* The Content-Language of d's languages ("de", "nl, en"), into out. */
void chan_content_language(const struct delivery *d, char *out, size_t n);
/* Adds the User-Agent header. */
void chan_user_agent(struct http_req *req);

#endif

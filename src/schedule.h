#ifndef CRIER_SCHEDULE_H
#define CRIER_SCHEDULE_H
/*
 * The bridge between the journal and the planner. The journal is read once
 * (every delivery row, every announced snapshot, every alias) into maps;
 * each event gets its identity (an event whose file was renamed keeps the
 * one the journal knows); then plan_channel's answers become delivery
 * items, including cancellations of announced events whose files are gone.
 *
 * What cancels an announced event: `cancelled: true` in a file that loads,
 * or its file's removal — never a file that exists but does not load, an
 * events directory that is empty or unreadable, or a locations file that
 * does not load. A removed file is first matched against new files (a
 * rename git detected, or a file crier has not seen before): when the new
 * file has the title or the start the event was announced with, it is the
 * same event under a new name, and gets an update if its facts changed.
 * (git's rename detection alone is not enough: two short event files that
 * share a template look alike to it.) When more announced events
 * vanish at once than schedule.max_vanished (default 1), none of them is
 * cancelled without opts.confirm_cancel: an error lists them.
 *
 * A schedule owns the events it rebuilt from snapshots and the strings its
 * items point to; it borrows the site's events.
 */
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "deliver.h"
#include "diag.h"
#include "journal.h"
#include "map.h"
#include "plan.h"
#include "site.h"

/* A file renamed between two revisions (git's rename detection). */
struct rename {
  const char *from, *to; /* event ids */
};

struct schedule_opts {
  const char *const *only; /* NULL-terminated event ids, or NULL: all */
  bool mode_changed;       /* announce `only` at once, whatever the lead */
  const char *const *gone; /* changed: ids of removed files, or NULL */
  const struct rename *renames;
  size_t nrenames;
  bool confirm_cancel; /* cancel vanished events beyond max_vanished */
  bool dry;            /* write nothing to the journal */
};

/* One (event, channel) the journal knows: its delivery rows and what was
 * announced there. */
struct jpair {
  const char *channel;  /* interned */
  struct hist_entry *v; /* its rows, newest first (in its juid's block) */
  size_t n;
  time_t last_sent;      /* the latest row sent (0: none) */
  bool announced;        /* ann holds the announced record */
  struct jannounced ann; /* strings interned; snapshot and remote NULL
                            (jview_snapshot, jview_remote read them) */
  char *remote;          /* read by jview_remote, owned */
};

/* Everything the journal knows about one event identity. */
struct juid {
  struct jpair *pairs; /* one per channel, in the order met */
  size_t n, cap;
  struct hist_entry *rows; /* every pair's rows, grouped by pair */
};

/* Delivery keys and their statuses: 32-byte digests (the hex keys
 * decoded), indexed by an open-addressed table. */
struct jkeys {
  unsigned char (*keys)[33]; /* digest, status + 1, in the order met */
  size_t n, capkeys;
  uint32_t *index; /* place in keys + 1 (0: empty) */
  size_t cap;
  struct map odd; /* keys that are not 64 hex digits → status + 1 */
};

/* The journal read once. */
struct jview {
  struct journal *j;    /* borrowed: snapshots are read when asked */
  struct map uids;      /* uid → struct juid */
  struct map alias;     /* file id → uid (char *) */
  struct jkeys status;  /* delivery key → status */
  struct map known;     /* uid → non-NULL when the journal has anything */
  struct map by_uid;    /* uid → one of its announced records (borrowed) */
  struct map site_uids; /* the site's events' identities (after
                           schedule_identify) */
  struct map strs;      /* interned strings (channels, notices, hashes) */
  bool ask_rows;        /* jview_load_ids: the rows were not read; whether
                           an identity has any is asked of the journal */
  struct map asked;     /* uid → non-NULL: asked, and it has none */
};

/* Reads everything the planner needs from j (NULL: an empty journal). */
int jview_load(struct jview *v, struct journal *j, struct err *e);
/* Reads what schedule_identify, jview_announced and jview_remote need:
 * the announced records and aliases, not the delivery rows (whether an
 * event has any is asked of the journal when identifying needs it: a
 * lookup in the index on event). jview_hist must not be asked of such a
 * view. */
int jview_load_ids(struct jview *v, struct journal *j, struct err *e);
void jview_release(struct jview *v);
/* The history of (uid, channel): announced state, flags for the keys of
 * the current content and generation. lang is the channel's languages. */
void jview_hist(const struct jview *v, const struct event *ev,
                const struct channel *ch, struct hist *h);
/* The announced record of (uid, channel), or NULL (borrowed). */
const struct jannounced *jview_announced(const struct jview *v, const char *uid,
                                         const char *channel);
/* The snapshot of an announced record (the event as it was announced,
 * JSON), read from the journal; NULL when there is none. Caller frees. */
char *jview_snapshot(const struct jview *v, const struct jannounced *a);
/* Where (uid, channel)'s announcement went (JSON, see journal.h), read
 * from the journal once; NULL when nothing is known. Borrowed from v. */
const char *jview_remote(struct jview *v, const char *uid, const char *channel);
/* Calls fn for every announced record. */
void jview_each_announced(const struct jview *v,
                          void (*fn)(void *ud, const struct jannounced *a),
                          void *ud);

/* Gives every event of the site its journal identity: an alias the
 * journal knows, a rename from opts, or a match for a vanished announced
 * event still ahead of now (recorded in j unless opts->dry). */
int schedule_identify(struct site *site, const struct config *cfg,
                      struct jview *v, struct journal *j, time_t now,
                      const struct schedule_opts *o, struct diags *d,
                      struct err *e);

struct schedule {
  struct deliver_item *items;
  size_t n, cap;
  struct event **owned; /* rebuilt from snapshots */
  size_t nowned, capowned;
  char **names; /* strings the items point to */
  size_t nnames, capnames;
};

/* Plans every due notice of the site's events at now. Problems that are
 * not the journal's (mass cancellation refused, an announced event that is
 * now unpublished) go to d. */
int schedule_plan(struct schedule *s, const struct config *cfg,
                  struct site *site, struct journal *j, time_t now,
                  const struct schedule_opts *o, struct diags *d,
                  struct err *e);
void schedule_release(struct schedule *s);

#endif

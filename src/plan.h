#ifndef CRIER_PLAN_H
#define CRIER_PLAN_H
/*
 * When notices are due. For each event and channel: the announcement from
 * start - schedule.announce_lead, each reminder from start - offset, all
 * of them until the start. Pure functions of their inputs.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "event.h"

#define PLAN_MAX_NOTICES 34 /* announce + up to 32 reminders + spare */

struct notice_time {
  char name[32]; /* "announce", "reminder-7d" */
  time_t from;   /* due from this instant until the event starts */
};

/* The notices channel ch takes for ev, earliest first. Returns how many
 * were written to out (at most max). Cancelled events have none. */
size_t plan_notices(const struct config *cfg, const struct event *ev,
                    const struct channel *ch, struct notice_time *out,
                    size_t max);

/* Of the notices due at now (from <= now < start), the one to send when
 * nothing was sent yet: the announcement wins over reminders, else the
 * reminder with the smallest offset. NULL when none is due. Borrowed from
 * v. */
const struct notice_time *plan_pick(const struct notice_time *v, size_t n,
                                    time_t now, time_t start);

/* What the journal knows about one event on one channel. */
struct hist_entry {
  char notice[32];
  int status;   /* enum dstatus (journal.h) */
  time_t at;    /* when it was recorded */
};

struct hist {
  const struct hist_entry *v;
  size_t n;
  const char *announced_hash; /* content when last announced; NULL: never */
  bool cancelled;             /* a cancellation went out */
  bool update_done;           /* an update for the current content exists */
  time_t last_sent;           /* the latest notice sent (0: none) */
};

enum plan_act { PLAN_SEND, PLAN_SKIP };

struct planned {
  char notice[32];
  enum plan_act act;
  const char *reason; /* static text, for skips */
};

/* The notices to send or to record as skipped for ev on ch at now, given
 * the journal's history h. Rules: nothing once the event has started; a
 * cancelled event gets one cancellation if it was announced; an announced
 * event whose date, time, place or title changed gets one update; of the
 * announcement and reminders that are due, only the latest goes out (an
 * unsent announcement wins, else the reminder with the smallest offset),
 * the others are skipped; no reminder within min_gap of the previous
 * notice. Returns how many were written to out. */
size_t plan_channel(const struct config *cfg, const struct event *ev,
                    const struct channel *ch, time_t now,
                    const struct hist *h, struct planned *out, size_t max);

#endif

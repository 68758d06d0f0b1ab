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

#endif

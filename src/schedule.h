#ifndef CRIER_SCHEDULE_H
#define CRIER_SCHEDULE_H
/*
 * The bridge between the journal and the planner: builds each (event,
 * channel)'s history from the journal and turns plan_channel's answers
 * into delivery items, including cancellations of announced events whose
 * files are gone. A schedule owns the events it rebuilt from snapshots.
 */
#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "deliver.h"
#include "journal.h"
#include "site.h"

struct schedule {
  struct deliver_item *items;
  size_t n, cap;
  struct event **owned;  /* rebuilt from snapshots */
  size_t nowned, capowned;
  char **names;          /* notice names the items point to */
  size_t nnames, capnames;
};

/* Plans every due notice of the site's events at now (j may be NULL: an
 * empty journal). only: if not NULL, only events whose id is listed (a
 * NULL-terminated list); mode_changed: announce those events right away
 * (as for a merged file), whatever the lead time. */
int schedule_plan(struct schedule *s, const struct config *cfg,
                  struct site *site, struct journal *j, time_t now,
                  const char *const *only, bool mode_changed,
                  const char *const *gone, struct err *e);
void schedule_release(struct schedule *s);

#endif

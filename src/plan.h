#ifndef CRIER_PLAN_H
#define CRIER_PLAN_H
/*
 * When notices are due. For each event and channel: the announcement from
 * start - schedule.announce_lead, each reminder from start - offset, all
 * of them until the start; an update when an announced event changed; a
 * cancellation, or a notice that it takes place after all. Pure functions
 * of their inputs.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "event.h"

#define PLAN_MAX_NOTICES (1 + CONFIG_MAX_REMINDERS)

/* Notice kinds. A reminder's name carries its offset ("reminder-7d"). */
enum notice_kind {
  NOTICE_ANNOUNCE,
  NOTICE_REMINDER,
  NOTICE_UPDATE,
  NOTICE_CANCEL,
  NOTICE_REINSTATE
};

/* The kind of a notice name; -1 for an unknown name. */
int notice_kind_of(const char *notice);
/* The name of a kind (reminders: "reminder"); static. */
const char *notice_kind_name(enum notice_kind k);

struct notice_time {
  char name[32]; /* "announce", "reminder-7d" */
  time_t from;   /* due from this instant until the event starts */
};

/* The moments every notice the configuration knows (the announcement,
 * each reminder) becomes due for one event, earliest first: worked out
 * once per event (local-time arithmetic) and shared by its channels.
 * Cancelled events have none. */
struct plan_times {
  struct notice_time v[PLAN_MAX_NOTICES];
  size_t n;
};
void plan_times(const struct config *cfg, const struct event *ev,
                struct plan_times *t);

/* The notices channel ch takes for ev, earliest first. Returns how many
 * were written to out (at most max). Cancelled events have none. The _at
 * form takes the event's plan_times. */
size_t plan_notices(const struct config *cfg, const struct event *ev,
                    const struct channel *ch, struct notice_time *out,
                    size_t max);
size_t plan_notices_at(const struct plan_times *t, const struct channel *ch,
                       struct notice_time *out, size_t max);

/* When notice (a name as above) for ev goes out, seen at now: the
 * announcement and each reminder at the moment they are due
 * (announce_lead, the reminder's offset before the start) or, once that
 * has passed, now — as long as the event has not started (after that:
 * the moment they were due); an update, a cancellation or a
 * reinstatement now, as they are sent when they happen. */
time_t plan_send_time(const struct config *cfg, const struct event *ev,
                      const char *notice, time_t now);

/* What the journal knows about one event on one channel. */
struct hist_entry {
  const char *notice; /* borrowed: the journal view's (interned) */
  time_t at;          /* when it was recorded (the run's clock) */
  time_t for_start;   /* reminders: the start they were for (0: any) */
  int status;         /* enum dstatus (journal.h) */
};

struct hist {
  const struct hist_entry *v;
  size_t n;
  const char *announced_hash; /* content when last announced; NULL: never */
  bool cancelled;             /* a cancellation went out (and no
                                 reinstatement since) */
  bool update_done;           /* an update for the current content exists */
  bool cancel_done;           /* a cancellation for this generation exists */
  bool reinstate_done;        /* a reinstatement for it exists */
  time_t last_sent;           /* the latest notice sent (0: none) */
};

enum plan_act { PLAN_SEND, PLAN_SKIP, PLAN_WAIT };

struct planned {
  char notice[32];
  enum plan_act act;
  const char *reason; /* static text: why skipped or waiting */
};

/* The notices to send or to record as skipped for ev on ch at now, given
 * the journal's history h. Rules, in order:
 * - nothing once the event has started, nothing for an unpublished one;
 * - a cancelled event gets one cancellation if it was announced;
 * - an announced event whose cancellation went out and that is no longer
 *   cancelled gets one reinstatement;
 * - an announced event whose date, time, place or title changed gets one
 *   update;
 * - of the announcement and reminders that are due, only the latest goes
 *   out (an unsent announcement wins, else the reminder with the smallest
 *   offset), the others are skipped; a reminder counts as sent only for
 *   the start it was sent for (a postponed event gets its reminders again);
 * - when an update or reinstatement goes out, a reminder due with it is
 *   skipped (one message states the facts);
 * - no reminder within min_gap of the previous notice (updates count);
 * - a clock behind the journal's last notice waits (PLAN_WAIT, nothing
 *   recorded): never a permanent skip because a clock went back.
 * Returns how many were written to out. */
size_t plan_channel(const struct config *cfg, const struct event *ev,
                    const struct channel *ch, time_t now, const struct hist *h,
                    struct planned *out, size_t max);
/* The same with ev's plan_times t (the form for many channels). */
size_t plan_channel_at(const struct config *cfg, const struct event *ev,
                       const struct plan_times *t, const struct channel *ch,
                       time_t now, const struct hist *h, struct planned *out,
                       size_t max);

/* The first moment after now at which plan_channel would send something
 * (for `list`), and that notice's name in name (32 bytes); 0 when nothing
 * more will be sent. */
time_t plan_next(const struct config *cfg, const struct event *ev,
                 const struct channel *ch, time_t now, const struct hist *h,
                 char name[32]);
time_t plan_next_at(const struct config *cfg, const struct event *ev,
                    const struct plan_times *t, const struct channel *ch,
                    time_t now, const struct hist *h, char name[32]);

#endif

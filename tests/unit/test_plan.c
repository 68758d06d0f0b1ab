/* When notices are due: lead and reminder offsets, the pick when several
 * are due, channel filters, nothing after the start, DST weeks. */
#include "harness.h"

#include "config.h"
#include "plan.h"
#include "when.h"

/* The notice plan_channel sends for ev on ch at now with nothing sent. */
static const char *pick(const struct config *c, const struct event *ev,
                        const struct channel *ch, const char *now)
{
  struct hist h = {0};
  struct planned out[PLAN_MAX_NOTICES];
  size_t n = plan_channel(c, ev, ch, at(now), &h, out, PLAN_MAX_NOTICES);
  static char name[32];
  snprintf(name, sizeof(name), "-");
  for (size_t i = 0; i < n; i++)
    if (out[i].act == PLAN_SEND)
      snprintf(name, sizeof(name), "%.31s", out[i].notice);
  return name;
}

int main(void)
{
  struct err e;
  if (when_set_zone("Europe/Berlin", &e) < 0)
    return 77;
  long reminders[] = {7 * 86400, 86400, 7200};
  struct config c = {
      .announce_lead = 21 * 86400, .reminders = reminders, .nreminders = 3};
  struct channel all = {.notices = {.announce = true, .all_reminders = true}};
  char *only1d[] = {(char *)"reminder-1d"};
  struct channel r1d = {.notices = {.reminders = only1d, .nreminders = 1}};
  struct event ev = {.start = at("2024-09-11T19:15:00+02:00")};

  /* when a notice goes out, seen from some moment (previews render it as
   * of then): when it is due, or now once that has passed, never after the
   * start; an update or a cancellation now */
  INT_EQ(
      plan_send_time(&c, &ev, "reminder-1d", at("2024-08-26T12:00:00+02:00")),
      at("2024-09-10T19:15:00+02:00"));
  INT_EQ(
      plan_send_time(&c, &ev, "reminder-1d", at("2024-09-11T10:00:00+02:00")),
      at("2024-09-11T10:00:00+02:00"));
  INT_EQ(
      plan_send_time(&c, &ev, "reminder-1d", at("2024-09-12T10:00:00+02:00")),
      at("2024-09-10T19:15:00+02:00"));
  INT_EQ(plan_send_time(&c, &ev, "announce", at("2024-01-01T00:00:00+01:00")),
         at("2024-08-21T19:15:00+02:00"));
  INT_EQ(plan_send_time(&c, &ev, "update", at("2024-09-01T08:00:00+02:00")),
         at("2024-09-01T08:00:00+02:00"));
  INT_EQ(plan_send_time(&c, &ev, "cancel", at("2024-09-01T08:00:00+02:00")),
         at("2024-09-01T08:00:00+02:00"));

  struct notice_time v[PLAN_MAX_NOTICES];
  size_t n = plan_notices(&c, &ev, &all, v, PLAN_MAX_NOTICES);
  INT_EQ(n, 4);
  STR_EQ(v[0].name, "announce");
  INT_EQ(v[0].from, at("2024-08-21T19:15:00+02:00"));
  STR_EQ(v[1].name, "reminder-7d");
  STR_EQ(v[3].name, "reminder-2h");
  INT_EQ(v[3].from, at("2024-09-11T17:15:00+02:00"));

  /* nothing before the lead; the announcement wins while unsent */
  STR_EQ(pick(&c, &ev, &all, "2024-08-21T19:14:59+02:00"), "-");
  STR_EQ(pick(&c, &ev, &all, "2024-08-21T19:15:00+02:00"), "announce");
  STR_EQ(pick(&c, &ev, &all, "2024-09-11T18:00:00+02:00"), "announce");
  /* after the start: nothing, ever */
  STR_EQ(pick(&c, &ev, &all, "2024-09-11T19:15:00+02:00"), "-");
  STR_EQ(pick(&c, &ev, &all, "2024-09-12T00:00:00+02:00"), "-");
  /* a channel without announcements: the latest reminder due */
  struct channel rem = {.notices = {.all_reminders = true}};
  STR_EQ(pick(&c, &ev, &rem, "2024-09-03T00:00:00+02:00"), "-");
  STR_EQ(pick(&c, &ev, &rem, "2024-09-05T00:00:00+02:00"), "reminder-7d");
  STR_EQ(pick(&c, &ev, &rem, "2024-09-10T20:00:00+02:00"), "reminder-1d");
  STR_EQ(pick(&c, &ev, &rem, "2024-09-11T18:00:00+02:00"), "reminder-2h");
  STR_EQ(pick(&c, &ev, &r1d, "2024-09-11T18:00:00+02:00"), "reminder-1d");
  STR_EQ(pick(&c, &ev, &r1d, "2024-09-10T19:14:00+02:00"), "-");
  /* cancelled events have no notices */
  ev.cancelled = true;
  INT_EQ(plan_notices(&c, &ev, &all, v, PLAN_MAX_NOTICES), 0);
  ev.cancelled = false;
  /* a DST week: event on Sunday 2024-03-31 19:00 CEST; the 7d reminder is
   * at 19:00 CET a week before, the 1d reminder at 19:00 CET on Saturday */
  ev.start = at("2024-03-31T19:00:00+02:00");
  n = plan_notices(&c, &ev, &rem, v, PLAN_MAX_NOTICES);
  INT_EQ(v[0].from, at("2024-03-24T19:00:00+01:00"));
  INT_EQ(v[1].from, at("2024-03-30T19:00:00+01:00"));
  INT_EQ(v[2].from, at("2024-03-31T17:00:00+02:00"));
  STR_EQ(pick(&c, &ev, &rem, "2024-03-30T18:59:00+01:00"), "reminder-7d");
  STR_EQ(pick(&c, &ev, &rem, "2024-03-30T19:00:00+01:00"), "reminder-1d");
  /* and in October */
  ev.start = at("2024-10-27T19:00:00+01:00");
  n = plan_notices(&c, &ev, &all, v, PLAN_MAX_NOTICES);
  INT_EQ(v[0].from, at("2024-10-06T19:00:00+02:00"));
  INT_EQ(v[2].from, at("2024-10-26T19:00:00+02:00"));
  /* a lead shorter than a reminder sorts after it */
  c.announce_lead = 3 * 86400;
  n = plan_notices(&c, &ev, &all, v, PLAN_MAX_NOTICES);
  STR_EQ(v[0].name, "reminder-7d");
  STR_EQ(v[1].name, "announce");
  return t_summary();
}

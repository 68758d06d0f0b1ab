/* Table-driven scheduling: event × now × journal history → the notices
 * sent and skipped. Covers late arrival, downtime catch-up, DST weeks,
 * min_gap, updates, cancellations and started events; postponements,
 * reinstatements, unpublished events and a clock that went back. */
#include "harness.h"

#include "config.h"
#include "journal.h"
#include "plan.h"
#include "when.h"

/* rows leave out the trailing fields they do not need */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct row {
  const char *name;
  const char *start; /* the event */
  bool cancelled;
  const char *hash; /* the event's content now ("A" or "B") */
  const char *now;
  const char *history;   /* "notice=status@time[#start];…" (status: sent,
                            failed, skipped, uncertain, sending; start: the
                            start a reminder was for) */
  const char *announced; /* the hash when announced, or NULL */
  bool update_done;
  const char *want;  /* "SEND:announce SKIP:reminder-7d WAIT:…" */
  const char *flags; /* U unpublished; c a cancellation of this
                        generation exists; r a reinstatement does */
};

static const struct row rows[] = {
    {"too early", "2024-09-11T19:15:00+02:00", false, "A",
     "2024-08-20T12:00:00+02:00", "", NULL, false, ""},
    {"announcement due", "2024-09-11T19:15:00+02:00", false, "A",
     "2024-08-21T19:15:00+02:00", "", NULL, false, "SEND:announce"},
    {"announced, nothing else due", "2024-09-11T19:15:00+02:00", false, "A",
     "2024-08-25T10:00:00+02:00", "announce=sent@2024-08-21T17:15:00Z", "A",
     false, ""},
    {"7d reminder", "2024-09-11T19:15:00+02:00", false, "A",
     "2024-09-04T19:15:00+02:00", "announce=sent@2024-08-21T17:15:00Z", "A",
     false, "SEND:reminder-7d"},
    {"downtime: 7d and 1d due, 1d wins", "2024-09-11T19:15:00+02:00", false,
     "A", "2024-09-10T20:00:00+02:00", "announce=sent@2024-08-21T17:15:00Z",
     "A", false, "SKIP:reminder-7d SEND:reminder-1d"},
    {"late file: announcement wins, reminders skipped",
     "2024-09-11T19:15:00+02:00", false, "A", "2024-09-11T16:00:00+02:00", "",
     NULL, false, "SKIP:reminder-7d SKIP:reminder-1d SEND:announce"},
    {"after a late announcement the 2h reminder is within min_gap",
     "2024-09-11T19:15:00+02:00", false, "A", "2024-09-11T17:15:00+02:00",
     "announce=sent@2024-09-11T14:00:00Z;reminder-7d=skipped@2024-09-11T14:00:"
     "00Z;"
     "reminder-1d=skipped@2024-09-11T14:00:00Z",
     "A", false, "SKIP:reminder-2h"},
    {"min_gap passed", "2024-09-11T19:15:00+02:00", false, "A",
     "2024-09-11T17:15:00+02:00",
     "announce=sent@2024-09-11T08:00:00Z;reminder-7d=skipped@2024-09-11T08:00:"
     "00Z;"
     "reminder-1d=skipped@2024-09-11T08:00:00Z",
     "A", false, "SEND:reminder-2h"},
    {"a failed reminder is tried again", "2024-09-11T19:15:00+02:00", false,
     "A", "2024-09-10T20:00:00+02:00",
     "announce=sent@2024-08-21T17:15:00Z;reminder-7d=sent@2024-09-04T17:15:00Z;"
     "reminder-1d=failed@2024-09-10T17:15:00Z",
     "A", false, "SEND:reminder-1d"},
    {"a killed run (sending) is finished", "2024-09-11T19:15:00+02:00", false,
     "A", "2024-08-22T10:00:00+02:00", "announce=sending@2024-08-21T17:15:00Z",
     NULL, false, "SEND:announce"},
    {"uncertain is not repeated", "2024-09-11T19:15:00+02:00", false, "A",
     "2024-08-22T10:00:00+02:00", "announce=uncertain@2024-08-21T17:15:00Z",
     NULL, false, ""},
    {"started: nothing", "2024-09-11T19:15:00+02:00", false, "A",
     "2024-09-11T19:15:00+02:00", "", NULL, false, ""},
    {"started long ago: nothing", "2024-09-11T19:15:00+02:00", false, "A",
     "2024-09-12T08:00:00+02:00", "announce=sent@2024-08-21T17:15:00Z", "A",
     false, ""},
    {"changed after announcing: update", "2024-09-11T19:15:00+02:00", false,
     "B", "2024-08-25T10:00:00+02:00", "announce=sent@2024-08-21T17:15:00Z",
     "A", false, "SEND:update"},
    {"update sent already", "2024-09-11T19:15:00+02:00", false, "B",
     "2024-08-25T10:00:00+02:00", "announce=sent@2024-08-21T17:15:00Z", "A",
     true, ""},
    {"changed before announcing: just announce", "2024-09-11T19:15:00+02:00",
     false, "B", "2024-08-25T10:00:00+02:00", "", NULL, false, "SEND:announce"},
    {"update and a due reminder together: one message, the update",
     "2024-09-11T19:15:00+02:00", false, "B", "2024-09-05T10:00:00+02:00",
     "announce=sent@2024-08-21T17:15:00Z", "A", false,
     "SEND:update SKIP:reminder-7d"},
    {"min_gap counts an update as a notice", "2024-09-11T19:15:00+02:00", false,
     "B", "2024-09-10T20:00:00+02:00",
     "announce=sent@2024-08-21T17:15:00Z;reminder-7d=sent@2024-09-04T17:15:00Z"
     "#2024-09-11T19:15:00+02:00;update=sent@2024-09-10T17:00:00Z",
     "A", true, "SKIP:reminder-1d"},
    /* postponed by a week after the 7d and 1d reminders went out: the
     * reminders are for the new start */
    {"postponed: the update, and the new 7d reminder is skipped with it",
     "2024-09-18T19:15:00+02:00", false, "B", "2024-09-11T20:00:00+02:00",
     "announce=sent@2024-08-21T17:15:00Z;reminder-7d=sent@2024-09-04T17:15:00Z"
     "#2024-09-11T19:15:00+02:00;reminder-1d=sent@2024-09-10T17:15:00Z"
     "#2024-09-11T19:15:00+02:00",
     "A", false, "SEND:update SKIP:reminder-7d"},
    {"postponed: after the update the new 1d reminder goes out",
     "2024-09-18T19:15:00+02:00", false, "B", "2024-09-17T19:15:00+02:00",
     "announce=sent@2024-08-21T17:15:00Z;reminder-7d=sent@2024-09-04T17:15:00Z"
     "#2024-09-11T19:15:00+02:00;reminder-1d=sent@2024-09-10T17:15:00Z"
     "#2024-09-11T19:15:00+02:00;update=sent@2024-09-08T10:00:00Z;"
     "reminder-7d=skipped@2024-09-08T10:00:00Z#2024-09-18T19:15:00+02:00",
     "A", true, "SEND:reminder-1d"},
    {"postponed: the new 2h reminder too", "2024-09-18T19:15:00+02:00", false,
     "B", "2024-09-18T17:15:00+02:00",
     "announce=sent@2024-08-21T17:15:00Z;reminder-7d=sent@2024-09-04T17:15:00Z"
     "#2024-09-11T19:15:00+02:00;reminder-1d=sent@2024-09-10T17:15:00Z"
     "#2024-09-11T19:15:00+02:00;update=sent@2024-09-08T10:00:00Z;"
     "reminder-7d=skipped@2024-09-08T10:00:00Z#2024-09-18T19:15:00+02:00;"
     "reminder-1d=sent@2024-09-17T17:15:00Z#2024-09-18T19:15:00+02:00",
     "A", true, "SEND:reminder-2h"},
    {"a reminder row from before starts were recorded counts for any start",
     "2024-09-18T19:15:00+02:00", false, "B", "2024-09-11T20:00:00+02:00",
     "announce=sent@2024-08-21T17:15:00Z;reminder-7d=sent@2024-09-04T17:15:00Z;"
     "update=sent@2024-09-08T10:00:00Z",
     "A", true, ""},
    /* cancelled, then on again */
    {"cancellation taken back: one notice that it takes place",
     "2024-09-11T19:15:00+02:00", false, "A", "2024-09-03T10:00:00+02:00",
     "announce=sent@2024-08-21T17:15:00Z;cancel=sent@2024-09-01T08:00:00Z", "A",
     false, "SEND:reinstate", "c"},
    {"taken back with a reminder due: the notice states the facts",
     "2024-09-11T19:15:00+02:00", false, "A", "2024-09-05T10:00:00+02:00",
     "announce=sent@2024-08-21T17:15:00Z;cancel=sent@2024-09-01T08:00:00Z", "A",
     false, "SEND:reinstate SKIP:reminder-7d", "c"},
    {"reinstated already", "2024-09-11T19:15:00+02:00", false, "A",
     "2024-09-03T11:00:00+02:00",
     "announce=sent@2024-08-21T17:15:00Z;cancel=sent@2024-09-01T08:00:00Z;"
     "reinstate=sent@2024-09-03T08:00:00Z",
     "A", false, "", "cr"},
    {"a cancelled event that was never announced, on again: silence",
     "2024-09-11T19:15:00+02:00", false, "A", "2024-08-10T10:00:00+02:00", "",
     NULL, false, ""},
    /* drafts */
    {"unpublished: nothing, not even when due", "2024-09-11T19:15:00+02:00",
     false, "A", "2024-08-22T10:00:00+02:00", "", NULL, false, "", "U"},
    {"announced, then unpublished: nothing, no cancellation",
     "2024-09-11T19:15:00+02:00", false, "A", "2024-09-05T10:00:00+02:00",
     "announce=sent@2024-08-21T17:15:00Z", "A", false, "", "U"},
    /* a clock behind the journal waits instead of skipping for good */
    {"clock set back: the reminder waits, nothing recorded",
     "2024-09-11T19:15:00+02:00", false, "A", "2024-09-04T20:00:00+02:00",
     "announce=sent@2024-09-06T08:00:00Z", "A", false, "WAIT:reminder-7d"},
    {"cancelled after announcing", "2024-09-11T19:15:00+02:00", true, "A",
     "2024-09-01T10:00:00+02:00", "announce=sent@2024-08-21T17:15:00Z", "A",
     false, "SEND:cancel"},
    {"cancelled, cancellation sent", "2024-09-11T19:15:00+02:00", true, "A",
     "2024-09-02T10:00:00+02:00",
     "announce=sent@2024-08-21T17:15:00Z;cancel=sent@2024-09-01T08:00:00Z", "A",
     false, ""},
    {"cancelled before announcing: silence", "2024-09-11T19:15:00+02:00", true,
     "A", "2024-09-01T10:00:00+02:00", "", NULL, false, ""},
    {"cancelled and started: nothing", "2024-09-11T19:15:00+02:00", true, "A",
     "2024-09-11T20:00:00+02:00", "announce=sent@2024-08-21T17:15:00Z", "A",
     false, ""},
    /* DST: event Sunday 2024-03-31 19:00 CEST; the 1d reminder is due at
     * 19:00 CET on Saturday, not at 18:00 */
    {"DST spring: 1d not yet at 18:30", "2024-03-31T19:00:00+02:00", false, "A",
     "2024-03-30T18:30:00+01:00",
     "announce=sent@2024-03-10T18:00:00Z;reminder-7d=sent@2024-03-24T18:00:00Z",
     "A", false, ""},
    {"DST spring: 1d at 19:00 CET", "2024-03-31T19:00:00+02:00", false, "A",
     "2024-03-30T19:00:00+01:00",
     "announce=sent@2024-03-10T18:00:00Z;reminder-7d=sent@2024-03-24T18:00:00Z",
     "A", false, "SEND:reminder-1d"},
    {"DST autumn: 7d reminder at 19:00 CEST", "2024-10-27T19:00:00+01:00",
     false, "A", "2024-10-20T19:00:00+02:00",
     "announce=sent@2024-10-06T17:00:00Z", "A", false, "SEND:reminder-7d"},
    {"DST autumn: 1 minute earlier nothing", "2024-10-27T19:00:00+01:00", false,
     "A", "2024-10-20T18:59:00+02:00", "announce=sent@2024-10-06T17:00:00Z",
     "A", false, ""},
};

static enum dstatus parse_status(const char *s, size_t n)
{
  static const char *const names[] = {"none",   "pending",   "sending", "sent",
                                      "failed", "uncertain", "skipped"};
  for (int i = 0; i < 7; i++)
    if (strlen(names[i]) == n && strncmp(names[i], s, n) == 0)
      return (enum dstatus)i;
  return DS_NONE;
}

int main(void)
{
  struct err e;
  if (when_set_zone("Europe/Berlin", &e) < 0)
    return 77;
  long reminders[] = {7 * 86400, 86400, 7200};
  struct config cfg = {.announce_lead = 21 * 86400,
                       .reminders = reminders,
                       .nreminders = 3,
                       .min_gap = 6 * 3600};
  struct channel ch = {.name = (char *)"c",
                       .notices = {.announce = true,
                                   .update = true,
                                   .cancel = true,
                                   .all_reminders = true}};
  for (size_t r = 0; r < sizeof(rows) / sizeof(*rows); r++) {
    const struct row *t = &rows[r];
    struct event ev = {
        .id = (char *)"e", .start = at(t->start), .cancelled = t->cancelled};
    snprintf(ev.hash, sizeof(ev.hash), "%s", t->hash);
    struct hist_entry hv[16];
    char notices[16][32];
    size_t hn = 0;
    time_t last = 0;
    for (const char *p = t->history; *p && hn < 16;) {
      const char *eq = strchr(p, '='), *atp = strchr(p, '@');
      const char *end = strchr(p, ';');
      if (!end)
        end = p + strlen(p);
      snprintf(notices[hn], sizeof(notices[hn]), "%.*s", (int)(eq - p), p);
      hv[hn].notice = notices[hn];
      hv[hn].status = (int)parse_status(eq + 1, (size_t)(atp - eq - 1));
      char when[80];
      snprintf(when, sizeof(when), "%.*s", (int)(end - atp - 1), atp + 1);
      char *hash = strchr(when, '#');
      hv[hn].for_start = 0;
      if (hash) {
        *hash = '\0';
        hv[hn].for_start = at(hash + 1);
      }
      hv[hn].at = at(when);
      if (hv[hn].status == DS_SENT && hv[hn].at > last)
        last = hv[hn].at;
      hn++;
      p = *end ? end + 1 : end;
    }
    const char *fl = t->flags ? t->flags : "";
    ev.unpublished = strchr(fl, 'U') != NULL;
    struct hist h = {.v = hv,
                     .n = hn,
                     .announced_hash = t->announced,
                     .update_done = t->update_done,
                     .last_sent = last,
                     .cancel_done = strchr(fl, 'c') != NULL,
                     .reinstate_done = strchr(fl, 'r') != NULL};
    /* the announced record says "cancelled" until a reinstatement */
    for (size_t k = 0; k < hn; k++)
      if (hv[k].status == DS_SENT && strcmp(hv[k].notice, "cancel") == 0)
        h.cancelled = true;
    for (size_t k = 0; k < hn; k++)
      if (hv[k].status == DS_SENT && strcmp(hv[k].notice, "reinstate") == 0)
        h.cancelled = false;
    struct planned out[16];
    size_t n = plan_channel(&cfg, &ev, &ch, at(t->now), &h, out, 16);
    struct buf got = BUF_INIT;
    for (size_t k = 0; k < n; k++)
      buf_addf(&got, "%s%s:%s", k ? " " : "",
               out[k].act == PLAN_SEND   ? "SEND"
               : out[k].act == PLAN_SKIP ? "SKIP"
                                         : "WAIT",
               out[k].notice);
    OK(strcmp(got.data, t->want) == 0, "%s\n  got:  %s\n  want: %s", t->name,
       got.data, t->want);
    for (size_t k = 0; k < n; k++)
      OK(out[k].act == PLAN_SEND || out[k].reason, "%s: a skip has a reason",
         t->name);
    buf_release(&got);
  }
  return t_summary();
}

#include "plan.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "journal.h"
#include "util.h"
#include "when.h"

static const char *const kind_names[] = {[NOTICE_ANNOUNCE] = "announce",
                                         [NOTICE_REMINDER] = "reminder",
                                         [NOTICE_UPDATE] = "update",
                                         [NOTICE_CANCEL] = "cancel",
                                         [NOTICE_REINSTATE] = "reinstate"};

int notice_kind_of(const char *notice)
{
  if (strncmp(notice, "reminder-", 9) == 0)
    return NOTICE_REMINDER;
  for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++)
    if (strcmp(notice, kind_names[i]) == 0)
      return (int)i;
  return -1;
}

const char *notice_kind_name(enum notice_kind k)
{
  return kind_names[k];
}

void plan_times(const struct config *cfg, const struct event *ev,
                struct plan_times *t)
{
  t->n = 0;
  if (ev->cancelled)
    return;
  snprintf(t->v[t->n].name, sizeof(t->v[t->n].name), "announce");
  t->v[t->n++].from = when_before(ev->start, cfg->announce_lead);
  struct buf name = BUF_INIT;
  for (size_t i = 0; i < cfg->nreminders && t->n < PLAN_MAX_NOTICES; i++) {
    buf_reset(&name);
    buf_adds(&name, "reminder-");
    when_format_duration(cfg->reminders[i], &name);
    snprintf(t->v[t->n].name, sizeof(t->v[t->n].name), "%s", name.data);
    t->v[t->n++].from = when_before(ev->start, cfg->reminders[i]);
  }
  buf_release(&name);
  /* earliest first (an announce lead shorter than a reminder sorts after);
   * stable, so that a channel's notices keep the order they had */
  for (size_t a = 1; a < t->n; a++)
    for (size_t b = a; b > 0 && t->v[b - 1].from > t->v[b].from; b--) {
      struct notice_time x = t->v[b];
      t->v[b] = t->v[b - 1];
      t->v[b - 1] = x;
    }
}

size_t plan_notices_at(const struct plan_times *t, const struct channel *ch,
                       struct notice_time *out, size_t max)
{
  size_t n = 0;
  for (size_t i = 0; i < t->n && n < max; i++)
    if (channel_takes(ch, t->v[i].name))
      out[n++] = t->v[i];
  return n;
}

time_t plan_send_time(const struct config *cfg, const struct event *ev,
                      const char *notice, time_t now)
{
  long off = -1;
  if (strcmp(notice, "announce") == 0) {
    off = cfg->announce_lead;
  } else if (strncmp(notice, "reminder-", 9) == 0) {
    struct err e;
    if (when_parse_duration(notice + 9, &off, &e) < 0)
      off = -1;
  }
  if (off < 0)
    return now;
  time_t due = when_before(ev->start, off);
  return now < due || now >= ev->start ? due : now;
}

size_t plan_notices(const struct config *cfg, const struct event *ev,
                    const struct channel *ch, struct notice_time *out,
                    size_t max)
{
  struct plan_times t;
  plan_times(cfg, ev, &t);
  return plan_notices_at(&t, ch, out, max);
}

/* Whether notice is finished for good. A reminder counts only for the
 * start it was sent for (rows without a start predate that rule: any). */
static bool done(const struct hist *h, const char *notice, time_t start)
{
  bool reminder = notice_kind_of(notice) == NOTICE_REMINDER;
  for (size_t i = 0; i < h->n; i++)
    if (strcmp(h->v[i].notice, notice) == 0 &&
        dstatus_final((enum dstatus)h->v[i].status) &&
        (!reminder || !h->v[i].for_start || h->v[i].for_start == start))
      return true;
  return false;
}

static size_t add(struct planned *out, size_t n, size_t max, const char *notice,
                  enum plan_act act, const char *reason)
{
  if (n >= max)
    return n;
  snprintf(out[n].notice, sizeof(out[n].notice), "%.31s", notice);
  out[n].act = act;
  out[n].reason = reason;
  return n + 1;
}

size_t plan_channel_at(const struct config *cfg, const struct event *ev,
                       const struct plan_times *t, const struct channel *ch,
                       time_t now, const struct hist *h, struct planned *out,
                       size_t max)
{
  size_t n = 0;
  if (now >= ev->start || ev->unpublished)
    return 0;
  bool announced = h->announced_hash != NULL;
  if (ev->cancelled) {
    if (announced && !h->cancelled && !h->cancel_done &&
        channel_takes(ch, "cancel"))
      n = add(out, n, max, "cancel", PLAN_SEND, NULL);
    return n;
  }
  /* a notice that states the facts: a reminder due with it is skipped */
  const char *facts = NULL;
  if (announced && h->cancelled) {
    /* cancelled, announced, and now on again */
    if (!h->reinstate_done && channel_takes(ch, "cancel"))
      n = add(out, n, max, facts = "reinstate", PLAN_SEND, NULL);
  } else if (announced && strcmp(h->announced_hash, event_hash(ev)) != 0 &&
             !h->update_done && channel_takes(ch, "update")) {
    n = add(out, n, max, facts = "update", PLAN_SEND, NULL);
  }
  struct notice_time v[PLAN_MAX_NOTICES];
  size_t nv = plan_notices_at(t, ch, v, PLAN_MAX_NOTICES);
  const struct notice_time *pick = NULL;
  bool announce_due = false;
  for (size_t i = 0; i < nv; i++) {
    if (v[i].from > now || done(h, v[i].name, ev->start))
      continue;
    if (strcmp(v[i].name, "announce") == 0) {
      if (announced)
        continue; /* announced under another content: the update tells */
      announce_due = true;
      pick = &v[i];
    } else if (!announce_due && (!pick || v[i].from > pick->from)) {
      pick = &v[i];
    }
  }
  if (!pick)
    return n;
  if (!announce_due && h->last_sent > now)
    /* the clock is behind the journal (set back, or --now in the past):
     * wait rather than record a skip that could never be undone */
    return add(out, n, max, pick->name, PLAN_WAIT,
               "the clock is behind the last recorded notice");
  for (size_t i = 0; i < nv; i++) {
    if (v[i].from > now || done(h, v[i].name, ev->start) || &v[i] == pick ||
        (announced && strcmp(v[i].name, "announce") == 0))
      continue;
    n = add(out, n, max, v[i].name, PLAN_SKIP,
            announce_due ? "the announcement goes out instead"
                         : "a later reminder goes out instead");
  }
  if (facts)
    return add(out, n, max, pick->name, PLAN_SKIP,
               strcmp(facts, "update") == 0
                   ? "the update goes out instead"
                   : "the notice that it takes place goes out instead");
  if (!announce_due && h->last_sent && now - h->last_sent < cfg->min_gap)
    return add(out, n, max, pick->name, PLAN_SKIP,
               "too soon after the previous notice (schedule.min_gap)");
  return add(out, n, max, pick->name, PLAN_SEND, NULL);
}

size_t plan_channel(const struct config *cfg, const struct event *ev,
                    const struct channel *ch, time_t now, const struct hist *h,
                    struct planned *out, size_t max)
{
  struct plan_times t;
  plan_times(cfg, ev, &t);
  return plan_channel_at(cfg, ev, &t, ch, now, h, out, max);
}

time_t plan_next_at(const struct config *cfg, const struct event *ev,
                    const struct plan_times *t, const struct channel *ch,
                    time_t now, const struct hist *h, char name[32])
{
  struct notice_time v[PLAN_MAX_NOTICES];
  size_t nv = plan_notices_at(t, ch, v, PLAN_MAX_NOTICES);
  /* the candidates are the moments notices become due, earliest first */
  for (size_t i = 0; i < nv; i++) {
    if (v[i].from <= now || v[i].from >= ev->start)
      continue;
    struct planned out[PLAN_MAX_NOTICES + 2];
    size_t n =
        plan_channel_at(cfg, ev, t, ch, v[i].from, h, out, ARRAY_SIZE(out));
    for (size_t k = 0; k < n; k++)
      if (out[k].act == PLAN_SEND) {
        snprintf(name, 32, "%s", out[k].notice);
        return v[i].from;
      }
  }
  return 0;
}

time_t plan_next(const struct config *cfg, const struct event *ev,
                 const struct channel *ch, time_t now, const struct hist *h,
                 char name[32])
{
  struct plan_times t;
  plan_times(cfg, ev, &t);
  return plan_next_at(cfg, ev, &t, ch, now, h, name);
}

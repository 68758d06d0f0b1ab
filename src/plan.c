#include "plan.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "when.h"

size_t plan_notices(const struct config *cfg, const struct event *ev,
                    const struct channel *ch, struct notice_time *out,
                    size_t max)
{
  size_t n = 0;
  if (ev->cancelled || max == 0)
    return 0;
  if (channel_takes(ch, "announce")) {
    snprintf(out[n].name, sizeof(out[n].name), "announce");
    out[n++].from = when_before(ev->start, cfg->announce_lead);
  }
  for (size_t i = 0; i < cfg->nreminders && n < max; i++) {
    struct buf name = BUF_INIT;
    buf_adds(&name, "reminder-");
    when_format_duration(cfg->reminders[i], &name);
    if (channel_takes(ch, name.data)) {
      snprintf(out[n].name, sizeof(out[n].name), "%s", name.data);
      out[n++].from = when_before(ev->start, cfg->reminders[i]);
    }
    buf_release(&name);
  }
  /* earliest first (an announce lead shorter than a reminder sorts after) */
  for (size_t a = 1; a < n; a++)
    for (size_t b = a; b > 0 && out[b - 1].from > out[b].from; b--) {
      struct notice_time t = out[b];
      out[b] = out[b - 1];
      out[b - 1] = t;
    }
  return n;
}

const struct notice_time *plan_pick(const struct notice_time *v, size_t n,
                                    time_t now, time_t start)
{
  const struct notice_time *best = NULL;
  if (now >= start)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    if (v[i].from > now)
      continue;
    if (strcmp(v[i].name, "announce") == 0)
      return &v[i];
    if (!best || v[i].from > best->from)
      best = &v[i];
  }
  return best;
}

/* sent, skipped and uncertain are final; failed and sending are retried */
static bool done(const struct hist *h, const char *notice)
{
  for (size_t i = 0; i < h->n; i++)
    if (strcmp(h->v[i].notice, notice) == 0 &&
        (h->v[i].status == 3 || h->v[i].status == 5 || h->v[i].status == 6))
      return true;
  return false;
}

static size_t add(struct planned *out, size_t n, size_t max,
                  const char *notice, enum plan_act act, const char *reason)
{
  if (n >= max)
    return n;
  snprintf(out[n].notice, sizeof(out[n].notice), "%.31s", notice);
  out[n].act = act;
  out[n].reason = reason;
  return n + 1;
}

size_t plan_channel(const struct config *cfg, const struct event *ev,
                    const struct channel *ch, time_t now,
                    const struct hist *h, struct planned *out, size_t max)
{
  size_t n = 0;
  if (now >= ev->start)
    return 0;
  bool announced = h->announced_hash != NULL;
  if (ev->cancelled) {
    if (announced && !h->cancelled && channel_takes(ch, "cancel") &&
        !done(h, "cancel"))
      n = add(out, n, max, "cancel", PLAN_SEND, NULL);
    return n;
  }
  if (announced && strcmp(h->announced_hash, ev->hash) != 0 &&
      !h->update_done && channel_takes(ch, "update"))
    n = add(out, n, max, "update", PLAN_SEND, NULL);
  struct notice_time v[PLAN_MAX_NOTICES];
  size_t nv = plan_notices(cfg, ev, ch, v, PLAN_MAX_NOTICES);
  const struct notice_time *pick = NULL;
  bool announce_due = false;
  for (size_t i = 0; i < nv; i++) {
    if (v[i].from > now || done(h, v[i].name))
      continue;
    if (strcmp(v[i].name, "announce") == 0) {
      announce_due = true;
      pick = &v[i];
    } else if (!announce_due && (!pick || v[i].from > pick->from)) {
      pick = &v[i];
    }
  }
  if (!pick)
    return n;
  for (size_t i = 0; i < nv; i++) {
    if (v[i].from > now || done(h, v[i].name) || &v[i] == pick)
      continue;
    n = add(out, n, max, v[i].name, PLAN_SKIP,
            announce_due ? "the announcement goes out instead"
                         : "a later reminder goes out instead");
  }
  if (!announce_due && h->last_sent &&
      now - h->last_sent < cfg->min_gap)
    return add(out, n, max, pick->name, PLAN_SKIP,
               "too soon after the previous notice (schedule.min_gap)");
  return add(out, n, max, pick->name, PLAN_SEND, NULL);
}

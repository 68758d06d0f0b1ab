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

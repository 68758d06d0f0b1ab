#include "chan.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct chan_ops *chan_ops_for(enum chan_type t)
{
  static const struct chan_ops *const all[] = {
      &chan_matrix_ops, &chan_github_ops, &chan_mail_ops, &chan_meetup_ops,
      &chan_webhook_ops};
  for (size_t i = 0; i < ARRAY_SIZE(all); i++)
    if (all[i]->type == t)
      return all[i];
  return NULL;
}

enum step chan_fail(struct http_task *t, const struct http_resp *r,
                    const char *what)
{
  struct buf b = BUF_INIT;
  buf_addf(&b, "%s: ", what);
  http_describe(r, &b);
  snprintf(t->error, sizeof(t->error), "%s", b.data);
  buf_release(&b);
  t->config_error = http_config_error(r);
  return http_temporary(r) ? STEP_RETRY : STEP_FAIL;
}

void chan_save_state(struct delivery *d)
{
  if (!d->ctx->journal || !d->state)
    return;
  char *s = json_dumps(d->state, JSON_COMPACT | JSON_SORT_KEYS);
  struct err e;
  if (s && journal_set_state(d->ctx->journal, d->key, s, &e) < 0)
    log_msg(LOG_WARNING, "%s", e.msg);
  free(s);
}

json_t *chan_json(const struct http_resp *r)
{
  if (!r->body.len)
    return NULL;
  return json_loadb(r->body.data, r->body.len, 0, NULL);
}

void chan_user_agent(struct http_req *req)
{
  http_req_header(req, "User-Agent: crier/%s", CRIER_VERSION);
}

const char *chan_first_state(const struct delivery *d, const char *key)
{
  return json_string_value(
      json_object_get(json_object_get(d->first, "state"), key));
}

const char *chan_first_remote_id(const struct delivery *d)
{
  const char *v = json_string_value(json_object_get(d->first, "remote_id"));
  return v && *v ? v : NULL;
}

void chan_content_language(const struct delivery *d, char *out, size_t n)
{
  /* "de+en" → "de, en" */
  size_t k = 0;
  for (const char *p = d->lang; *p && k + 3 < n; p++) {
    if (*p == '+') {
      out[k++] = ',';
      out[k++] = ' ';
    } else {
      out[k++] = *p;
    }
  }
  out[k] = '\0';
}

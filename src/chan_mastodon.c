/* Mastodon: a status per notice through the client API, as plain text (the
 * server links URLs and hashtags itself). The announcement is posted with
 * Idempotency-Key = the delivery key, which the server remembers for about
 * an hour: a repeat within that time returns the first status (after that
 * the journal is the only memory, so a delivery a stopped run left
 * 'sending' longer ago ends 'uncertain'). Reminders, cancellations and
 * reinstatements reply to the announcement (a thread); an update edits
 * the announcement (PUT, Mastodon 3.5 and later) to show the new facts,
 * and where the server cannot edit it replies with the update instead.
 *
 * The text must fit the instance's limit, configuration.statuses.
 * max_characters of GET /api/v2/instance (read once per run, unless
 * max_characters is configured; 500 when the instance does not say),
 * counted as Mastodon counts: grapheme clusters, each link as
 * characters_reserved_per_url (23). */
#include "chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xalloc.h"

enum { INSTANCE, POST, EDIT, REPLY_INSTEAD, POST_ALONE };

#define MASTODON_DEFAULT_MAX 500
#define MASTODON_URL_CHARS 23

struct mastodon_conf {
  char *instance, *visibility;
  struct secret_ref access_token;
  struct strlist hashtags;
  long max_characters; /* 0: ask the instance */
};

#define MF(k, kind, m, flags, def)                                             \
  CFG_FIELD(k, kind, struct mastodon_conf, m, flags, def)
static const struct cfg_field fields[] = {
    MF("instance", CFG_ENDPOINT, instance, CFG_REQUIRED, NULL),
    MF("access_token", CFG_SECRET, access_token, CFG_REQUIRED, NULL),
    MF("visibility", CFG_STR, visibility, 0, "public"),
    MF("hashtags", CFG_LIST, hashtags, CFG_TEMPLATE, NULL),
    MF("max_characters", CFG_INT, max_characters, 0, NULL),
    CFG_END};

/* What one run's deliveries share: the instance's limits. */
struct mastodon_ctx {
  long max_chars; /* 0: not known yet */
  long url_chars;
};

#define CONF(d) CHAN_CONF(struct mastodon_conf, (d)->ctx->ch)

static int check(const struct cfg_check *k, struct channel *ch)
{
  struct mastodon_conf *m = ch->conf;
  static const char *const vis[] = {"public", "unlisted", "private", "direct"};
  bool known = false;
  for (size_t i = 0; i < ARRAY_SIZE(vis); i++)
    known |= m->visibility && strcmp(m->visibility, vis[i]) == 0;
  if (!known)
    return cfg_error(k, "visibility",
                     "'visibility' must be public, unlisted, private or "
                     "direct, not '%s'",
                     m->visibility);
  return chan_hashtags(k, "hashtags", &m->hashtags);
}

static int prepare(struct chan_ctx *c, struct err *e)
{
  const struct mastodon_conf *m = c->ch->conf;
  if (!http_url_allowed(m->instance))
    return err_set(e, EX_CONFIG,
                   "channel '%s': the instance must be https:// (http only "
                   "to a loopback address)",
                   c->ch->name);
  return 0;
}

/* Mastodon's count with links as url_chars characters. */
static size_t count(const char *text, long url_chars)
{
  struct buf b = BUF_INIT;
  for (const char *p = text; *p;) {
    size_t n = chan_link_len(text, p);
    if (n) {
      for (long i = 0; i < url_chars; i++)
        buf_addc(&b, 'x');
      p += n;
      continue;
    }
    buf_addc(&b, *p++);
  }
  size_t n = utf8_graphemes(b.data);
  buf_release(&b);
  return n;
}

static size_t text_length(const char *text)
{
  return count(text, MASTODON_URL_CHARS);
}

static size_t text_limit(const struct channel *ch)
{
  const struct mastodon_conf *m = ch->conf;
  return m->max_characters ? (size_t)m->max_characters : MASTODON_DEFAULT_MAX;
}

static void api(struct delivery *d, struct http_req *req, const char *path)
{
  chan_url(req, CONF(d)->instance, path);
  http_req_header(req, "Authorization: Bearer %s",
                  chan_secret(d->ctx, &CONF(d)->access_token)->data);
  http_req_header(req, "Accept: application/json");
  chan_user_agent(req);
  req->serial = d->ctx->serial;
}

/* The status's language: the first of the delivery's. */
static void language(const struct delivery *d, char out[8])
{
  size_t n = strcspn(d->lang, "+");
  snprintf(out, 8, "%.*s", (int)(n < 7 ? n : 7), d->lang);
}

/* The status the announcement became, if known. */
static const char *announced(const struct delivery *d)
{
  return chan_announced(d, "status_id");
}

/* POST /api/v1/statuses: text, replying to parent (may be NULL). */
static void post(struct delivery *d, struct http_req *req, const char *text,
                 const char *parent, int phase)
{
  char lang[8];
  language(d, lang);
  api(d, req, "/api/v1/statuses");
  req->method = HTTP_POST;
  http_req_header(req, "Content-Type: application/json");
  http_req_header(req, "Idempotency-Key: %s", d->key);
  json_t *o = json_pack("{s:s, s:s, s:s}", "status", text, "visibility",
                        CONF(d)->visibility, "language", lang);
  if (parent)
    json_object_set_new(o, "in_reply_to_id", json_string(parent));
  chan_json_body(req, o);
  d->phase = phase;
}

/* PUT /api/v1/statuses/:id with the announcement as it reads now. */
static void edit(struct delivery *d, struct http_req *req, const char *id)
{
  char lang[8];
  language(d, lang);
  struct buf p = BUF_INIT;
  buf_adds(&p, "/api/v1/statuses/");
  http_escape(&p, id);
  api(d, req, p.data);
  buf_release(&p);
  req->method = HTTP_PUT;
  http_req_header(req, "Content-Type: application/json");
  const char *text =
      d->announcement.markdown ? d->announcement.markdown : d->msg.markdown;
  chan_json_body(req,
                 json_pack("{s:s, s:s}", "status", text, "language", lang));
  d->phase = EDIT;
}

/* The text a step sends, measured against the instance's limit; -1 with
 * the task's error set when it does not fit. */
static int fits(struct http_task *t, struct delivery *d, const char *text)
{
  const struct mastodon_ctx *mc = d->ctx->priv;
  long limit = CONF(d)->max_characters ? CONF(d)->max_characters
               : mc->max_chars         ? mc->max_chars
                                       : MASTODON_DEFAULT_MAX;
  size_t n = count(text, mc->url_chars ? mc->url_chars : MASTODON_URL_CHARS);
  if ((long)n <= limit)
    return 0;
  snprintf(t->error, sizeof(t->error),
           "the status has %zu characters, more than the instance's %ld: "
           "shorten the event's title or the mastodon %s template",
           n, limit, notice_kind(d->notice));
  return -1;
}

/* The request that carries the notice. */
static enum step carry(struct http_task *t, struct delivery *d,
                       struct http_req *req)
{
  const char *parent = d->kind == NOTICE_ANNOUNCE ? NULL : announced(d);
  if (d->kind == NOTICE_UPDATE && parent) {
    const char *text =
        d->announcement.markdown ? d->announcement.markdown : d->msg.markdown;
    if (fits(t, d, text) < 0)
      return STEP_FAIL;
    edit(d, req, parent);
    return STEP_SEND;
  }
  if (fits(t, d, d->msg.markdown) < 0)
    return STEP_FAIL;
  post(d, req, d->msg.markdown, parent, POST);
  return STEP_SEND;
}

static void take_status(struct delivery *d, json_t *j)
{
  const char *id = json_string_value(json_object_get(j, "id"));
  const char *url = json_string_value(json_object_get(j, "url"));
  snprintf(d->remote_id, sizeof(d->remote_id), "%s", id);
  snprintf(d->url, sizeof(d->url), "%s", url ? url : "");
  json_object_set_new(d->state, "status_id", json_string(id));
}

/* The instance's limits from GET /api/v2/instance (or its defaults). */
static void take_instance(struct delivery *d, json_t *j)
{
  struct mastodon_ctx *mc = d->ctx->priv;
  json_t *st = json_object_get(json_object_get(j, "configuration"), "statuses");
  json_int_t max = json_integer_value(json_object_get(st, "max_characters"));
  json_int_t url =
      json_integer_value(json_object_get(st, "characters_reserved_per_url"));
  mc->max_chars = max > 0 ? (long)max : MASTODON_DEFAULT_MAX;
  mc->url_chars = url > 0 ? (long)url : MASTODON_URL_CHARS;
}

static enum step step(struct http_task *t, const struct http_resp *prev,
                      struct http_req *req)
{
  struct delivery *d = task_delivery(t);
  const struct mastodon_ctx *mc = d->ctx->priv;
  if (!prev) {
    if (CONF(d)->max_characters || mc->max_chars)
      return carry(t, d, req);
    api(d, req, "/api/v2/instance");
    req->method = HTTP_GET;
    d->phase = INSTANCE;
    return STEP_SEND;
  }
  json_t *j = chan_json(prev);
  bool ok = chan_ok(prev);
  enum step r = STEP_FAIL;
  switch (d->phase) {
  case INSTANCE:
    if (ok || (prev->code == CURLE_OK && prev->status == 404)) {
      take_instance(d, j); /* an instance before 4.0: the defaults */
      r = carry(t, d, req);
    } else {
      r = chan_fail(t, prev, "reading the instance's limits");
    }
    break;
  case POST:
  case REPLY_INSTEAD:
  case POST_ALONE:
    if (ok && json_is_string(json_object_get(j, "id"))) {
      take_status(d, j);
      r = STEP_DONE;
    } else if (ok) {
      snprintf(t->error, sizeof(t->error),
               "posting: no status id in the "
               "answer");
    } else if (prev->code == CURLE_OK && prev->status == 404 &&
               d->phase != POST_ALONE && d->kind != NOTICE_ANNOUNCE) {
      /* the status it replies to is gone: a status of its own */
      post(d, req, d->msg.markdown, NULL, POST_ALONE);
      r = STEP_SEND;
    } else {
      r = chan_fail(t, prev,
                    prev->status == 401 ? "posting (check the access token; "
                                          "it needs write:statuses)"
                                        : "posting");
    }
    break;
  case EDIT:
    if (ok && json_is_string(json_object_get(j, "id"))) {
      take_status(d, j);
      r = STEP_DONE;
    } else if (prev->code == CURLE_OK &&
               (prev->status == 404 || prev->status == 405 ||
                prev->status == 501)) {
      /* no editing here (before 3.5), or the status is gone: the update
       * as a reply */
      if (fits(t, d, d->msg.markdown) < 0)
        break;
      post(d, req, d->msg.markdown, announced(d), REPLY_INSTEAD);
      r = STEP_SEND;
    } else {
      r = chan_fail(t, prev, "editing the announcement");
    }
    break;
  }
  json_decref(j);
  return r;
}

static void dry(struct delivery *d, struct http_req *req)
{
  const char *parent = d->kind == NOTICE_ANNOUNCE ? NULL : announced(d);
  if (d->kind == NOTICE_UPDATE)
    edit(d, req, parent ? parent : "(the announcement's id)");
  else
    post(d, req, d->msg.markdown, parent, POST);
}

const struct chan_type chan_mastodon = {
    .name = "mastodon",
    .label = "Mastodon",
    .fields = fields,
    .conf_size = sizeof(struct mastodon_conf),
    .check = check,
    .format = CHAN_PLAIN,
    .text_max = MASTODON_DEFAULT_MAX,
    .text_length = text_length,
    .text_limit = text_limit,
    .update_shows_announcement = true,
    .idem = IDEM_KEY,
    .key_window = 3600, /* the server keeps an Idempotency-Key an hour */
    .ctx_size = sizeof(struct mastodon_ctx),
    .prepare = prepare,
    .step = step,
    .dry = dry};

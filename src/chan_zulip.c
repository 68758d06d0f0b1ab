/* Zulip: every notice of an event in one topic of a stream (a channel),
 * through the REST API with the bot's e-mail address and API key (HTTP
 * Basic). The topic is the event's title and date ("Glühwein & Traits ·
 * 2030-12-04"), at most 60 characters (the title is shortened to fit,
 * never the date), and the announcement's topic is kept for every later
 * notice. POST /api/v1/messages (type stream) sends, PATCH
 * /api/v1/messages/{id} edits: an update edits the announcement to show
 * the new facts.
 *
 * The text is Zulip's Markdown. Zulip reads no backslash escapes, but it
 * reads HTML entities (its own code escapes topic names in links so): a
 * field's &, <, >, quotes and the characters that format, link or mention
 * (* ` ~ [ ] $) are written as entities. At most 10,000 characters.
 *
 * Zulip keeps no key for a message, but a bot may read its own messages:
 * every message carries its delivery key as an invisible marker
 * (chan_marker), and before sending crier reads the bot's last 100
 * messages in the topic (narrow: stream, topic, sender) for it, so neither
 * a retry, a killed run nor a lost journal sends twice. Rate limits from
 * X-RateLimit-* and 429's Retry-After (http.c). */
#include "chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secret.h"
#include "tpl.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

enum { LOOKUP, SEND, EDIT };

#define ZULIP_MAX 10000 /* characters of a message */
#define ZULIP_TOPIC_MAX 60

struct zulip_conf {
  char *site, *email, *stream;
  struct secret_ref api_key;
};

#define ZF(k, kind, m, flags, def)                                             \
  CFG_FIELD(k, kind, struct zulip_conf, m, flags, def)
static const struct cfg_field fields[] = {
    ZF("site", CFG_ENDPOINT, site, CFG_REQUIRED, NULL),
    ZF("email", CFG_STR, email, CFG_REQUIRED, NULL),
    ZF("api_key", CFG_SECRET, api_key, CFG_REQUIRED, NULL),
    ZF("stream", CFG_STR, stream, CFG_REQUIRED, NULL), CFG_END};

struct zulip_ctx {
  struct buf basic; /* base64 of email:api_key (a secret) */
};

struct zulip_delivery {
  char topic[256];
  bool edit;
};

#define CONF(d) CHAN_CONF(struct zulip_conf, (d)->ctx->ch)

static int prepare(struct chan_ctx *c, struct err *e)
{
  const struct zulip_conf *z = c->ch->conf;
  struct zulip_ctx *x = c->priv;
  buf_init(&x->basic);
  if (!http_url_allowed(z->site))
    return err_set(e, EX_CONFIG,
                   "channel '%s': the site must be https:// (http only to a "
                   "loopback address)",
                   c->ch->name);
  struct buf pair = BUF_INIT;
  buf_addf(&pair, "%s:%s", z->email, chan_secret(c, &z->api_key)->data);
  buf_add_base64(&x->basic, pair.data, pair.len, false);
  secret_wipe(&pair);
  secret_register(x->basic.data, x->basic.len);
  return 0;
}

static void ctx_release(struct chan_ctx *c)
{
  struct zulip_ctx *x = c->priv;
  secret_wipe(&x->basic);
}

/* Zulip's Markdown: what formats, links or quotes, as HTML entities (the
 * HTML ones, and numeric ones for Markdown's). */
static void escape(struct buf *out, const char *s, size_t n)
{
  size_t from = 0;
  for (size_t i = 0; i < n; i++) {
    if (!s[i] || !strchr("*`~[]$", s[i]))
      continue;
    tpl_escape_html(out, s + from, i - from);
    buf_addf(out, "&#%d;", s[i]);
    from = i + 1;
  }
  tpl_escape_html(out, s + from, n - from);
}

/* The event's topic: its title and date, the title shortened (with "…")
 * to fit Zulip's 60 characters. */
static void topic_of(const struct delivery *d, char *out, size_t size)
{
  struct tm tm;
  when_local_in(d->ev->tz, d->ev->start, &tm);
  char date[32];
  snprintf(date, sizeof(date), " · %04d-%02d-%02d", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday);
  size_t room = ZULIP_TOPIC_MAX - utf8_len(date);
  const char *title = d->ev->title;
  size_t n = utf8_prefix(title, room);
  if (title[n]) /* too long: room for the ellipsis */
    n = utf8_prefix(title, room - 1);
  while (n && title[n - 1] == ' ')
    n--;
  snprintf(out, size, "%.*s%s%s", (int)n, title, title[n] ? "…" : "", date);
}

static void api(struct delivery *d, struct http_req *req, const char *path)
{
  const struct zulip_ctx *x = d->ctx->priv;
  chan_url(req, CONF(d)->site, path);
  http_req_header(req, "Authorization: Basic %s",
                  x->basic.len ? x->basic.data : "(email:api_key)");
  http_req_header(req, "Accept: application/json");
  chan_user_agent(req);
  req->serial = d->ctx->serial;
}

static void form(struct buf *b, const char *key, const char *value)
{
  if (b->len)
    buf_addc(b, '&');
  buf_adds(b, key);
  buf_addc(b, '=');
  http_escape(b, value);
}

/* The message's text with its marker. */
static void content(const struct delivery *d, struct buf *out)
{
  const struct zulip_delivery *zd = d->priv;
  buf_adds(out, zd->edit && d->announcement.markdown ? d->announcement.markdown
                                                     : d->msg.markdown);
  chan_marker(d->key, out);
}

static void lookup(struct delivery *d, struct http_req *req)
{
  struct zulip_delivery *zd = d->priv;
  json_t *narrow =
      json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "operator", "stream",
                "operand", CONF(d)->stream, "operator", "topic", "operand",
                zd->topic, "operator", "sender", "operand", CONF(d)->email);
  char *n = json_dumps(narrow, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(narrow);
  api(d, req,
      "/api/v1/messages?anchor=newest&num_before=100&num_after=0"
      "&apply_markdown=false&narrow=");
  http_escape(&req->url, n);
  free(n);
  req->method = HTTP_GET;
  d->phase = LOOKUP;
}

static void send_message(struct delivery *d, struct http_req *req)
{
  struct zulip_delivery *zd = d->priv;
  api(d, req, "/api/v1/messages");
  req->method = HTTP_POST;
  http_req_header(req, "Content-Type: application/x-www-form-urlencoded");
  struct buf c = BUF_INIT;
  content(d, &c);
  form(&req->body, "type", "stream");
  form(&req->body, "to", CONF(d)->stream);
  form(&req->body, "topic", zd->topic);
  form(&req->body, "content", c.data);
  buf_release(&c);
  d->phase = SEND;
}

static void edit(struct delivery *d, struct http_req *req, const char *id)
{
  struct buf p = BUF_INIT;
  buf_adds(&p, "/api/v1/messages/");
  http_escape(&p, id);
  api(d, req, p.data);
  buf_release(&p);
  req->method = HTTP_PATCH;
  http_req_header(req, "Content-Type: application/x-www-form-urlencoded");
  struct buf c = BUF_INIT;
  content(d, &c);
  form(&req->body, "content", c.data);
  buf_release(&c);
  d->phase = EDIT;
}

/* The announcement's message, if known. */
static const char *announced(const struct delivery *d)
{
  return chan_announced(d, "message_id");
}

static void take(struct delivery *d, const char *id)
{
  struct zulip_delivery *zd = d->priv;
  const char *s = CONF(d)->site;
  size_t n = strlen(s);
  while (n && s[n - 1] == '/')
    n--;
  snprintf(d->remote_id, sizeof(d->remote_id), "%s", id);
  snprintf(d->url, sizeof(d->url), "%.*s/#narrow/id/%s", (int)n, s, id);
  json_object_set_new(d->state, "message_id", json_string(id));
  json_object_set_new(d->state, "topic", json_string(zd->topic));
}

static int fits(struct http_task *t, struct delivery *d)
{
  struct buf c = BUF_INIT;
  content(d, &c);
  int rc = chan_fits(t, d, c.data);
  buf_release(&c);
  return rc;
}

/* Zulip's word for a failure: {"result": "error", "msg", "code"}. */
static enum step failed(struct http_task *t, const struct http_resp *r,
                        json_t *j, const char *what)
{
  const char *code = json_string_value(json_object_get(j, "code"));
  enum step s = chan_fail(
      t, r,
      r->status == 401 ? "Zulip refused the login (check email and api_key)"
                       : what);
  if (s == STEP_FAIL && r->code == CURLE_OK &&
      (r->status == 401 || r->status == 403 ||
       (code && (strcmp(code, "STREAM_DOES_NOT_EXIST") == 0 ||
                 strcmp(code, "UNAUTHORIZED_PRINCIPAL") == 0))))
    t->config_error = true;
  return s;
}

/* The delivery's message among the bot's in the topic: by its marker. */
static const char *find(const struct delivery *d, json_t *messages, char *id,
                        size_t n)
{
  size_t i;
  json_t *m;
  json_array_foreach(messages, i, m)
  {
    const char *text = json_string_value(json_object_get(m, "content"));
    json_int_t mid = json_integer_value(json_object_get(m, "id"));
    if (mid && chan_marker_in(text, d->key)) {
      snprintf(id, n, "%lld", (long long)mid);
      return id;
    }
  }
  return NULL;
}

static enum step step(struct http_task *t, const struct http_resp *prev,
                      struct http_req *req)
{
  struct delivery *d = task_delivery(t);
  struct zulip_delivery *zd = d->priv;
  if (!prev) {
    const char *topic = chan_first_state(d, "topic");
    if (topic && d->kind != NOTICE_ANNOUNCE)
      snprintf(zd->topic, sizeof(zd->topic), "%s", topic);
    else
      topic_of(d, zd->topic, sizeof(zd->topic));
    zd->edit = d->kind == NOTICE_UPDATE && announced(d);
    if (fits(t, d) < 0)
      return STEP_FAIL;
    if (zd->edit)
      edit(d, req, announced(d));
    else
      lookup(d, req);
    return STEP_SEND;
  }
  json_t *j = chan_json(prev);
  const char *result = json_string_value(json_object_get(j, "result"));
  bool ok = chan_ok(prev) && result && strcmp(result, "success") == 0;
  enum step r = STEP_FAIL;
  char id[32];
  switch (d->phase) {
  case LOOKUP:
    if (ok && find(d, json_object_get(j, "messages"), id, sizeof(id))) {
      take(d, id); /* sent before: found, not sent again */
      r = STEP_DONE;
    } else if (ok) {
      send_message(d, req);
      r = STEP_SEND;
    } else {
      r = failed(t, prev, j, "reading the topic");
    }
    break;
  case SEND: {
    json_int_t mid = json_integer_value(json_object_get(j, "id"));
    if (ok && mid) {
      snprintf(id, sizeof(id), "%lld", (long long)mid);
      take(d, id);
      r = STEP_DONE;
    } else if (ok) {
      snprintf(t->error, sizeof(t->error), "no message id in the answer");
    } else {
      r = failed(t, prev, j, "sending");
    }
    break;
  }
  case EDIT:
    if (ok) {
      take(d, announced(d));
      r = STEP_DONE;
    } else if (prev->code == CURLE_OK && prev->status == 400) {
      /* gone, or no longer editable: the update as a message of its own
       * in the topic */
      zd->edit = false;
      if (fits(t, d) == 0) {
        lookup(d, req);
        r = STEP_SEND;
      }
    } else {
      r = failed(t, prev, j, "editing the announcement");
    }
    break;
  }
  json_decref(j);
  return r;
}

static void dry(struct delivery *d, struct http_req *req)
{
  struct zulip_delivery *zd = d->priv;
  const char *topic = chan_first_state(d, "topic");
  if (topic && d->kind != NOTICE_ANNOUNCE)
    snprintf(zd->topic, sizeof(zd->topic), "%s", topic);
  else
    topic_of(d, zd->topic, sizeof(zd->topic));
  zd->edit = d->kind == NOTICE_UPDATE;
  if (zd->edit) {
    const char *id = announced(d);
    edit(d, req, id ? id : "(the announcement's id)");
  } else {
    send_message(d, req);
  }
}

const struct chan_type chan_zulip = {.name = "zulip",
                                     .label = "Zulip",
                                     .fields = fields,
                                     .conf_size = sizeof(struct zulip_conf),
                                     .format = CHAN_MARKUP,
                                     .escape = escape,
                                     .text_max = ZULIP_MAX,
                                     .update_shows_announcement = true,
                                     .idem = IDEM_LOOKUP,
                                     .ctx_size = sizeof(struct zulip_ctx),
                                     .delivery_size =
                                         sizeof(struct zulip_delivery),
                                     .prepare = prepare,
                                     .ctx_release = ctx_release,
                                     .step = step,
                                     .dry = dry};

/* Slack: a message per notice in mrkdwn, as text (what notifications
 * show) and as blocks (sections of at most 3000 characters). Two ways in:
 *
 * - an incoming webhook (webhook_url, a secret: the URL is the
 *   credential): POST {text, blocks}; Slack answers "ok" and nothing else,
 *   so a message cannot be edited or answered in a thread: every notice is
 *   a message of its own, and one a stopped run left 'sending' ends
 *   'uncertain';
 * - a bot (bot_token, a secret, with chat:write and channels:history or
 *   groups:history) in channel (its ID): chat.postMessage, which returns
 *   the message's ts; reminders, cancellations and reinstatements reply in
 *   the announcement's thread (thread_ts, and reply_broadcast so that the
 *   channel sees them too, unless broadcast: false); an update edits the
 *   announcement (chat.update) to show the new facts. Every message
 *   carries its delivery key in its metadata (event_type crier_notice),
 *   which people do not see; before posting crier reads the channel's
 *   last 100 messages (conversations.history) or the thread
 *   (conversations.replies) for it, so neither a retry nor a lost journal
 *   posts twice. The message's link comes from chat.getPermalink.
 *
 * mrkdwn has no escape for its formatting characters: fields are escaped
 * as Slack documents for &, < and >, and *, _, ~ and ` become a date
 * whose format cannot be read (<!date^0^{_}|*>), which Slack shows as its
 * fallback text, the character itself, unformatted. 429 waits for
 * Retry-After (http.c). */
#include "chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xalloc.h"

enum { HOOK, LOOKUP, POST, EDIT, PERMALINK };

#define SLACK_SECTION_MAX 3000 /* characters of a section's text */
#define SLACK_TEXT_MAX 40000   /* characters of a message's text */
#define SLACK_BLOCKS_MAX 50

struct slack_conf {
  struct secret_ref webhook_url, bot_token;
  char *channel, *api_url;
  bool unfurl, broadcast;
};

#define SF(k, kind, m, flags, def)                                             \
  CFG_FIELD(k, kind, struct slack_conf, m, flags, def)
static const struct cfg_field fields[] = {
    SF("webhook_url", CFG_SECRET, webhook_url, 0, NULL),
    SF("bot_token", CFG_SECRET, bot_token, 0, NULL),
    SF("channel", CFG_STR, channel, 0, NULL),
    SF("api_url", CFG_ENDPOINT, api_url, 0, "https://slack.com/api"),
    SF("unfurl", CFG_BOOL, unfurl, 0, "true"),
    SF("broadcast", CFG_BOOL, broadcast, 0, "true"),
    CFG_END};

struct slack_delivery {
  const char *thread; /* the announcement's ts (borrowed), or NULL */
  bool edit;
  char channel[32]; /* where the message went */
  char ts[32];
};

#define CONF(d) CHAN_CONF(struct slack_conf, (d)->ctx->ch)

static bool is_bot(const struct slack_conf *c)
{
  return c->bot_token.kind != SECRET_NONE;
}

static int check(const struct cfg_check *k, struct channel *ch)
{
  const struct slack_conf *c = ch->conf;
  bool hook = c->webhook_url.kind != SECRET_NONE;
  if (hook == is_bot(c))
    return cfg_error(k, NULL,
                     "channel '%s' needs 'webhook_url' (an incoming webhook) "
                     "or 'bot_token' and 'channel' (a bot), not %s",
                     ch->name, hook ? "both" : "neither");
  if (hook && c->channel)
    return cfg_error(k, "channel",
                     "'channel' goes with 'bot_token': an incoming webhook "
                     "posts where it was made for");
  if (!hook && !c->channel)
    return cfg_error(k, NULL,
                     "channel '%s' needs 'channel' (its ID) for "
                     "the bot",
                     ch->name);
  bool id =
      c->channel && strlen(c->channel) >= 8 && strchr("CGD", c->channel[0]);
  for (const char *p = c->channel; id && *p; p++)
    id = (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
  if (c->channel && !id)
    return cfg_error(k, "channel",
                     "'channel' must be the channel's ID (C0123ABCDEF: "
                     "channel details, at the bottom), not '%s'",
                     c->channel);
  return 0;
}

static int prepare(struct chan_ctx *c, struct err *e)
{
  const struct slack_conf *conf = c->ch->conf;
  if (!is_bot(conf) &&
      !http_url_allowed(chan_secret(c, &conf->webhook_url)->data))
    return err_set(e, EX_CONFIG,
                   "channel '%s': webhook_url must be https:// (http only to "
                   "a loopback address)",
                   c->ch->name);
  if (is_bot(conf) && !http_url_allowed(conf->api_url))
    return err_set(e, EX_CONFIG,
                   "channel '%s': api_url must be https:// (http only to a "
                   "loopback address)",
                   c->ch->name);
  return 0;
}

/* mrkdwn: &, < and > as Slack's entities; the characters that format as
 * an unreadable date whose fallback is the character. */
static void escape(struct buf *out, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '&')
      buf_adds(out, "&amp;");
    else if (c == '<')
      buf_adds(out, "&lt;");
    else if (c == '>')
      buf_adds(out, "&gt;");
    else if (c && strchr("*_~`", c))
      buf_addf(out, "<!date^0^{_}|%c>", c);
    else
      buf_addc(out, c);
  }
}

/* The text cut into sections of at most SLACK_SECTION_MAX characters, at
 * paragraphs, else at lines, else after a space (else anywhere between
 * characters); the line ends at a cut are dropped, nothing else. */
static json_t *blocks(const char *text)
{
  json_t *a = json_array();
  const char *p = text;
  while (*p && json_array_size(a) < SLACK_BLOCKS_MAX) {
    size_t n = utf8_prefix(p, SLACK_SECTION_MAX);
    if (p[n]) { /* more to come: cut at a paragraph, a line, a space */
      size_t para = 0, line = 0, space = 0;
      for (size_t i = 1; i < n; i++) {
        if (p[i] == '\n' && p[i - 1] == '\n')
          para = i;
        if (p[i] == '\n')
          line = i;
        if (p[i - 1] == ' ')
          space = i;
      }
      n = para ? para : line ? line : space ? space : n;
    }
    size_t len = n;
    while (len && p[len - 1] == '\n')
      len--;
    if (len)
      json_array_append_new(a, json_pack("{s:s, s:{s:s, s:s%}}", "type",
                                         "section", "text", "type", "mrkdwn",
                                         "text", p, len));
    p += n;
    while (*p == '\n')
      p++;
  }
  return a;
}

static void api(struct delivery *d, struct http_req *req, const char *method)
{
  chan_url(req, CONF(d)->api_url, "/");
  buf_adds(&req->url, method);
  http_req_header(req, "Authorization: Bearer %s",
                  chan_secret(d->ctx, &CONF(d)->bot_token)->data);
  http_req_header(req, "Accept: application/json");
  chan_user_agent(req);
  req->serial = d->ctx->serial;
}

/* The text that goes: the notice, or the announcement an update edits. */
static const char *text_of(const struct delivery *d)
{
  const struct slack_delivery *sd = d->priv;
  return sd->edit && d->announcement.markdown ? d->announcement.markdown
                                              : d->msg.markdown;
}

static json_t *message(struct delivery *d)
{
  const char *text = text_of(d);
  return json_pack("{s:s, s:o}", "text", text, "blocks", blocks(text));
}

static void hook(struct delivery *d, struct http_req *req)
{
  const struct buf *u = chan_secret(d->ctx, &CONF(d)->webhook_url);
  buf_adds(&req->url, u->len ? u->data : "(the webhook's URL)");
  http_req_header(req, "Accept: text/plain, application/json");
  chan_user_agent(req);
  req->serial = d->ctx->serial;
  req->method = HTTP_POST;
  http_req_header(req, "Content-Type: application/json");
  json_t *o = message(d);
  json_object_set_new(o, "unfurl_links", json_boolean(CONF(d)->unfurl));
  chan_json_body(req, o);
  d->phase = HOOK;
}

static void post(struct delivery *d, struct http_req *req)
{
  struct slack_delivery *sd = d->priv;
  api(d, req, "chat.postMessage");
  req->method = HTTP_POST;
  http_req_header(req, "Content-Type: application/json; charset=utf-8");
  json_t *o = json_pack("{s:s}", "channel", CONF(d)->channel);
  json_t *m = message(d);
  json_object_update(o, m);
  json_decref(m);
  json_object_set_new(o, "unfurl_links", json_boolean(CONF(d)->unfurl));
  if (sd->thread) {
    json_object_set_new(o, "thread_ts", json_string(sd->thread));
    if (CONF(d)->broadcast)
      json_object_set_new(o, "reply_broadcast", json_true());
  }
  json_object_set_new(o, "metadata",
                      json_pack("{s:s, s:{s:s, s:s, s:s}}", "event_type",
                                "crier_notice", "event_payload", "key", d->key,
                                "event", d->ev->id, "notice", d->notice));
  chan_json_body(req, o);
  d->phase = POST;
}

static void edit(struct delivery *d, struct http_req *req, const char *ts)
{
  api(d, req, "chat.update");
  req->method = HTTP_POST;
  http_req_header(req, "Content-Type: application/json; charset=utf-8");
  json_t *o = json_pack("{s:s, s:s}", "channel", CONF(d)->channel, "ts", ts);
  json_t *m = message(d);
  json_object_update(o, m);
  json_decref(m);
  chan_json_body(req, o);
  d->phase = EDIT;
}

/* The channel's last 100 messages, or the thread's, with their
 * metadata. */
static void lookup(struct delivery *d, struct http_req *req)
{
  struct slack_delivery *sd = d->priv;
  api(d, req, sd->thread ? "conversations.replies" : "conversations.history");
  buf_adds(&req->url, "?channel=");
  http_escape(&req->url, CONF(d)->channel);
  if (sd->thread) {
    buf_adds(&req->url, "&ts=");
    http_escape(&req->url, sd->thread);
  }
  buf_adds(&req->url, "&limit=100&include_all_metadata=true");
  req->method = HTTP_GET;
  d->phase = LOOKUP;
}

static void permalink(struct delivery *d, struct http_req *req)
{
  struct slack_delivery *sd = d->priv;
  api(d, req, "chat.getPermalink");
  buf_adds(&req->url, "?channel=");
  http_escape(&req->url, sd->channel);
  buf_adds(&req->url, "&message_ts=");
  http_escape(&req->url, sd->ts);
  req->method = HTTP_GET;
  d->phase = PERMALINK;
}

/* The announcement's ts, if known. */
static const char *announced(const struct delivery *d)
{
  return chan_announced(d, "ts");
}

/* The message of this delivery among those read, by its metadata. */
static json_t *find(const struct delivery *d, json_t *messages)
{
  size_t i;
  json_t *m;
  json_array_foreach(messages, i, m)
  {
    json_t *meta = json_object_get(m, "metadata");
    const char *type = json_string_value(json_object_get(meta, "event_type"));
    const char *key = json_string_value(
        json_object_get(json_object_get(meta, "event_payload"), "key"));
    if (type && key && strcmp(type, "crier_notice") == 0 &&
        strcmp(key, d->key) == 0)
      return m;
  }
  return NULL;
}

static void take(struct delivery *d, const char *channel, const char *ts)
{
  struct slack_delivery *sd = d->priv;
  snprintf(sd->channel, sizeof(sd->channel), "%s", channel);
  snprintf(sd->ts, sizeof(sd->ts), "%s", ts);
  snprintf(d->remote_id, sizeof(d->remote_id), "%s", ts);
  json_object_set_new(d->state, "ts", json_string(ts));
  json_object_set_new(d->state, "channel", json_string(channel));
}

/* Slack's word for a failure of a Web API call ("channel_not_found"). */
static enum step api_failed(struct http_task *t, const struct http_resp *r,
                            json_t *j, const char *what)
{
  const char *err = json_string_value(json_object_get(j, "error"));
  if (!chan_ok(r) || !err)
    return chan_fail(t, r, what);
  static const char *const config[] = {
      "invalid_auth",  "not_authed",        "account_inactive",
      "token_revoked", "token_expired",     "no_permission",
      "missing_scope", "channel_not_found", "not_in_channel",
      "is_archived",   "restricted_action", "ekm_access_denied"};
  for (size_t i = 0; i < ARRAY_SIZE(config); i++)
    t->config_error |= strcmp(err, config[i]) == 0;
  const char *needed = json_string_value(json_object_get(j, "needed"));
  snprintf(t->error, sizeof(t->error), "%s: %s%s%s", what, err,
           needed ? " (the token needs " : "", needed ? needed : "");
  if (needed) {
    size_t l = strlen(t->error);
    snprintf(t->error + l, sizeof(t->error) - l, ")");
  }
  return strcmp(err, "ratelimited") == 0 || strcmp(err, "internal_error") == 0
             ? STEP_RETRY
             : STEP_FAIL;
}

static enum step start(struct http_task *t, struct delivery *d,
                       struct http_req *req)
{
  struct slack_delivery *sd = d->priv;
  if (!is_bot(CONF(d))) {
    sd->edit = false;
    if (chan_fits(t, d, text_of(d)) < 0)
      return STEP_FAIL;
    hook(d, req);
    return STEP_SEND;
  }
  sd->thread = d->kind == NOTICE_ANNOUNCE ? NULL : announced(d);
  sd->edit = d->kind == NOTICE_UPDATE && sd->thread;
  if (chan_fits(t, d, text_of(d)) < 0)
    return STEP_FAIL;
  if (sd->edit) {
    edit(d, req, sd->thread);
    return STEP_SEND;
  }
  lookup(d, req);
  return STEP_SEND;
}

static enum step step(struct http_task *t, const struct http_resp *prev,
                      struct http_req *req)
{
  struct delivery *d = task_delivery(t);
  struct slack_delivery *sd = d->priv;
  if (!prev)
    return start(t, d, req);
  json_t *j = chan_json(prev);
  bool ok = chan_ok(prev) && json_is_true(json_object_get(j, "ok"));
  enum step r = STEP_FAIL;
  const char *ts = json_string_value(json_object_get(j, "ts"));
  const char *channel = json_string_value(json_object_get(j, "channel"));
  switch (d->phase) {
  case HOOK:
    if (chan_ok(prev)) { /* "ok": nothing more comes back */
      r = STEP_DONE;
      break;
    }
    r = chan_fail(t, prev,
                  prev->status == 403 || prev->status == 404 ||
                          prev->status == 410
                      ? "posting (the webhook is gone or its URL is wrong: "
                        "check webhook_url)"
                      : "posting");
    if (r == STEP_FAIL && prev->status != 400)
      t->config_error = true;
    break;
  case LOOKUP: {
    json_t *m = ok ? find(d, json_object_get(j, "messages")) : NULL;
    if (m) { /* posted before: found, not posted again */
      take(d, CONF(d)->channel, json_string_value(json_object_get(m, "ts")));
      permalink(d, req);
      r = STEP_SEND;
    } else if (ok) {
      post(d, req);
      r = STEP_SEND;
    } else {
      r = api_failed(t, prev, j, "reading the channel's messages");
    }
    break;
  }
  case POST:
  case EDIT:
    if (ok && ts && channel) {
      take(d, channel, ts);
      permalink(d, req);
      r = STEP_SEND;
    } else if (ok) {
      snprintf(t->error, sizeof(t->error), "no message in the answer");
    } else if (d->phase == EDIT && chan_ok(prev)) {
      const char *err = json_string_value(json_object_get(j, "error"));
      if (err && (strcmp(err, "message_not_found") == 0 ||
                  strcmp(err, "cant_update_message") == 0 ||
                  strcmp(err, "edit_window_closed") == 0)) {
        /* the update as a reply of its own */
        sd->edit = false;
        if (chan_fits(t, d, text_of(d)) == 0) {
          lookup(d, req);
          r = STEP_SEND;
        }
      } else {
        r = api_failed(t, prev, j, "editing the announcement");
      }
    } else {
      r = api_failed(t, prev, j,
                     d->phase == EDIT ? "editing the announcement" : "posting");
    }
    break;
  case PERMALINK: {
    const char *link = json_string_value(json_object_get(j, "permalink"));
    if (ok && link)
      snprintf(d->url, sizeof(d->url), "%s", link);
    r = STEP_DONE; /* the message is there, with a link or without */
    break;
  }
  }
  json_decref(j);
  return r;
}

static void dry(struct delivery *d, struct http_req *req)
{
  struct slack_delivery *sd = d->priv;
  if (!is_bot(CONF(d))) {
    hook(d, req);
    return;
  }
  sd->thread = d->kind == NOTICE_ANNOUNCE ? NULL : announced(d);
  sd->edit = d->kind == NOTICE_UPDATE;
  if (sd->edit)
    edit(d, req, sd->thread ? sd->thread : "(the announcement's ts)");
  else
    post(d, req);
}

/* A bot finds every message again by its metadata; a webhook nothing. */
static bool looks_up(const struct delivery *d)
{
  return is_bot(CONF(d));
}

const struct chan_type chan_slack = {.name = "slack",
                                     .label = "Slack",
                                     .fields = fields,
                                     .conf_size = sizeof(struct slack_conf),
                                     .check = check,
                                     .format = CHAN_MARKUP,
                                     .escape = escape,
                                     .text_max = SLACK_TEXT_MAX,
                                     .update_shows_announcement = true,
                                     .idem = IDEM_LOOKUP,
                                     .looks_up = looks_up,
                                     .delivery_size =
                                         sizeof(struct slack_delivery),
                                     .prepare = prepare,
                                     .step = step,
                                     .dry = dry};

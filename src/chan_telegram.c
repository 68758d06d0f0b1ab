/* Telegram: a message per notice through the Bot API (POST {api_url}/
 * bot{TOKEN}/sendMessage, JSON) to a chat or channel (chat_id: a number, or
 * @name for a public channel), with parse_mode HTML: the templates write
 * Telegram's tag subset and every field is escaped for it (&, <, >, " and
 * ', the last as a numeric entity, which Telegram reads too).
 * At most 4096 characters as Telegram counts them (the text after its
 * tags and entities are read, in UTF-16 code units); a link preview of the
 * event's page (link_preview_options.url; off with link_preview: false,
 * and for cancellations). Reminders, cancellations and reinstatements
 * reply to the announcement (reply_parameters; sent anyway when it is
 * gone); an update edits it (editMessageText) to show the new facts, or
 * is a message of its own where the announcement cannot be edited.
 * thread_id sends into a topic of a forum supergroup.
 *
 * The bot token is in every URL's path: it is registered for redaction
 * when it is read (chan.c), so that no URL crier prints, traces or
 * records shows it. A 429 carries parameters.retry_after (http.c).
 *
 * Telegram keeps no key for a message, and a bot cannot read a chat's
 * history: a message a stopped run left 'sending' ends 'uncertain'; an
 * edit is repeated safely. */
#include "chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site.h"
#include "util.h"
#include "xalloc.h"

enum { SEND, EDIT };

#define TELEGRAM_MAX 4096 /* UTF-16 code units of the text as shown */

struct telegram_conf {
  struct secret_ref bot_token;
  char *chat_id, *api_url, *thread_id;
  bool link_preview;
};

#define TF(k, kind, m, flags, def)                                             \
  CFG_FIELD(k, kind, struct telegram_conf, m, flags, def)
static const struct cfg_field fields[] = {
    TF("bot_token", CFG_SECRET, bot_token, CFG_REQUIRED, NULL),
    TF("chat_id", CFG_STR, chat_id, CFG_REQUIRED, NULL),
    TF("api_url", CFG_ENDPOINT, api_url, 0, "https://api.telegram.org"),
    TF("thread_id", CFG_STR, thread_id, 0, NULL),
    TF("link_preview", CFG_BOOL, link_preview, 0, "true"),
    CFG_END};

struct telegram_delivery {
  bool edit; /* this delivery edits the announcement */
};

#define CONF(d) CHAN_CONF(struct telegram_conf, (d)->ctx->ch)

static bool integer(const char *s)
{
  if (*s == '-')
    s++;
  if (!*s)
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

static int check(const struct cfg_check *k, struct channel *ch)
{
  const struct telegram_conf *c = ch->conf;
  bool name = c->chat_id[0] == '@' && strlen(c->chat_id) > 1;
  for (const char *p = c->chat_id + 1; name && *p; p++)
    name = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
           (*p >= '0' && *p <= '9') || *p == '_';
  if (!name && !integer(c->chat_id))
    return cfg_error(k, "chat_id",
                     "'chat_id' must be a chat's number (-1001234567890) or "
                     "a public channel's @name, not '%s'",
                     c->chat_id);
  if (c->thread_id && (!integer(c->thread_id) || c->thread_id[0] == '-'))
    return cfg_error(k, "thread_id", "'thread_id' must be a number");
  return 0;
}

static int prepare(struct chan_ctx *c, struct err *e)
{
  const struct telegram_conf *conf = c->ch->conf;
  if (!http_url_allowed(conf->api_url))
    return err_set(e, EX_CONFIG,
                   "channel '%s': api_url must be https:// (http only to a "
                   "loopback address)",
                   c->ch->name);
  const struct buf *tok = chan_secret(c, &conf->bot_token);
  if (strcspn(tok->data, "/?#% \t\r\n") != tok->len)
    return err_set(e, EX_CONFIG,
                   "channel '%s': the bot token is not one (it looks like "
                   "123456:ABC-DEF…, from @BotFather)",
                   c->ch->name);
  return 0;
}

/* The UTF-16 length of the code point whose UTF-8 starts at s (n bytes
 * there). */
static size_t units(const unsigned char *s, size_t *n)
{
  *n = s[0] < 0x80 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
  return *n == 4 ? 2 : 1;
}

/* Telegram's count: the text without its tags, each entity one
 * character, in UTF-16 code units. */
static size_t text_length(const char *text)
{
  size_t count = 0;
  const unsigned char *p = (const unsigned char *)text;
  while (*p) {
    if (*p == '<') {
      const unsigned char *end = (const unsigned char *)strchr((char *)p, '>');
      if (end) {
        p = end + 1;
        continue;
      }
    }
    if (*p == '&') {
      const char *semi = strchr((const char *)p, ';');
      if (semi && semi - (const char *)p <= 10) {
        long cp = 0;
        if (p[1] == '#')
          cp = p[2] == 'x' || p[2] == 'X'
                   ? strtol((const char *)p + 3, NULL, 16)
                   : strtol((const char *)p + 2, NULL, 10);
        count += cp > 0xffff ? 2 : 1;
        p = (const unsigned char *)semi + 1;
        continue;
      }
    }
    size_t n;
    count += units(p, &n);
    for (size_t i = 0; i < n && *p; i++)
      p++;
  }
  return count;
}

static void method(struct delivery *d, struct http_req *req, const char *name)
{
  buf_addf(&req->url, "%s", CONF(d)->api_url);
  while (req->url.len && req->url.data[req->url.len - 1] == '/')
    req->url.data[--req->url.len] = '\0';
  const struct buf *tok = chan_secret(d->ctx, &CONF(d)->bot_token);
  buf_addf(&req->url, "/bot%s/%s", tok->len ? tok->data : "(the bot token)",
           name);
  req->method = HTTP_POST;
  http_req_header(req, "Content-Type: application/json");
  http_req_header(req, "Accept: application/json");
  chan_user_agent(req);
  req->serial = d->ctx->serial;
}

static json_t *chat_id(const struct delivery *d)
{
  const char *c = CONF(d)->chat_id;
  return integer(c) ? json_integer(strtoll(c, NULL, 10)) : json_string(c);
}

/* The preview: the event's page, unless the channel or the notice says
 * no. */
static json_t *preview(struct delivery *d)
{
  struct buf url = BUF_INIT;
  if (CONF(d)->link_preview && d->kind != NOTICE_CANCEL)
    site_event_url(d->ctx->cfg, d->ev, &url);
  json_t *o = url.len ? json_pack("{s:s}", "url", url.data)
                      : json_pack("{s:b}", "is_disabled", 1);
  buf_release(&url);
  return o;
}

/* The announcement's message, if known. */
static const char *announced(const struct delivery *d)
{
  return chan_announced(d, "message_id");
}

static void send_message(struct delivery *d, struct http_req *req)
{
  method(d, req, "sendMessage");
  json_t *o = json_pack("{s:o, s:s, s:s, s:o}", "chat_id", chat_id(d), "text",
                        d->msg.markdown, "parse_mode", "HTML",
                        "link_preview_options", preview(d));
  if (CONF(d)->thread_id)
    json_object_set_new(o, "message_thread_id",
                        json_integer(strtoll(CONF(d)->thread_id, NULL, 10)));
  const char *parent = d->kind == NOTICE_ANNOUNCE ? NULL : announced(d);
  if (parent)
    json_object_set_new(o, "reply_parameters",
                        json_pack("{s:I, s:b}", "message_id",
                                  (json_int_t)strtoll(parent, NULL, 10),
                                  "allow_sending_without_reply", 1));
  chan_json_body(req, o);
  d->phase = SEND;
}

static void edit(struct delivery *d, struct http_req *req, const char *id)
{
  method(d, req, "editMessageText");
  const char *text =
      d->announcement.markdown ? d->announcement.markdown : d->msg.markdown;
  chan_json_body(req,
                 json_pack("{s:o, s:I, s:s, s:s, s:o}", "chat_id", chat_id(d),
                           "message_id", (json_int_t)strtoll(id, NULL, 10),
                           "text", text, "parse_mode", "HTML",
                           "link_preview_options", preview(d)));
  d->phase = EDIT;
}

static void take_message(struct delivery *d, json_t *m)
{
  json_int_t id = json_integer_value(json_object_get(m, "message_id"));
  json_t *chat = json_object_get(m, "chat");
  json_int_t cid = json_integer_value(json_object_get(chat, "id"));
  const char *user = json_string_value(json_object_get(chat, "username"));
  snprintf(d->remote_id, sizeof(d->remote_id), "%lld", (long long)id);
  json_object_set_new(d->state, "message_id", json_string(d->remote_id));
  if (cid) {
    char c[32];
    snprintf(c, sizeof(c), "%lld", (long long)cid);
    json_object_set_new(d->state, "chat_id", json_string(c));
  }
  if (user)
    snprintf(d->url, sizeof(d->url), "https://t.me/%s/%lld", user,
             (long long)id);
  else if (cid < -1000000000000LL) /* a supergroup or channel: -100… */
    snprintf(d->url, sizeof(d->url), "https://t.me/c/%lld/%lld",
             (long long)(-cid - 1000000000000LL), (long long)id);
}

/* The Bot API's description of a failure ("Bad Request: chat not
 * found"), or "". */
static const char *description(json_t *j)
{
  const char *s = json_string_value(json_object_get(j, "description"));
  return s ? s : "";
}

static enum step failed(struct http_task *t, const struct http_resp *r,
                        json_t *j, const char *what)
{
  const char *why = description(j);
  bool config =
      r->code == CURLE_OK &&
      (r->status == 401 || r->status == 403 || r->status == 404 ||
       strstr(why, "chat not found") || strstr(why, "thread not found"));
  enum step s =
      chan_fail(t, r,
                r->status == 401 || r->status == 404
                    ? "the Bot API refused the token (check bot_token)"
                : r->status == 403 ? "the bot may not post in this chat (add "
                                     "it, as an admin of a channel)"
                                   : what);
  if (s == STEP_FAIL && config)
    t->config_error = true;
  return s;
}

static enum step step(struct http_task *t, const struct http_resp *prev,
                      struct http_req *req)
{
  struct delivery *d = task_delivery(t);
  struct telegram_delivery *td = d->priv;
  if (!prev) {
    td->edit = d->kind == NOTICE_UPDATE && announced(d);
    if (td->edit) {
      const char *text =
          d->announcement.markdown ? d->announcement.markdown : d->msg.markdown;
      if (chan_fits(t, d, text) < 0)
        return STEP_FAIL;
      edit(d, req, announced(d));
      return STEP_SEND;
    }
    if (chan_fits(t, d, d->msg.markdown) < 0)
      return STEP_FAIL;
    send_message(d, req);
    return STEP_SEND;
  }
  json_t *j = chan_json(prev);
  bool ok = chan_ok(prev) && json_is_true(json_object_get(j, "ok"));
  json_t *result = json_object_get(j, "result");
  enum step r = STEP_FAIL;
  switch (d->phase) {
  case SEND:
    if (ok && json_integer_value(json_object_get(result, "message_id"))) {
      take_message(d, result);
      r = STEP_DONE;
    } else if (ok) {
      snprintf(t->error, sizeof(t->error), "no message in the answer");
    } else {
      r = failed(t, prev, j, "sending");
    }
    break;
  case EDIT:
    if (ok && json_is_object(result)) {
      take_message(d, result);
      r = STEP_DONE;
    } else if (prev->code == CURLE_OK && prev->status == 400 &&
               strstr(description(j), "message is not modified")) {
      /* it shows this already (a repeat of the edit) */
      snprintf(d->remote_id, sizeof(d->remote_id), "%s", announced(d));
      json_object_set_new(d->state, "message_id", json_string(d->remote_id));
      r = STEP_DONE;
    } else if (prev->code == CURLE_OK && prev->status == 400 &&
               (strstr(description(j), "message to edit not found") ||
                strstr(description(j), "message can't be edited"))) {
      /* gone, or too old to edit: the update as a message of its own */
      td->edit = false;
      if (chan_fits(t, d, d->msg.markdown) == 0) {
        send_message(d, req);
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
  const char *id = announced(d);
  if (d->kind == NOTICE_UPDATE)
    edit(d, req, id ? id : "0");
  else
    send_message(d, req);
}

/* An edit finds its message by id; nothing else is found again. */
static bool looks_up(const struct delivery *d)
{
  return d->kind == NOTICE_UPDATE && announced(d);
}

const struct chan_type chan_telegram = {
    .name = "telegram",
    .label = "Telegram",
    .fields = fields,
    .conf_size = sizeof(struct telegram_conf),
    .check = check,
    .format = CHAN_MARKUP,
    .escape = tpl_escape_html, /* &#39; is one of its numeric entities */
    .text_max = TELEGRAM_MAX,
    .text_length = text_length,
    .update_shows_announcement = true,
    .idem = IDEM_LOOKUP,
    .looks_up = looks_up,
    .delivery_size = sizeof(struct telegram_delivery),
    .prepare = prepare,
    .step = step,
    .dry = dry};

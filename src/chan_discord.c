/* Discord: a message per notice through a channel's incoming webhook
 * (webhook_url, a secret: its token is in the path), executed with
 * ?wait=true so that the message comes back. The text is Discord's
 * Markdown with every field escaped (a backslash before each character
 * that could format, link or mention), at most 2000 characters, and no
 * one is pinged: allowed_mentions is {"parse": []}. With embed: true the
 * message carries an embed with the event's title, page, start and
 * place. A forum channel (forum: true) gets a post per event: the
 * announcement opens it (thread_name, the subject), later notices go into
 * it (thread_id); thread_id sends everything into one existing thread.
 * An update edits the announcement (PATCH /webhooks/{id}/{token}/
 * messages/{message_id}) to show the new facts; reminders, cancellations
 * and reinstatements are new messages.
 *
 * Rate limits come from the answers: the X-RateLimit-* headers (a key with
 * none left waits for X-RateLimit-Reset-After before its next request)
 * and 429's Retry-After and retry_after (http.c).
 *
 * Discord keeps no key for a webhook's messages. With bot_token (a bot in
 * the server that may read the channel's history), every message carries
 * the delivery key as an invisible marker (chan_marker) and crier reads
 * the channel's last 100 messages before it posts: a message of this
 * webhook with the marker is the delivery, found again. Without a bot
 * token a message a stopped run left 'sending' ends 'uncertain'; an edit
 * is repeated safely.
 *
 * scheduled_event: true (with bot_token, the bot allowed to Create Events
 * and Manage Events): the event is also one of the server's scheduled
 * events, external, with its place, start and end. Its description ends
 * with a marker made from the event and the channel, and every notice but
 * a reminder reads the server's scheduled events for it after its
 * message: the announcement (and a reinstatement: Discord cannot restart
 * a cancelled one) creates it unless it is there, an update edits it, a
 * cancellation sets it cancelled. Reading first makes a repeat harmless. */
#include "chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "secret.h"
#include "site.h"
#include "url.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

enum { INFO, LOOKUP, POST, EDIT, EVENTS, EVENT_WRITE };

#define DISCORD_MAX 2000       /* characters of content */
#define DISCORD_THREAD_MAX 100 /* characters of a thread's name */
#define DISCORD_EMBED_TITLE 256
#define DISCORD_EVENT_NAME 100     /* characters of a scheduled event's name */
#define DISCORD_EVENT_LOCATION 100 /* and of its location */

struct discord_conf {
  struct secret_ref webhook_url, bot_token;
  char *thread_id, *username, *avatar_url;
  bool forum, embed, scheduled_event;
};

#define DF(k, kind, m, flags, def)                                             \
  CFG_FIELD(k, kind, struct discord_conf, m, flags, def)
static const struct cfg_field fields[] = {
    DF("webhook_url", CFG_SECRET, webhook_url, CFG_REQUIRED, NULL),
    DF("bot_token", CFG_SECRET, bot_token, 0, NULL),
    DF("forum", CFG_BOOL, forum, 0, NULL),
    DF("thread_id", CFG_STR, thread_id, 0, NULL),
    DF("username", CFG_STR, username, 0, NULL),
    DF("avatar_url", CFG_URL, avatar_url, 0, NULL),
    DF("embed", CFG_BOOL, embed, 0, NULL),
    DF("scheduled_event", CFG_BOOL, scheduled_event, 0, NULL),
    CFG_END};

/* The webhook, taken apart once per run, and what its GET told. */
struct discord_ctx {
  char *base;       /* https://discord.com/api/v10 */
  char *id;         /* the webhook's id */
  struct buf token; /* its token (a secret, registered) */
  char *channel, *guild;
  bool known; /* the webhook's GET answered */
};

struct discord_delivery {
  const char *thread; /* where this message goes (borrowed), or NULL */
  bool edit;          /* this delivery edits the announcement */
  bool posted;        /* the message is done (a try before): the scheduled event
                         is next */
};

#define CONF(d) CHAN_CONF(struct discord_conf, (d)->ctx->ch)

static int check(const struct cfg_check *k, struct channel *ch)
{
  const struct discord_conf *c = ch->conf;
  if (c->forum && c->thread_id)
    return cfg_error(k, "thread_id",
                     "'forum' and 'thread_id' do not go together: a forum "
                     "gets a post per event, thread_id one thread for all");
  if (c->scheduled_event && c->bot_token.kind == SECRET_NONE)
    return cfg_error(k, "scheduled_event",
                     "'scheduled_event' needs 'bot_token': a webhook cannot "
                     "create events");
  for (const char *p = c->thread_id; p && *p; p++)
    if (*p < '0' || *p > '9')
      return cfg_error(k, "thread_id", "'thread_id' must be a number");
  return 0;
}

static bool digits(const char *s, size_t n)
{
  if (!n)
    return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

/* https://discord.com/api[/vN]/webhooks/ID/TOKEN into base, id and
 * token; the API version 10 unless the URL names one. */
static int parse_webhook(struct discord_ctx *x, const char *u)
{
  const char *w = strstr(u, "/webhooks/");
  if (!w || !http_url_allowed(u) || strpbrk(u, "?#"))
    return -1;
  const char *id = w + 10;
  const char *slash = strchr(id, '/');
  if (!slash || !digits(id, (size_t)(slash - id)))
    return -1;
  const char *tok = slash + 1;
  size_t tl = strcspn(tok, "/");
  if (!tl || (tok[tl] && strcmp(tok + tl, "/") != 0))
    return -1;
  struct buf b = BUF_INIT;
  buf_add(&b, u, (size_t)(w - u));
  const char *v = strrchr(b.data, '/');
  if (!v || v[1] != 'v' || !digits(v + 2, strlen(v + 2)))
    buf_adds(&b, "/v10");
  x->base = buf_detach(&b);
  x->id = xstrndup(id, (size_t)(slash - id));
  buf_add(&x->token, tok, tl); /* registered with the URL (secret_get) */
  return 0;
}

static int prepare(struct chan_ctx *c, struct err *e)
{
  const struct discord_conf *conf = c->ch->conf;
  struct discord_ctx *x = c->priv;
  buf_init(&x->token);
  if (parse_webhook(x, chan_secret(c, &conf->webhook_url)->data) < 0)
    return err_set(e, EX_CONFIG,
                   "channel '%s': webhook_url is not a Discord webhook URL "
                   "(https://discord.com/api/webhooks/ID/TOKEN, without a "
                   "query; http only to a loopback address)",
                   c->ch->name);
  return 0;
}

static void ctx_release(struct chan_ctx *c)
{
  struct discord_ctx *x = c->priv;
  free(x->base);
  free(x->id);
  secret_wipe(&x->token);
  free(x->channel);
  free(x->guild);
}

/* Discord's Markdown: a backslash before every character that could
 * format, quote, link or mention (Discord shows any escaped punctuation as
 * it is); at the start of a line also before what makes a heading, a list
 * or a quote, and the dot of a number that would start a numbered list. */
static void escape(struct buf *out, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool bol = i == 0 || s[i - 1] == '\n';
    bool esc = c && strchr("\\*_~`|<>[]@", c);
    if (bol && c && strchr("#-+>", c))
      esc = true;
    if (bol && c >= '0' && c <= '9') {
      size_t j = i;
      while (j < n && s[j] >= '0' && s[j] <= '9')
        j++;
      buf_add(out, s + i, j - i);
      i = j - 1;
      if (j < n && (s[j] == '.' || s[j] == ')')) {
        buf_addc(out, '\\');
        buf_addc(out, s[j]);
        i = j;
      }
      continue;
    }
    if (esc)
      buf_addc(out, '\\');
    buf_addc(out, c);
  }
}

static void webhook(struct delivery *d, struct http_req *req, const char *path,
                    const char *thread, bool wait)
{
  const struct discord_ctx *x = d->ctx->priv;
  buf_addf(&req->url, "%s/webhooks/%s/%s%s", x->base, x->id, x->token.data,
           path);
  if (wait || thread)
    buf_addf(&req->url, "?%s%s%s", wait ? "wait=true" : "",
             wait && thread ? "&" : "", thread ? "thread_id=" : "");
  if (thread)
    buf_adds(&req->url, thread);
  http_req_header(req, "Accept: application/json");
  chan_user_agent(req);
  req->serial = d->ctx->serial;
}

/* The message's text: what the templates made, and the marker when a bot
 * looks for it. */
static void content(const struct delivery *d, const char *text, struct buf *b)
{
  buf_adds(b, text);
  if (chan_secret(d->ctx, &CONF(d)->bot_token)->len)
    chan_marker(d->key, b);
}

static json_t *embed(struct delivery *d)
{
  struct buf title = BUF_INIT, url = BUF_INIT, place = BUF_INIT,
             start = BUF_INIT;
  size_t n = utf8_prefix(d->ev->title, DISCORD_EMBED_TITLE - 16);
  struct buf raw = BUF_INIT;
  buf_add(&raw, d->ev->title, n);
  if (d->ev->title[n])
    buf_adds(&raw, "…");
  escape(&title, raw.data, raw.len);
  buf_release(&raw);
  site_event_url(d->ctx->cfg, d->ev, &url);
  const struct location *l = d->ev->loc;
  if (l) {
    const char *parts[] = {l->name, l->street, l->city};
    for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
      if (parts[i] && *parts[i]) {
        if (place.len)
          buf_adds(&place, ", ");
        escape(&place, parts[i], strlen(parts[i]));
      }
  }
  if (d->ev->online_url) {
    if (place.len)
      buf_adds(&place, " · ");
    buf_adds(&place, d->ev->online_url);
  }
  when_rfc3339_utc(d->ev->start, &start);
  json_t *o = json_pack("{s:s}", "title", title.data);
  if (url.len)
    json_object_set_new(o, "url", json_string(url.data));
  if (place.len)
    json_object_set_new(o, "description", json_string(place.data));
  json_object_set_new(o, "timestamp", json_string(start.data));
  buf_release(&title);
  buf_release(&url);
  buf_release(&place);
  buf_release(&start);
  return json_pack("[o]", o);
}

/* The JSON of a message: its text, no mentions, the embed. */
static json_t *message(struct delivery *d, const char *text)
{
  struct buf c = BUF_INIT;
  content(d, text, &c);
  json_t *o = json_pack("{s:s, s:{s:[]}}", "content", c.data,
                        "allowed_mentions", "parse");
  buf_release(&c);
  if (CONF(d)->embed)
    json_object_set_new(o, "embeds", embed(d));
  return o;
}

/* The announcement's message, if known, and the thread it is in. */
static const char *announced(const struct delivery *d)
{
  return chan_announced(d, "message_id");
}

static const char *thread_of(const struct delivery *d)
{
  if (CONF(d)->thread_id)
    return CONF(d)->thread_id;
  if (CONF(d)->forum && d->kind != NOTICE_ANNOUNCE)
    return chan_first_state(d, "thread_id");
  return NULL;
}

static void post(struct delivery *d, struct http_req *req)
{
  struct discord_delivery *dd = d->priv;
  webhook(d, req, "", dd->thread, true);
  req->method = HTTP_POST;
  http_req_header(req, "Content-Type: application/json");
  json_t *o = message(d, d->msg.markdown);
  if (CONF(d)->username)
    json_object_set_new(o, "username", json_string(CONF(d)->username));
  if (CONF(d)->avatar_url)
    json_object_set_new(o, "avatar_url", json_string(CONF(d)->avatar_url));
  if (CONF(d)->forum && d->kind == NOTICE_ANNOUNCE)
    json_object_set_new(o, "thread_name", json_string(d->msg.subject));
  chan_json_body(req, o);
  d->phase = POST;
}

static void edit(struct delivery *d, struct http_req *req, const char *id)
{
  struct discord_delivery *dd = d->priv;
  struct buf p = BUF_INIT;
  buf_adds(&p, "/messages/");
  http_escape(&p, id);
  webhook(d, req, p.data, dd->thread, false);
  buf_release(&p);
  req->method = HTTP_PATCH;
  http_req_header(req, "Content-Type: application/json");
  const char *text =
      d->announcement.markdown ? d->announcement.markdown : d->msg.markdown;
  chan_json_body(req, message(d, text));
  d->phase = EDIT;
}

/* GET the webhook (its channel and server), with nothing but its URL. */
static void info(struct delivery *d, struct http_req *req)
{
  webhook(d, req, "", NULL, false);
  req->method = HTTP_GET;
  d->phase = INFO;
}

/* The channel's (or the thread's) last 100 messages, as the bot reads
 * them. */
static void lookup(struct delivery *d, struct http_req *req)
{
  struct discord_delivery *dd = d->priv;
  const struct discord_ctx *x = d->ctx->priv;
  buf_addf(&req->url, "%s/channels/", x->base);
  http_escape(&req->url, dd->thread ? dd->thread : x->channel);
  buf_adds(&req->url, "/messages?limit=100");
  http_req_header(req, "Authorization: Bot %s",
                  chan_secret(d->ctx, &CONF(d)->bot_token)->data);
  http_req_header(req, "Accept: application/json");
  chan_user_agent(req);
  req->serial = d->ctx->serial;
  req->method = HTTP_GET;
  d->phase = LOOKUP;
}

/* Whether the text fits; else the task's error says why. */
static int fits(struct http_task *t, struct delivery *d)
{
  const char *text = d->msg.markdown;
  struct discord_delivery *dd = d->priv;
  if (dd->edit && d->announcement.markdown)
    text = d->announcement.markdown;
  if (chan_fits(t, d, text) < 0)
    return -1;
  if (CONF(d)->forum && d->kind == NOTICE_ANNOUNCE &&
      utf8_len(d->msg.subject) > DISCORD_THREAD_MAX) {
    snprintf(t->error, sizeof(t->error),
             "the post's title '%s' has %zu characters, more than Discord's "
             "%d for a forum post: shorten the event's title or the "
             "discord announce.subject template",
             d->msg.subject, utf8_len(d->msg.subject), DISCORD_THREAD_MAX);
    return -1;
  }
  return 0;
}

static bool bot(const struct delivery *d)
{
  return CONF(d)->bot_token.kind != SECRET_NONE;
}

/* Whether this notice does something to the scheduled event. */
static bool wants_event(const struct delivery *d)
{
  return CONF(d)->scheduled_event && d->kind != NOTICE_REMINDER;
}

/* The request after the webhook is known. */
static enum step carry(struct delivery *d, struct http_req *req)
{
  struct discord_delivery *dd = d->priv;
  const struct discord_ctx *x = d->ctx->priv;
  if (dd->edit) {
    edit(d, req, announced(d));
    return STEP_SEND;
  }
  if (bot(d) && (dd->thread || x->channel) &&
      !(CONF(d)->forum && d->kind == NOTICE_ANNOUNCE)) {
    lookup(d, req);
    return STEP_SEND;
  }
  post(d, req);
  return STEP_SEND;
}

static void take_message(struct delivery *d, json_t *m)
{
  const struct discord_ctx *x = d->ctx->priv;
  const char *id = json_string_value(json_object_get(m, "id"));
  const char *channel = json_string_value(json_object_get(m, "channel_id"));
  const char *guild = json_string_value(json_object_get(m, "guild_id"));
  if (!guild)
    guild = x->guild;
  snprintf(d->remote_id, sizeof(d->remote_id), "%s", id);
  json_object_set_new(d->state, "message_id", json_string(id));
  if (channel && (CONF(d)->forum || CONF(d)->thread_id))
    json_object_set_new(d->state, "thread_id", json_string(channel));
  if (guild && channel) {
    snprintf(d->url, sizeof(d->url), "https://discord.com/channels/%s/%s/%s",
             guild, channel, id);
    json_object_set_new(d->state, "url", json_string(d->url));
  }
}

/* This delivery's message, done by an earlier try (its scheduled event
 * was not): taken from the delivery's state, not sent again. */
static bool resume(struct delivery *d)
{
  const char *id = json_string_value(json_object_get(d->state, "message_id"));
  const char *url = json_string_value(json_object_get(d->state, "url"));
  if (!wants_event(d) || !id)
    return false;
  snprintf(d->remote_id, sizeof(d->remote_id), "%s", id);
  snprintf(d->url, sizeof(d->url), "%s", url ? url : "");
  return true;
}

static void take_info(struct delivery *d, json_t *j)
{
  struct discord_ctx *x = d->ctx->priv;
  const char *channel = json_string_value(json_object_get(j, "channel_id"));
  const char *guild = json_string_value(json_object_get(j, "guild_id"));
  if (channel && !x->channel)
    x->channel = xstrdup(channel);
  if (guild && !x->guild)
    x->guild = xstrdup(guild);
  x->known = true;
}

/* The delivery's message among the bot's reading: this webhook's, with
 * the marker. */
static json_t *find(const struct delivery *d, json_t *list)
{
  const struct discord_ctx *x = d->ctx->priv;
  size_t i;
  json_t *m;
  json_array_foreach(list, i, m)
  {
    const char *hook = json_string_value(json_object_get(m, "webhook_id"));
    const char *text = json_string_value(json_object_get(m, "content"));
    if (hook && strcmp(hook, x->id) == 0 && chan_marker_in(text, d->key))
      return m;
  }
  return NULL;
}

static enum step failed(struct http_task *t, const struct http_resp *r,
                        const char *what)
{
  enum step s = chan_fail(t, r, what);
  if (r->code == CURLE_OK && (r->status == 401 || r->status == 404) &&
      s == STEP_FAIL) {
    /* Unknown Webhook, Invalid Webhook Token: only the config mends it */
    size_t l = strlen(t->error);
    snprintf(t->error + l, sizeof(t->error) - l,
             " (check webhook_url: the webhook may have been deleted)");
    t->config_error = true;
  }
  return s;
}

/* The scheduled event's marker: the event's and the channel's, the same
 * for every notice. */
static void event_marker(const struct delivery *d, struct buf *out)
{
  char key[65];
  delivery_key(d->ev->id, "discord-scheduled-event", d->ctx->ch->name, "", NULL,
               key);
  chan_marker(key, out);
}

/* A request of the bot's to the server's scheduled events. */
static void guild_events(struct delivery *d, struct http_req *req,
                         const char *id)
{
  const struct discord_ctx *x = d->ctx->priv;
  buf_addf(&req->url, "%s/guilds/", x->base);
  http_escape(&req->url, x->guild);
  buf_adds(&req->url, "/scheduled-events");
  if (id) {
    buf_addc(&req->url, '/');
    http_escape(&req->url, id);
  }
  http_req_header(req, "Authorization: Bot %s",
                  chan_secret(d->ctx, &CONF(d)->bot_token)->data);
  http_req_header(req, "Accept: application/json");
  chan_user_agent(req);
  req->serial = d->ctx->serial;
}

/* s shortened to max characters, with an ellipsis when cut. */
static void cut(struct buf *out, const char *s, size_t max)
{
  size_t n = utf8_prefix(s, max);
  if (s[n])
    n = utf8_prefix(s, max - 1);
  buf_add(out, s, n);
  if (s[n])
    buf_adds(out, "…");
}

/* The scheduled event: external, where and when, its page and marker. */
static json_t *event_json(struct delivery *d)
{
  const struct event *ev = d->ev;
  struct buf name = BUF_INIT, place = BUF_INIT, where = BUF_INIT,
             start = BUF_INIT, end = BUF_INIT, desc = BUF_INIT;
  cut(&name, ev->title, DISCORD_EVENT_NAME);
  if (ev->loc) {
    const char *parts[] = {ev->loc->name, ev->loc->street, ev->loc->city};
    for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
      if (parts[i] && *parts[i])
        buf_addf(&place, "%s%s", place.len ? ", " : "", parts[i]);
  }
  site_event_url(d->ctx->cfg, ev, &desc);
  if (!place.len && ev->online_url)
    buf_adds(&place, ev->online_url);
  if (!place.len)
    buf_adds(&place, desc.len ? desc.data : "?");
  cut(&where, place.data, DISCORD_EVENT_LOCATION);
  when_rfc3339_utc(ev->start, &start);
  when_rfc3339_utc(event_end(ev, d->ctx->cfg->default_duration), &end);
  event_marker(d, &desc);
  /* privacy_level 2: the server's members; entity_type 3: external */
  json_t *o =
      json_pack("{s:s, s:i, s:i, s:s, s:s, s:{s:s}, s:s}", "name", name.data,
                "privacy_level", 2, "entity_type", 3, "scheduled_start_time",
                start.data, "scheduled_end_time", end.data, "entity_metadata",
                "location", where.data, "description", desc.data);
  buf_release(&name);
  buf_release(&place);
  buf_release(&where);
  buf_release(&start);
  buf_release(&end);
  buf_release(&desc);
  return o;
}

/* After the message: the server's scheduled events, read for this event's
 * (or done, when the channel keeps none or the server is not known). */
static enum step events(struct delivery *d, struct http_req *req)
{
  const struct discord_ctx *x = d->ctx->priv;
  if (!wants_event(d) || !x->guild)
    return STEP_DONE;
  chan_save_state(d); /* a retry goes on from here */
  guild_events(d, req, NULL);
  req->method = HTTP_GET;
  d->phase = EVENTS;
  return STEP_SEND;
}

/* The event's scheduled event among the server's, by its marker. */
static const char *find_event(const struct delivery *d, json_t *list)
{
  struct buf m = BUF_INIT;
  event_marker(d, &m);
  const char *id = NULL;
  size_t i;
  json_t *e;
  json_array_foreach(list, i, e)
  {
    const char *desc = json_string_value(json_object_get(e, "description"));
    if (desc && strstr(desc, m.data)) {
      id = json_string_value(json_object_get(e, "id"));
      break;
    }
  }
  buf_release(&m);
  return id;
}

/* Create, edit or cancel the scheduled event, given what the server has. */
static enum step write_event(struct delivery *d, struct http_req *req,
                             const char *id)
{
  if (d->kind == NOTICE_CANCEL && !id)
    return STEP_DONE; /* none to cancel */
  if (d->kind == NOTICE_UPDATE && !id)
    return STEP_DONE; /* none to edit: a cancelled or deleted one stays so */
  guild_events(d, req, id);
  req->method = id ? HTTP_PATCH : HTTP_POST;
  http_req_header(req, "Content-Type: application/json");
  /* status 4: cancelled */
  chan_json_body(req, d->kind == NOTICE_CANCEL ? json_pack("{s:i}", "status", 4)
                                               : event_json(d));
  d->phase = EVENT_WRITE;
  return STEP_SEND;
}

static enum step step(struct http_task *t, const struct http_resp *prev,
                      struct http_req *req)
{
  struct delivery *d = task_delivery(t);
  struct discord_delivery *dd = d->priv;
  const struct discord_ctx *x = d->ctx->priv;
  if (!prev) {
    dd->thread = thread_of(d);
    dd->edit = d->kind == NOTICE_UPDATE && announced(d);
    if (fits(t, d) < 0)
      return STEP_FAIL;
    if (CONF(d)->forum && d->kind != NOTICE_ANNOUNCE && !dd->thread) {
      snprintf(t->error, sizeof(t->error),
               "no forum post is known for %s on this channel (announce it "
               "first)",
               d->ev->id);
      return STEP_FAIL;
    }
    dd->posted = resume(d);
    if (!x->known) {
      info(d, req);
      return STEP_SEND;
    }
    return dd->posted ? events(d, req) : carry(d, req);
  }
  json_t *j = chan_json(prev);
  bool ok = chan_ok(prev);
  enum step r = STEP_FAIL;
  switch (d->phase) {
  case INFO:
    if (ok && json_is_object(j)) {
      take_info(d, j);
      r = dd->posted ? events(d, req) : carry(d, req);
    } else {
      r = failed(t, prev, "reading the webhook");
    }
    break;
  case LOOKUP: {
    json_t *m = ok ? find(d, j) : NULL;
    if (m) { /* posted before: found, not posted again */
      take_message(d, m);
      r = events(d, req);
    } else if (ok && json_is_array(j)) {
      post(d, req);
      r = STEP_SEND;
    } else {
      r = chan_fail(t, prev,
                    prev->status == 401 || prev->status == 403
                        ? "reading the channel's messages (check bot_token: "
                          "the bot needs View Channel and Read Message "
                          "History)"
                        : "reading the channel's messages");
      t->config_error |= prev->status == 401 || prev->status == 403;
    }
    break;
  }
  case POST:
  case EDIT:
    if (ok && json_is_string(json_object_get(j, "id"))) {
      take_message(d, j);
      r = events(d, req);
    } else if (ok) {
      snprintf(t->error, sizeof(t->error), "no message in the answer");
    } else if (d->phase == EDIT && prev->code == CURLE_OK &&
               prev->status == 404) {
      /* the announcement is gone (Unknown Message): the update on its
       * own */
      dd->edit = false;
      r = fits(t, d) < 0 ? STEP_FAIL : carry(d, req);
    } else {
      r = failed(t, prev,
                 d->phase == EDIT ? "editing the announcement" : "posting");
    }
    break;
  case EVENTS:
  case EVENT_WRITE: {
    const char *id = NULL;
    if (ok && d->phase == EVENTS && json_is_array(j))
      id = find_event(d, j);
    else if (ok && d->phase == EVENT_WRITE)
      id = json_string_value(json_object_get(j, "id"));
    if (id)
      json_object_set_new(d->state, "scheduled_event_id", json_string(id));
    if (ok && d->phase == EVENTS && json_is_array(j)) {
      r = write_event(d, req, id);
    } else if (ok && id) {
      r = STEP_DONE;
    } else if (ok) {
      snprintf(t->error, sizeof(t->error), "no scheduled event in the answer");
    } else {
      bool denied = prev->code == CURLE_OK &&
                    (prev->status == 401 || prev->status == 403);
      r = chan_fail(t, prev,
                    denied ? "the scheduled event (check bot_token: the bot "
                             "needs Create Events and Manage Events)"
                           : "the scheduled event");
      t->config_error |= denied;
    }
    break;
  }
  }
  json_decref(j);
  return r;
}

static void dry(struct delivery *d, struct http_req *req)
{
  struct discord_ctx *x = d->ctx->priv;
  struct discord_delivery *dd = d->priv;
  if (!x->base) { /* the webhook's secret is not at hand */
    x->base = xstrdup("https://discord.com/api/v10");
    x->id = xstrdup("(the webhook's id)");
    buf_adds(&x->token, "(the webhook's token)");
  }
  dd->thread = thread_of(d);
  if (CONF(d)->forum && d->kind != NOTICE_ANNOUNCE && !dd->thread)
    dd->thread = "(the forum post's id)";
  if (d->kind == NOTICE_UPDATE) {
    const char *id = announced(d);
    edit(d, req, id ? id : "(the announcement's id)");
  } else {
    post(d, req);
  }
}

/* An edit finds its message by id, and a repeat shows the same; a post is
 * found again only by a bot reading the channel (not a forum post's first
 * message, whose thread is not known yet). */
static bool looks_up(const struct delivery *d)
{
  if (d->kind == NOTICE_UPDATE && announced(d))
    return true;
  return bot(d) && !(CONF(d)->forum && d->kind == NOTICE_ANNOUNCE);
}

const struct chan_type chan_discord = {.name = "discord",
                                       .label = "Discord",
                                       .fields = fields,
                                       .conf_size = sizeof(struct discord_conf),
                                       .check = check,
                                       .format = CHAN_MARKUP,
                                       .escape = escape,
                                       .text_max = DISCORD_MAX,
                                       .update_shows_announcement = true,
                                       .idem = IDEM_LOOKUP,
                                       .looks_up = looks_up,
                                       .ctx_size = sizeof(struct discord_ctx),
                                       .delivery_size =
                                           sizeof(struct discord_delivery),
                                       .prepare = prepare,
                                       .ctx_release = ctx_release,
                                       .step = step,
                                       .dry = dry};

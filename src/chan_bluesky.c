/* Bluesky (the AT Protocol): a post per notice through the account's PDS.
 * One session per run and channel: com.atproto.server.createSession with
 * the handle and an app password (the daily login limits are low, so never
 * per notice), refreshed with its refreshJwt when the access token expires
 * during a long run. Deliveries that begin while the session is being made
 * wait behind it (their first request is a describeServer queued on the
 * channel's serial key) and never log in themselves; only the delivery
 * that logs in tries again after a temporary failure.
 *
 * A post is com.atproto.repo.createRecord in app.bsky.feed.post with a
 * record key (rkey) made from the delivery key: a TID (13 characters of
 * base32-sortable, top bit clear) whose time is the event's start and
 * whose remaining bits come from the key, the same on every try. Before
 * creating, com.atproto.repo.getRecord looks for that key, so a retry or a
 * run after a crash finds the post instead of making a second one.
 *
 * The record: plain text of at most 300 grapheme clusters, links and
 * hashtags as facets with UTF-8 byte offsets, langs, an external embed
 * (link card) for the event's page; reminders, updates, cancellations and
 * reinstatements reply to the announcement (reply.root and reply.parent
 * with its uri and cid). Posts cannot be edited: an update is a reply. */
#include "chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secret.h"
#include "site.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

enum { WAIT, LOGIN, REFRESH, LOOKUP, CREATE };

#define BLUESKY_MAX 300

struct bluesky_conf {
  char *pds, *handle;
  struct secret_ref app_password;
  struct strlist hashtags;
};

#define BF(k, kind, m, flags, def)                                             \
  CFG_FIELD(k, kind, struct bluesky_conf, m, flags, def)
static const struct cfg_field fields[] = {
    BF("pds", CFG_ENDPOINT, pds, 0, "https://bsky.social"),
    BF("handle", CFG_STR, handle, CFG_REQUIRED, NULL),
    BF("app_password", CFG_SECRET, app_password, CFG_REQUIRED, NULL),
    BF("hashtags", CFG_LIST, hashtags, CFG_TEMPLATE, NULL), CFG_END};

/* One run's session for the channel (its tokens are secrets). */
struct bluesky_ctx {
  char *access, *refresh, *did;
  bool logging_in;              /* a delivery asked for the session */
  char failed[512];             /* why the session could not be made */
  bool failed_for_now;          /* ... for a reason that may pass */
  const struct delivery *owner; /* the delivery that logs in */
};

struct bluesky_delivery {
  char rkey[14];
  bool refreshed; /* this attempt refreshed the session once */
};

#define CONF(d) CHAN_CONF(struct bluesky_conf, (d)->ctx->ch)

static int check(const struct cfg_check *k, struct channel *ch)
{
  struct bluesky_conf *b = ch->conf;
  if (b->handle && b->handle[0] == '@')
    memmove(b->handle, b->handle + 1, strlen(b->handle));
  if (b->handle && (!strchr(b->handle, '.') || strpbrk(b->handle, " /@")))
    return cfg_error(k, "handle",
                     "'handle' must be a handle such as treff.bsky.social, "
                     "not '%s'",
                     b->handle);
  return chan_hashtags(k, "hashtags", &b->hashtags);
}

static int prepare(struct chan_ctx *c, struct err *e)
{
  if (!http_url_allowed(CHAN_CONF(struct bluesky_conf, c->ch)->pds))
    return err_set(e, EX_CONFIG,
                   "channel '%s': the pds must be https:// (http only to a "
                   "loopback address)",
                   c->ch->name);
  return 0;
}

static void wipe(char **s)
{
  if (*s) {
    explicit_bzero(*s, strlen(*s));
    free(*s);
    *s = NULL;
  }
}

static void ctx_release(struct chan_ctx *c)
{
  struct bluesky_ctx *b = c->priv;
  wipe(&b->access);
  wipe(&b->refresh);
  free(b->did);
}

/* A record key from the delivery key: a TID whose 53 bits of
 * microseconds are the event's start (plus up to a second from the key)
 * and whose 10 bits of clock id come from the key. */
static void rkey_of(const struct delivery *d, char out[14])
{
  static const char alphabet[] = "234567abcdefghijklmnopqrstuvwxyz";
  unsigned long long h = 0;
  for (int i = 0; i < 16; i++) {
    unsigned v =
        (unsigned)(d->key[i] <= '9' ? d->key[i] - '0' : d->key[i] - 'a' + 10);
    h = h << 4 | v;
  }
  unsigned long long start =
      d->ev->start > 0 ? (unsigned long long)d->ev->start : 0;
  unsigned long long micros = start * 1000000ULL + (h >> 10) % 1000000ULL;
  unsigned long long tid =
      ((micros & ((1ULL << 53) - 1)) << 10) | (h & 0x3FF); /* top bit 0 */
  for (int i = 12; i >= 0; i--) {
    out[i] = alphabet[tid & 31];
    tid >>= 5;
  }
  out[13] = '\0';
}

static void xrpc(struct delivery *d, struct http_req *req, const char *nsid,
                 const char *bearer)
{
  chan_url(req, CONF(d)->pds, "/xrpc/");
  buf_adds(&req->url, nsid);
  http_req_header(req, "Accept: application/json");
  if (bearer)
    http_req_header(req, "Authorization: Bearer %s", bearer);
  chan_user_agent(req);
  req->serial = d->ctx->serial;
}

static void login(struct delivery *d, struct http_req *req)
{
  struct bluesky_ctx *b = d->ctx->priv;
  b->logging_in = true;
  b->owner = d;
  xrpc(d, req, "com.atproto.server.createSession", NULL);
  req->method = HTTP_POST;
  http_req_header(req, "Content-Type: application/json");
  chan_json_body(
      req, json_pack("{s:s, s:s}", "identifier", CONF(d)->handle, "password",
                     chan_secret(d->ctx, &CONF(d)->app_password)->data));
  d->phase = LOGIN;
}

static void lookup(struct delivery *d, struct http_req *req)
{
  struct bluesky_ctx *b = d->ctx->priv;
  struct bluesky_delivery *bd = d->priv;
  xrpc(d, req, "com.atproto.repo.getRecord", b->access);
  buf_adds(&req->url, "?repo=");
  http_escape(&req->url, b->did);
  buf_adds(&req->url, "&collection=app.bsky.feed.post&rkey=");
  buf_adds(&req->url, bd->rkey);
  req->method = HTTP_GET;
  d->phase = LOOKUP;
}

/* A hashtag at p: '#' at the start or after white space, then letters,
 * digits, '_' or non-ASCII up to white space or punctuation; not digits
 * alone. Returns its length with the '#', or 0. */
static size_t tag_len(const char *s, const char *p)
{
  if (*p != '#' || (p != s && !strchr(" \t\n(", p[-1])))
    return 0;
  size_t n = 1;
  bool letter = false;
  while (p[n] && ((unsigned char)p[n] >= 0x80 || (p[n] >= '0' && p[n] <= '9') ||
                  p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') ||
                  (p[n] >= 'A' && p[n] <= 'Z'))) {
    if (!(p[n] >= '0' && p[n] <= '9'))
      letter = true;
    n++;
  }
  return n > 1 && n <= 65 && letter ? n : 0;
}

static json_t *facet(size_t start, size_t end, json_t *feature)
{
  return json_pack("{s:{s:I, s:I}, s:[o]}", "index", "byteStart",
                   (json_int_t)start, "byteEnd", (json_int_t)end, "features",
                   feature);
}

/* Links and hashtags of text as facets (UTF-8 byte offsets). */
static json_t *facets(const char *text)
{
  json_t *a = json_array();
  for (const char *p = text; *p;) {
    size_t n;
    if ((n = chan_link_len(text, p)) > 8) {
      char *uri = xstrndup(p, n);
      json_array_append_new(
          a, facet((size_t)(p - text), (size_t)(p - text) + n,
                   json_pack("{s:s, s:s}", "$type",
                             "app.bsky.richtext.facet#link", "uri", uri)));
      free(uri);
      p += n;
    } else if ((n = tag_len(text, p)) > 0) {
      char *tag = xstrndup(p + 1, n - 1);
      json_array_append_new(
          a, facet((size_t)(p - text), (size_t)(p - text) + n,
                   json_pack("{s:s, s:s}", "$type",
                             "app.bsky.richtext.facet#tag", "tag", tag)));
      free(tag);
      p += n;
    } else {
      p++;
    }
  }
  return a;
}

/* The announcement's post, for replies: {uri, cid}, or NULL. */
static json_t *announced_ref(const struct delivery *d)
{
  const char *uri = chan_first_state(d, "uri");
  const char *cid = chan_first_state(d, "cid");
  return uri && cid ? json_pack("{s:s, s:s}", "uri", uri, "cid", cid) : NULL;
}

static json_t *record(const struct delivery *d)
{
  struct buf now = BUF_INIT, url = BUF_INIT;
  when_rfc3339_utc(time(NULL), &now);
  json_t *langs = json_array();
  for (const char *p = d->lang; *p;) {
    size_t n = strcspn(p, "+");
    char *l = xstrndup(p, n);
    json_array_append_new(langs, json_string(l));
    free(l);
    p += n + (p[n] == '+');
  }
  json_t *r =
      json_pack("{s:s, s:s, s:s, s:o}", "$type", "app.bsky.feed.post", "text",
                d->msg.markdown, "createdAt", now.data, "langs", langs);
  json_t *f = facets(d->msg.markdown);
  if (json_array_size(f))
    json_object_set_new(r, "facets", f);
  else
    json_decref(f);
  if (d->ctx->cfg->site_url) {
    site_event_url(d->ctx->cfg, d->ev, &url);
    json_object_set_new(r, "embed",
                        json_pack("{s:s, s:{s:s, s:s, s:s}}", "$type",
                                  "app.bsky.embed.external", "external", "uri",
                                  url.data, "title", d->ev->title,
                                  "description", d->msg.subject));
  }
  json_t *parent = d->kind == NOTICE_ANNOUNCE ? NULL : announced_ref(d);
  if (parent)
    json_object_set_new(
        r, "reply", json_pack("{s:O, s:o}", "root", parent, "parent", parent));
  buf_release(&now);
  buf_release(&url);
  return r;
}

static void create(struct delivery *d, struct http_req *req, const char *did,
                   const char *access)
{
  struct bluesky_delivery *bd = d->priv;
  xrpc(d, req, "com.atproto.repo.createRecord", access);
  req->method = HTTP_POST;
  http_req_header(req, "Content-Type: application/json");
  chan_json_body(req, json_pack("{s:s, s:s, s:s, s:o}", "repo", did,
                                "collection", "app.bsky.feed.post", "rkey",
                                bd->rkey, "record", record(d)));
  d->phase = CREATE;
}

static void take_post(struct delivery *d, const char *uri, const char *cid)
{
  struct bluesky_delivery *bd = d->priv;
  snprintf(d->remote_id, sizeof(d->remote_id), "%s", uri);
  snprintf(d->url, sizeof(d->url), "https://bsky.app/profile/%s/post/%s",
           CONF(d)->handle, bd->rkey);
  json_object_set_new(d->state, "uri", json_string(uri));
  json_object_set_new(d->state, "cid", json_string(cid ? cid : ""));
}

/* The XRPC error name of an answer ("ExpiredToken"), or "". */
static const char *xrpc_error(json_t *j)
{
  const char *e = json_string_value(json_object_get(j, "error"));
  return e ? e : "";
}

/* With a session: the lookup; without one, wait for it or make it. */
static enum step begin(struct http_task *t, struct delivery *d,
                       struct http_req *req)
{
  struct bluesky_ctx *b = d->ctx->priv;
  if (b->failed[0] && b->failed_for_now && b->owner == d) {
    b->failed[0] = '\0';     /* the one that logs in tries again */
  } else if (b->failed[0]) { /* the others do not log in themselves */
    snprintf(t->error, sizeof(t->error), "%s", b->failed);
    return b->failed_for_now ? STEP_RETRY : STEP_FAIL;
  }
  if (b->access) {
    lookup(d, req);
    return STEP_SEND;
  }
  if (b->logging_in) { /* queued behind the login on the serial key */
    xrpc(d, req, "com.atproto.server.describeServer", NULL);
    req->method = HTTP_GET;
    d->phase = WAIT;
    return STEP_SEND;
  }
  login(d, req);
  return STEP_SEND;
}

static enum step on_session(struct http_task *t, struct delivery *d,
                            const struct http_resp *prev, json_t *j,
                            struct http_req *req)
{
  struct bluesky_ctx *b = d->ctx->priv;
  const char *access = json_string_value(json_object_get(j, "accessJwt"));
  const char *refresh = json_string_value(json_object_get(j, "refreshJwt"));
  const char *did = json_string_value(json_object_get(j, "did"));
  if (access)
    secret_register(access, strlen(access));
  if (refresh)
    secret_register(refresh, strlen(refresh));
  bool was_login = d->phase == LOGIN;
  b->logging_in = false;
  if (!chan_ok(prev) || !access || !refresh || (!did && !b->did)) {
    enum step r = chan_fail(t, prev,
                            was_login ? "logging in (createSession; check "
                                        "the handle and the app password)"
                                      : "refreshing the session");
    /* the channel's other deliveries fail with it, this run */
    snprintf(b->failed, sizeof(b->failed), "%s", t->error);
    b->failed_for_now = r == STEP_RETRY;
    return r;
  }
  wipe(&b->access);
  wipe(&b->refresh);
  b->access = xstrdup(access);
  b->refresh = xstrdup(refresh);
  if (did) {
    free(b->did);
    b->did = xstrdup(did);
  }
  lookup(d, req);
  return STEP_SEND;
}

static enum step step(struct http_task *t, const struct http_resp *prev,
                      struct http_req *req)
{
  struct delivery *d = task_delivery(t);
  struct bluesky_ctx *b = d->ctx->priv;
  struct bluesky_delivery *bd = d->priv;
  if (!prev) {
    rkey_of(d, bd->rkey);
    bd->refreshed = false;
    if (chan_fits(t, d, d->msg.markdown) < 0)
      return STEP_FAIL;
    return begin(t, d, req);
  }
  json_t *j = chan_json(prev);
  enum step r = STEP_FAIL;
  bool expired = prev->code == CURLE_OK &&
                 (prev->status == 400 || prev->status == 401) &&
                 (strcmp(xrpc_error(j), "ExpiredToken") == 0 ||
                  strcmp(xrpc_error(j), "InvalidToken") == 0);
  if (expired && (d->phase == LOOKUP || d->phase == CREATE) && b->refresh &&
      !bd->refreshed) {
    bd->refreshed = true; /* the access token ran out: refresh it once */
    xrpc(d, req, "com.atproto.server.refreshSession", b->refresh);
    req->method = HTTP_POST;
    d->phase = REFRESH;
    json_decref(j);
    return STEP_SEND;
  }
  switch (d->phase) {
  case WAIT:
    r = begin(t, d, req);
    if (r == STEP_SEND && d->phase == WAIT) { /* still no session */
      snprintf(t->error, sizeof(t->error),
               "no session: the login did not "
               "finish");
      r = STEP_RETRY;
    }
    break;
  case LOGIN:
  case REFRESH:
    r = on_session(t, d, prev, j, req);
    break;
  case LOOKUP: {
    const char *uri = json_string_value(json_object_get(j, "uri"));
    if (chan_ok(prev) && uri) { /* made before: nothing more to do */
      take_post(d, uri, json_string_value(json_object_get(j, "cid")));
      r = STEP_DONE;
    } else if (prev->code == CURLE_OK &&
               (prev->status == 404 ||
                (prev->status == 400 &&
                 strcmp(xrpc_error(j), "RecordNotFound") == 0))) {
      create(d, req, b->did, b->access);
      r = STEP_SEND;
    } else {
      r = chan_fail(t, prev, "looking for the post (getRecord)");
    }
    break;
  }
  case CREATE: {
    const char *uri = json_string_value(json_object_get(j, "uri"));
    if (chan_ok(prev) && uri) {
      take_post(d, uri, json_string_value(json_object_get(j, "cid")));
      r = STEP_DONE;
    } else if (chan_ok(prev)) {
      snprintf(t->error, sizeof(t->error),
               "createRecord: no uri in the "
               "answer");
    } else {
      r = chan_fail(t, prev, "posting (createRecord)");
    }
    break;
  }
  }
  json_decref(j);
  return r;
}

static void dry(struct delivery *d, struct http_req *req)
{
  struct bluesky_delivery *bd = d->priv;
  rkey_of(d, bd->rkey);
  create(d, req, "(the account's DID)", "(the session's token)");
}

const struct chan_type chan_bluesky = {.name = "bluesky",
                                       .label = "Bluesky",
                                       .fields = fields,
                                       .conf_size = sizeof(struct bluesky_conf),
                                       .check = check,
                                       .format = CHAN_PLAIN,
                                       .text_max = BLUESKY_MAX,
                                       .text_length = utf8_graphemes,
                                       .idem = IDEM_RECORD,
                                       .ctx_size = sizeof(struct bluesky_ctx),
                                       .delivery_size =
                                           sizeof(struct bluesky_delivery),
                                       .prepare = prepare,
                                       .ctx_release = ctx_release,
                                       .step = step,
                                       .dry = dry};

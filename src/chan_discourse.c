/* Discourse: a topic per event in a forum's category, through its API
 * (Api-Key and Api-Username headers, JSON). The announcement creates the
 * topic (POST /posts.json with title, raw, category) with external_id =
 * the announcement's identity, "crier-" and the first 40 hex digits of its
 * delivery key; before creating, GET /t/external_id/{id}.json looks for it
 * (a redirect to the topic, or 404), so neither a retry nor a lost journal
 * makes a second topic. An event file that already links a thread on the
 * same forum (https://forum/t/slug/ID) gets the announcement as a reply
 * in that thread instead. Later notices are replies in the topic; an
 * update edits the announcement's post (PUT /posts/{id}.json) to show the
 * new facts. Discourse keeps no key for replies: a reply a stopped run
 * left 'sending' ends 'uncertain'. */
#include "chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "util.h"
#include "xalloc.h"

enum { FIND, CREATE, REPLY, TOPIC, EDIT };

struct discourse_conf {
  char *forum, *username;
  struct secret_ref api_key;
  long category; /* 0: the forum's default */
};

#define DF(k, kind, m, flags, def)                                             \
  CFG_FIELD(k, kind, struct discourse_conf, m, flags, def)
static const struct cfg_field fields[] = {
    DF("forum", CFG_ENDPOINT, forum, CFG_REQUIRED, NULL),
    DF("api_key", CFG_SECRET, api_key, CFG_REQUIRED, NULL),
    DF("username", CFG_STR, username, CFG_REQUIRED, NULL),
    DF("category", CFG_INT, category, 0, NULL), CFG_END};

struct discourse_delivery {
  long topic; /* the event's topic */
};

#define CONF(d) CHAN_CONF(struct discourse_conf, (d)->ctx->ch)

static int prepare(struct chan_ctx *c, struct err *e)
{
  if (!http_url_allowed(CHAN_CONF(struct discourse_conf, c->ch)->forum))
    return err_set(e, EX_CONFIG,
                   "channel '%s': the forum must be https:// (http only to "
                   "a loopback address)",
                   c->ch->name);
  return 0;
}

/* The topic id of a URL on the forum: /t/ID, /t/SLUG/ID, /t/SLUG/ID/POST
 * (also with .json); 0 if it is no topic of this forum. */
static long topic_of(const char *forum, const char *u)
{
  struct url f, l;
  if (!u || url_parse(forum, &f, NULL) < 0 || url_parse(u, &l, NULL) < 0 ||
      strcmp(f.host, l.host) != 0 || f.port != l.port)
    return 0;
  const char *p = strstr(l.rest, "/t/");
  if (!p)
    return 0;
  p += 3;
  for (int seg = 0; seg < 2 && *p; seg++) {
    char *end;
    long n = strtol(p, &end, 10);
    if (end != p && n > 0 && (!*end || strchr("/.?#", *end)))
      return n;
    p = strchr(p, '/');
    if (!p)
      return 0;
    p++;
  }
  return 0;
}

/* The thread the event file links on this forum, if any. */
static long linked_topic(const struct delivery *d)
{
  for (size_t i = 0; i < d->ev->nlinks; i++) {
    long t = topic_of(CONF(d)->forum, d->ev->links[i].url);
    if (t)
      return t;
  }
  return 0;
}

/* The announcement's identity on the forum (at most 50 characters). */
static void external_id(const struct delivery *d, char out[48])
{
  snprintf(out, 48, "crier-%.40s", d->key);
}

static void api(struct delivery *d, struct http_req *req, const char *path)
{
  chan_url(req, CONF(d)->forum, path);
  http_req_header(req, "Api-Key: %s",
                  chan_secret(d->ctx, &CONF(d)->api_key)->data);
  http_req_header(req, "Api-Username: %s", CONF(d)->username);
  http_req_header(req, "Accept: application/json");
  chan_user_agent(req);
  req->serial = d->ctx->serial;
}

static void find(struct delivery *d, struct http_req *req)
{
  char ext[48];
  external_id(d, ext);
  struct buf p = BUF_INIT;
  buf_adds(&p, "/t/external_id/");
  http_escape(&p, ext);
  buf_adds(&p, ".json");
  api(d, req, p.data);
  buf_release(&p);
  req->method = HTTP_GET;
  d->phase = FIND;
}

static void create(struct delivery *d, struct http_req *req)
{
  char ext[48];
  external_id(d, ext);
  api(d, req, "/posts.json");
  req->method = HTTP_POST;
  http_req_header(req, "Content-Type: application/json");
  json_t *o = json_pack("{s:s, s:s, s:s}", "title", d->msg.subject, "raw",
                        d->msg.markdown, "external_id", ext);
  if (CONF(d)->category)
    json_object_set_new(o, "category", json_integer(CONF(d)->category));
  chan_json_body(req, o);
  d->phase = CREATE;
}

/* A post in the topic: the announcement (into a linked thread) as it is,
 * later notices under their subject. */
static void reply(struct delivery *d, struct http_req *req, long topic)
{
  api(d, req, "/posts.json");
  req->method = HTTP_POST;
  http_req_header(req, "Content-Type: application/json");
  struct buf raw = BUF_INIT;
  if (d->kind == NOTICE_ANNOUNCE)
    buf_addf(&raw, "## %s\n\n", d->msg.subject);
  else
    buf_addf(&raw, "### %s\n\n", d->msg.subject);
  buf_adds(&raw, d->msg.markdown);
  chan_json_body(req, json_pack("{s:I, s:s}", "topic_id", (json_int_t)topic,
                                "raw", raw.data));
  buf_release(&raw);
  d->phase = REPLY;
}

static void edit(struct delivery *d, struct http_req *req, const char *post)
{
  struct buf p = BUF_INIT;
  buf_adds(&p, "/posts/");
  http_escape(&p, post);
  buf_adds(&p, ".json");
  api(d, req, p.data);
  buf_release(&p);
  req->method = HTTP_PUT;
  http_req_header(req, "Content-Type: application/json");
  const struct message *a =
      d->announcement.markdown ? &d->announcement : &d->msg;
  struct buf raw = BUF_INIT;
  if (chan_first_state(d, "linked"))
    buf_addf(&raw, "## %s\n\n", a->subject);
  buf_adds(&raw, a->markdown);
  chan_json_body(req, json_pack("{s:{s:s, s:s}}", "post", "raw", raw.data,
                                "edit_reason", d->msg.subject));
  buf_release(&raw);
  d->phase = EDIT;
}

static void topic_url(struct delivery *d, long topic, const char *slug)
{
  const char *f = CONF(d)->forum;
  size_t n = strlen(f);
  while (n && f[n - 1] == '/')
    n--;
  snprintf(d->url, sizeof(d->url), "%.*s/t/%s%s%ld", (int)n, f,
           slug ? slug : "", slug ? "/" : "", topic);
}

static void take_topic(struct delivery *d, long topic, const char *post,
                       const char *slug)
{
  struct discourse_delivery *dd = d->priv;
  dd->topic = topic;
  char n[32];
  snprintf(n, sizeof(n), "%ld", topic);
  json_object_set_new(d->state, "topic_id", json_string(n));
  if (post)
    json_object_set_new(d->state, "post_id", json_string(post));
  snprintf(d->remote_id, sizeof(d->remote_id), "%s", post ? post : n);
  topic_url(d, topic, slug);
}

/* What the announcement became: its topic (0 if not known). */
static long announced_topic(const struct delivery *d)
{
  const char *t = chan_first_state(d, "topic_id");
  return t ? strtol(t, NULL, 10) : 0;
}

static enum step start(struct http_task *t, struct delivery *d,
                       struct http_req *req)
{
  struct discourse_delivery *dd = d->priv;
  if (d->kind == NOTICE_ANNOUNCE) {
    dd->topic = linked_topic(d);
    if (dd->topic) {
      json_object_set_new(d->state, "linked", json_string("yes"));
      reply(d, req, dd->topic);
    } else {
      find(d, req);
    }
    return STEP_SEND;
  }
  dd->topic = announced_topic(d);
  if (!dd->topic)
    dd->topic = linked_topic(d);
  if (!dd->topic) {
    snprintf(t->error, sizeof(t->error),
             "no topic is known for %s on this forum (announce it first, "
             "or link its thread in the event file)",
             d->ev->id);
    return STEP_FAIL;
  }
  if (d->kind == NOTICE_UPDATE) {
    const char *post = chan_first_state(d, "post_id");
    if (post) {
      edit(d, req, post);
    } else { /* the first post of a topic found by its external_id */
      char p[48];
      snprintf(p, sizeof(p), "/t/%ld.json", dd->topic);
      api(d, req, p);
      req->method = HTTP_GET;
      d->phase = TOPIC;
    }
    return STEP_SEND;
  }
  reply(d, req, dd->topic);
  return STEP_SEND;
}

/* The topic a redirect names ("/t/slug/123.json", or a full URL): its id,
 * and its slug into slug (empty when the path has none). */
static long redirected_topic(const struct http_resp *r, char *slug, size_t n)
{
  char *loc = http_header(r, "location");
  const char *p = loc ? strstr(loc, "/t/") : NULL;
  long t = 0;
  slug[0] = '\0';
  if (p) {
    p += 3;
    size_t len = strcspn(p, ".?#");
    const char *last = p + len;
    while (last > p && last[-1] != '/')
      last--;
    char *end;
    t = strtol(last, &end, 10);
    if (end == last || t <= 0)
      t = 0;
    else if (last > p)
      snprintf(slug, n, "%.*s", (int)(last - p - 1), p);
  }
  free(loc);
  return t;
}

static enum step failed(struct http_task *t, const struct http_resp *r,
                        json_t *j, const char *what)
{
  json_t *errs = json_object_get(j, "errors");
  if (r->code == CURLE_OK && r->status == 422 && json_array_size(errs)) {
    struct buf b = BUF_INIT;
    size_t i;
    json_t *v;
    json_array_foreach(errs, i, v)
    {
      buf_addf(&b, "%s%s", i ? "; " : "", json_string_value(v));
    }
    snprintf(t->error, sizeof(t->error), "%s: HTTP 422: %s", what, b.data);
    buf_release(&b);
    return STEP_FAIL;
  }
  return chan_fail(t, r,
                   r->status == 403 ? "the forum refused (check api_key, "
                                      "username and the category's rights)"
                                    : what);
}

static enum step step(struct http_task *t, const struct http_resp *prev,
                      struct http_req *req)
{
  struct delivery *d = task_delivery(t);
  if (!prev)
    return start(t, d, req);
  json_t *j = chan_json(prev);
  bool ok = chan_ok(prev);
  enum step r = STEP_FAIL;
  char id[32];
  switch (d->phase) {
  case FIND: {
    char slug[256] = "";
    long topic =
        prev->code == CURLE_OK && prev->status >= 300 && prev->status < 400
            ? redirected_topic(prev, slug, sizeof(slug))
            : 0;
    if (!topic && ok) { /* a server that answers with the topic itself */
      topic = (long)json_integer_value(json_object_get(j, "id"));
      const char *sl = json_string_value(json_object_get(j, "slug"));
      snprintf(slug, sizeof(slug), "%s", sl ? sl : "");
    }
    if (topic) { /* created before: taken, not made again */
      take_topic(d, topic, NULL, slug[0] ? slug : NULL);
      r = STEP_DONE;
    } else if (prev->code == CURLE_OK && prev->status == 404) {
      create(d, req);
      r = STEP_SEND;
    } else {
      r = failed(t, prev, j, "looking for the topic by its external_id");
    }
    break;
  }
  case CREATE:
  case REPLY: {
    json_int_t post = json_integer_value(json_object_get(j, "id"));
    json_int_t topic = json_integer_value(json_object_get(j, "topic_id"));
    if (ok && post && topic) {
      snprintf(id, sizeof(id), "%lld", (long long)post);
      take_topic(d, (long)topic, id,
                 json_string_value(json_object_get(j, "topic_slug")));
      r = STEP_DONE;
    } else if (ok) {
      snprintf(t->error, sizeof(t->error), "posting: no post in the answer");
    } else {
      r = failed(t, prev, j,
                 d->phase == CREATE ? "creating the topic" : "replying");
    }
    break;
  }
  case TOPIC: {
    json_t *posts = json_object_get(json_object_get(j, "post_stream"), "posts");
    json_int_t post =
        json_integer_value(json_object_get(json_array_get(posts, 0), "id"));
    if (ok && post) {
      snprintf(id, sizeof(id), "%lld", (long long)post);
      edit(d, req, id);
      r = STEP_SEND;
    } else {
      r = failed(t, prev, j, "reading the topic");
      if (ok)
        snprintf(t->error, sizeof(t->error),
                 "reading the topic: no first "
                 "post");
    }
    break;
  }
  case EDIT:
    if (ok) {
      struct discourse_delivery *dd = d->priv;
      const char *post =
          json_string_value(json_object_get(json_object_get(j, "post"), "id"));
      json_int_t pid =
          json_integer_value(json_object_get(json_object_get(j, "post"), "id"));
      if (!post && pid) {
        snprintf(id, sizeof(id), "%lld", (long long)pid);
        post = id;
      }
      take_topic(d, dd->topic, post, NULL);
      r = STEP_DONE;
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
  struct discourse_delivery *dd = d->priv;
  long topic = d->kind == NOTICE_ANNOUNCE ? linked_topic(d) : 0;
  if (d->kind == NOTICE_ANNOUNCE && !topic) {
    create(d, req);
  } else if (d->kind == NOTICE_UPDATE) {
    const char *post = chan_first_state(d, "post_id");
    edit(d, req, post ? post : "(the announcement's post id)");
  } else {
    dd->topic = topic ? topic : announced_topic(d);
    reply(d, req, dd->topic);
  }
}

/* Only the topic has a key Discourse keeps: a reply is not found again. */
static bool looks_up(const struct delivery *d)
{
  return d->kind == NOTICE_ANNOUNCE && !linked_topic(d);
}

const struct chan_type chan_discourse = {
    .name = "discourse",
    .label = "Discourse",
    .fields = fields,
    .conf_size = sizeof(struct discourse_conf),
    .format = CHAN_MARKDOWN,
    .subject_max = 255, /* max_topic_title_length's default */
    .text_max = 32000,  /* max_post_length's default */
    .update_shows_announcement = true,
    .idem = IDEM_LOOKUP,
    .looks_up = looks_up,
    .delivery_size = sizeof(struct discourse_delivery),
    .prepare = prepare,
    .step = step,
    .dry = dry};

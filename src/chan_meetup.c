/* Meetup.com through its GraphQL API. The access token comes from the
 * config, or from the JWT bearer flow (RS256), or from a refresh token
 * that rotates: the new one is stored (<journal>.tokens) before the access
 * token is used. An event file that links its Meetup event has that event
 * edited; otherwise the announcement creates a DRAFT, publishes it and
 * announces it. Each of those steps is recorded in the journal at once,
 * and announceEvent (which e-mails the members) is never repeated: if a
 * run dies while it is under way, the delivery ends 'uncertain'.
 *
 * Before createEvent, when the journal knows no Meetup event for the
 * delivery (a first try, a run killed between the request and its record,
 * a lost journal), the group's events around the start are searched for
 * one with the same title: found, it is taken (a published one counts as
 * announced: announceEvent is not repeated on a guess).
 *
 * An update edits only what changed: the start, the title (the
 * announcement's title, when the event's title changed), the directions
 * (howToFindUs) when the place changed, and the description re-rendered
 * from the announcement with the new facts. Every request of one channel
 * goes one after another, sharing one token. */
#include "chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ical.h"
#include "key.h"
#include "jwt.h"
#include "secret.h"
#include "when.h"
#include "xalloc.h"

enum { TOKEN, FIND, CREATE, PUBLISH, ANNOUNCE, EDIT, DELETE };

struct meetup_conf {
  char *group, *api_url, *token_url;
  char *on_cancel; /* "cancel" (keep it on the calendar) or "delete" */
  struct {
    struct secret_ref access_token;
    char *client_key, *member_id, *key_id, *client_id;
    struct secret_ref private_key, client_secret, refresh_token;
    enum {
      MEETUP_AUTH_NONE,
      MEETUP_AUTH_TOKEN,
      MEETUP_AUTH_JWT,
      MEETUP_AUTH_REFRESH
    } kind;
  } auth;
};

#define MF(k, kind, m, flags, def)                                             \
  CFG_FIELD(k, kind, struct meetup_conf, m, flags, def)
static const struct cfg_field jwt_fields[] = {
    MF("client_key", CFG_STR, auth.client_key, 0, NULL),
    MF("member_id", CFG_STR, auth.member_id, 0, NULL),
    MF("key_id", CFG_STR, auth.key_id, 0, NULL),
    MF("private_key", CFG_SECRET, auth.private_key, 0, NULL), CFG_END};
/* the refresh token is read when it is needed: after its first use the
 * newest one is in the token store */
static const struct cfg_field refresh_fields[] = {
    MF("client_id", CFG_STR, auth.client_id, 0, NULL),
    MF("client_secret", CFG_SECRET, auth.client_secret, 0, NULL),
    MF("refresh_token", CFG_SECRET, auth.refresh_token, CFG_LAZY, NULL),
    CFG_END};
static const struct cfg_field auth_fields[] = {
    MF("access_token", CFG_SECRET, auth.access_token, 0, NULL),
    CFG_SUB("jwt", jwt_fields), CFG_SUB("refresh", refresh_fields), CFG_END};
static const struct cfg_field fields[] = {
    MF("group", CFG_STR, group, CFG_REQUIRED, NULL),
    MF("api_url", CFG_ENDPOINT, api_url, 0, "https://api.meetup.com/gql-ext"),
    MF("token_url", CFG_ENDPOINT, token_url, 0,
       "https://secure.meetup.com/oauth2/access"),
    MF("on_cancel", CFG_STR, on_cancel, 0, NULL),
    {"auth", CFG_SECTION, 0, auth_fields, CFG_REQUIRED, NULL},
    CFG_END};

/* What the deliveries to one channel share: an access token fetched this
 * run (a secret). */
struct meetup_ctx {
  char *token;
};

/* A delivery's working state. */
struct meetup_delivery {
  bool searched; /* the group's events were searched in this attempt */
};

#define CONF(d) CHAN_CONF(struct meetup_conf, (d)->ctx->ch)

static int check(const struct cfg_check *k, struct channel *ch)
{
  struct meetup_conf *m = ch->conf;
  int rc = 0;
  int kinds =
      (m->auth.access_token.kind != SECRET_NONE) +
      (m->auth.private_key.kind != SECRET_NONE || m->auth.client_key != NULL) +
      (m->auth.refresh_token.kind != SECRET_NONE || m->auth.client_id != NULL);
  if (cfg_has(k, "auth") && kinds != 1)
    rc = cfg_error(k, "auth",
                   "'auth' takes exactly one of access_token, jwt or refresh");
  m->auth.kind = m->auth.access_token.kind ? MEETUP_AUTH_TOKEN
                 : m->auth.client_key      ? MEETUP_AUTH_JWT
                 : m->auth.client_id       ? MEETUP_AUTH_REFRESH
                                           : MEETUP_AUTH_NONE;
  if (m->on_cancel && strcmp(m->on_cancel, "cancel") != 0 &&
      strcmp(m->on_cancel, "delete") != 0)
    rc = cfg_error(k, "on_cancel",
                   "'on_cancel' must be cancel or delete, not '%s'",
                   m->on_cancel);
  /* event files may name their Meetup event by its id alone: the first
   * Meetup channel's group makes it a URL */
  if (!k->cfg->fmt.meetup_group && m->group)
    k->cfg->fmt.meetup_group = xstrdup(m->group);
  return rc;
}

static int prepare(struct chan_ctx *c, struct err *e)
{
  const struct channel *ch = c->ch;
  const struct meetup_conf *m = ch->conf;
  if (!http_url_allowed(m->api_url) || !http_url_allowed(m->token_url))
    return err_set(e, EX_CONFIG,
                   "channel '%s': api_url and token_url must "
                   "be https:// (http only to a loopback address)",
                   ch->name);
  switch (m->auth.kind) {
  case MEETUP_AUTH_TOKEN:
  case MEETUP_AUTH_REFRESH:
    return 0;
  case MEETUP_AUTH_JWT:
    if (!m->auth.member_id || !m->auth.key_id || !m->auth.private_key.kind)
      return err_set(e, EX_CONFIG,
                     "channel '%s': jwt needs client_key, "
                     "member_id, key_id and private_key",
                     ch->name);
    return 0;
  default:
    return err_set(e, EX_CONFIG, "channel '%s' has no 'auth'", ch->name);
  }
}

static void ctx_release(struct chan_ctx *c)
{
  struct meetup_ctx *mc = c->priv;
  if (mc->token) {
    explicit_bzero(mc->token, strlen(mc->token));
    free(mc->token);
  }
}

static const char *cannot(const struct delivery *d)
{
  if (d->kind == NOTICE_REMINDER)
    return "Meetup.com has no way to post a message to an event";
  if (d->kind == NOTICE_REINSTATE)
    return "Meetup.com cannot take back a cancellation: restore the event "
           "on meetup.com (or announce it again with --force)";
  return NULL;
}

/* The id of the Meetup event the file links, if any. */
static char *linked_id(const struct event *ev)
{
  const char *u = event_link(ev, LINK_MEETUP);
  const char *p = u ? strstr(u, "/events/") : NULL;
  if (!p)
    return NULL;
  p += 8;
  size_t n = strcspn(p, "/?#");
  return n ? xstrndup(p, n) : NULL;
}

static char *refresh_key(const struct delivery *d)
{
  struct buf k = BUF_INIT;
  buf_addf(&k, "meetup:%s:refresh_token", d->ctx->ch->name);
  return buf_detach(&k);
}

static void form_value(struct buf *b, const char *name, const char *v)
{
  if (b->len)
    buf_addc(b, '&');
  buf_addf(b, "%s=", name);
  http_escape(b, v);
}

static int token_request(struct delivery *d, struct http_req *req,
                         struct http_task *t)
{
  const struct meetup_conf *m = CONF(d);
  req->method = HTTP_POST;
  buf_adds(&req->url, m->token_url);
  http_req_header(req, "Content-Type: application/x-www-form-urlencoded");
  http_req_header(req, "Accept: application/json");
  chan_user_agent(req);
  if (m->auth.kind == MEETUP_AUTH_JWT) {
    struct buf jwt = BUF_INIT;
    struct err e;
    if (jwt_sign_rs256(chan_secret(d->ctx, &m->auth.private_key)->data,
                       m->auth.key_id, m->auth.member_id, m->auth.client_key,
                       "api.meetup.com", time(NULL), 120, &jwt, &e) < 0) {
      snprintf(t->error, sizeof(t->error), "%s", e.msg);
      return -1;
    }
    secret_register(jwt.data, jwt.len);
    form_value(&req->body, "grant_type",
               "urn:ietf:params:oauth:grant-type:jwt-bearer");
    form_value(&req->body, "assertion", jwt.data);
    secret_wipe(&jwt);
    return 0;
  }
  /* refresh: the newest token is in the journal, the first in the config */
  char *k = refresh_key(d);
  char *stored = d->ctx->journal ? journal_token_get(d->ctx->journal, k) : NULL;
  free(k);
  struct buf rt = BUF_INIT;
  struct err e;
  if (stored) {
    buf_adds(&rt, stored);
    explicit_bzero(stored, strlen(stored));
    free(stored);
    secret_register(rt.data, rt.len);
  } else if (secret_get(&m->auth.refresh_token, "meetup refresh_token", &rt,
                        &e) < 0) {
    snprintf(t->error, sizeof(t->error), "%s", e.msg);
    return -1;
  }
  form_value(&req->body, "grant_type", "refresh_token");
  form_value(&req->body, "refresh_token", rt.data);
  if (m->auth.client_id)
    form_value(&req->body, "client_id", m->auth.client_id);
  const struct buf *cs = chan_secret(d->ctx, &m->auth.client_secret);
  if (cs->len)
    form_value(&req->body, "client_secret", cs->data);
  secret_wipe(&rt);
  return 0;
}

static const char *const documents[] = {
    [FIND] = "query crierFindEvent($urlname: String!, $filter: "
             "GroupEventFilter) { groupByUrlname(urlname: $urlname) { "
             "events(filter: $filter, first: 20) { edges { node { id title "
             "dateTime eventUrl status } } } } }",
    [CREATE] = "mutation crierCreateEvent($input: CreateEventInput!) { "
               "createEvent(input: $input) { event { id eventUrl } errors { "
               "code field message } } }",
    [PUBLISH] = "mutation crierPublishEvent($input: PublishEventDraftInput!) "
                "{ publishEventDraft(input: $input) { event { id eventUrl } "
                "errors { code field message } } }",
    [ANNOUNCE] = "mutation crierAnnounceEvent($input: AnnounceEventInput!) { "
                 "announceEvent(input: $input) { event { id eventUrl } "
                 "errors { code field message } } }",
    [EDIT] = "mutation crierEditEvent($input: EditEventInput!) { "
             "editEvent(input: $input) { event { id eventUrl } errors { "
             "code field message } } }",
    [DELETE] = "mutation crierDeleteEvent($input: DeleteEventInput!) { "
               "deleteEvent(input: $input) { success errors { code field "
               "message } } }",
};
static const char *const operations[] = {
    [FIND] = "crierFindEvent",       [CREATE] = "crierCreateEvent",
    [PUBLISH] = "crierPublishEvent", [ANNOUNCE] = "crierAnnounceEvent",
    [EDIT] = "crierEditEvent",       [DELETE] = "crierDeleteEvent"};
static const char *const results[] = {[FIND] = "groupByUrlname",
                                      [CREATE] = "createEvent",
                                      [PUBLISH] = "publishEventDraft",
                                      [ANNOUNCE] = "announceEvent",
                                      [EDIT] = "editEvent",
                                      [DELETE] = "deleteEvent"};

/* Local wall-clock time of the start, as public clients send it. */
static void start_time(const struct event *ev, struct buf *out)
{
  struct tm tm;
  when_local(ev->start, &tm);
  buf_addf(out, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Directions for howToFindUs: the location's, else its address. */
static void directions(const struct event *ev, struct buf *out)
{
  const struct location *l = ev->loc;
  if (!l)
    return;
  if (l->directions) {
    buf_adds(out, l->directions);
    return;
  }
  const char *parts[] = {l->name, l->street, l->city};
  for (size_t i = 0; i < 3; i++)
    if (parts[i] && *parts[i])
      buf_addf(out, "%s%s", out->len ? ", " : "", parts[i]);
}

static bool same_place(const struct event *a, const struct event *b)
{
  struct buf x = BUF_INIT, y = BUF_INIT;
  directions(a, &x);
  directions(b, &y);
  bool same = strcmp(x.data, y.data) == 0;
  buf_release(&x);
  buf_release(&y);
  return same;
}

/* editEvent's duration, in milliseconds (as a string). */
static void edit_duration(const struct delivery *d, json_t *input)
{
  long cfg = d->ctx->cfg->default_duration;
  char ms[32];
  snprintf(ms, sizeof(ms), "%lld",
           (long long)(event_end(d->ev, cfg) - d->ev->start) * 1000);
  json_object_set_new(input, "duration", json_string(ms));
}

/* The input of an editEvent for an update: only what changed. */
static void edit_input(const struct delivery *d, json_t *input)
{
  const struct event *ev = d->ev, *old = d->old;
  const struct message *a =
      d->announcement.subject ? &d->announcement : &d->msg;
  struct buf b = BUF_INIT;
  if (!old || strcmp(old->title, ev->title) != 0)
    json_object_set_new(input, "title", json_string(a->subject));
  if (!old || old->start != ev->start) {
    start_time(ev, &b);
    json_object_set_new(input, "startDateTime", json_string(b.data));
    buf_reset(&b);
  }
  long dd = d->ctx->cfg->default_duration;
  if (!old || event_end(old, dd) - old->start != event_end(ev, dd) - ev->start)
    edit_duration(d, input);
  if (!old || !same_place(old, ev)) {
    directions(ev, &b);
    json_object_set_new(input, "howToFindUs", json_string(b.data));
  }
  /* the description shows the facts: re-rendered from the announcement */
  json_object_set_new(input, "description", json_string(a->html));
  buf_release(&b);
}

static void gql(struct delivery *d, struct http_req *req, int op,
                const char *event_id)
{
  req->method = HTTP_POST;
  const struct meetup_ctx *mc = d->ctx->priv;
  buf_adds(&req->url, CONF(d)->api_url);
  req->serial = d->ctx->serial;
  http_req_header(req, "Content-Type: application/json");
  http_req_header(req, "Accept: application/json");
  http_req_header(req, "Authorization: Bearer %s",
                  mc->token
                      ? mc->token
                      : chan_secret(d->ctx, &CONF(d)->auth.access_token)->data);
  chan_user_agent(req);
  json_t *vars = json_object();
  json_t *input = json_object();
  struct buf start = BUF_INIT, place = BUF_INIT, dur = BUF_INIT;
  start_time(d->ev, &start);
  directions(d->ev, &place);
  switch (op) {
  case FIND: {
    /* around the start, with the title crier gives it */
    struct buf from = BUF_INIT, to = BUF_INIT;
    when_rfc3339(d->ev->start - 60, &from);
    when_rfc3339(d->ev->start + 60, &to);
    json_object_set_new(vars, "urlname", json_string(CONF(d)->group));
    json_object_set_new(vars, "filter",
                        json_pack("{s:s, s:s, s:s}", "afterDateTime", from.data,
                                  "beforeDateTime", to.data, "title",
                                  d->msg.subject));
    buf_release(&from);
    buf_release(&to);
    break;
  }
  case CREATE:
    json_object_set_new(input, "groupUrlname", json_string(CONF(d)->group));
    json_object_set_new(input, "title", json_string(d->msg.subject));
    json_object_set_new(input, "description", json_string(d->msg.html));
    json_object_set_new(input, "startDateTime", json_string(start.data));
    /* createEvent takes an ISO 8601 duration */
    ical_duration(
        (long)(event_end(d->ev, d->ctx->cfg->default_duration) - d->ev->start),
        &dur);
    json_object_set_new(input, "duration", json_string(dur.data));
    if (place.len)
      json_object_set_new(input, "howToFindUs", json_string(place.data));
    json_object_set_new(input, "publishStatus", json_string("DRAFT"));
    break;
  case EDIT:
    json_object_set_new(input, "eventId", json_string(event_id));
    if (d->kind == NOTICE_UPDATE) {
      edit_input(d, input);
    } else { /* the announcement of a linked event sets it up */
      json_object_set_new(input, "title", json_string(d->msg.subject));
      json_object_set_new(input, "description", json_string(d->msg.html));
      json_object_set_new(input, "startDateTime", json_string(start.data));
      edit_duration(d, input);
      if (place.len)
        json_object_set_new(input, "howToFindUs", json_string(place.data));
    }
    break;
  case DELETE:
    json_object_set_new(input, "eventId", json_string(event_id));
    json_object_set_new(
        input, "removeFromCalendar",
        json_boolean(CONF(d)->on_cancel &&
                     strcmp(CONF(d)->on_cancel, "delete") == 0));
    break;
  default:
    json_object_set_new(input, "eventId", json_string(event_id));
  }
  if (op != FIND)
    json_object_set_new(vars, "input", input);
  else
    json_decref(input);
  buf_release(&start);
  buf_release(&place);
  buf_release(&dur);
  json_t *doc = json_pack("{s:s, s:o, s:s}", "query", documents[op],
                          "variables", vars, "operationName", operations[op]);
  chan_json_body(req, doc);
  d->phase = op;
}

static const char *state_str(const struct delivery *d, const char *k)
{
  return json_string_value(json_object_get(d->state, k));
}

static void set_state(struct delivery *d, const char *k, const char *v)
{
  json_object_set_new(d->state, k, json_string(v));
  chan_save_state(d);
}

/* The Meetup event this delivery is about: linked in the file, or created
 * by this channel's announcement (its journal state). */
static char *known_event(const struct delivery *d)
{
  char *id = linked_id(d->ev);
  if (id)
    return id;
  if (state_str(d, "event_id"))
    return xstrdup(state_str(d, "event_id"));
  if (chan_first_state(d, "event_id"))
    return xstrdup(chan_first_state(d, "event_id"));
  if (!d->ctx->journal)
    return NULL;
  char key[65];
  delivery_key(event_uid(d->ev), "announce", d->ctx->ch->name, d->lang, NULL,
               key);
  struct jrow r;
  char *found = NULL;
  if (journal_get(d->ctx->journal, key, &r)) {
    json_t *st = r.state ? json_loads(r.state, 0, NULL) : NULL;
    const char *v = json_string_value(json_object_get(st, "event_id"));
    if (v)
      found = xstrdup(v);
    json_decref(st);
    jrow_release(&r);
  }
  return found;
}

/* What to do next, from the recorded state. */
static enum step next_mutation(struct delivery *d, struct http_task *t,
                               struct http_req *req)
{
  struct meetup_delivery *md = d->priv;
  char *id = NULL;
  enum step r = STEP_SEND;
  if (d->kind == NOTICE_ANNOUNCE) {
    id = linked_id(d->ev);
    if (id) {
      if (state_str(d, "edited"))
        r = STEP_DONE;
      else
        gql(d, req, EDIT, id);
    } else if (!state_str(d, "event_id") && !md->searched) {
      md->searched = true;
      gql(d, req, FIND, NULL);
    } else if (!state_str(d, "event_id")) {
      gql(d, req, CREATE, NULL);
    } else if (!state_str(d, "published")) {
      gql(d, req, PUBLISH, state_str(d, "event_id"));
    } else if (!state_str(d, "announce")) {
      set_state(d, "announce", "sending"); /* before the request: never
                                              twice */
      gql(d, req, ANNOUNCE, state_str(d, "event_id"));
    } else if (strcmp(state_str(d, "announce"), "done") == 0) {
      r = STEP_DONE;
    } else {
      snprintf(t->error, sizeof(t->error),
               "announceEvent for Meetup event "
               "%s was under way when an earlier run stopped; check the "
               "event on Meetup.com",
               state_str(d, "event_id"));
      r = STEP_UNCERTAIN;
    }
  } else {
    id = known_event(d);
    if (!id) {
      snprintf(t->error, sizeof(t->error),
               "no Meetup event is known for %s "
               "(link it as \"%s\" in the event file)",
               d->ev->id, LINK_MEETUP);
      r = STEP_FAIL;
    } else if (state_str(d, "done")) {
      r = STEP_DONE;
    } else {
      gql(d, req, d->kind == NOTICE_CANCEL ? DELETE : EDIT, id);
    }
  }
  if (r == STEP_DONE) {
    const char *u = state_str(d, "url");
    snprintf(d->url, sizeof(d->url), "%s",
             u                                ? u
             : event_link(d->ev, LINK_MEETUP) ? event_link(d->ev, LINK_MEETUP)
                                              : "");
    snprintf(d->remote_id, sizeof(d->remote_id), "%s",
             state_str(d, "event_id") ? state_str(d, "event_id")
             : id                     ? id
                                      : "");
  }
  free(id);
  return r;
}

/* An event of the group found before createEvent: the one crier made
 * (the same title, at the start). A published one was announced, as far
 * as crier can tell: announceEvent e-mails every member and is not
 * repeated on a guess. */
static void take_found(struct delivery *d, json_t *group)
{
  json_t *edges = json_object_get(json_object_get(group, "events"), "edges");
  size_t i;
  json_t *e;
  json_array_foreach(edges, i, e)
  {
    json_t *node = json_object_get(e, "node");
    const char *id = json_string_value(json_object_get(node, "id"));
    const char *title = json_string_value(json_object_get(node, "title"));
    const char *status = json_string_value(json_object_get(node, "status"));
    const char *url = json_string_value(json_object_get(node, "eventUrl"));
    const char *when = json_string_value(json_object_get(node, "dateTime"));
    time_t at = 0;
    struct err err;
    if (!id || !title || strcmp(title, d->msg.subject) != 0 || !when ||
        when_parse_now(when, &at, &err) < 0 || at != d->ev->start)
      continue;
    json_object_set_new(d->state, "event_id", json_string(id));
    if (url)
      json_object_set_new(d->state, "url", json_string(url));
    if (status && strcmp(status, "DRAFT") != 0) {
      json_object_set_new(d->state, "published", json_string("yes"));
      json_object_set_new(d->state, "announce", json_string("done"));
      json_object_set_new(d->state, "found", json_string(status));
    }
    chan_save_state(d);
    return;
  }
}

static void join_errors(json_t *errs, struct buf *out)
{
  size_t i;
  json_t *e;
  json_array_foreach(errs, i, e)
  {
    if (i)
      buf_adds(out, "; ");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *field = json_string_value(json_object_get(e, "field"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    buf_addf(out, "%s%s%s%s%s", code ? code : "", code ? ": " : "",
             msg ? msg : "?", field ? " (field " : "", field ? field : "");
    if (field)
      buf_addc(out, ')');
  }
}

static enum step on_token(struct delivery *d, struct http_task *t,
                          const struct http_resp *prev, struct http_req *req)
{
  json_t *j = chan_json(prev);
  enum step r = STEP_FAIL;
  const char *at = json_string_value(json_object_get(j, "access_token"));
  const char *rt = json_string_value(json_object_get(j, "refresh_token"));
  /* secrets the server hands out are redacted from here on, whatever
   * happens next (the engine traces the response after this step) */
  if (at)
    secret_register(at, strlen(at));
  if (rt)
    secret_register(rt, strlen(rt));
  if (prev->code != CURLE_OK || prev->status != 200 || !at) {
    r = chan_fail(t, prev, "getting a Meetup access token");
    json_decref(j);
    return r;
  }
  if (rt && CONF(d)->auth.kind == MEETUP_AUTH_REFRESH) {
    char *k = refresh_key(d);
    struct err e;
    if (d->ctx->journal && journal_token_set(d->ctx->journal, k, rt, &e) < 0) {
      snprintf(t->error, sizeof(t->error),
               "cannot store the new refresh "
               "token: %.400s",
               e.msg);
      free(k);
      json_decref(j);
      return STEP_FAIL; /* the token is not used unless it is stored */
    }
    free(k);
  }
  struct meetup_ctx *mc = d->ctx->priv;
  if (mc->token) {
    explicit_bzero(mc->token, strlen(mc->token));
    free(mc->token);
  }
  mc->token = xstrdup(at);
  json_decref(j);
  return next_mutation(d, t, req);
}

static enum step step(struct http_task *t, const struct http_resp *prev,
                      struct http_req *req)
{
  struct delivery *d = task_delivery(t);
  if (!prev) {
    struct meetup_delivery *md = d->priv;
    const struct meetup_ctx *mc = d->ctx->priv;
    md->searched = false;
    if (CONF(d)->auth.kind != MEETUP_AUTH_TOKEN && !mc->token) {
      d->phase = TOKEN;
      if (token_request(d, req, t) < 0)
        return STEP_FAIL;
      req->serial = d->ctx->serial;
      return STEP_SEND;
    }
    return next_mutation(d, t, req);
  }
  if (d->phase == TOKEN)
    return on_token(d, t, prev, req);
  int op = d->phase;
  if (prev->code != CURLE_OK || prev->status != 200) {
    if (op == ANNOUNCE) {
      /* did it arrive? only a clear refusal says no */
      if (prev->code == CURLE_OK && prev->status >= 400 && prev->status < 500 &&
          prev->status != 408 && prev->status != 429) {
        json_object_del(d->state, "announce");
        chan_save_state(d);
      } else if (prev->code != CURLE_OK || prev->status >= 500) {
        chan_fail(t, prev, "announceEvent");
        return STEP_UNCERTAIN;
      }
    }
    return chan_fail(t, prev, results[op]);
  }
  json_t *j = chan_json(prev);
  struct buf why = BUF_INIT;
  json_t *data = json_object_get(json_object_get(j, "data"), results[op]);
  json_t *top = json_object_get(j, "errors");
  json_t *perr = json_object_get(data, "errors");
  enum step r = STEP_FAIL;
  if (!j) {
    buf_adds(&why, "the answer is not JSON");
  } else if (json_array_size(top)) {
    join_errors(top, &why);
  } else if (json_array_size(perr)) {
    join_errors(perr, &why);
  } else if (!data || json_is_null(data)) {
    buf_addf(&why, "%s returned nothing", results[op]);
  } else {
    json_t *ev = json_object_get(data, "event");
    const char *id = json_string_value(json_object_get(ev, "id"));
    const char *url = json_string_value(json_object_get(ev, "eventUrl"));
    switch (op) {
    case FIND:
      take_found(d, data);
      r = next_mutation(d, t, req);
      break;
    case CREATE:
      if (!id) {
        buf_adds(&why, "createEvent returned no event id");
        break;
      }
      set_state(d, "event_id", id);
      if (url)
        set_state(d, "url", url);
      r = next_mutation(d, t, req);
      break;
    case PUBLISH:
      set_state(d, "published", "yes");
      r = next_mutation(d, t, req);
      break;
    case ANNOUNCE:
      set_state(d, "announce", "done");
      r = next_mutation(d, t, req);
      break;
    case EDIT:
      if (url && !state_str(d, "url"))
        json_object_set_new(d->state, "url", json_string(url));
      set_state(d, d->kind == NOTICE_ANNOUNCE ? "edited" : "done", "yes");
      r = next_mutation(d, t, req);
      break;
    case DELETE:
      if (!json_is_true(json_object_get(data, "success"))) {
        buf_adds(&why, "deleteEvent did not succeed");
        break;
      }
      set_state(d, "done", "yes");
      r = next_mutation(d, t, req);
      break;
    }
  }
  if (why.len) {
    if (op == ANNOUNCE) {
      json_object_del(d->state, "announce"); /* refused: safe to retry */
      chan_save_state(d);
    }
    snprintf(t->error, sizeof(t->error), "%s: %s", results[op], why.data);
    r = STEP_FAIL;
  }
  buf_release(&why);
  json_decref(j);
  return r;
}

static void dry(struct delivery *d, struct http_req *req)
{
  char *id = linked_id(d->ev);
  if (d->kind == NOTICE_CANCEL)
    gql(d, req, DELETE, id ? id : "(the event's Meetup id)");
  else if (id || d->kind != NOTICE_ANNOUNCE)
    gql(d, req, EDIT, id ? id : "(the event's Meetup id)");
  else
    gql(d, req, CREATE, NULL);
  free(id);
}

const struct chan_type chan_meetup = {
    .name = "meetup",
    .label = "Meetup",
    .fields = fields,
    .conf_size = sizeof(struct meetup_conf),
    .check = check,
    .format = CHAN_MARKDOWN,
    .subject_max = 80, /* Meetup refuses longer titles */
    .cannot = cannot,
    .update_shows_announcement = true,
    .idem = IDEM_LOOKUP,
    .ctx_size = sizeof(struct meetup_ctx),
    .delivery_size = sizeof(struct meetup_delivery),
    .prepare = prepare,
    .ctx_release = ctx_release,
    .step = step,
    .dry = dry};

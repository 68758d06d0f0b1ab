/* Matrix: resolve the room alias, refuse encrypted rooms, then send an
 * m.notice with a plain body and cmark's HTML. The delivery key is the
 * transaction id, so a repeated PUT returns the first event instead of
 * posting again. A bot that is not in the room joins it once. The room an
 * announcement went to is kept (state "room_id"); the event's later
 * notices go to that room, even when the configuration names another. */
#include "chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

enum { RESOLVE, CHECK_CRYPTO, JOIN, SEND };

struct matrix_conf {
  char *homeserver, *room;
  struct secret_ref access_token;
};

static const struct cfg_field fields[] = {
    CFG_FIELD("homeserver", CFG_ENDPOINT, struct matrix_conf, homeserver,
              CFG_REQUIRED, NULL),
    CFG_FIELD("room", CFG_STR, struct matrix_conf, room, CFG_REQUIRED, NULL),
    CFG_FIELD("access_token", CFG_SECRET, struct matrix_conf, access_token,
              CFG_REQUIRED, NULL),
    CFG_END};

/* A delivery's working state. */
struct matrix_delivery {
  char *room_id; /* the room, resolved */
  int joins;     /* joins tried */
};

static int check(const struct cfg_check *k, struct channel *ch)
{
  const struct matrix_conf *m = ch->conf;
  if (m->room && m->room[0] != '#' && m->room[0] != '!')
    return cfg_error(k, "room",
                     "'room' must be an alias (#room:server) or an id "
                     "(!id:server), not '%s'",
                     m->room);
  return 0;
}

static int prepare(struct chan_ctx *c, struct err *e)
{
  if (!http_url_allowed(CHAN_CONF(struct matrix_conf, c->ch)->homeserver))
    return err_set(e, EX_CONFIG,
                   "channel '%s': the homeserver must be "
                   "https:// (http only to a loopback address)",
                   c->ch->name);
  return 0;
}

static void delivery_release(struct delivery *d)
{
  struct matrix_delivery *md = d->priv;
  free(md->room_id);
}

static void set_room(struct delivery *d, const char *room)
{
  struct matrix_delivery *md = d->priv;
  free(md->room_id);
  md->room_id = xstrdup(room);
}

static void base(struct delivery *d, struct http_req *req, const char *path)
{
  const struct matrix_conf *m = d->ctx->ch->conf;
  chan_url(req, m->homeserver, "/_matrix/client/v3");
  buf_adds(&req->url, path);
  http_req_header(req, "Authorization: Bearer %s",
                  chan_secret(d->ctx, &m->access_token)->data);
  http_req_header(req, "Accept: application/json");
  chan_user_agent(req);
}

static void send_req(struct delivery *d, struct http_req *req, const char *room)
{
  struct buf p = BUF_INIT;
  buf_adds(&p, "/rooms/");
  http_escape(&p, room);
  buf_adds(&p, "/send/m.room.message/");
  http_escape(&p, d->key);
  base(d, req, p.data);
  buf_release(&p);
  req->method = HTTP_PUT;
  http_req_header(req, "Content-Type: application/json");
  json_t *content = json_pack(
      "{s:s, s:s, s:s, s:s}", "msgtype", "m.notice", "body", d->msg.markdown,
      "format", "org.matrix.custom.html", "formatted_body", d->msg.html);
  chan_json_body(req, content);
}

static void path_req(struct delivery *d, struct http_req *req, const char *fmt,
                     const char *arg, const char *tail)
{
  struct buf p = BUF_INIT;
  buf_adds(&p, fmt);
  http_escape(&p, arg);
  buf_adds(&p, tail);
  base(d, req, p.data);
  buf_release(&p);
}

/* Asks to join the room (once per attempt). */
static enum step join_room(struct delivery *d, struct http_req *req)
{
  struct matrix_delivery *md = d->priv;
  md->joins++;
  d->phase = JOIN;
  path_req(d, req, "/join/", md->room_id, "");
  req->method = HTTP_POST;
  http_req_header(req, "Content-Type: application/json");
  buf_adds(&req->body, "{}");
  return STEP_SEND;
}

static const char *errcode(json_t *j)
{
  const char *c = json_string_value(json_object_get(j, "errcode"));
  return c ? c : "";
}

static enum step step(struct http_task *t, const struct http_resp *prev,
                      struct http_req *req)
{
  struct delivery *d = task_delivery(t);
  struct matrix_delivery *md = d->priv;
  const char *room = CHAN_CONF(struct matrix_conf, d->ctx->ch)->room;
  if (!prev) {
    md->joins = 0;
    const char *known = chan_first_state(d, "room_id");
    if (known && d->kind != NOTICE_ANNOUNCE)
      room = known;
    if (room[0] == '#') {
      d->phase = RESOLVE;
      path_req(d, req, "/directory/room/", room, "");
      req->method = HTTP_GET;
      return STEP_SEND;
    }
    set_room(d, room);
    d->phase = CHECK_CRYPTO;
    path_req(d, req, "/rooms/", md->room_id, "/state/m.room.encryption/");
    req->method = HTTP_GET;
    return STEP_SEND;
  }
  json_t *j = chan_json(prev);
  bool ok = prev->code == CURLE_OK && prev->status == 200;
  enum step r = STEP_FAIL;
  switch (d->phase) {
  case RESOLVE:
    if (!ok) {
      r = chan_fail(t, prev,
                    prev->status == 404 ? "the room alias is unknown"
                                        : "resolving the room alias");
      break;
    }
    if (!json_is_string(json_object_get(j, "room_id"))) {
      snprintf(t->error, sizeof(t->error),
               "resolving the room alias: no "
               "room_id in the answer");
      break;
    }
    set_room(d, json_string_value(json_object_get(j, "room_id")));
    d->phase = CHECK_CRYPTO;
    path_req(d, req, "/rooms/", md->room_id, "/state/m.room.encryption/");
    req->method = HTTP_GET;
    r = STEP_SEND;
    break;
  case CHECK_CRYPTO:
    if (ok) {
      snprintf(t->error, sizeof(t->error),
               "room %s is encrypted; crier does "
               "not encrypt, and members could not read the notice",
               room);
      break;
    }
    if (prev->code == CURLE_OK && prev->status == 403 && md->joins == 0) {
      r = join_room(d, req);
      break;
    }
    if (!(prev->code == CURLE_OK && prev->status == 404)) {
      r = chan_fail(t, prev, "checking the room's encryption");
      break;
    }
    d->phase = SEND;
    send_req(d, req, md->room_id);
    r = STEP_SEND;
    break;
  case JOIN:
    if (!ok) {
      r = chan_fail(t, prev,
                    "joining the room (invite the bot, or check "
                    "the access token)");
      break;
    }
    d->phase = CHECK_CRYPTO;
    path_req(d, req, "/rooms/", md->room_id, "/state/m.room.encryption/");
    req->method = HTTP_GET;
    r = STEP_SEND;
    break;
  case SEND:
    if (ok && json_is_string(json_object_get(j, "event_id"))) {
      const char *ev = json_string_value(json_object_get(j, "event_id"));
      snprintf(d->remote_id, sizeof(d->remote_id), "%s", ev);
      snprintf(d->url, sizeof(d->url), "https://matrix.to/#/%s/%s", md->room_id,
               ev);
      json_object_set_new(d->state, "room_id", json_string(md->room_id));
      r = STEP_DONE;
      break;
    }
    if (prev->code == CURLE_OK && prev->status == 403 &&
        strcmp(errcode(j), "M_FORBIDDEN") == 0 && md->joins == 0) {
      r = join_room(d, req);
      break;
    }
    if (ok) {
      snprintf(t->error, sizeof(t->error),
               "sending: no event_id in the "
               "answer");
      break;
    }
    r = chan_fail(t, prev, "sending");
    break;
  }
  json_decref(j);
  return r;
}

static void dry(struct delivery *d, struct http_req *req)
{
  send_req(d, req, CHAN_CONF(struct matrix_conf, d->ctx->ch)->room);
}

const struct chan_type chan_matrix = {.name = "matrix",
                                      .label = "Matrix",
                                      .fields = fields,
                                      .conf_size = sizeof(struct matrix_conf),
                                      .check = check,
                                      .format = CHAN_MARKDOWN,
                                      .idem = IDEM_KEY,
                                      .delivery_size =
                                          sizeof(struct matrix_delivery),
                                      .delivery_release = delivery_release,
                                      .prepare = prepare,
                                      .step = step,
                                      .dry = dry};

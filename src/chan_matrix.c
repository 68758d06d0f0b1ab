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

#include "secret.h"
#include "xalloc.h"

enum { RESOLVE, CHECK_CRYPTO, JOIN, SEND };

static int prepare(struct chan_ctx *c, struct err *e)
{
  if (!http_url_allowed(c->ch->homeserver))
    return err_set(e, EX_CONFIG,
                   "channel '%s': the homeserver must be "
                   "https:// (http only to a loopback address)",
                   c->ch->name);
  return secret_get(&c->ch->access_token, "matrix access_token", &c->token, e);
}

static void base(struct delivery *d, struct http_req *req, const char *path)
{
  const char *hs = d->ctx->ch->homeserver;
  size_t n = strlen(hs);
  while (n && hs[n - 1] == '/')
    n--;
  buf_add(&req->url, hs, n);
  buf_adds(&req->url, "/_matrix/client/v3");
  buf_adds(&req->url, path);
  http_req_header(req, "Authorization: Bearer %s", d->ctx->token.data);
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
  char *s = json_dumps(content, JSON_COMPACT | JSON_PRESERVE_ORDER);
  buf_adds(&req->body, s);
  free(s);
  json_decref(content);
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
  d->page++;
  d->phase = JOIN;
  path_req(d, req, "/join/", d->aux, "");
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
  const char *room = d->ctx->ch->room;
  if (!prev) {
    d->page = 0; /* joins tried */
    const char *known = chan_first_state(d, "room_id");
    if (known && d->kind != NOTICE_ANNOUNCE)
      room = known;
    if (room[0] == '#') {
      d->phase = RESOLVE;
      path_req(d, req, "/directory/room/", room, "");
      req->method = HTTP_GET;
      return STEP_SEND;
    }
    free(d->aux);
    d->aux = xstrdup(room);
    d->phase = CHECK_CRYPTO;
    path_req(d, req, "/rooms/", d->aux, "/state/m.room.encryption/");
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
    free(d->aux);
    d->aux = xstrdup(json_string_value(json_object_get(j, "room_id")));
    d->phase = CHECK_CRYPTO;
    path_req(d, req, "/rooms/", d->aux, "/state/m.room.encryption/");
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
    if (prev->code == CURLE_OK && prev->status == 403 && d->page == 0) {
      r = join_room(d, req);
      break;
    }
    if (!(prev->code == CURLE_OK && prev->status == 404)) {
      r = chan_fail(t, prev, "checking the room's encryption");
      break;
    }
    d->phase = SEND;
    send_req(d, req, d->aux);
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
    path_req(d, req, "/rooms/", d->aux, "/state/m.room.encryption/");
    req->method = HTTP_GET;
    r = STEP_SEND;
    break;
  case SEND:
    if (ok && json_is_string(json_object_get(j, "event_id"))) {
      const char *ev = json_string_value(json_object_get(j, "event_id"));
      snprintf(d->remote_id, sizeof(d->remote_id), "%s", ev);
      snprintf(d->url, sizeof(d->url), "https://matrix.to/#/%s/%s", d->aux, ev);
      json_object_set_new(d->state, "room_id", json_string(d->aux));
      r = STEP_DONE;
      break;
    }
    if (prev->code == CURLE_OK && prev->status == 403 &&
        strcmp(errcode(j), "M_FORBIDDEN") == 0 && d->page == 0) {
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
  send_req(d, req, d->ctx->ch->room);
}

const struct chan_ops chan_matrix_ops = {.type = CHAN_MATRIX,
                                         .prepare = prepare,
                                         .step = step,
                                         .dry = dry,
                                         .resend_safe = true};

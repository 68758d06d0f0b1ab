/* Signed webhooks (Standard Webhooks 1.0): one POST of a JSON document
 * with webhook-id (the delivery key, the same on every retry),
 * webhook-timestamp (this attempt) and webhook-signature (v1 and/or v1a
 * over exactly the bytes sent). No redirects; 410 means the endpoint is
 * gone. */
#include "chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secret.h"
#include "sig.h"
#include "site.h"
#include "when.h"

struct webhook_conf {
  char *url;
  struct secret_ref secret, signing_key;
};

static const struct cfg_field fields[] = {
    CFG_FIELD("url", CFG_ENDPOINT, struct webhook_conf, url, CFG_REQUIRED,
              NULL),
    CFG_FIELD("secret", CFG_SECRET, struct webhook_conf, secret, 0, NULL),
    CFG_FIELD("signing_key", CFG_SECRET, struct webhook_conf, signing_key, 0,
              NULL),
    CFG_END};

static int check(const struct cfg_check *k, struct channel *ch)
{
  const struct webhook_conf *w = ch->conf;
  if (!w->secret.kind && !w->signing_key.kind)
    return cfg_error(k, NULL,
                     "channel '%s' needs 'secret' (whsec_…) or "
                     "'signing_key' (whsk_…)",
                     ch->name);
  return 0;
}

static int prepare(struct chan_ctx *c, struct err *e)
{
  const struct channel *ch = c->ch;
  const struct webhook_conf *w = ch->conf;
  if (!http_url_allowed(w->url))
    return err_set(e, EX_CONFIG,
                   "channel '%s': '%s' must be https:// (http "
                   "only to a loopback address)",
                   ch->name, w->url);
  const struct buf *secret = chan_secret(c, &w->secret);
  const struct buf *key = chan_secret(c, &w->signing_key);
  if (secret->len && strncmp(secret->data, "whsec_", 6) != 0)
    return err_set(e, EX_CONFIG,
                   "channel '%s': 'secret' must be a whsec_… "
                   "secret (crier webhook keygen makes one)",
                   ch->name);
  if (key->len && strncmp(key->data, "whsk_", 5) != 0)
    return err_set(e, EX_CONFIG,
                   "channel '%s': 'signing_key' must be a "
                   "whsk_… key (crier webhook keygen --ed25519)",
                   ch->name);
  return 0;
}

void webhook_json_str(struct buf *b, const char *s)
{
  if (!s) {
    buf_adds(b, "null");
    return;
  }
  buf_addc(b, '"');
  const char *run = s;
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    buf_add(b, run, (size_t)(p - run));
    run = p + 1;
    char esc = c == '"'    ? '"'
               : c == '\\' ? '\\'
               : c == '\b' ? 'b'
               : c == '\f' ? 'f'
               : c == '\n' ? 'n'
               : c == '\r' ? 'r'
               : c == '\t' ? 't'
                           : 0;
    if (esc) {
      buf_addc(b, '\\');
      buf_addc(b, esc);
    } else {
      buf_addf(b, "\\u%04X", c);
    }
  }
  buf_adds(b, run);
  buf_addc(b, '"');
}

/* ,"key": and s as a JSON string (or null) */
static void member(struct buf *b, const char *key, const char *s)
{
  buf_adds(b, ",\"");
  buf_adds(b, key);
  buf_adds(b, "\":");
  webhook_json_str(b, s);
}

static void location_json(struct buf *b, const struct event *ev)
{
  if (!ev->loc) {
    buf_adds(b, "null");
    return;
  }
  buf_adds(b, "{\"key\":");
  webhook_json_str(b, ev->loc->key);
  member(b, "name", ev->loc->name);
  member(b, "street", ev->loc->street);
  member(b, "city", ev->loc->city);
  buf_addc(b, '}');
}

static void talks_json(struct buf *b, const struct event *ev)
{
  if (ev->talks_state == TALKS_OPEN) {
    buf_adds(b, "false");
    return;
  }
  if (ev->talks_state == TALKS_WANTED) {
    buf_adds(b, "null");
    return;
  }
  buf_addc(b, '[');
  for (size_t i = 0; i < ev->ntalks; i++) {
    buf_adds(b, i ? ",{\"title\":" : "{\"title\":");
    webhook_json_str(b, ev->talks[i].title);
    member(b, "speaker", ev->talks[i].speaker);
    buf_addc(b, '}');
  }
  buf_addc(b, ']');
}

/* The document, once per delivery: the same bytes on every attempt.
 * Written directly (compact, in this order: what json_dumps wrote with
 * JSON_COMPACT | JSON_PRESERVE_ORDER), without building it in jansson
 * first: a fifth of a catch-up's instructions a delivery went there. */
static void body(struct delivery *d)
{
  if (d->scratch.len)
    return;
  struct buf start = BUF_INIT, url = BUF_INIT;
  when_rfc3339(d->ev->start, &start);
  site_event_url(d->ctx->cfg, d->ev, &url);
  struct buf *b = &d->scratch;
  buf_adds(b, "{\"type\":\"crier.notice\"");
  member(b, "notice", d->notice);
  member(b, "lang", d->lang);
  buf_adds(b, ",\"event\":{\"id\":");
  webhook_json_str(b, d->ev->id);
  member(b, "title", d->ev->title);
  member(b, "start", start.data);
  member(b, "url", d->ctx->cfg->site_url ? url.data : NULL);
  buf_adds(b, ",\"location\":");
  location_json(b, d->ev);
  buf_adds(b, ",\"talks\":");
  talks_json(b, d->ev);
  buf_adds(b, "},\"message\":{\"subject\":");
  webhook_json_str(b, d->msg.subject);
  member(b, "markdown", d->msg.markdown);
  member(b, "html", d->msg.html);
  buf_adds(b, "}}");
  buf_release(&start);
  buf_release(&url);
}

static void build(struct delivery *d, struct http_req *req, long long ts)
{
  const struct chan_ctx *c = d->ctx;
  const struct webhook_conf *w = c->ch->conf;
  const struct buf *secret = chan_secret(c, &w->secret);
  const struct buf *key = chan_secret(c, &w->signing_key);
  body(d);
  req->method = HTTP_POST;
  buf_adds(&req->url, w->url);
  buf_add(&req->body, d->scratch.data, d->scratch.len);
  chan_user_agent(req);
  http_req_header(req, "Content-Type: application/json");
  http_req_header(req, "webhook-id: %s", d->key);
  http_req_header(req, "webhook-timestamp: %lld", ts);
  struct buf sigs = BUF_INIT;
  struct err e;
  if (secret->len &&
      sig_sign(secret->data, d->key, ts, req->body.data, req->body.len, &sigs,
               &e) == 0 &&
      key->len)
    buf_addc(&sigs, ' ');
  if (key->len)
    sig_sign(key->data, d->key, ts, req->body.data, req->body.len, &sigs, &e);
  http_req_header(req, "webhook-signature: %s", sigs.data);
  buf_release(&sigs);
}

static enum step step(struct http_task *t, const struct http_resp *prev,
                      struct http_req *req)
{
  struct delivery *d = task_delivery(t);
  if (!prev) {
    build(d, req, (long long)time(NULL));
    return STEP_SEND;
  }
  if (prev->code == CURLE_OK && prev->status >= 200 && prev->status < 300) {
    snprintf(d->remote_id, sizeof(d->remote_id), "%s", d->key);
    return STEP_DONE;
  }
  if (prev->code == CURLE_OK && prev->status == 410) {
    snprintf(t->error, sizeof(t->error),
             "the endpoint answered 410 Gone: "
             "remove or disable channel '%s'",
             d->ctx->ch->name);
    return STEP_FAIL;
  }
  if (prev->code == CURLE_OK && prev->status >= 300 && prev->status < 400) {
    snprintf(t->error, sizeof(t->error),
             "the endpoint answered %ld (a "
             "redirect, not followed: fix the url)",
             prev->status);
    return STEP_FAIL;
  }
  return chan_fail(t, prev, "webhook");
}

static void dry(struct delivery *d, struct http_req *req)
{
  build(d, req, (long long)time(NULL));
}

const struct chan_type chan_webhook = {.name = "webhook",
                                       .label = "webhook",
                                       .fields = fields,
                                       .conf_size = sizeof(struct webhook_conf),
                                       .check = check,
                                       .format = CHAN_MARKDOWN,
                                       .idem = IDEM_KEY,
                                       .prepare = prepare,
                                       .step = step,
                                       .dry = dry};

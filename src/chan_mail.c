/* Mail over SMTP through libcurl: smtps:// (implicit TLS) or smtp:// with
 * STARTTLS required (plain only to a loopback host), certificates checked.
 * The message is built by mail.c; its Message-ID comes from the delivery
 * key. A failure after the message began to go out leaves the delivery
 * 'uncertain': it is not sent again blindly. */
#include "chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail.h"
#include "mailapi.h"
#include "secret.h"
#include "site.h"
#include "xalloc.h"

static int prepare(struct chan_ctx *c, struct err *e)
{
  const struct channel *ch = c->ch;
  char *from = mail_address(ch->from);
  if (!from)
    return err_set(e, EX_CONFIG, "channel '%s': 'from' has no address: '%s'",
                   ch->name, ch->from);
  free(from);
  for (size_t i = 0; i < ch->to.n; i++) {
    char *a = mail_address(ch->to.v[i]);
    if (!a)
      return err_set(e, EX_CONFIG, "channel '%s': '%s' in 'to' is not an "
                     "address", ch->name, ch->to.v[i]);
    free(a);
  }
  if (ch->provider)
    return mailapi_prepare(c, e);
  if (ch->password.kind &&
      secret_get(&ch->password, "mail password", &c->token2, e) < 0)
    return -1;
  return 0;
}

static void message_id(const struct delivery *d, struct buf *out)
{
  char *from = mail_address(d->ctx->ch->from);
  const char *at = from ? strchr(from, '@') : NULL;
  buf_addf(out, "%s@%s", d->key, at ? at + 1 : "crier.invalid");
  free(from);
}

static void build(struct delivery *d, struct http_req *req)
{
  const struct channel *ch = d->ctx->ch;
  if (!ch->provider) {
    req->method = HTTP_SMTP;
    buf_adds(&req->url, ch->url);
    req->mail_from = mail_address(ch->from);
  }
  for (size_t i = 0; !ch->provider && i < ch->to.n; i++) {
    char *a = mail_address(ch->to.v[i]);
    req->rcpt = curl_slist_append(req->rcpt, a);
    free(a);
  }
  for (size_t i = 0; !ch->provider && i < ch->bcc.n; i++) {
    char *a = mail_address(ch->bcc.v[i]);
    if (a)
      req->rcpt = curl_slist_append(req->rcpt, a);
    free(a);
  }
  req->ca_file = ch->ca_file;
  req->username = ch->username;
  req->password = d->ctx->token2.len ? d->ctx->token2.data : NULL;
  struct buf mid = BUF_INIT, ics = BUF_INIT, url = BUF_INIT, loc = BUF_INIT;
  message_id(d, &mid);
  if (ch->calendar) {
    struct buf uid = BUF_INIT;
    char *from = mail_address(ch->from);
    const char *at = from ? strchr(from, '@') : NULL;
    buf_addf(&uid, "%s@%s", d->ev->id, at ? at + 1 : "crier.invalid");
    free(from);
    site_event_url(d->ctx->cfg, d->ev, &url);
    if (d->ev->loc) {
      buf_adds(&loc, d->ev->loc->name);
      if (d->ev->loc->street)
        buf_addf(&loc, ", %s", d->ev->loc->street);
      if (d->ev->loc->city)
        buf_addf(&loc, ", %s", d->ev->loc->city);
    }
    struct ical_event ie = {
        .uid = uid.data, .start = d->ev->start,
        .end = d->ev->start + 3 * 3600, .stamp = time(NULL),
        .summary = d->ev->title, .location = loc.len ? loc.data : NULL,
        .description = d->ctx->cfg->site_url ? url.data : NULL,
        .url = d->ctx->cfg->site_url ? url.data : NULL,
        .cancelled = strcmp(d->notice, "cancel") == 0,
        .sequence = strcmp(d->notice, "update") == 0 ||
                            strcmp(d->notice, "cancel") == 0
                        ? (int)((time(NULL) / 60) % 100000000)
                        : 0};
    ical_build(&ie, &ics);
    buf_release(&uid);
  }
  const char *langs = strcmp(d->lang, "de") == 0   ? "de"
                      : strcmp(d->lang, "en") == 0 ? "en"
                      : strcmp(d->lang, "en+de") == 0 ? "en, de"
                                                      : "de, en";
  if (ch->provider) {
    mailapi_build(d, req, mid.data, ics.len ? ics.data : NULL);
    buf_release(&mid);
    buf_release(&ics);
    buf_release(&url);
    buf_release(&loc);
    return;
  }
  struct mail m = {.from = ch->from, .to = (const char *const *)ch->to.v,
                   .nto = ch->to.n, .subject = d->msg.subject,
                   .text = d->msg.markdown, .html = d->msg.html,
                   .message_id = mid.data, .language = langs,
                   .date = time(NULL), .ics = ics.len ? ics.data : NULL};
  mail_build(&m, &req->body);
  snprintf(d->remote_id, sizeof(d->remote_id), "<%s>", mid.data);
  buf_release(&mid);
  buf_release(&ics);
  buf_release(&url);
  buf_release(&loc);
}

static enum step step(struct http_task *t, const struct http_resp *prev,
                      struct http_req *req)
{
  struct delivery *d = task_delivery(t);
  if (!prev) {
    build(d, req);
    return STEP_SEND;
  }
  if (d->ctx->ch->provider)
    return mailapi_result(t, d, prev);
  if (prev->code == CURLE_OK)
    return STEP_DONE;
  struct buf b = BUF_INIT;
  http_describe(prev, &b);
  enum step s;
  if (prev->data_started && prev->status >= 500) {
    snprintf(t->error, sizeof(t->error), "the server refused the message "
             "(%ld): %s", prev->status, b.data);
    s = STEP_FAIL;
  } else if (prev->data_started && prev->status >= 400 && prev->status < 500 &&
             prev->status != 354) {
    snprintf(t->error, sizeof(t->error), "the server deferred the message "
             "(%ld): %s", prev->status, b.data);
    s = STEP_RETRY;
  } else if (prev->data_started) {
    snprintf(t->error, sizeof(t->error), "the connection failed while the "
             "message was being sent (%s); it may have arrived", b.data);
    s = STEP_UNCERTAIN;
  } else if (prev->code == CURLE_LOGIN_DENIED) {
    snprintf(t->error, sizeof(t->error), "login refused: %s", b.data);
    s = STEP_FAIL;
  } else if (prev->code == CURLE_USE_SSL_FAILED) {
    snprintf(t->error, sizeof(t->error), "the server does not offer "
             "STARTTLS; use smtps:// or a server that does: %s", b.data);
    s = STEP_FAIL;
  } else if (prev->status >= 500) {
    snprintf(t->error, sizeof(t->error), "the server refused (%ld): %s",
             prev->status, b.data);
    s = STEP_FAIL;
  } else {
    snprintf(t->error, sizeof(t->error), "%s", b.data);
    s = http_temporary(prev) ? STEP_RETRY : STEP_FAIL;
  }
  buf_release(&b);
  return s;
}

static void dry(struct delivery *d, struct http_req *req)
{
  build(d, req);
}

const struct chan_ops chan_mail_ops = {
    .type = CHAN_MAIL, .prepare = prepare, .step = step, .dry = dry};

#include "deliver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "chan.h"
#include "journal.h"
#include "secret.h"
#include "xalloc.h"

void delivery_key(const char *event, const char *notice, const char *channel,
                  const char *lang, const char *extra, char out[65])
{
  crypto_hash_sha256_state st;
  if (sodium_init() < 0)
    abort();
  crypto_hash_sha256_init(&st);
  const char *parts[] = {event, notice, channel, lang, extra};
  for (size_t i = 0; i < 5; i++) {
    if (!parts[i])
      continue;
    crypto_hash_sha256_update(&st, (const unsigned char *)parts[i],
                              strlen(parts[i]) + 1);
  }
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, h);
  sodium_bin2hex(out, 65, h, sizeof(h));
}

struct slot {
  struct delivery d;
  const struct chan_ops *ops;
  const char *result; /* set when decided without the engine */
  char error[512];
  bool queued;
};

json_t *deliver_report(const struct deliver_result *r, bool quiet,
                       json_t *results)
{
  const char *url = r->url && r->url[0] ? r->url : NULL;
  const char *error = r->error && r->error[0] ? r->error : NULL;
  if (!quiet || strcmp(r->result, "failed") == 0 ||
      strcmp(r->result, "uncertain") == 0) {
    fprintf(stderr, "event=%s notice=%s channel=%s lang=%s result=%s",
            r->event, r->notice, r->channel, r->lang, r->result);
    if (url)
      fprintf(stderr, " url=%s", url);
    if (error) /* a skip is not an error: its line says why */
      fprintf(stderr, " %s=\"%s\"",
              strcmp(r->result, "skipped") == 0 ? "reason" : "error", error);
    fputc('\n', stderr);
  }
  if (!results)
    return NULL;
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}", "event",
                        r->event, "notice", r->notice, "channel", r->channel,
                        "lang", r->lang, "result", r->result, "url", url,
                        "error", error);
  json_array_append_new(results, o);
  return o;
}

static void report(const struct slot *s, const struct deliver_opts *o,
                   json_t *results)
{
  const struct delivery *d = &s->d;
  struct deliver_result r = {d->ev->id, d->notice, d->ctx->ch->name,
                             d->lang, s->result, d->url, s->error};
  deliver_report(&r, o->quiet, results);
}

static void print_request(const struct delivery *d, const struct http_req *q)
{
  static const char *const names[] = {"GET", "POST", "PUT", "PATCH", "SMTP"};
  struct buf b = BUF_INIT;
  buf_addf(&b, "=== %s · %s · %s (%s, %s)\n", d->ev->id, d->notice,
           d->ctx->ch->name, chan_type_name(d->ctx->ch->type), d->lang);
  buf_addf(&b, "%s %s\n", names[q->method], q->url.data);
  if (q->method == HTTP_SMTP) {
    buf_addf(&b, "MAIL FROM:<%s>\n", q->mail_from ? q->mail_from : "");
    for (struct curl_slist *l = q->rcpt; l; l = l->next)
      buf_addf(&b, "RCPT TO:<%s>\n", l->data);
  }
  for (struct curl_slist *l = q->headers; l; l = l->next)
    buf_addf(&b, "%s\n", l->data);
  buf_addc(&b, '\n');
  buf_add(&b, q->body.data, q->body.len);
  if (!q->body.len || q->body.data[q->body.len - 1] != '\n')
    buf_addc(&b, '\n');
  secret_redact(&b);
  fputs(b.data, stdout);
  buf_release(&b);
}

static struct chan_ctx *ctx_for(struct chan_ctx *ctxs, size_t *n,
                                const struct channel *ch,
                                const struct config *cfg, struct journal *j)
{
  for (size_t i = 0; i < *n; i++)
    if (ctxs[i].ch == ch)
      return &ctxs[i];
  struct chan_ctx *c = &ctxs[(*n)++];
  memset(c, 0, sizeof(*c));
  c->ch = ch;
  c->cfg = cfg;
  c->journal = j;
  struct buf s = BUF_INIT;
  if (ch->type == CHAN_GITHUB) /* writes to one repository queue */
    buf_addf(&s, "github:%s/repos/%s", ch->api_url, ch->repo);
  else
    buf_addf(&s, "%s:%s", chan_type_name(ch->type), ch->name);
  c->serial = buf_detach(&s);
  const struct chan_ops *ops = chan_ops_for(ch->type);
  c->ready = ops->prepare(c, &c->error) == 0;
  return c;
}

/* After an announcement or update: what the channel's members now know.
 * After a cancellation: that it was cancelled. */
static void remember(struct journal *j, const struct delivery *d)
{
  bool cancel = strcmp(d->notice, "cancel") == 0;
  if (!cancel && strcmp(d->notice, "announce") != 0 &&
      strcmp(d->notice, "update") != 0)
    return;
  struct err e;
  char *snap = event_snapshot(d->ev);
  if (journal_set_announced(j, d->ev->id, d->ctx->ch->name, d->ev->hash,
                            snap, cancel, &e) < 0)
    fprintf(stderr, "crier: error: %s\n", e.msg);
  free(snap);
}

static void ctx_release(struct chan_ctx *c)
{
  secret_wipe(&c->token);
  secret_wipe(&c->token2);
  if (c->meetup_token) {
    sodium_memzero(c->meetup_token, strlen(c->meetup_token));
    free(c->meetup_token);
  }
  free(c->serial);
}

int deliver_run(const struct config *cfg, struct renderer *r,
                const struct deliver_item *items, size_t n,
                const struct deliver_opts *o, json_t *results,
                struct deliver_summary *sum)
{
  struct deliver_summary local = {0};
  if (!sum)
    sum = &local;
  memset(sum, 0, sizeof(*sum));
  struct err e;
  struct journal *j = o->journal;
  if (!j && !o->dry_run && n) {
    j = journal_open(cfg->journal, 5000, &e);
    if (!j) {
      fprintf(stderr, "crier: error: %s\n", e.msg);
      return e.code;
    }
  }
  struct slot *slots = xcalloc(n ? n : 1, sizeof(*slots));
  struct chan_ctx *ctxs = xcalloc(cfg->nchannels ? cfg->nchannels : 1,
                                  sizeof(*ctxs));
  size_t nctx = 0;
  struct http_opts ho = {.verbose = o->verbose};
  const char *base = getenv("CRIER_RETRY_BASE_MS");
  if (base && *base)
    ho.retry_base = strtod(base, NULL) / 1000.0;
  struct http_engine *h = http_new(&ho);
  if (j && journal_begin(j, &e) < 0) {
    fprintf(stderr, "crier: error: %s\n", e.msg);
    if (!o->journal)
      journal_close(j);
    http_free(h);
    free(slots);
    free(ctxs);
    return e.code;
  }

  for (size_t i = 0; i < n; i++) {
    struct slot *s = &slots[i];
    struct delivery *d = &s->d;
    const struct channel *ch = items[i].ch;
    s->ops = chan_ops_for(ch->type);
    d->ev = items[i].ev;
    d->notice = items[i].notice;
    d->langs = ch->langs;
    d->en_first = ch->lang_first_en;
    d->now = o->now;
    snprintf(d->lang, sizeof(d->lang), "%s", channel_lang_name(ch));
    d->ctx = ctx_for(ctxs, &nctx, ch, cfg, j);
    char nonce[40] = "";
    if (o->force) /* a new key each time, even within one second */
      snprintf(nonce, sizeof(nonce), "force:%lld:%08x%08x",
               (long long)time(NULL), randombytes_random(),
               randombytes_random());
    delivery_key(d->ev->id, d->notice, ch->name, d->lang,
                 strcmp(d->notice, "update") == 0 ? d->ev->hash
                 : o->force                        ? nonce
                                                   : NULL,
                 d->key);
    if (items[i].skip_reason) {
      s->result = "skipped";
      snprintf(s->error, sizeof(s->error), "%s", items[i].skip_reason);
      struct jrow sk = {.event = (char *)d->ev->id,
                        .notice = (char *)d->notice,
                        .channel = (char *)ch->name, .lang = d->lang};
      memcpy(sk.key, d->key, sizeof(sk.key));
      if (j && journal_skip(j, &sk, items[i].skip_reason, &e) < 0)
        fprintf(stderr, "crier: error: %s\n", e.msg);
      continue;
    }
    struct jrow row;
    bool have = j && journal_get(j, d->key, &row);
    if (have && row.status == DS_SENT) {
      s->result = "skipped";
      snprintf(d->url, sizeof(d->url), "%s", row.url ? row.url : "");
      snprintf(s->error, sizeof(s->error), "already sent %s",
               row.updated ? row.updated : "");
      jrow_release(&row);
      continue;
    }
    if (have && row.status == DS_UNCERTAIN) {
      s->result = "uncertain";
      snprintf(s->error, sizeof(s->error), "an earlier attempt may have "
               "arrived (%s); check, then use --force to send again",
               row.error ? row.error : "outcome unknown");
      jrow_release(&row);
      continue;
    }
    struct render_req q = {.ev = d->ev, .old = items[i].old,
                           .notice = d->notice, .ch = ch,
                           .langs = d->langs, .en_first = d->en_first,
                           .now = o->now};
    if (render_message(r, &q, &d->msg, &e) < 0) {
      s->result = "failed";
      snprintf(s->error, sizeof(s->error), "%s", e.msg);
      if (have)
        jrow_release(&row);
      continue;
    }
    const char *why = s->ops->cannot ? s->ops->cannot(d) : NULL;
    if (why) {
      s->result = "skipped";
      snprintf(s->error, sizeof(s->error), "%s", why);
      if (have)
        jrow_release(&row);
      continue;
    }
    if (!d->ctx->ready && !o->dry_run) {
      s->result = "failed";
      sum->config++;
      snprintf(s->error, sizeof(s->error), "%s", d->ctx->error.msg);
      if (have)
        jrow_release(&row);
      continue;
    }
    if (have && row.state)
      d->state = json_loads(row.state, 0, NULL);
    if (!d->state)
      d->state = json_object();
    if (have)
      jrow_release(&row);
    if (o->dry_run) {
      struct http_req req = {0};
      s->ops->dry(d, &req);
      print_request(d, &req);
      buf_release(&req.url);
      buf_release(&req.body);
      curl_slist_free_all(req.headers);
      curl_slist_free_all(req.rcpt);
      free(req.mail_from);
      s->result = "dry-run";
      if (!d->ctx->ready)
        snprintf(s->error, sizeof(s->error), "when sent: %.480s",
                 d->ctx->error.msg);
      continue;
    }
    struct jrow claim = {.event = (char *)d->ev->id, .notice = (char *)d->notice,
                         .channel = (char *)ch->name, .lang = d->lang};
    memcpy(claim.key, d->key, sizeof(claim.key));
    enum dstatus before;
    if (journal_claim(j, &claim, &before, &e) < 0) {
      s->result = "failed";
      snprintf(s->error, sizeof(s->error), "%s", e.msg);
      continue;
    }
    d->task.step = s->ops->step;
    d->task.ud = d;
    d->task.timeout = ch->timeout;
    d->task.retries = (int)ch->retries;
    http_add(h, &d->task);
    s->queued = true;
  }
  /* every claim reaches the disk before the first request goes out */
  if (j && journal_commit(j, &e) < 0) {
    fprintf(stderr, "crier: error: %s\n", e.msg);
    for (size_t i = 0; i < n; i++)
      if (slots[i].queued) {
        slots[i].queued = false;
        slots[i].result = "failed";
        snprintf(slots[i].error, sizeof(slots[i].error), "%.480s", e.msg);
      }
  }
  http_run(h);

  int rc = 0;
  if (j && journal_begin(j, &e) < 0)
    fprintf(stderr, "crier: error: %s\n", e.msg);
  for (size_t i = 0; i < n; i++) {
    struct slot *s = &slots[i];
    struct delivery *d = &s->d;
    if (s->queued) {
      enum dstatus st;
      switch (d->task.outcome) {
      case STEP_DONE:
        s->result = "sent";
        st = DS_SENT;
        break;
      case STEP_UNCERTAIN:
        s->result = "uncertain";
        st = DS_UNCERTAIN;
        break;
      default:
        s->result = "failed";
        st = DS_FAILED;
      }
      if (d->task.outcome != STEP_DONE) {
        char *clean = secret_redacted(d->task.error);
        snprintf(s->error, sizeof(s->error), "%.440s%s", clean,
                 d->task.outcome == STEP_RETRY ? " (temporary; the next run "
                                                 "tries again)"
                                               : "");
        free(clean);
      }
      if (st == DS_SENT)
        remember(j, d);
      if (journal_finish(j, d->key, st, d->remote_id[0] ? d->remote_id : NULL,
                         d->url[0] ? d->url : NULL,
                         s->error[0] ? s->error : NULL, &e) < 0)
        fprintf(stderr, "crier: error: %s\n", e.msg);
      if (d->task.outcome == STEP_RETRY)
        sum->temporary++;
    }
    if (strcmp(s->result, "sent") == 0)
      sum->sent++;
    else if (strcmp(s->result, "skipped") == 0 ||
             strcmp(s->result, "dry-run") == 0)
      sum->skipped++;
    else if (strcmp(s->result, "uncertain") == 0)
      sum->uncertain++;
    else
      sum->failed++;
    report(s, o, results);
    message_release(&d->msg);
    json_decref(d->state);
    buf_release(&d->scratch);
    free(d->aux);
  }
  if (j && journal_commit(j, &e) < 0)
    fprintf(stderr, "crier: error: %s\n", e.msg);
  int hard = sum->failed - sum->temporary - sum->config + sum->uncertain;
  if (hard > 0)
    rc = 1;
  else if (sum->config > 0)
    rc = EX_CONFIG;
  else if (sum->temporary > 0)
    rc = EX_TEMPFAIL;
  http_free(h);
  for (size_t i = 0; i < nctx; i++)
    ctx_release(&ctxs[i]);
  free(ctxs);
  free(slots);
  if (!o->journal)
    journal_close(j);
  return rc;
}

#include "deliver.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "calendar.h"
#include "chan.h"
#include "hooks.h"
#include "log.h"
#include "journal.h"
#include "lazy.h"
#include "plan.h"
#include "secret.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

void deliver_item_key(const struct deliver_item *it, const char *lang,
                      const char *nonce, char out[65])
{
  char extra[80] = "";
  switch (notice_kind_of(it->notice)) {
  case NOTICE_UPDATE:
    snprintf(extra, sizeof(extra), "%s", event_hash(it->ev));
    break;
  case NOTICE_REMINDER: /* a postponed event is reminded again */
    snprintf(extra, sizeof(extra), "start:%lld", (long long)it->ev->start);
    break;
  case NOTICE_CANCEL:
  case NOTICE_REINSTATE:
    if (it->generation)
      snprintf(extra, sizeof(extra), "g%d", it->generation);
    break;
  default:
    break;
  }
  if (nonce)
    snprintf(extra, sizeof(extra), "%s", nonce);
  delivery_key(event_uid(it->ev), it->notice, it->ch->name, lang,
               extra[0] ? extra : NULL, out);
}

static const char *const result_names[] = {[RESULT_SENT] = "sent",
                                           [RESULT_SKIPPED] = "skipped",
                                           [RESULT_FAILED] = "failed",
                                           [RESULT_UNCERTAIN] = "uncertain",
                                           [RESULT_DRY_RUN] = "dry-run",
                                           [RESULT_NOT_SENT] = "not sent",
                                           [RESULT_UNRECORDED] = "unrecorded"};

const char *dresult_name(enum dresult r)
{
  return result_names[r];
}

json_t *deliver_report(const struct deliver_result *r, bool quiet,
                       json_t *results)
{
  const char *url = r->url && r->url[0] ? r->url : NULL;
  const char *error = r->error && r->error[0] ? r->error : NULL;
  const char *name = dresult_name(r->result);
  if (!quiet || r->result == RESULT_FAILED || r->result == RESULT_UNCERTAIN ||
      r->result == RESULT_UNRECORDED) {
    struct buf line = BUF_INIT;
    buf_addf(&line, "event=%s notice=%s channel=%s lang=%s result=%s", r->event,
             r->notice, r->channel, r->lang, name);
    if (url)
      buf_addf(&line, " url=%s", url);
    if (error) /* a skip is not an error: its line says why */
      buf_addf(&line, " %s=\"%s\"",
               r->result == RESULT_SKIPPED ? "reason" : "error", error);
    log_msg(LOG_LINE, "%s", line.data);
    buf_release(&line);
  }
  if (!results)
    return NULL;
  json_t *o =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}", "event", r->event,
                "notice", r->notice, "channel", r->channel, "lang", r->lang,
                "result", name, "url", url, "error", error);
  json_array_append_new(results, o);
  return o;
}

/* ---- one run ---- */

struct slot {
  struct delivery d;
  const struct deliver_item *it;
  const struct chan_type *type;
  enum dresult result; /* set when decided */
  char error[512];
  bool queued;   /* handed to the engine */
  bool rendered; /* its message is (render_slot) */
  bool config;   /* failed for the channel's configuration */
  bool data;     /* failed for the event file or a template */
  bool reported;
};

struct run {
  const struct config *cfg;
  const struct deliver_opts *o;
  struct journal *j;
  struct renderer *r;
  struct slot *slots;
  size_t n;
  struct chan_ctx *ctxs;
  size_t nctx;
  json_t *results;
  json_t *dry_json; /* dry-run messages by slot index */
  struct deliver_summary *sum;
  struct err journal_error; /* the first journal write that failed */
  /* the snapshot of the event last recorded as announced: an event's
   * channels usually finish one after the other, and each records it */
  const struct event *snap_ev;
  char *snap;
};

static volatile int stop_requested;

static void on_signal(int sig)
{
  (void)sig;
  stop_requested = 1;
}

/* --dry-run --summary: the notice in one line, with its subject or what
 * became of it. */
static void print_summary(const struct slot *s)
{
  const struct delivery *d = &s->d;
  printf("%s · %s · %s (%s, %s): ", d->ev->id, d->notice, d->ctx->ch->name,
         chan_type_name(d->ctx->ch->type), d->lang);
  if (s->result == RESULT_DRY_RUN && d->msg.subject)
    printf("%s\n", d->msg.subject);
  else
    printf("%s%s%s\n", dresult_name(s->result), s->error[0] ? " – " : "",
           s->error);
}

static void report(struct run *x, struct slot *s)
{
  if (s->reported)
    return;
  s->reported = true;
  struct deliver_summary *sum = x->sum;
  switch (s->result) {
  case RESULT_SENT:
    sum->sent++;
    break;
  case RESULT_DRY_RUN:
    sum->dry++;
    break;
  case RESULT_SKIPPED:
  case RESULT_NOT_SENT:
    sum->skipped++;
    break;
  case RESULT_UNCERTAIN:
    sum->uncertain++;
    break;
  case RESULT_FAILED:
  case RESULT_UNRECORDED:
    sum->failed++;
  }
  const struct delivery *d = &s->d;
  struct deliver_result r = {d->ev->id, d->notice, d->ctx->ch->name, d->lang,
                             s->result, d->url,    s->error};
  bool summary = x->o->dry == DRY_SUMMARY;
  if (summary && !x->o->json)
    print_summary(s);
  json_t *rec = deliver_report(&r, x->o->quiet || summary, x->results);
  if (rec && s->result == RESULT_DRY_RUN && d->msg.subject)
    json_object_set_new(rec, "message",
                        json_pack("{s:s, s:s, s:s}", "subject", d->msg.subject,
                                  "markdown", d->msg.markdown, "html",
                                  d->msg.html));
}

/* Remembers the first journal failure; later ones add nothing. */
static void journal_failed(struct run *x, const struct err *e)
{
  if (!x->journal_error.msg[0])
    x->journal_error = *e;
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

static void print_message(const struct delivery *d)
{
  printf("=== %s · %s · %s (%s, %s)\n", d->ev->id, d->notice, d->ctx->ch->name,
         chan_type_name(d->ctx->ch->type), d->lang);
  printf("Subject: %s\n\n%s\n", d->msg.subject, d->msg.markdown);
}

static struct chan_ctx *ctx_for(struct run *x, const struct channel *ch)
{
  for (size_t i = 0; i < x->nctx; i++)
    if (x->ctxs[i].ch == ch)
      return &x->ctxs[i];
  struct chan_ctx *c = &x->ctxs[x->nctx++];
  chan_ctx_init(c, ch, x->cfg, x->j);
  return c;
}

static void decide(struct slot *s, enum dresult result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void decide(struct slot *s, enum dresult result, const char *fmt, ...)
{
  s->result = result;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->error, sizeof(s->error), fmt, ap);
  va_end(ap);
}

/* How long a request to ch may still be on its way after its run
 * stopped: its connect and transfer time limits, and a margin. */
static long landing_window(const struct channel *ch)
{
  long w = (ch->timeout > 0 ? ch->timeout : 60) + 10 + 5;
  if (test_hooks.landing_window > 0 && test_hooks.landing_window < w)
    w = test_hooks.landing_window;
  return w;
}

/* Whether a delivery claimed at claimed_at (by the system's clock; 0: not
 * known, long ago) may still be reaching ch's server. */
static bool still_landing(const struct channel *ch, time_t claimed_at)
{
  time_t now = time(NULL);
  return claimed_at > 0 && claimed_at <= now &&
         now - claimed_at < landing_window(ch);
}

/* Whether a delivery a stopped run left 'sending' (claimed at row's
 * update) may be sent again at now: the server recognises the repeat. */
static bool resend_safe(const struct chan_type *t, const struct delivery *d,
                        const struct jrow *row, time_t now)
{
  if (t->idem == IDEM_NONE ||
      (t->idem == IDEM_LOOKUP && t->looks_up && !t->looks_up(d)))
    return false;
  if (t->idem != IDEM_KEY || !t->key_window)
    return true;
  time_t claimed = 0;
  struct err e;
  return row->updated && when_parse_now(row->updated, &claimed, &e) == 0 &&
         now - claimed < t->key_window;
}

/* What the journal has on a slot's key decides it before any request:
 * returns true when the slot needs no sending. */
static bool settled_by_journal(struct run *x, struct slot *s)
{
  struct delivery *d = &s->d;
  struct jrow row;
  if (!x->j || !journal_get(x->j, d->key, &row))
    return false;
  bool settled = true;
  if (row.status == DS_SENT) {
    snprintf(d->url, sizeof(d->url), "%s", row.url ? row.url : "");
    decide(s, RESULT_SKIPPED, "already sent %s",
           row.updated ? row.updated : "");
  } else if (row.status == DS_UNCERTAIN) {
    decide(s, RESULT_UNCERTAIN,
           "an earlier attempt may have arrived (%.300s); "
           "check, then send it again with --force",
           row.error ? row.error : "outcome unknown");
  } else if (row.status == DS_SENDING && !x->o->dry &&
             !resend_safe(s->type, d, &row, x->o->now)) {
    /* a run stopped while this was going out: the server may have it,
     * and cannot tell crier */
    decide(s, RESULT_UNCERTAIN,
           "a run stopped while this was being sent; it "
           "may have arrived: check, then send it again with --force");
    struct err e;
    if (journal_finish(x->j, d->key, DS_UNCERTAIN, NULL, NULL, s->error, 0,
                       &e) < 0)
      journal_failed(x, &e);
  } else if (row.status == DS_SENDING && s->type->idem == IDEM_LOOKUP &&
             !x->o->dry && still_landing(d->ctx->ch, row.claimed_at)) {
    /* the check would see only what the server has finished: a request
     * of the stopped run that is still being handled would be missed,
     * and sent a second time */
    decide(s, RESULT_NOT_SENT,
           "a stopped run was sending this %llds ago; its request may "
           "still reach the server: a run from %lds after it checks "
           "whether it arrived",
           (long long)(time(NULL) - row.claimed_at),
           landing_window(d->ctx->ch));
    x->sum->later++;
  } else {
    settled = false;
    if (row.state)
      d->state = json_loads(row.state, 0, NULL);
  }
  jrow_release(&row);
  return settled;
}

/* Renders a slot's message (and, for channels that show it, the
 * announcement with an update): when it is about to be sent, so that a
 * catch-up of thousands keeps only the window's messages in memory. On
 * failure the slot is decided (a broken event file or template). */
static int render_slot(struct run *x, struct slot *s)
{
  if (s->rendered)
    return 0;
  struct delivery *d = &s->d;
  struct render_req q = {.ev = d->ev,
                         .old = d->old,
                         .notice = d->notice,
                         .ch = d->ctx->ch,
                         .langs = d->langs,
                         .en_first = d->en_first,
                         .now = x->o->now};
  struct err e;
  if (render_message(x->r, &q, &d->msg, &e) < 0) {
    s->data = true;
    decide(s, RESULT_FAILED, "%s", e.msg);
    return -1;
  }
  if (s->type->update_shows_announcement && d->kind == NOTICE_UPDATE) {
    q.notice = "announce";
    q.old = NULL;
    if (render_message(x->r, &q, &d->announcement, &e) < 0) {
      s->data = true;
      decide(s, RESULT_FAILED, "%s", e.msg);
      return -1;
    }
  }
  s->rendered = true;
  return 0;
}

/* Prepares slot i: its key, and whether anything needs sending. */
static void prepare(struct run *x, size_t i)
{
  struct slot *s = &x->slots[i];
  struct delivery *d = &s->d;
  const struct deliver_item *it = s->it;
  const struct channel *ch = it->ch;
  s->type = ch->type;
  d->ev = it->ev;
  d->notice = it->notice;
  d->kind = (enum notice_kind)notice_kind_of(it->notice);
  d->langs = ch->langs;
  d->en_first = ch->lang_first_en;
  d->now = x->o->now;
  d->old = it->old;
  snprintf(d->lang, sizeof(d->lang), "%s", channel_lang_name(ch));
  d->ctx = ctx_for(x, ch);
  if (it->remote)
    d->first = json_loads(it->remote, 0, NULL);
  char nonce[64];
  if (x->o->force) /* a new key each time, even within one second */
    snprintf(nonce, sizeof(nonce), "force:%lld:%08x%08x", (long long)time(NULL),
             randombytes_random(), randombytes_random());
  deliver_item_key(it, d->lang, x->o->force ? nonce : NULL, d->key);
  if (it->skip_reason) {
    decide(s, RESULT_SKIPPED, "%s", it->skip_reason);
    struct jrow sk = {.event = (char *)event_uid(d->ev),
                      .notice = (char *)d->notice,
                      .channel = (char *)ch->name,
                      .lang = d->lang,
                      .for_start = notice_kind_of(d->notice) == NOTICE_REMINDER
                                       ? d->ev->start
                                       : 0};
    memcpy(sk.key, d->key, sizeof(sk.key));
    struct err e;
    if (x->j && !x->o->dry && journal_skip(x->j, &sk, it->skip_reason, &e) < 0)
      journal_failed(x, &e);
    return;
  }
  if (settled_by_journal(x, s))
    return;
  struct err e;
  const char *why = s->type->cannot ? s->type->cannot(d) : NULL;
  if (why) {
    decide(s, RESULT_SKIPPED, "%s", why);
    return;
  }
  if (!d->ctx->ready && !x->o->dry) {
    s->config = true;
    decide(s, RESULT_FAILED, "%s", d->ctx->error.msg);
    return;
  }
  if (!d->state)
    d->state = json_object();
  /* the SEQUENCE of the event's calendar entry as this notice shows it
   * (invitations carry it); the state is recorded with the other writes
   * of prepare, so that a later state gets a higher number */
  time_t changed;
  if (calendar_sequence(x->j, x->cfg, d->ev,
                        notice_kind_of(d->notice) == NOTICE_CANCEL, !x->o->dry,
                        &d->sequence, &changed, &e) < 0)
    journal_failed(x, &e);
  chan_delivery_init(d);
  if (x->o->dry) {
    if (render_slot(x, s) < 0)
      return;
    if (x->o->dry == DRY_REQUESTS) {
      struct http_req req = {0};
      s->type->dry(d, &req);
      print_request(d, &req);
      buf_release(&req.url);
      buf_release(&req.body);
      curl_slist_free_all(req.headers);
      curl_slist_free_all(req.rcpt);
      free(req.mail_from);
    } else if (!x->o->json && x->o->dry == DRY_MESSAGES) {
      print_message(d);
    }
    /* the request form says what sending would need; the message form is
     * for reading */
    bool note = !d->ctx->ready && x->o->dry == DRY_REQUESTS;
    decide(s, RESULT_DRY_RUN, "%s%.480s", note ? "when sent: " : "",
           note ? d->ctx->error.msg : "");
    return;
  }
  d->task.step = s->type->step;
  d->task.ud = s;
  d->task.timeout = ch->timeout;
  d->task.retries = (int)ch->retries;
  s->queued = true;
}

/* After an announcement, update, cancellation or reinstatement: what the
 * channel's members now know, and where the announcement went. */
static int remember(struct run *x, const struct slot *s, struct err *e)
{
  const struct delivery *d = &s->d;
  int kind = notice_kind_of(d->notice);
  if (kind == NOTICE_REMINDER)
    return 0;
  struct jannounced a = {.event = (char *)event_uid(d->ev),
                         .channel = (char *)d->ctx->ch->name,
                         .hash = (char *)event_hash(d->ev),
                         .cancelled = kind == NOTICE_CANCEL,
                         .generation =
                             s->it->generation + (kind == NOTICE_CANCEL ||
                                                  kind == NOTICE_REINSTATE)};
  if (x->snap_ev != d->ev) {
    free(x->snap);
    x->snap = event_snapshot(d->ev);
    x->snap_ev = d->ev;
  }
  a.snapshot = x->snap;
  char *remote = NULL;
  if (kind == NOTICE_ANNOUNCE)
    remote = chan_remote_record(d->remote_id, d->url, d->state);
  a.remote = remote;
  int rc = journal_set_announced(x->j, &a, e);
  free(remote);
  return rc;
}

static void slot_release(struct slot *s)
{
  struct delivery *d = &s->d;
  message_release(&d->msg);
  message_release(&d->announcement);
  json_decref(d->state);
  json_decref(d->first);
  d->state = d->first = NULL;
  buf_release(&d->scratch);
  chan_delivery_release(d);
}

/* The engine's hooks: claims before the first request, outcomes as soon
 * as they are final; each batch is one transaction. */
static void on_begin(void *ud, struct http_task **t, size_t n)
{
  struct run *x = ud;
  struct err e;
  for (size_t i = 0; i < n; i++) {
    struct slot *s = t[i]->ud;
    if (render_slot(x, s) < 0) { /* never claimed: reported as it is */
      t[i]->refused = true;
      s->queued = false;
      report(x, s);
    }
  }
  bool ok = journal_begin(x->j, &e) == 0;
  for (size_t i = 0; ok && i < n; i++) {
    struct slot *s = t[i]->ud;
    struct delivery *d = &s->d;
    if (t[i]->refused)
      continue;
    struct jrow claim = {
        .event = (char *)event_uid(d->ev),
        .notice = (char *)d->notice,
        .channel = (char *)d->ctx->ch->name,
        .lang = d->lang,
        .for_start =
            notice_kind_of(d->notice) == NOTICE_REMINDER ? d->ev->start : 0};
    memcpy(claim.key, d->key, sizeof(claim.key));
    ok = journal_claim(x->j, &claim, &e) == 0;
  }
  if (ok && journal_commit(x->j, &e) == 0)
    return;
  if (ok)
    ok = false; /* the commit failed: journal_commit rolled back */
  else
    journal_rollback(x->j);
  journal_failed(x, &e);
  /* nothing of this batch may go out: the journal would not know it */
  for (size_t i = 0; i < n; i++) {
    struct slot *s = t[i]->ud;
    if (t[i]->refused)
      continue;
    t[i]->refused = true;
    s->queued = false;
    decide(s, RESULT_FAILED, "not sent: the journal cannot record it (%.400s)",
           e.msg);
    report(x, s);
  }
}

static void outcome(struct slot *s)
{
  struct delivery *d = &s->d;
  switch (d->task.outcome) {
  case STEP_DONE:
    s->result = RESULT_SENT;
    s->error[0] = '\0';
    return;
  case STEP_UNCERTAIN:
    s->result = RESULT_UNCERTAIN;
    break;
  default:
    s->result = RESULT_FAILED;
  }
  char *clean = secret_redacted(d->task.error);
  snprintf(s->error, sizeof(s->error), "%.440s%s", clean,
           d->task.outcome == STEP_RETRY ? " (temporary; the next run tries "
                                           "again)"
                                         : "");
  free(clean);
  if (d->task.outcome == STEP_FAIL && d->task.config_error)
    s->config = true;
}

/* A write of a channel that checks first is leaving: the journal notes
 * when, so that a run after a stop waits until it cannot be on its way. */
static void on_write(void *ud, struct http_task *t)
{
  struct run *x = ud;
  struct slot *s = t->ud;
  struct err e;
  if (x->j && s->type->idem == IDEM_LOOKUP &&
      journal_touch(x->j, s->d.key, &e) < 0)
    journal_failed(x, &e);
}

/* While the first requests are under way: the statements their outcomes
 * need are prepared now, not after the answers. */
static void on_idle(void *ud)
{
  struct run *x = ud;
  if (x->j)
    journal_prepare_outcomes(x->j);
}

static void on_end(void *ud, struct http_task **t, size_t n)
{
  struct run *x = ud;
  struct err e;
  bool ok = journal_begin(x->j, &e) == 0;
  for (size_t i = 0; i < n; i++) {
    struct slot *s = t[i]->ud;
    struct delivery *d = &s->d;
    outcome(s);
    if (d->task.outcome == STEP_RETRY)
      x->sum->temporary++;
    enum dstatus st = s->result == RESULT_SENT        ? DS_SENT
                      : s->result == RESULT_UNCERTAIN ? DS_UNCERTAIN
                                                      : DS_FAILED;
    if (ok && st == DS_SENT && remember(x, s, &e) < 0)
      ok = false;
    if (ok &&
        journal_finish(x->j, d->key, st, d->remote_id[0] ? d->remote_id : NULL,
                       d->url[0] ? d->url : NULL, s->error[0] ? s->error : NULL,
                       d->task.restarts, &e) < 0)
      ok = false;
  }
  if (ok && journal_commit(x->j, &e) == 0) {
    for (size_t i = 0; i < n; i++) {
      report(x, t[i]->ud);
      slot_release(t[i]->ud); /* done: its memory goes now */
    }
    return;
  }
  if (ok)
    ok = false;
  else
    journal_rollback(x->j);
  journal_failed(x, &e);
  for (size_t i = 0; i < n; i++) {
    struct slot *s = t[i]->ud;
    x->sum->unrecorded++;
    char what[500];
    snprintf(what, sizeof(what),
             "%s, but the journal could not record it "
             "(%.300s): the next run may send it again",
             dresult_name(s->result), e.msg);
    if (s->result == RESULT_SENT)
      s->result = RESULT_UNRECORDED;
    snprintf(s->error, sizeof(s->error), "%.500s", what);
    report(x, s);
    slot_release(s);
  }
}

static int exit_status(const struct deliver_summary *sum,
                       const struct err *journal_error)
{
  if (journal_error->msg[0])
    return journal_error->code ? journal_error->code : EX_IOERR;
  int hard =
      sum->failed - sum->temporary - sum->config - sum->data + sum->uncertain;
  if (hard > 0)
    return 1;
  if (sum->data > 0)
    return EX_DATAERR;
  if (sum->config > 0)
    return EX_CONFIG;
  if (sum->temporary > 0 || sum->stopped || sum->later > 0)
    return EX_TEMPFAIL;
  return 0;
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
  struct run x = {.cfg = cfg,
                  .o = o,
                  .j = o->journal,
                  .r = r,
                  .n = n,
                  .results = results,
                  .sum = sum};
  struct err e;
  if (!x.j && !o->dry && n) {
    x.j = journal_open(cfg->journal, 5000, &e);
    if (!x.j) {
      log_msg(LOG_ERROR, "%s", e.msg);
      return e.code;
    }
  }
  if (x.j && !o->dry)
    journal_set_clock(x.j, o->now);
  x.slots = xcalloc(n ? n : 1, sizeof(*x.slots));
  x.ctxs = xcalloc(cfg->nchannels ? cfg->nchannels : 1, sizeof(*x.ctxs));

  /* prepare: skips and settled rows are written in one transaction */
  bool tx = x.j && !o->dry && journal_begin(x.j, &e) == 0;
  if (x.j && !o->dry && !tx)
    journal_failed(&x, &e);
  for (size_t i = 0; i < n; i++) {
    x.slots[i].it = &items[i];
    prepare(&x, i);
  }
  if (tx && journal_commit(x.j, &e) < 0)
    journal_failed(&x, &e);
  for (size_t i = 0; i < n; i++)
    if (!x.slots[i].queued)
      report(&x, &x.slots[i]);

  /* run, claiming and recording as the engine goes */
  size_t queued = 0;
  for (size_t i = 0; i < n; i++)
    queued += x.slots[i].queued;
  /* the libraries sending and rendering use, loaded before anything is
   * claimed: one found missing later would end the process (lazy.h) with
   * deliveries claimed and under way */
  static const enum lazy_lib needed[] = {LAZY_CMARK, LAZY_UNISTRING,
                                         LAZY_SODIUM, LAZY_JANSSON};
  struct err lib = {0};
  for (size_t k = 0; queued && !lib.code && k < ARRAY_SIZE(needed); k++)
    lazy_load(needed[k], &lib);
  /* while the transport opens libcurl (announce), the messages the
   * engine's first window would render as it begins them: what is left
   * between that and the first request is the claim */
  for (size_t i = 0, k = 0;
       queued && !lib.code && http_remote() && i < n && k < HTTP_WINDOW; i++) {
    struct slot *s = &x.slots[i];
    if (!s->queued)
      continue;
    k++;
    if (render_slot(&x, s) < 0) { /* never claimed: reported as it is */
      s->queued = false;
      queued--;
      report(&x, s);
    }
  }
  if (queued && !lib.code && http_remote()) {
    journal_prepare_claims(x.j);
    journal_prepare_outcomes(x.j);
  }
  /* libcurl last (in the transport, if announce started one, it is the
   * one still loading), but named first when it is missing too */
  struct err curl = {0};
  if (queued && http_ready(&curl) < 0)
    lib = curl;
  if (queued && !x.journal_error.msg[0] && !lib.code) {
    struct http_opts ho = {.verbose = o->verbose,
                           .host_connections = cfg->connections,
                           .on_begin = on_begin,
                           .on_end = on_end,
                           .on_write = on_write,
                           .on_idle = on_idle,
                           .hook_ud = &x,
                           .stop = &stop_requested,
                           .retry_base = test_hooks.retry_base};
    struct http_engine *h = http_new(&ho);
    for (size_t i = 0; i < n; i++)
      if (x.slots[i].queued)
        http_add(h, &x.slots[i].d.task);
    struct sigaction sa = {.sa_handler = on_signal}, old_term, old_int;
    sigemptyset(&sa.sa_mask);
    stop_requested = 0;
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGINT, &sa, &old_int);
    http_run(h);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    sum->stopped = stop_requested != 0;
    http_free(h);
  }
  /* the transport's exit (unmapping libcurl's libraries) runs beside what
   * is left here: the outcomes' report, the journal's close */
  http_transport_end();
  for (size_t i = 0; i < n; i++) {
    struct slot *s = &x.slots[i];
    if (s->queued && !s->d.task.begun) {
      /* never claimed: due again next time */
      decide(s, RESULT_NOT_SENT, "%s",
             sum->stopped ? "stopped (SIGTERM/SIGINT) before it "
                            "began"
             : lib.code   ? "not started: a library is missing"
                          : "not started: the journal failed");
      report(&x, s);
    }
  }
  for (size_t i = 0; i < n; i++) {
    sum->config += x.slots[i].config;
    sum->data += x.slots[i].data;
  }
  if (x.journal_error.msg[0])
    log_msg(LOG_ERROR, "%s", x.journal_error.msg);
  if (sum->stopped)
    log_msg(LOG_INFO,
            "stopped by a signal: what was under way was "
            "finished and recorded; the rest goes out with the next run");
  if (lib.code)
    log_msg(LOG_ERROR, "%s", lib.msg);
  int rc = lib.code ? lib.code : exit_status(sum, &x.journal_error);
  for (size_t i = 0; i < n; i++)
    slot_release(&x.slots[i]);
  for (size_t i = 0; i < x.nctx; i++)
    chan_ctx_release(&x.ctxs[i]);
  free(x.ctxs);
  free(x.slots);
  free(x.snap);
  if (!o->journal)
    journal_close(x.j);
  return rc;
}

/* Mail over SMTP through libcurl (smtp.h: TLS, timeouts, a new connection
 * per attempt, recipients refused one by one), or through a provider's API
 * (chan_mailapi.c). The message is built by mail.c: its text part is the
 * Markdown as plain text, its Message-ID comes from the delivery key, and
 * reminders, updates and cancellations follow the announcement
 * (In-Reply-To, References).
 *
 * What the server said decides the outcome: the message accepted at the
 * end of DATA is sent (to the recipients it accepted, remembered in the
 * delivery's state so that no later attempt sends to them again); a 4xx
 * reply is temporary and retried on a new connection; a 5xx reply fails;
 * a connection lost after the message began to go out leaves the delivery
 * 'uncertain': it is not sent again blindly. Errors carry the server's
 * reply (code, enhanced status, text) and name refused recipients. */
#include "chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "key.h"
#include "calendar.h"
#include "ical.h"
#include "mail.h"
#include "mailapi.h"
#include "md.h"
#include "plan.h"
#include "secret.h"
#include "site.h"
#include "smtp.h"
#include "xalloc.h"

#define MF(k, kind, m, flags)                                                  \
  CFG_FIELD(k, kind, struct mail_conf, m, flags, NULL)
static const struct cfg_field fields[] = {
    MF("url", CFG_ENDPOINT, url, 0),
    MF("username", CFG_STR, username, 0),
    MF("password", CFG_SECRET, password, 0),
    MF("from", CFG_STR, from, CFG_REQUIRED),
    MF("to", CFG_LIST, to, CFG_REQUIRED),
    MF("bcc", CFG_LIST, bcc, 0),
    MF("calendar", CFG_BOOL, calendar, 0),
    MF("ca_file", CFG_PATH, ca_file, 0),
    MF("helo", CFG_STR, helo, 0),
    MF("provider", CFG_STR, provider, 0),
    MF("api_key", CFG_SECRET, api_key, 0),
    MF("api_url", CFG_ENDPOINT, api_url, 0),
    MF("domain", CFG_STR, domain, 0),
    CFG_END};

#define CONF(d) CHAN_CONF(struct mail_conf, (d)->ctx->ch)

static int check(const struct cfg_check *k, struct channel *ch)
{
  const struct mail_conf *m = ch->conf;
  int rc = 0;
  if (m->url && m->provider)
    rc = cfg_error(k, NULL,
                   "channel '%s': give either 'url' (SMTP) or "
                   "'provider', not both",
                   ch->name);
  if (!m->url && !m->provider)
    rc = cfg_error(k, NULL,
                   "channel '%s' needs 'url' (smtps://host:465 or "
                   "smtp://host:587) or 'provider'",
                   ch->name);
  if (m->url && strncmp(m->url, "smtp", 4) != 0)
    rc = cfg_error(k, "url",
                   "'url' must start with smtps:// or smtp://, not '%s'",
                   m->url);
  if (m->helo && m->provider)
    rc = cfg_error(k, "helo",
                   "channel '%s': 'helo' is for SMTP ('url'), not a provider",
                   ch->name);
  else if (m->helo && !mail_helo_ok(m->helo))
    rc = cfg_error(k, "helo",
                   "'helo' must be a fully qualified domain name (mail.example."
                   "org) or an address literal ([192.0.2.1]), not '%s'",
                   m->helo);
  if (m->provider && strcmp(m->provider, "postmark") != 0 &&
      strcmp(m->provider, "mailgun") != 0 &&
      strcmp(m->provider, "sendgrid") != 0)
    rc = cfg_error(k, "provider",
                   "'provider' must be postmark, mailgun or sendgrid, not "
                   "'%s'",
                   m->provider);
  return rc;
}

static int prepare(struct chan_ctx *c, struct err *e)
{
  const struct channel *ch = c->ch;
  const struct mail_conf *m = ch->conf;
  char *from = mail_address(m->from);
  if (!from)
    return err_set(e, EX_CONFIG, "channel '%s': 'from' has no address: '%s'",
                   ch->name, m->from);
  free(from);
  for (size_t i = 0; i < m->to.n; i++) {
    char *a = mail_address(m->to.v[i]);
    if (!a)
      return err_set(e, EX_CONFIG,
                     "channel '%s': '%s' in 'to' is not an "
                     "address",
                     ch->name, m->to.v[i]);
    free(a);
  }
  if (m->provider)
    return mailapi_prepare(c, e);
  return 0;
}

static char *sender(const struct channel *ch)
{
  const struct mail_conf *m = ch->conf;
  return m->from ? mail_address(m->from) : NULL;
}

/* The domain of the from address (borrowed from a, which the caller
 * frees), or "crier.invalid". */
static const char *from_domain(const struct channel *ch, char **a)
{
  *a = mail_address(CHAN_CONF(struct mail_conf, ch)->from);
  const char *at = *a ? strchr(*a, '@') : NULL;
  return at ? at + 1 : "crier.invalid";
}

/* The Message-ID of the delivery with key: 128 bits of the key at the
 * from address's domain, short enough for a 78-character header line. */
static void message_id(const char *key, const struct channel *ch,
                       struct buf *out)
{
  char *a;
  buf_addf(out, "%.32s@%s", key, from_domain(ch, &a));
  free(a);
}

/* The name said in EHLO: 'helo', else this machine's name when it is
 * fully qualified, else the domain of the from address. */
static void helo_name(const struct channel *ch, struct buf *out)
{
  const struct mail_conf *m = ch->conf;
  if (m->helo) {
    buf_adds(out, m->helo);
    return;
  }
  char host[256];
  if (gethostname(host, sizeof(host)) == 0) {
    host[sizeof(host) - 1] = '\0';
    if (mail_helo_ok(host)) {
      buf_adds(out, host);
      return;
    }
  }
  char *a;
  buf_adds(out, from_domain(ch, &a));
  free(a);
}

/* The URL with the EHLO name as its path (libcurl's way to set it). A
 * path in 'url' names it when 'helo' does not. */
static void smtp_url(const struct channel *ch, struct buf *out)
{
  const struct mail_conf *m = ch->conf;
  const char *u = m->url;
  const char *host = strstr(u, "://");
  const char *slash = host ? strchr(host + 3, '/') : NULL;
  if (slash && slash[1] && !m->helo) {
    buf_adds(out, u);
    return;
  }
  buf_add(out, u, slash ? (size_t)(slash - u) : strlen(u));
  buf_addc(out, '/');
  struct buf h = BUF_INIT;
  helo_name(ch, &h);
  http_escape(out, h.data);
  buf_release(&h);
}

/* Whether the delivery's state says addr has the message. */
static bool delivered_to(const struct delivery *d, const char *addr)
{
  json_t *done = json_object_get(d->state, "done"), *v;
  size_t i;
  json_array_foreach(done, i, v)
  {
    if (json_is_string(v) && strcasecmp(json_string_value(v), addr) == 0)
      return true;
  }
  return false;
}

/* The envelope recipients (to, then bcc, each once) that do not have the
 * message yet. */
static struct curl_slist *recipients(const struct delivery *d)
{
  const struct mail_conf *m = CONF(d);
  struct curl_slist *l = NULL;
  const struct strlist *lists[] = {&m->to, &m->bcc};
  for (size_t k = 0; k < 2; k++)
    for (size_t i = 0; i < lists[k]->n; i++) {
      char *a = mail_address(lists[k]->v[i]);
      bool seen = !a || delivered_to(d, a);
      for (struct curl_slist *s = l; s && !seen; s = s->next)
        seen = strcasecmp(s->data, a) == 0;
      if (!seen) {
        struct curl_slist *n = curl_slist_append(l, a);
        if (!n)
          abort();
        l = n;
      }
      free(a);
    }
  return l;
}

/* The Message-ID a reminder, update or cancellation follows: the
 * announcement's as the journal recorded it, else the one it has or would
 * have had. NULL for the announcement itself; caller frees. */
static char *thread_parent(const struct delivery *d)
{
  if (d->kind == NOTICE_ANNOUNCE)
    return NULL;
  const char *id = json_string_value(json_object_get(d->first, "remote_id"));
  size_t n = id ? strlen(id) : 0;
  if (n >= 3 && id[0] == '<' && id[n - 1] == '>')
    return xstrndup(id + 1, n - 2);
  char key[65];
  struct buf b = BUF_INIT;
  delivery_key(event_uid(d->ev), "announce", d->ctx->ch->name, d->lang, NULL,
               key);
  message_id(key, d->ctx->ch, &b);
  return buf_detach(&b);
}

/* The invitation (ical.h, calendar.h): METHOD:PUBLISH with the from
 * address as ORGANIZER for an announcement, reminder, update or
 * reinstatement, METHOD:CANCEL for a cancellation; the SEQUENCE the
 * journal gives the event's state, DTSTAMP the time of sending. Returns
 * the method's name. */
static const char *calendar(const struct delivery *d, struct buf *ics)
{
  bool cancel = notice_kind_of(d->notice) == NOTICE_CANCEL;
  struct ical_cal cal;
  calendar_settings(d->ctx->cfg, cancel ? ICAL_CANCEL : ICAL_PUBLISH, &cal);
  struct calendar_entry ce;
  calendar_entry_init(&ce, d->ctx->cfg, d->ev);
  ce.ie.stamp = time(NULL);
  ce.ie.sequence = d->sequence;
  ce.ie.cancelled = cancel;
  ce.ie.organizer = CONF(d)->from;
  ical_single(ics, &cal, &ce.ie);
  calendar_entry_release(&ce);
  return ical_method_name(cal.method);
}

static void build(struct delivery *d, struct http_req *req)
{
  const struct channel *ch = d->ctx->ch;
  const struct mail_conf *mc = ch->conf;
  struct buf mid = BUF_INIT, ics = BUF_INIT, text = BUF_INIT;
  const char *method = NULL;
  message_id(d->key, ch, &mid);
  if (mc->calendar)
    method = calendar(d, &ics);
  md_to_text(d->msg.markdown, strlen(d->msg.markdown), &text);
  if (mc->provider) {
    mailapi_build(d, req, mid.data, text.data, ics.len ? ics.data : NULL,
                  method);
  } else {
    char langs[32];
    chan_content_language(d, langs, sizeof(langs));
    req->method = HTTP_SMTP;
    smtp_url(ch, &req->url);
    const struct buf *password = chan_secret(d->ctx, &mc->password);
    req->mail_from = mail_address(mc->from);
    req->rcpt = recipients(d);
    req->ca_file = mc->ca_file;
    req->username = mc->username;
    req->password = password->len ? password->data : NULL;
    char *parent = thread_parent(d);
    struct mail m = {.from = mc->from,
                     .to = (const char *const *)mc->to.v,
                     .nto = mc->to.n,
                     .subject = d->msg.subject,
                     .text = text.data,
                     .html = d->msg.html,
                     .message_id = mid.data,
                     .in_reply_to = parent,
                     .language = langs,
                     .date = time(NULL),
                     .ics = ics.len ? ics.data : NULL,
                     .ics_method = method};
    mail_build(&m, &req->body);
    free(parent);
  }
  buf_release(&mid);
  buf_release(&ics);
  buf_release(&text);
}

static void set_message_id(struct delivery *d)
{
  struct buf mid = BUF_INIT;
  message_id(d->key, d->ctx->ch, &mid);
  snprintf(d->remote_id, sizeof(d->remote_id), "<%s>", mid.data);
  buf_release(&mid);
}

/* Adds ", " and s to a list in b. */
static void list_add(struct buf *b, const char *s, size_t n)
{
  if (b->len)
    buf_adds(b, ", ");
  buf_add(b, s, n);
}

/* What the recipients' replies say, and remembers the accepted ones as
 * served when the message was accepted. */
struct rcpts {
  struct buf accepted, refused; /* "a@x, b@x"; "c@x (550 5.1.1 …), …" */
  size_t naccepted, nrefused;
  bool permanent; /* a refusal was permanent */
};

static void read_rcpts(const struct smtp_exchange *x, size_t n, struct rcpts *r)
{
  for (size_t i = 0; i < n; i++) {
    if (strncasecmp(x[i].cmd, "RCPT TO:", 8) != 0)
      continue;
    const char *a = strchr(x[i].cmd, '<');
    const char *z = a ? strchr(a, '>') : NULL;
    if (!a || !z)
      continue;
    a++;
    if (x[i].reply.code / 100 == 2) {
      list_add(&r->accepted, a, (size_t)(z - a));
      r->naccepted++;
      continue;
    }
    list_add(&r->refused, a, (size_t)(z - a));
    buf_adds(&r->refused, " (");
    smtp_reply_format(&x[i].reply, &r->refused);
    buf_adds(&r->refused, ")");
    r->nrefused++;
    if (!smtp_reply_temporary(&x[i].reply))
      r->permanent = true;
  }
}

static void remember(struct delivery *d, const struct smtp_exchange *x,
                     size_t n)
{
  json_t *done = json_object_get(d->state, "done");
  if (!json_is_array(done)) {
    done = json_array();
    json_object_set_new(d->state, "done", done);
  }
  for (size_t i = 0; i < n; i++) {
    const char *a = strchr(x[i].cmd, '<');
    const char *z = a ? strchr(a, '>') : NULL;
    if (strncasecmp(x[i].cmd, "RCPT TO:", 8) != 0 || !z ||
        x[i].reply.code / 100 != 2)
      continue;
    char *addr = xstrndup(a + 1, (size_t)(z - a - 1));
    if (!delivered_to(d, addr))
      json_array_append_new(done, json_string(addr));
    free(addr);
  }
  chan_save_state(d);
}

/* The last exchange that got a refusal, or NULL. */
static const struct smtp_exchange *refusal(const struct smtp_exchange *x,
                                           size_t n)
{
  for (size_t i = n; i-- > 0;)
    if (x[i].reply.code >= 400)
      return &x[i];
  return NULL;
}

static enum step smtp_result(struct http_task *t, struct delivery *d,
                             const struct http_resp *prev)
{
  struct smtp_exchange *x = NULL;
  size_t n = smtp_dialogue(prev->headers.data, &x);
  const struct smtp_exchange *mail = NULL, *eod = NULL;
  for (size_t i = 0; i < n; i++) {
    if (strncasecmp(x[i].cmd, "MAIL FROM:", 10) == 0)
      mail = &x[i];
    else if (strcmp(x[i].cmd, ".") == 0)
      eod = &x[i];
  }
  struct rcpts r = {BUF_INIT, BUF_INIT, 0, 0, false};
  read_rcpts(x, n, &r);
  struct buf msg = BUF_INIT, reply = BUF_INIT, mid = BUF_INIT;
  message_id(d->key, d->ctx->ch, &mid);
  if (eod)
    smtp_reply_format(&eod->reply, &reply);
  enum step s;
  if (prev->code == CURLE_OK || (eod && eod->reply.code / 100 == 2)) {
    remember(d, x, n);
    set_message_id(d);
    if (!r.nrefused) {
      s = STEP_DONE;
    } else {
      buf_addf(&msg, "partly sent: refused %s; sent to %s", r.refused.data,
               r.accepted.data);
      s = r.permanent ? STEP_FAIL : STEP_RETRY;
    }
  } else if (eod && eod->reply.code) {
    bool temp = smtp_reply_temporary(&eod->reply);
    buf_addf(&msg, "the server %s the message: %s",
             temp ? "deferred" : "refused", reply.data);
    if (r.nrefused)
      buf_addf(&msg, "; refused recipients: %s", r.refused.data);
    s = temp ? STEP_RETRY : STEP_FAIL;
  } else if (prev->data_started) {
    struct buf b = BUF_INIT;
    http_describe(prev, &b);
    buf_addf(&msg,
             "the connection failed after the message began to go "
             "out (%s); it may have arrived as <%s>",
             b.data, mid.data);
    buf_release(&b);
    s = STEP_UNCERTAIN;
  } else if (prev->no_auth) {
    buf_adds(&msg, "the server offers no login (AUTH) over TLS; the message "
                   "is not sent without the configured username and "
                   "password");
    t->config_error = true;
    s = STEP_FAIL;
  } else if (r.nrefused && !r.naccepted) {
    buf_addf(&msg, "every recipient was refused: %s", r.refused.data);
    s = r.permanent ? STEP_FAIL : STEP_RETRY;
  } else if (mail && mail->reply.code >= 400) {
    smtp_reply_format(&mail->reply, &reply);
    buf_addf(&msg, "the server refused the sender (%s): %s", mail->cmd,
             reply.data);
    s = smtp_reply_temporary(&mail->reply) ? STEP_RETRY : STEP_FAIL;
  } else if (prev->code == CURLE_USE_SSL_FAILED) {
    buf_addf(&msg,
             "the server does not offer STARTTLS%s; use smtps:// or a "
             "server that offers it",
             chan_secret(d->ctx, &CONF(d)->password)->len
                 ? ", and the password is sent only over TLS"
                 : "");
    t->config_error = true;
    s = STEP_FAIL;
  } else if (refusal(x, n)) {
    const struct smtp_exchange *f = refusal(x, n);
    smtp_reply_format(&f->reply, &reply);
    /* only the verb: "AUTH PLAIN", "EHLO", "" for the greeting */
    const char *what = f->cmd[0] ? f->cmd : "greeting";
    size_t wl = strcspn(what, " :");
    if (strncasecmp(what, "AUTH", 4) == 0)
      wl = strlen(what);
    if (prev->code == CURLE_LOGIN_DENIED) {
      buf_addf(&msg, "login refused: %s", reply.data);
      t->config_error = true;
    } else {
      buf_addf(&msg, "the server refused (%.*s): %s", (int)wl, what,
               reply.data);
    }
    s = smtp_reply_temporary(&f->reply) ? STEP_RETRY : STEP_FAIL;
  } else {
    http_describe(prev, &msg);
    if (prev->code == CURLE_PEER_FAILED_VERIFICATION)
      buf_adds(&msg, " (is 'ca_file' the CA that signed the server's "
                     "certificate?)");
    t->config_error = http_config_error(prev);
    s = http_temporary(prev) ? STEP_RETRY : STEP_FAIL;
  }
  if (s != STEP_DONE) {
    json_t *done = json_object_get(d->state, "done");
    if (json_array_size(done) && !r.naccepted) {
      struct buf had = BUF_INIT;
      size_t i;
      json_t *v;
      json_array_foreach(done, i, v)
      {
        list_add(&had, json_string_value(v), strlen(json_string_value(v)));
      }
      buf_addf(&msg, "; sent earlier to %s", had.data);
      buf_release(&had);
    }
    secret_redact(&msg);
    snprintf(t->error, sizeof(t->error), "%s", msg.data);
  }
  buf_release(&msg);
  buf_release(&reply);
  buf_release(&mid);
  buf_release(&r.accepted);
  buf_release(&r.refused);
  free(x);
  return s;
}

static enum step step(struct http_task *t, const struct http_resp *prev,
                      struct http_req *req)
{
  struct delivery *d = task_delivery(t);
  if (!prev) {
    build(d, req);
    if (req->method == HTTP_SMTP && !req->rcpt) {
      /* every recipient has it already (an earlier run was stopped
       * before it could record that) */
      set_message_id(d);
      return STEP_DONE;
    }
    return STEP_SEND;
  }
  if (CONF(d)->provider)
    return mailapi_result(t, d, prev);
  return smtp_result(t, d, prev);
}

static void dry(struct delivery *d, struct http_req *req)
{
  build(d, req);
}

const struct chan_type chan_mail = {.name = "mail",
                                    .label = "mail",
                                    .fields = fields,
                                    .conf_size = sizeof(struct mail_conf),
                                    .check = check,
                                    .format = CHAN_MARKDOWN,
                                    .idem = IDEM_NONE,
                                    .prepare = prepare,
                                    .step = step,
                                    .dry = dry,
                                    .sender = sender};

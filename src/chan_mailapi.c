/* Mail through HTTP mail APIs: Postmark, Mailgun and SendGrid, as each
 * documents its send endpoint. The message is the same as over SMTP
 * (subject, text part, HTML part, optional iCalendar attachment); the
 * providers take UTF-8 JSON or form fields, so nothing is RFC 2047-encoded
 * here. The provider's message id goes to the journal. A request that may
 * have reached the provider (a timeout or a reset after sending) leaves
 * the delivery 'uncertain': these APIs do not deduplicate. */
#include "chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail.h"
#include "mailapi.h"
#include "secret.h"
#include "util.h"
#include "site.h"
#include "xalloc.h"

enum provider { POSTMARK, MAILGUN, SENDGRID };

static enum provider which(const struct mail_conf *m)
{
  return strcmp(m->provider, "postmark") == 0  ? POSTMARK
         : strcmp(m->provider, "mailgun") == 0 ? MAILGUN
                                               : SENDGRID;
}

int mailapi_prepare(struct chan_ctx *c, struct err *e)
{
  const struct mail_conf *m = c->ch->conf;
  if (which(m) == MAILGUN && !m->domain)
    return err_set(e, EX_CONFIG, "channel '%s': mailgun needs 'domain'",
                   c->ch->name);
  if (m->api_url && !http_url_allowed(m->api_url))
    return err_set(e, EX_CONFIG,
                   "channel '%s': api_url must be https:// "
                   "(http only to a loopback address)",
                   c->ch->name);
  if (!m->api_key.kind)
    return err_set(e, EX_CONFIG, "mail api_key: no secret configured");
  return 0;
}

static const char *base_url(const struct mail_conf *m)
{
  if (m->api_url)
    return m->api_url;
  switch (which(m)) {
  case POSTMARK:
    return "https://api.postmarkapp.com";
  case MAILGUN:
    return "https://api.mailgun.net";
  default:
    return "https://api.sendgrid.com";
  }
}

static void url(struct http_req *req, const struct mail_conf *m,
                const char *path)
{
  const char *b = base_url(m);
  size_t n = strlen(b);
  while (n && b[n - 1] == '/')
    n--;
  buf_add(&req->url, b, n);
  buf_adds(&req->url, path);
}

static char *b64(const char *s, size_t n)
{
  struct buf b = BUF_INIT;
  buf_add_base64(&b, s, n, false);
  return buf_detach(&b);
}

/* "a@x, b@y" as the providers want lists in one field. */
static void joined(const struct strlist *l, struct buf *out)
{
  for (size_t i = 0; i < l->n; i++)
    buf_addf(out, "%s%s", i ? ", " : "", l->v[i]);
}

static json_t *sg_address(const char *s)
{
  char *addr = mail_address(s), *name = mail_display_name(s);
  json_t *o = json_pack("{s:s}", "email", addr ? addr : s);
  if (name)
    json_object_set_new(o, "name", json_string(name));
  free(addr);
  free(name);
  return o;
}

static void json_body(struct http_req *req, json_t *doc)
{
  char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
  buf_adds(&req->body, s);
  free(s);
  json_decref(doc);
}

static void form_field(struct buf *b, const char *boundary, const char *name,
                       const char *value)
{
  buf_addf(b,
           "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s"
           "\r\n",
           boundary, name, value);
}

void mailapi_build(struct delivery *d, struct http_req *req,
                   const char *message_id, const char *text, const char *ics,
                   const char *method)
{
  const struct mail_conf *m = d->ctx->ch->conf;
  const char *key = chan_secret(d->ctx, &m->api_key)->data;
  char lang[32];
  chan_content_language(d, lang, sizeof(lang));
  req->method = HTTP_POST;
  chan_user_agent(req);
  /* the calendar's METHOD in its content type, as RFC 6047 has it */
  struct buf ctype = BUF_INIT;
  buf_adds(&ctype, "text/calendar");
  if (method)
    buf_addf(&ctype, "; method=%s", method);
  if (which(m) == POSTMARK) {
    url(req, m, "/email");
    http_req_header(req, "Accept: application/json");
    http_req_header(req, "Content-Type: application/json");
    http_req_header(req, "X-Postmark-Server-Token: %s", key);
    struct buf to = BUF_INIT, bcc = BUF_INIT;
    joined(&m->to, &to);
    joined(&m->bcc, &bcc);
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}], s:{s:s}}",
        "From", m->from, "To", to.data, "Subject", d->msg.subject, "TextBody",
        text, "HtmlBody", d->msg.html, "MessageStream", "outbound", "Headers",
        "Name", "Auto-Submitted", "Value", "auto-generated", "Name",
        "Content-Language", "Value", lang, "Metadata", "crier_key", d->key);
    if (bcc.len)
      json_object_set_new(doc, "Bcc", json_string(bcc.data));
    if (ics) {
      char *c = b64(ics, strlen(ics));
      json_object_set_new(doc, "Attachments",
                          json_pack("[{s:s, s:s, s:s}]", "Name", "event.ics",
                                    "Content", c, "ContentType", ctype.data));
      free(c);
    }
    json_body(req, doc);
    buf_release(&to);
    buf_release(&bcc);
  } else if (which(m) == MAILGUN) {
    struct buf path = BUF_INIT;
    buf_adds(&path, "/v3/");
    http_escape(&path, m->domain);
    buf_adds(&path, "/messages");
    url(req, m, path.data);
    buf_release(&path);
    struct buf auth = BUF_INIT;
    buf_addf(&auth, "api:%s", key);
    char *basic = b64(auth.data, auth.len);
    http_req_header(req, "Authorization: Basic %s", basic);
    explicit_bzero(basic, strlen(basic));
    explicit_bzero(auth.data, auth.len);
    free(basic);
    buf_release(&auth);
    char boundary[48];
    snprintf(boundary, sizeof(boundary), "crier-%.32s", d->key);
    http_req_header(req, "Content-Type: multipart/form-data; boundary=%s",
                    boundary);
    struct buf *b = &req->body;
    form_field(b, boundary, "from", m->from);
    for (size_t i = 0; i < m->to.n; i++)
      form_field(b, boundary, "to", m->to.v[i]);
    for (size_t i = 0; i < m->bcc.n; i++)
      form_field(b, boundary, "bcc", m->bcc.v[i]);
    form_field(b, boundary, "subject", d->msg.subject);
    form_field(b, boundary, "text", text);
    form_field(b, boundary, "html", d->msg.html);
    struct buf mid = BUF_INIT;
    buf_addf(&mid, "<%s>", message_id);
    form_field(b, boundary, "h:Message-Id", mid.data);
    buf_release(&mid);
    form_field(b, boundary, "h:Auto-Submitted", "auto-generated");
    form_field(b, boundary, "h:Content-Language", lang);
    if (ics)
      buf_addf(b,
               "--%s\r\nContent-Disposition: form-data; name=\"attachment"
               "\"; filename=\"event.ics\"\r\nContent-Type: %s\r\n"
               "\r\n%s\r\n",
               boundary, ctype.data, ics);
    buf_addf(b, "--%s--\r\n", boundary);
  } else {
    url(req, m, "/v3/mail/send");
    http_req_header(req, "Authorization: Bearer %s", key);
    http_req_header(req, "Content-Type: application/json");
    json_t *to = json_array(), *bcc = json_array();
    for (size_t i = 0; i < m->to.n; i++)
      json_array_append_new(to, sg_address(m->to.v[i]));
    for (size_t i = 0; i < m->bcc.n; i++)
      json_array_append_new(bcc, sg_address(m->bcc.v[i]));
    json_t *pers = json_pack("{s:o}", "to", to);
    if (json_array_size(bcc))
      json_object_set_new(pers, "bcc", bcc);
    else
      json_decref(bcc);
    json_t *doc =
        json_pack("{s:[o], s:o, s:s, s:[{s:s, s:s}, {s:s, s:s}], s:{s:s, s:s}, "
                  "s:{s:s}}",
                  "personalizations", pers, "from", sg_address(m->from),
                  "subject", d->msg.subject, "content", "type", "text/plain",
                  "value", text, "type", "text/html", "value", d->msg.html,
                  "headers", "Auto-Submitted", "auto-generated",
                  "Content-Language", lang, "custom_args", "crier_key", d->key);
    if (ics) {
      char *c = b64(ics, strlen(ics));
      json_object_set_new(doc, "attachments",
                          json_pack("[{s:s, s:s, s:s, s:s}]", "content", c,
                                    "type", ctype.data, "filename", "event.ics",
                                    "disposition", "attachment"));
      free(c);
    }
    json_body(req, doc);
  }
  buf_release(&ctype);
}

/* The provider's words on a failure. */
static void provider_error(const struct mail_conf *m, const struct http_resp *r,
                           struct buf *out)
{
  json_t *j = chan_json(r);
  buf_addf(out, "%s: ", m->provider);
  if (which(m) == POSTMARK && json_is_object(j)) {
    buf_addf(out, "HTTP %ld, ErrorCode %lld: %s", r->status,
             (long long)json_integer_value(json_object_get(j, "ErrorCode")),
             json_string_value(json_object_get(j, "Message"))
                 ? json_string_value(json_object_get(j, "Message"))
                 : "?");
  } else if (which(m) == SENDGRID &&
             json_is_array(json_object_get(j, "errors"))) {
    buf_addf(out, "HTTP %ld: ", r->status);
    size_t i;
    json_t *er;
    json_array_foreach(json_object_get(j, "errors"), i, er)
    {
      const char *msg = json_string_value(json_object_get(er, "message"));
      const char *f = json_string_value(json_object_get(er, "field"));
      buf_addf(out, "%s%s%s%s%s", i ? "; " : "", msg ? msg : "?",
               f ? " (field " : "", f ? f : "", f ? ")" : "");
    }
  } else if (json_is_string(json_object_get(j, "message"))) {
    buf_addf(out, "HTTP %ld: %s", r->status,
             json_string_value(json_object_get(j, "message")));
  } else {
    http_describe(r, out);
  }
  json_decref(j);
}

enum step mailapi_result(struct http_task *t, struct delivery *d,
                         const struct http_resp *prev)
{
  const struct mail_conf *m = d->ctx->ch->conf;
  if (prev->code == CURLE_OK && prev->status >= 200 && prev->status < 300) {
    json_t *j = chan_json(prev);
    const char *id = which(m) == POSTMARK
                         ? json_string_value(json_object_get(j, "MessageID"))
                     : which(m) == MAILGUN
                         ? json_string_value(json_object_get(j, "id"))
                         : NULL;
    char *hdr = which(m) == SENDGRID ? http_header(prev, "x-message-id") : NULL;
    if (id || hdr)
      snprintf(d->remote_id, sizeof(d->remote_id), "%s", id ? id : hdr);
    free(hdr);
    json_decref(j);
    return STEP_DONE;
  }
  struct buf b = BUF_INIT;
  enum step s;
  if (prev->code != CURLE_OK && prev->code != CURLE_COULDNT_CONNECT &&
      prev->code != CURLE_COULDNT_RESOLVE_HOST &&
      prev->code != CURLE_COULDNT_RESOLVE_PROXY &&
      prev->code != CURLE_SSL_CONNECT_ERROR &&
      prev->code != CURLE_PEER_FAILED_VERIFICATION) {
    buf_addf(&b, "%s: ", m->provider);
    http_describe(prev, &b);
    buf_adds(&b, " — the request may have reached the provider");
    s = STEP_UNCERTAIN;
  } else {
    if (prev->code == CURLE_OK)
      provider_error(m, prev, &b);
    else {
      buf_addf(&b, "%s: ", m->provider);
      http_describe(prev, &b);
    }
    s = http_temporary(prev) ? STEP_RETRY : STEP_FAIL;
  }
  snprintf(t->error, sizeof(t->error), "%s", b.data);
  buf_release(&b);
  return s;
}

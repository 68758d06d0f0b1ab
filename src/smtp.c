#include "smtp.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "xalloc.h"

/* ---- replies ---- */

/* Length of an enhanced status code ("5.1.1") at p, or 0. */
static size_t enhanced_len(const char *p, size_t n)
{
  size_t i = 0;
  if (n < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') || p[1] != '.')
    return 0;
  i = 2;
  for (int part = 0; part < 2; part++) {
    size_t start = i;
    while (i < n && i - start < 3 && isdigit((unsigned char)p[i]))
      i++;
    if (i == start)
      return 0;
    if (part == 0) {
      if (i >= n || p[i] != '.')
        return 0;
      i++;
    }
  }
  if (i < n && !isspace((unsigned char)p[i]))
    return 0;
  return i;
}

void smtp_reply_parse(const char *lines, size_t len, struct smtp_reply *r)
{
  memset(r, 0, sizeof(*r));
  size_t tl = 0;
  const char *p = lines, *end = lines + len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
    const char *next = eol ? eol + 1 : end;
    while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
      n--;
    if (n >= 3 && isdigit((unsigned char)p[0]) &&
        isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2])) {
      if (!r->code)
        r->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
      const char *s = p + 3;
      size_t sn = n - 3;
      if (sn && (*s == ' ' || *s == '-')) {
        s++;
        sn--;
      }
      size_t el = enhanced_len(s, sn);
      if (el) {
        if (!r->status[0] && el < sizeof(r->status))
          memcpy(r->status, s, el);
        s += el;
        sn -= el;
      }
      while (sn && *s == ' ') {
        s++;
        sn--;
      }
      if (sn && tl && tl + 1 < sizeof(r->text))
        r->text[tl++] = ' ';
      for (size_t i = 0; i < sn && tl + 1 < sizeof(r->text); i++) {
        unsigned char c = (unsigned char)s[i];
        r->text[tl++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
      }
      r->text[tl] = '\0';
    }
    p = next;
  }
}

void smtp_reply_format(const struct smtp_reply *r, struct buf *out)
{
  if (!r->code) {
    buf_adds(out, "no reply");
    return;
  }
  buf_addf(out, "%03d", r->code);
  if (r->status[0])
    buf_addf(out, " %s", r->status);
  if (r->text[0])
    buf_addf(out, " %s", r->text);
}

bool smtp_reply_temporary(const struct smtp_reply *r)
{
  return r->code >= 400 && r->code < 500;
}

/* ---- the dialogue ---- */

static bool final_line(const char *p, size_t n)
{
  return n < 4 || p[3] != '-';
}

struct dialogue {
  struct smtp_exchange *v;
  size_t n, cap;
};

/* Ends the reply in r (its lines) as the answer to cmd. */
static struct smtp_exchange *add(struct dialogue *d, const char *cmd,
                                 struct buf *r)
{
  d->v = xgrow(d->v, &d->cap, d->n + 1, sizeof(*d->v));
  struct smtp_exchange *x = &d->v[d->n++];
  snprintf(x->cmd, sizeof(x->cmd), "%s", cmd);
  smtp_reply_parse(r->data, r->len, &x->reply);
  buf_reset(r);
  return x;
}

size_t smtp_dialogue(const char *transcript, struct smtp_exchange **out)
{
  struct dialogue d = {NULL, 0, 0};
  struct buf reply = BUF_INIT;
  char cmd[320] = "";
  const char *p = transcript;
  while (*p) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    const char *next = eol ? eol + 1 : p + len;
    if (len >= 2 && p[0] == '>' && p[1] == ' ') {
      if (reply.len) /* a reply cut short: keep what came */
        add(&d, cmd, &reply);
      size_t cl = len - 2 < sizeof(cmd) - 1 ? len - 2 : sizeof(cmd) - 1;
      memcpy(cmd, p + 2, cl);
      cmd[cl] = '\0';
    } else if (len >= 2 && p[0] == '<' && p[1] == ' ') {
      buf_add(&reply, p + 2, len - 2);
      buf_addc(&reply, '\n');
      if (final_line(p + 2, len - 2)) {
        const struct smtp_exchange *x = add(&d, cmd, &reply);
        /* after 354 the next reply ends the message */
        if (strcasecmp(cmd, "DATA") == 0 && x->reply.code == 354)
          snprintf(cmd, sizeof(cmd), ".");
      }
    }
    p = next;
  }
  if (reply.len)
    add(&d, cmd, &reply);
  buf_release(&reply);
  *out = d.v;
  return d.n;
}

/* ---- the libcurl side ---- */

enum { LAST_OTHER, LAST_EHLO, LAST_STARTTLS };

static bool verb_is(const char *p, size_t n, const char *verb)
{
  size_t vl = strlen(verb);
  return n >= vl && strncasecmp(p, verb, vl) == 0 &&
         (n == vl || p[vl] == ' ' || p[vl] == ':');
}

static void note(struct http_resp *r, const char *prefix, const char *p,
                 size_t n)
{
  if (r->headers.len + n + 4 > 256 * 1024)
    return;
  buf_adds(&r->headers, prefix);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    buf_addc(&r->headers, c < 0x20 || c == 0x7f ? '?' : (char)c);
  }
  buf_addc(&r->headers, '\n');
}

/* Commands and replies into the transcript; never SASL data. */
static int on_debug(CURL *c, curl_infotype type, char *data, size_t size,
                    void *ud)
{
  (void)c;
  struct http_task *t = ud;
  struct http_resp *r = &t->resp;
  if (type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT)
    return 0;
  while (size && (data[size - 1] == '\n' || data[size - 1] == '\r'))
    size--;
  if (type == CURLINFO_HEADER_IN) {
    note(r, "< ", data, size);
    return 0;
  }
  static const char *const shown[] = {"EHLO", "HELO", "STARTTLS",
                                      "MAIL", "RCPT", "DATA",
                                      "RSET", "QUIT", "NOOP"};
  if (r->smtp.sasl) {
    note(r, "> ", "(SASL data not shown)", 21);
    return 0;
  }
  if (verb_is(data, size, "AUTH")) {
    /* "AUTH MECHANISM", never an initial response */
    size_t n = 5;
    while (n < size && data[n] != ' ')
      n++;
    note(r, "> ", data, n);
    r->smtp.sasl = true;
    r->smtp.last = LAST_OTHER;
    return 0;
  }
  for (size_t i = 0; i < ARRAY_SIZE(shown); i++)
    if (verb_is(data, size, shown[i])) {
      note(r, "> ", data, size);
      r->smtp.last = i < 2 ? LAST_EHLO : i == 2 ? LAST_STARTTLS : LAST_OTHER;
      if (i < 2)
        r->smtp.auth_offered = false;
      return 0;
    }
  note(r, "> ", "(not shown)", 11);
  r->smtp.last = LAST_OTHER;
  return 0;
}

/* Each reply line, after on_debug saw it: follows TLS, the end of a SASL
 * exchange and the capabilities, and stops a transaction that would send
 * a message without the login that was configured. */
static size_t on_reply(char *p, size_t size, size_t n, void *ud)
{
  struct http_task *t = ud;
  struct http_resp *r = &t->resp;
  size_t len = size * n;
  bool last = len < 4 || p[3] != '-';
  if (r->smtp.sasl && last && (len < 3 || memcmp(p, "334", 3) != 0))
    r->smtp.sasl = false;
  if (r->smtp.last == LAST_STARTTLS && last && len >= 3 &&
      memcmp(p, "220", 3) == 0)
    r->smtp.tls = true;
  if (r->smtp.last == LAST_EHLO && len > 9 && p[0] == '2' &&
      strncasecmp(p + 4, "AUTH", 4) == 0 && (p[8] == ' ' || p[8] == '='))
    r->smtp.auth_offered = true;
  if (r->smtp.last == LAST_EHLO && last && len >= 3 && p[0] == '2') {
    r->smtp.last = LAST_OTHER;
    if (t->req.password && r->smtp.tls && !r->smtp.auth_offered) {
      r->no_auth = true;
      return 0; /* CURLE_WRITE_ERROR: nothing more is sent */
    }
  }
  return len;
}

/* Bounds what CURLOPT_TIMEOUT does not: the QUIT libcurl sends when it
 * closes the connection, even after a failure. */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                       curl_off_t un)
{
  (void)dt;
  (void)dn;
  (void)ut;
  (void)un;
  struct http_task *t = ud;
  return http_now() > t->resp.smtp.deadline;
}

static bool url_tls(const char *url)
{
  return strncmp(url, "smtps://", 8) == 0;
}

void smtp_setup(CURL *c, struct http_task *t)
{
  struct http_req *r = &t->req;
  long timeout = t->timeout > 0 ? t->timeout : 60L;
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  /* STARTTLS when offered; required unless the server is on this machine
   * and no password is to be sent */
  bool must = r->password || !http_url_loopback(r->url.data) || r->ca_file;
  curl_easy_setopt(c, CURLOPT_USE_SSL,
                   must ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
  /* a clean transaction on every attempt */
  curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
  t->resp.smtp.deadline = http_now() + (double)timeout + 2;
  t->resp.smtp.tls = url_tls(r->url.data);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
  curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
  curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
  curl_easy_setopt(c, CURLOPT_DEBUGDATA, t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_reply);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, r->mail_from);
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, r->rcpt);
#if LIBCURL_VERSION_NUM >= 0x080200
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT_ALLOWFAILS, 1L);
#else
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
#endif
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body.len);
  if (r->username)
    curl_easy_setopt(c, CURLOPT_USERNAME, r->username);
  if (r->password)
    curl_easy_setopt(c, CURLOPT_PASSWORD, r->password);
}

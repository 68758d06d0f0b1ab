#include "mail.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "when.h"
#include "xalloc.h"

/* Printable ASCII and spaces only: written as it is. */
static bool plain_ascii(const char *s)
{
  for (; *s; s++)
    if ((unsigned char)*s >= 0x7f || (unsigned char)*s < 0x20)
      return false;
  return true;
}

static size_t utf8_seq(unsigned char c)
{
  return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* Q-encoding of one character sequence into tmp; its encoded length. */
static size_t q_char(const unsigned char *p, size_t n, char *tmp)
{
  size_t len = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = p[i];
    if (c == ' ')
      tmp[len++] = '_';
    else if (isalnum(c) || c == '!' || c == '*' || c == '+' || c == '-' ||
             c == '/')
      tmp[len++] = (char)c;
    else
      len += (size_t)snprintf(tmp + len, 4, "=%02X", c);
  }
  return len;
}

/* A header field being written, folded (CRLF and a space) before a word
 * that would make its line longer than 78 characters (RFC 5322 2.1.1), or
 * 76 when the line holds encoded-words (RFC 2047 2), each of those at most
 * 75 characters. A word longer than a line stays whole. */
enum { LINE_MAX78 = 78, LINE_ENCODED = 76, WORD_MAX = 75 };
static const char q_open[] = "=?UTF-8?Q?";
#define Q_WRAP (sizeof(q_open) - 1 + 2) /* "=?UTF-8?Q?" and "?=" */

struct field {
  struct buf *out;
  size_t col;   /* length of the current line */
  bool word;    /* the current line holds a word (a fold may come) */
  bool encoded; /* the current line holds an encoded-word */
};

static void field_start(struct field *f, struct buf *out, const char *name)
{
  f->out = out;
  buf_addf(out, "%s:", name);
  f->col = strlen(name) + 1;
  f->word = f->encoded = false;
}

static void field_fold(struct field *f)
{
  buf_adds(f->out, "\r\n");
  f->col = 0;
  f->word = f->encoded = false;
}

/* Appends white space ws (a space if empty and folded) and a word. */
static void field_word(struct field *f, const char *ws, size_t wn,
                       const char *w, size_t n)
{
  size_t max = f->encoded ? LINE_ENCODED : LINE_MAX78;
  if (f->col + wn + n > max && f->word) {
    field_fold(f);
    if (!wn) {
      ws = " ";
      wn = 1;
    }
  }
  buf_add(f->out, ws, wn);
  buf_add(f->out, w, n);
  f->col += wn + n;
  f->word = f->word || n;
}

/* Printable ASCII, folded at its spaces (which unfolding gives back). */
static void field_text(struct field *f, const char *s, bool space)
{
  const char *p = s;
  bool first = true;
  while (*p || first) {
    const char *w = p;
    while (*w == ' ')
      w++;
    const char *e = w;
    while (*e && *e != ' ')
      e++;
    if (first && space) { /* the space after the colon */
      struct buf ws = BUF_INIT;
      buf_addc(&ws, ' ');
      buf_add(&ws, p, (size_t)(w - p));
      field_word(f, ws.data, ws.len, w, (size_t)(e - w));
      buf_release(&ws);
    } else if (e > w || w > p) {
      field_word(f, p, (size_t)(w - p), w, (size_t)(e - w));
    }
    first = false;
    p = e;
  }
}

/* s as encoded-words, each after a space, never splitting a UTF-8
 * sequence. */
static void field_encoded(struct field *f, const char *s)
{
  struct buf w = BUF_INIT;
  const unsigned char *p = (const unsigned char *)s;
  size_t room = 0; /* the longest word that fits where it would start */
  bool open = false;
  while (*p) {
    size_t n = utf8_seq(*p);
    for (size_t k = 1; k < n; k++)
      if (!p[k])
        n = k;
    char tmp[16];
    size_t len = q_char(p, n, tmp);
    if (!open) {
      size_t used = f->col + 1; /* the space before the word */
      room = used < LINE_ENCODED ? LINE_ENCODED - used : 0;
      if (room > WORD_MAX)
        room = WORD_MAX;
      if (room < Q_WRAP + 12 && f->word) {
        field_fold(f);
        room = WORD_MAX;
      }
      open = true;
    }
    if (Q_WRAP + w.len + len > room && w.len) {
      buf_addf(f->out, " %s%s?=", q_open, w.data);
      f->col += 1 + Q_WRAP + w.len;
      buf_reset(&w);
      field_fold(f);
      room = WORD_MAX;
    }
    buf_add(&w, tmp, len);
    p += n;
  }
  if (open) {
    buf_addf(f->out, " %s%s?=", q_open, w.data);
    f->col += 1 + Q_WRAP + w.len;
    f->word = f->encoded = true;
  }
  buf_release(&w);
}

void mail_header(struct buf *out, const char *name, const char *value)
{
  struct field f;
  field_start(&f, out, name);
  /* text that looks like an encoded-word is encoded, so that no reader
   * decodes what was meant literally */
  if (plain_ascii(value) && !strstr(value, "=?"))
    field_text(&f, value, true);
  else
    field_encoded(&f, value);
  buf_adds(out, "\r\n");
}

char *mail_address(const char *s)
{
  const char *lt = strrchr(s, '<');
  const char *gt = lt ? strchr(lt, '>') : NULL;
  char *a = lt && gt ? xstrndup(lt + 1, (size_t)(gt - lt - 1)) : xstrdup(s);
  /* trim */
  char *p = a;
  while (*p == ' ')
    p++;
  memmove(a, p, strlen(p) + 1);
  size_t n = strlen(a);
  while (n && a[n - 1] == ' ')
    a[--n] = '\0';
  const char *at = strchr(a, '@');
  if (!at || at == a || !at[1] || strpbrk(a, " \r\n<>,")) {
    free(a);
    return NULL;
  }
  return a;
}

char *mail_display_name(const char *s)
{
  const char *lt = strrchr(s, '<');
  if (!lt)
    return NULL;
  size_t n = (size_t)(lt - s);
  while (n && s[n - 1] == ' ')
    n--;
  while (n && *s == ' ') {
    s++;
    n--;
  }
  if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
    s++;
    n -= 2;
  }
  return n ? xstrndup(s, n) : NULL;
}

/* "Name <addr>": the name as a phrase (encoded when not ASCII). */
static void address_header(struct buf *out, const char *name,
                           const char *const *v, size_t n)
{
  struct field f;
  field_start(&f, out, name);
  for (size_t i = 0; i < n; i++) {
    const char *s = v[i];
    const char *lt = strrchr(s, '<');
    if (i)
      field_word(&f, "", 0, ",", 1);
    char *addr = mail_address(s);
    struct buf a = BUF_INIT;
    buf_addf(&a, "<%s>", addr ? addr : "");
    free(addr);
    size_t nl = lt ? (size_t)(lt - s) : 0;
    while (nl && s[nl - 1] == ' ')
      nl--;
    char *disp = xstrndup(s, nl);
    size_t dl = strlen(disp);
    if (dl >= 2 && disp[0] == '"' && disp[dl - 1] == '"') {
      memmove(disp, disp + 1, dl - 2);
      disp[dl - 2] = '\0';
    }
    if (!lt) {
      field_text(&f, s, true);
    } else if (!disp[0]) {
      field_word(&f, " ", 1, a.data, a.len);
    } else if (plain_ascii(disp) && !strstr(disp, "=?")) {
      struct buf q = BUF_INIT;
      buf_addc(&q, '"');
      for (const char *c = disp; *c; c++) {
        if (*c == '"' || *c == '\\')
          buf_addc(&q, '\\');
        buf_addc(&q, *c);
      }
      buf_addc(&q, '"');
      field_word(&f, " ", 1, q.data, q.len);
      field_word(&f, " ", 1, a.data, a.len);
      buf_release(&q);
    } else {
      field_encoded(&f, disp);
      field_word(&f, " ", 1, a.data, a.len);
    }
    free(disp);
    buf_release(&a);
  }
  buf_adds(out, "\r\n");
}

bool mail_helo_ok(const char *s)
{
  size_t n = strlen(s);
  if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
    char ip[64];
    unsigned char bin[16];
    if (n - 2 >= sizeof(ip))
      return false;
    memcpy(ip, s + 1, n - 2);
    ip[n - 2] = '\0';
    if (strncmp(ip, "IPv6:", 5) == 0)
      return inet_pton(AF_INET6, ip + 5, bin) == 1;
    return inet_pton(AF_INET, ip, bin) == 1;
  }
  if (!n || n > 253)
    return false;
  size_t labels = 0;
  const char *label = s;
  for (const char *p = s;; p++) {
    if (*p && *p != '.') {
      if (!isalnum((unsigned char)*p) && *p != '-')
        return false;
      continue;
    }
    size_t len = (size_t)(p - label);
    if (!len || len > 63 || label[0] == '-' || label[len - 1] == '-')
      return false;
    labels++;
    if (!*p) {
      bool numeric = true;
      for (size_t i = 0; i < len; i++)
        numeric = numeric && isdigit((unsigned char)label[i]);
      return labels >= 2 && !numeric;
    }
    label = p + 1;
  }
}

void mail_qp(struct buf *out, const char *s)
{
  size_t col = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char c = *p;
    if (c == '\r')
      continue;
    if (c == '\n') {
      buf_adds(out, "\r\n");
      col = 0;
      continue;
    }
    char tmp[4];
    size_t len;
    bool at_eol = p[1] == '\n' || p[1] == '\r' || p[1] == '\0';
    if ((c >= 33 && c <= 126 && c != '=') ||
        ((c == ' ' || c == '\t') && !at_eol)) {
      tmp[0] = (char)c;
      len = 1;
    } else {
      len = (size_t)snprintf(tmp, sizeof(tmp), "=%02X", c);
    }
    /* a dot at the start of a line is encoded, for SMTP servers that
     * mishandle it */
    if (col == 0 && c == '.') {
      len = (size_t)snprintf(tmp, sizeof(tmp), "=2E");
    }
    if (col + len > 75) {
      buf_adds(out, "=\r\n");
      col = 0;
    }
    buf_add(out, tmp, len);
    col += len;
  }
}

static void date_header(struct buf *out, time_t t)
{
  struct tm tm;
  localtime_r(&t, &tm);
  long off = tm.tm_gmtoff / 60;
  char sign = off < 0 ? '-' : '+';
  if (off < 0)
    off = -off;
  buf_addf(out, "Date: %s, %d %s %d %02d:%02d:%02d %c%02ld%02ld\r\n",
           when_day_abbr(tm.tm_wday), tm.tm_mday, when_month_abbr(tm.tm_mon),
           tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 60,
           off % 60);
}

void mail_build(const struct mail *m, struct buf *out)
{
  char boundary[64], outer[64];
  snprintf(boundary, sizeof(boundary), "=_crier_alt_%.16s", m->message_id);
  snprintf(outer, sizeof(outer), "=_crier_mix_%.16s", m->message_id);
  date_header(out, m->date);
  address_header(out, "From", &m->from, 1);
  address_header(out, "To", m->to, m->nto);
  mail_header(out, "Subject", m->subject);
  buf_addf(out, "Message-ID: <%s>\r\n", m->message_id);
  if (m->in_reply_to) {
    buf_addf(out, "In-Reply-To: <%s>\r\n", m->in_reply_to);
    buf_addf(out, "References: <%s>\r\n", m->in_reply_to);
  }
  buf_adds(out, "Auto-Submitted: auto-generated\r\n");
  if (m->language)
    buf_addf(out, "Content-Language: %s\r\n", m->language);
  buf_adds(out, "MIME-Version: 1.0\r\n");
  if (m->ics) {
    buf_addf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n",
             outer);
    buf_addf(out, "--%s\r\n", outer);
  }
  buf_addf(out, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
           boundary);
  buf_addf(out, "--%s\r\n", boundary);
  buf_adds(out, "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
  mail_qp(out, m->text);
  buf_addf(out, "\r\n--%s\r\n", boundary);
  buf_adds(out, "Content-Type: text/html; charset=utf-8\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
  struct buf html = BUF_INIT;
  buf_adds(&html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                  "</head><body>\n");
  buf_adds(&html, m->html);
  buf_adds(&html, "</body></html>\n");
  mail_qp(out, html.data);
  buf_release(&html);
  buf_addf(out, "\r\n--%s--\r\n", boundary);
  if (m->ics) {
    buf_addf(out, "\r\n--%s\r\n", outer);
    buf_adds(out, "Content-Type: text/calendar; ");
    if (m->ics_method)
      buf_addf(out, "method=%s; ", m->ics_method);
    buf_adds(out, "charset=utf-8\r\n"
                  "Content-Disposition: attachment; filename=\"event.ics\"\r\n"
                  "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
    mail_qp(out, m->ics);
    buf_addf(out, "\r\n--%s--\r\n", outer);
  }
}

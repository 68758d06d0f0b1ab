#include "body.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "i18n.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

/* ---- comparing texts ---- */

/* Letters and digits of s[0..n), lowercase, words separated by one space,
 * appended to out; returns the number of words. */
static size_t letters(const char *s, size_t n, struct buf *out)
{
  size_t words = 0;
  bool gap = true;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (isalnum(c) || c >= 0x80) {
      if (gap) {
        if (out->len)
          buf_addc(out, ' ');
        words++;
      }
      gap = false;
      buf_addc(out, (char)tolower(c));
    } else {
      gap = true;
    }
  }
  return words;
}

bool body_says(const char *body, const char *text)
{
  if (!nonempty(body) || !nonempty(text))
    return false;
  struct buf b = BUF_INIT, t = BUF_INIT;
  bool found = false;
  if (letters(text, strlen(text), &t) >= 4) {
    letters(body, strlen(body), &b);
    found = strstr(b.data, t.data) != NULL;
  }
  buf_release(&b);
  buf_release(&t);
  return found;
}

static bool url_char(char c)
{
  return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '%' ||
         c == '~' || c == '+' || c == '=' || c == '&' || c == '?' || c == '#';
}

bool body_links_to(const char *body, const char *url)
{
  if (!nonempty(body) || !nonempty(url))
    return false;
  const char *u = url;
  if (strncasecmp(u, "https://", 8) == 0)
    u += 8;
  else if (strncasecmp(u, "http://", 7) == 0)
    u += 7;
  if (strncasecmp(u, "www.", 4) == 0)
    u += 4;
  size_t n = strlen(u);
  while (n && u[n - 1] == '/')
    n--;
  if (n < 4)
    return false;
  int first = tolower((unsigned char)u[0]);
  for (const char *p = body; *p; p++) {
    if (tolower((unsigned char)*p) != first || strncasecmp(p, u, n) != 0)
      continue;
    bool before = p == body || !url_char(p[-1]) || p[-1] == '.';
    const char *e = p + n;
    while (*e == '/')
      e++;
    if (before && !url_char(*e) && *e != '/')
      return true;
  }
  return false;
}

/* ---- paragraphs ---- */

enum para_kind { P_TEXT, P_HEADING, P_LIST, P_QUOTE, P_CODE, P_BREAK };

struct para {
  const char *s;
  size_t len;
  enum para_kind kind;
};

struct paras {
  struct para *v;
  size_t n, cap;
};

static bool blank_line(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
      return false;
  return true;
}

/* A thematic break: three or more of one of - * _, with spaces. */
static bool break_line(const char *s, size_t n)
{
  char c = 0;
  int count = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')
      continue;
    if (s[i] != '-' && s[i] != '*' && s[i] != '_')
      return false;
    if (c && s[i] != c)
      return false;
    c = s[i];
    count++;
  }
  return count >= 3;
}

static bool fence_line(const char *s, size_t n)
{
  while (n && *s == ' ') {
    s++;
    n--;
  }
  return n >= 3 && (strncmp(s, "```", 3) == 0 || strncmp(s, "~~~", 3) == 0);
}

static enum para_kind kind_of_line(const char *s, size_t n)
{
  while (n && *s == ' ') {
    s++;
    n--;
  }
  if (n && *s == '#')
    return P_HEADING;
  if (n && *s == '>')
    return P_QUOTE;
  if (n >= 2 && (*s == '-' || *s == '*' || *s == '+') && s[1] == ' ')
    return P_LIST;
  size_t d = 0;
  while (d < n && isdigit((unsigned char)s[d]))
    d++;
  if (d && d + 1 < n && (s[d] == '.' || s[d] == ')') && s[d + 1] == ' ')
    return P_LIST;
  return P_TEXT;
}

static void add_para(struct paras *ps, const char *s, size_t len,
                     enum para_kind k)
{
  while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
    len--;
  if (!len)
    return;
  ps->v = xgrow(ps->v, &ps->cap, ps->n + 1, sizeof(*ps->v));
  ps->v[ps->n++] = (struct para){s, len, k};
}

/* Splits body into paragraphs at blank lines; a heading, a thematic break
 * and a fenced code block are paragraphs of their own. */
static void split(const char *body, struct paras *ps)
{
  memset(ps, 0, sizeof(*ps));
  const char *start = NULL;
  enum para_kind k = P_TEXT;
  bool fenced = false;
  for (const char *line = body; line && *line;) {
    const char *nl = strchr(line, '\n');
    size_t n = nl ? (size_t)(nl - line) : strlen(line);
    const char *next = nl ? nl + 1 : NULL;
    if (fenced) {
      if (fence_line(line, n)) {
        add_para(ps, start, (size_t)(line + n - start), P_CODE);
        start = NULL;
        fenced = false;
      }
    } else if (fence_line(line, n)) {
      if (start)
        add_para(ps, start, (size_t)(line - start), k);
      start = line;
      fenced = true;
    } else if (blank_line(line, n)) {
      if (start)
        add_para(ps, start, (size_t)(line - start), k);
      start = NULL;
    } else if (break_line(line, n) || kind_of_line(line, n) == P_HEADING) {
      if (start)
        add_para(ps, start, (size_t)(line - start), k);
      add_para(ps, line, n, break_line(line, n) ? P_BREAK : P_HEADING);
      start = NULL;
    } else if (!start) {
      start = line;
      k = kind_of_line(line, n);
    }
    line = next;
  }
  if (start)
    add_para(ps, start, strlen(start), fenced ? P_CODE : k);
}

static size_t count_words(const char *s, size_t n)
{
  size_t w = 0;
  bool in = false;
  for (size_t i = 0; i < n; i++) {
    bool letter = isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80;
    if (letter && !in)
      w++;
    in = letter || s[i] == '\'';
  }
  return w;
}

static size_t first_line_len(const struct para *p)
{
  const char *nl = memchr(p->s, '\n', p->len);
  size_t n = nl ? (size_t)(nl - p->s) : p->len;
  while (n && (p->s[n - 1] == ' ' || p->s[n - 1] == '\r'))
    n--;
  return n;
}

/* "Dear Rustaceans," on a line of its own (or "…!" at the start). */
static bool salutation(const struct para *p, bool first)
{
  size_t n = first_line_len(p);
  if (memchr(p->s, '\n', p->len))
    return false;
  return n && count_words(p->s, n) <= 8 &&
         (p->s[n - 1] == ',' || (first && p->s[n - 1] == '!'));
}

/* "Yours,\nFlorian and Kai": a short line ending with a comma, then the
 * names. */
static bool sign_off(const struct para *p)
{
  size_t n = first_line_len(p);
  return n < p->len && n && p->s[n - 1] == ',' && count_words(p->s, n) <= 3;
}

/* A note in parentheses: "_(The meetup will likely be held in German)_". */
static bool note(const struct para *p)
{
  size_t a = 0, b = p->len;
  while (a < b && strchr("_* ", p->s[a]))
    a++;
  while (b > a && strchr("_* .\r", p->s[b - 1]))
    b--;
  return b > a && p->s[a] == '(' && p->s[b - 1] == ')';
}

enum body_kind body_kind_of(const struct event *ev, const char *body)
{
  if (!nonempty(body))
    return BODY_KIND_DETAILS;
  for (size_t i = 0; i < ev->ntalks; i++)
    if (body_says(body, ev->talks[i].abstract))
      return BODY_KIND_INVITATION;
  if (body_links_to(body, event_link(ev, LINK_MEETUP)))
    return BODY_KIND_INVITATION;
  struct paras ps;
  split(body, &ps);
  bool letter = false, first = true;
  for (size_t i = 0; i < ps.n && !letter; i++) {
    const struct para *p = &ps.v[i];
    if (p->kind != P_TEXT)
      continue;
    if (first && note(p))
      continue;
    letter = salutation(p, first) || sign_off(p);
    first = false;
  }
  free(ps.v);
  return letter ? BODY_KIND_INVITATION : BODY_KIND_DETAILS;
}

/* ---- what recurs ---- */

/* A text (a paragraph or a line, white space folded) and how many events
 * have it; last is the last event that counted it (so that an event
 * counts once however often it repeats the text). */
struct recur_entry {
  uint64_t hash;
  size_t off, len; /* the text in keys */
  size_t events;
  size_t last; /* the event's index + 1 */
};

/* The texts by their whole folded bytes: a table of entry indexes (+ 1,
 * open addressing by hash) over entries whose texts lie end to end in
 * one buffer (no allocation per text). */
struct body_recur {
  struct recur_entry *v;
  size_t n, cap;
  size_t *slots; /* entry index + 1, 0: empty */
  size_t nslots; /* a power of two, or 0 */
  struct buf keys;
};

static bool is_blank(char c)
{
  return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* Eight bytes at a time (SWAR, "SIMD within a register"): the high bit
 * of each byte of w that is c, exactly (no borrow from a neighbour). */
static inline uint64_t bytes_are(uint64_t w, unsigned char c)
{
  const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
  uint64_t x = w ^ (0x0101010101010101ULL * c); /* 0 where w is c */
  return ~(((x & low7) + low7) | x | low7);
}

void body_fold(const char *s, size_t n, struct buf *out)
{
  buf_grow(out, n); /* never longer than s: written in place */
  char *o = out->data + out->len;
  size_t len = 0, i = 0;
  bool gap = false; /* white space read since the last byte written */
  while (i < n) {
    /* eight bytes whose only white space is single spaces, none of them
     * joining one written before or one waiting (gap), go as they are */
    if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && n - i >= 8) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      uint64_t sp = bytes_are(w, ' ');
      bool first = sp & 0x80; /* the first byte (the lowest) */
      if (!(bytes_are(w, '\n') | bytes_are(w, '\t') | bytes_are(w, '\r')) &&
          !(sp & (sp << 8)) && (!first || (len && o[len - 1] != ' '))) {
        if (gap && !first)
          o[len++] = ' ';
        memcpy(o + len, s + i, 8);
        len += 8;
        i += 8;
        gap = false;
        continue;
      }
    }
    char c = s[i++];
    if (is_blank(c)) {
      gap = len > 0 && o[len - 1] != ' ';
      continue;
    }
    if (gap)
      o[len++] = ' ';
    gap = false;
    o[len++] = c;
  }
  if (len && o[len - 1] == ' ') /* eight bytes that ended in a space */
    len--;
  out->len += len;
  out->data[out->len] = '\0';
}

/* White space folded: the key of a paragraph or a line. */
static void folded(const char *s, size_t n, struct buf *out)
{
  buf_reset(out);
  body_fold(s, n, out);
}

static uint64_t key_hash(const char *s, size_t n)
{
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 29;
  }
  uint64_t w = 0;
  memcpy(&w, s + i, n - i);
  h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 32);
}

/* The entry of the text s[0..n) with hash h, or NULL. */
static struct recur_entry *recur_find(const struct body_recur *r, const char *s,
                                      size_t n, uint64_t h)
{
  if (!r->nslots)
    return NULL;
  size_t mask = r->nslots - 1;
  for (size_t i = h & mask; r->slots[i]; i = (i + 1) & mask) {
    struct recur_entry *x = &r->v[r->slots[i] - 1];
    if (x->hash == h && x->len == n && memcmp(r->keys.data + x->off, s, n) == 0)
      return x;
  }
  return NULL;
}

static void recur_slot(struct body_recur *r, size_t at)
{
  size_t mask = r->nslots - 1;
  size_t i = r->v[at].hash & mask;
  while (r->slots[i])
    i = (i + 1) & mask;
  r->slots[i] = at + 1;
}

/* Counts the text s[0..n) once for event (index + 1). */
static void count_once(struct body_recur *r, const char *s, size_t n,
                       size_t event)
{
  uint64_t h = key_hash(s, n);
  struct recur_entry *x = recur_find(r, s, n, h);
  if (!x) {
    if ((r->n + 1) * 4 > r->nslots * 3) {
      free(r->slots);
      r->nslots = r->nslots ? r->nslots * 2 : 64;
      r->slots = xcalloc(r->nslots, sizeof(*r->slots));
      for (size_t i = 0; i < r->n; i++)
        recur_slot(r, i);
    }
    size_t off = r->keys.len;
    buf_add(&r->keys, s, n);
    r->v = xgrow(r->v, &r->cap, r->n + 1, sizeof(*r->v));
    r->v[r->n] = (struct recur_entry){h, off, n, 0, 0};
    recur_slot(r, r->n);
    x = &r->v[r->n++];
  }
  if (x->last != event) {
    x->events++;
    x->last = event;
  }
}

/* Counts each paragraph of body and each of its lines of 20 bytes or more
 * (but the paragraph's last) once for event (index + 1). Every line is
 * folded once, into the paragraph's key. */
static void count_body(struct body_recur *r, const char *body, size_t event,
                       struct buf *k)
{
  struct paras ps;
  split(body, &ps);
  for (size_t i = 0; i < ps.n; i++) {
    const struct para *p = &ps.v[i];
    buf_reset(k);
    for (const char *l = p->s; l < p->s + p->len;) {
      const char *nl = memchr(l, '\n', (size_t)(p->s + p->len - l));
      size_t n = nl ? (size_t)(nl - l) : (size_t)(p->s + p->len - l);
      size_t before = k->len;
      if (before)
        buf_addc(k, ' ');
      body_fold(l, n, k);
      size_t len = k->len - before - (before ? 1 : 0);
      if (!len) /* a blank line adds nothing to the paragraph */
        buf_truncate(k, before);
      else if (len >= 20 && nl)
        count_once(r, k->data + k->len - len, len, event);
      l += n + 1;
    }
    count_once(r, k->data, k->len, event);
  }
  free(ps.v);
}

struct body_recur *body_recur_new(struct event *const *evs, size_t n)
{
  struct body_recur *r = xcalloc(1, sizeof(*r));
  struct buf k = BUF_INIT;
  for (size_t i = 0; i < n; i++) {
    const char *body = event_own_body(evs[i]);
    if (nonempty(body))
      count_body(r, body, i + 1, &k);
  }
  buf_release(&k);
  return r;
}

void body_recur_free(struct body_recur *r)
{
  if (!r)
    return;
  free(r->slots);
  buf_release(&r->keys);
  free(r->v);
  free(r);
}

/* How many events have the text key[0..n). */
static size_t events_with(const struct body_recur *r, const char *key, size_t n)
{
  const struct recur_entry *x = recur_find(r, key, n, key_hash(key, n));
  return x ? x->events : 0;
}

static bool recurs(const struct body_recur *r, const char *s, size_t n,
                   struct buf *tmp)
{
  if (!r)
    return false;
  folded(s, n, tmp);
  return events_with(r, tmp->data, tmp->len) >= 2;
}

/* ---- the theme ---- */

/* Words of a title that say what it is about: four letters or more, not
 * a month's or weekday's name, not one of a few that every title has. */
static void title_words(const char *title, char ***out, size_t *n, size_t *cap)
{
  static const char *const common[] = {
      "rust",  "meetup",  "with",  "from",    "about", "into",
      "your",  "what",    "this",  "that",    "talk",  "talks",
      "night", "evening", "abend", "treffen", "part"};
  struct buf b = BUF_INIT;
  if (!title)
    return;
  letters(title, strlen(title), &b);
  for (char *w = b.data; *w;) {
    size_t len = strcspn(w, " ");
    bool skip =
        len < 4 || i18n_month_from(w, len) >= 0 || i18n_is_weekday(w, len);
    for (size_t i = 0; i < ARRAY_SIZE(common) && !skip; i++)
      skip = strlen(common[i]) == len && strncmp(common[i], w, len) == 0;
    if (!skip) {
      *out = xgrow(*out, cap, *n + 1, sizeof(**out));
      (*out)[(*n)++] = xstrndup(w, len);
    }
    w += len;
    while (*w == ' ')
      w++;
  }
  buf_release(&b);
}

/* The text after a "TL;DR:" label at the start of a line, or NULL. */
static char *tldr(const char *body)
{
  for (const char *l = body; l && *l;) {
    const char *nl = strchr(l, '\n');
    size_t n = nl ? (size_t)(nl - l) : strlen(l);
    size_t a = 0;
    while (a < n && strchr(" *_", l[a]))
      a++;
    if (n - a > 6 && strncasecmp(l + a, "tl;dr", 5) == 0) {
      a += 5;
      while (a < n && strchr(":*_ ", l[a]))
        a++;
      size_t b = n;
      while (b > a && strchr(" \r", l[b - 1]))
        b--;
      if (b > a)
        return xstrndup(l + a, b - a);
    }
    l = nl ? nl + 1 : NULL;
  }
  return NULL;
}

/* Whether p states the event's date (2024-09-11) or its time (19:15). */
static bool states_when(const struct event *ev, const struct para *p)
{
  struct tm tm;
  when_local_in(ev->tz, ev->start, &tm);
  char date[48], time[32];
  snprintf(date, sizeof(date), "%04d-%02d-%02d", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday);
  snprintf(time, sizeof(time), "%02d:%02d", tm.tm_hour, tm.tm_min);
  char *s = xstrndup(p->s, p->len);
  bool found = strstr(s, date) || strstr(s, time);
  free(s);
  return found;
}

/* p without the lines that recur elsewhere, on one line, into out. */
static void own_lines(const struct para *p, const struct body_recur *r,
                      struct buf *out)
{
  struct buf tmp = BUF_INIT;
  buf_reset(out);
  for (const char *l = p->s; l < p->s + p->len;) {
    const char *nl = memchr(l, '\n', (size_t)(p->s + p->len - l));
    size_t n = nl ? (size_t)(nl - l) : (size_t)(p->s + p->len - l);
    folded(l, n, &tmp);
    bool again = r && tmp.len >= 20 && events_with(r, tmp.data, tmp.len) >= 2;
    if (tmp.len && !again) {
      if (out->len)
        buf_addc(out, ' ');
      buf_add(out, tmp.data, tmp.len);
    }
    l += n + 1;
  }
  /* a hard line break at the end ("  " or "\") means nothing on one line */
  while (out->len && out->data[out->len - 1] == '\\')
    out->data[--out->len] = '\0';
  buf_release(&tmp);
}

char *body_theme(const struct event *ev, const char *body,
                 const struct body_recur *r)
{
  if (!nonempty(body))
    return NULL;
  char *t = tldr(body);
  if (t)
    return t;
  char **words = NULL;
  size_t nw = 0, cw = 0;
  title_words(ev->title, &words, &nw, &cw);
  for (size_t i = 0; i < ev->ntalks; i++)
    title_words(ev->talks[i].title, &words, &nw, &cw);
  struct paras ps;
  split(body, &ps);
  const char *meetup = event_link(ev, LINK_MEETUP);
  struct buf own = BUF_INIT, low = BUF_INIT, tmp = BUF_INIT;
  char *best = NULL;
  long best_score = -1;
  bool first = true;
  for (size_t i = 0; i < ps.n; i++) {
    const struct para *p = &ps.v[i];
    if (p->kind == P_BREAK)
      break; /* what follows is a postscript */
    if (p->kind != P_TEXT)
      continue;
    bool was_first = first;
    first = false;
    char *s = xstrndup(p->s, p->len);
    bool skip = note(p) || salutation(p, was_first) || sign_off(p) ||
                states_when(ev, p) || body_links_to(s, meetup) ||
                recurs(r, p->s, p->len, &tmp);
    free(s);
    if (skip)
      continue;
    own_lines(p, r, &own);
    if (count_words(own.data, own.len) < 6)
      continue;
    buf_reset(&low);
    letters(own.data, own.len, &low);
    long score = 0;
    for (size_t k = 0; k < nw; k++)
      score += strstr(low.data, words[k]) != NULL;
    if (score > best_score) {
      free(best);
      best = xstrdup(own.data);
      best_score = score;
    }
  }
  for (size_t k = 0; k < nw; k++)
    free(words[k]);
  free(words);
  free(ps.v);
  buf_release(&own);
  buf_release(&low);
  buf_release(&tmp);
  return best;
}

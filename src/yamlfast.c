/* A reader for the block YAML crier's files are written in, built to give
 * the tree libyaml's reader gives or to decline (see yamlfast.h). Every
 * rule below mirrors what libyaml 0.2.5's scanner does for that case; what
 * it would do differently or refuse is declined, never guessed. */
#include "yamlfast.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

#define NO (-1) /* declined */

struct fp {
  const char *s, *end;
  const char *p;  /* the cursor */
  const char *ls; /* where the cursor's line starts */
  int line;       /* the cursor's line, 1-based */
  int col;        /* the column of the next content line, -1 at the end */
  int off;
  struct ynode *stk; /* the entries of the collections being read */
  size_t top, cap;
  struct buf sb;      /* a scalar being folded or unescaped */
  struct ytree *tree; /* what is read, and the memory of its strings */
};

static bool at_eol(const struct fp *f, const char *p)
{
  return p == f->end || *p == '\n';
}

static bool blank_or_eol(const struct fp *f, const char *p)
{
  return at_eol(f, p) || *p == ' ';
}

/* Valid UTF-8 of characters libyaml reads as printable and not as a line
 * break; no tab, no CR, no BOM (all declined, libyaml decides). */
static bool chars_plain(const unsigned char *s, size_t n)
{
  const uint64_t ones = 0x0101010101010101u, highs = ones * 0x80;
  size_t i = 0;
  while (i < n) {
    if (n - i >= 8) { /* eight bytes of printable ASCII at once */
      uint64_t w, del;
      memcpy(&w, s + i, 8);
      del = w ^ (ones * 0x7f);
      if (!((w | ((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) & highs)) {
        i += 8;
        continue;
      }
    }
    unsigned c = s[i];
    if (c >= 0x20 && c < 0x7f) {
      i++;
      continue;
    }
    if (c == '\n') {
      i++;
      continue;
    }
    unsigned cp;
    size_t k;
    if (c >= 0xc2 && c <= 0xdf) {
      cp = c & 0x1f;
      k = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      cp = c & 0x0f;
      k = 2;
    } else if (c >= 0xf0 && c <= 0xf4) {
      cp = c & 0x07;
      k = 3;
    } else {
      return false;
    }
    if (n - i <= k)
      return false;
    for (size_t j = 1; j <= k; j++) {
      if ((s[i + j] & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (s[i + j] & 0x3f);
    }
    if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
      return false;
    if (cp < 0xa0 || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0x2028 ||
        cp == 0x2029 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff)
      return false;
    i += k + 1;
  }
  return true;
}

static void to_next_line(struct fp *f)
{
  while (f->p < f->end && *f->p != '\n')
    f->p++;
  if (f->p < f->end) {
    f->p++;
    f->line++;
  }
  f->ls = f->p;
}

/* The rest of the line after a node: spaces, then the end or a comment.
 * Moves to the next line. */
static int finish_line(struct fp *f)
{
  const char *p = f->p;
  while (p < f->end && *p == ' ')
    p++;
  if (!at_eol(f, p) && !(*p == '#' && (p > f->p || p == f->ls)))
    return NO;
  f->p = p;
  to_next_line(f);
  return 0;
}

/* From the start of a line, skips blank and comment lines: the cursor at
 * the first character of the next content line, f->col its column (-1 at
 * the end). A document marker declines. */
static int next_content(struct fp *f)
{
  for (;;) {
    const char *p = f->ls;
    while (p < f->end && *p == ' ')
      p++;
    if (p == f->end) {
      f->p = p;
      f->col = -1;
      return 0;
    }
    if (*p == '\n' || *p == '#') {
      f->p = p;
      to_next_line(f);
      continue;
    }
    if (p == f->ls && f->end - p >= 3 &&
        (memcmp(p, "---", 3) == 0 || memcmp(p, "...", 3) == 0) &&
        blank_or_eol(f, p + 3))
      return NO;
    f->p = p;
    f->col = (int)(p - f->ls);
    return 0;
  }
}

static bool is_dash(const struct fp *f, const char *p)
{
  return p < f->end && *p == '-' && blank_or_eol(f, p + 1);
}

/* Can a plain scalar start at p? The indicators are left to libyaml,
 * except '-' before a character that is not blank. */
static bool plain_start(const struct fp *f, const char *p)
{
  if (at_eol(f, p) || *p == ' ')
    return false;
  if (*p == '-')
    return !blank_or_eol(f, p + 1);
  return !strchr("?:,[]{}#&*!|>'\"%@`", *p);
}

/* --- the entries stack --- */

static void push(struct fp *f, const struct ynode *n)
{
  f->stk = xgrow(f->stk, &f->cap, f->top + 1, sizeof(*f->stk));
  f->stk[f->top++] = *n;
}

/* Entries above base forgotten (their memory is the tree's). */
static void drop(struct fp *f, size_t base)
{
  f->top = base;
}

/* n bytes of the tree's memory, aligned for a node. */
static void *take(struct fp *f, size_t n)
{
  struct ytree *t = f->tree;
  struct ychunk *c = t->chunks;
  n = (n + 7) & ~(size_t)7;
  if (!c || c->cap - c->used < n) {
    size_t cap = c ? c->cap * 2 : 4096;
    if (cap > 32768)
      cap = 32768;
    if (cap < n)
      cap = n;
    c = xmalloc(sizeof(*c) + cap);
    *c = (struct ychunk){t->chunks, 0, cap};
    t->chunks = c;
  }
  void *p = (char *)(c + 1) + c->used;
  c->used += n;
  return p;
}

/* The entries above base become the collection's arrays. */
static void collect(struct fp *f, size_t base, struct ynode *out)
{
  size_t n = f->top - base;
  if (out->kind == Y_MAP) {
    n /= 2;
    if (n) {
      out->keys = take(f, n * sizeof(*out->keys));
      out->items = take(f, n * sizeof(*out->items));
      for (size_t i = 0; i < n; i++) {
        out->keys[i] = f->stk[base + 2 * i];
        out->items[i] = f->stk[base + 2 * i + 1];
      }
    }
  } else if (n) {
    out->items = take(f, n * sizeof(*out->items));
    memcpy(out->items, f->stk + base, n * sizeof(*out->items));
  }
  out->n = n;
  f->top = base;
}

/* Starts a collection on the cursor's line; declines past the depth
 * limit. Its entries go on the stack above *base. */
static int open_collection(struct fp *f, struct ynode *out, enum ykind kind,
                           int depth, size_t *base)
{
  memset(out, 0, sizeof(*out));
  out->kind = kind;
  out->line = f->line + f->off;
  *base = f->top;
  return depth >= YAMLX_MAX_DEPTH ? NO : 0;
}

/* Ends it: read (rc 0) its entries become its arrays, declined they go. */
static int close_collection(struct fp *f, size_t base, struct ynode *out,
                            int rc)
{
  if (rc < 0) {
    drop(f, base);
    return NO;
  }
  collect(f, base, out);
  return 0;
}

static int scalar(struct fp *f, struct ynode *out, int line, bool plain,
                  const char *s, size_t n)
{
  if (memchr(s, '\0', n))
    return NO;
  memset(out, 0, sizeof(*out));
  out->kind = Y_STR;
  out->line = line + f->off;
  out->plain = plain;
  out->str = take(f, n + 1);
  if (n)
    memcpy(out->str, s, n);
  out->str[n] = '\0';
  return 0;
}

/* --- quoted scalars --- */

static int hexval(const struct fp *f, const char *p, int digits, unsigned *v)
{
  *v = 0;
  if (f->end - p < digits)
    return NO;
  for (int i = 0; i < digits; i++) {
    char c = p[i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = (unsigned)(c - 'A' + 10);
    else
      return NO;
    *v = *v << 4 | d;
  }
  return 0;
}

static void add_utf8(struct buf *b, unsigned v)
{
  if (v < 0x80) {
    buf_addc(b, (char)v);
  } else if (v < 0x800) {
    buf_addc(b, (char)(0xc0 | v >> 6));
    buf_addc(b, (char)(0x80 | (v & 0x3f)));
  } else if (v < 0x10000) {
    buf_addc(b, (char)(0xe0 | v >> 12));
    buf_addc(b, (char)(0x80 | (v >> 6 & 0x3f)));
    buf_addc(b, (char)(0x80 | (v & 0x3f)));
  } else {
    buf_addc(b, (char)(0xf0 | v >> 18));
    buf_addc(b, (char)(0x80 | (v >> 12 & 0x3f)));
    buf_addc(b, (char)(0x80 | (v >> 6 & 0x3f)));
    buf_addc(b, (char)(0x80 | (v & 0x3f)));
  }
}

/* One escape after a backslash at p; returns the characters it used. */
static int unescape(struct fp *f, const char *p)
{
  static const char from[] = "abtnvfre \"\\";
  static const char to[] = "\a\b\t\n\v\f\r\033 \"\\";
  if (p == f->end)
    return NO;
  const char *c = strchr(from, *p);
  if (c && *p) {
    buf_addc(&f->sb, to[c - from]);
    return 1;
  }
  int digits = *p == 'x' ? 2 : *p == 'u' ? 4 : *p == 'U' ? 8 : 0;
  unsigned v;
  if (!digits || hexval(f, p + 1, digits, &v) < 0)
    return NO; /* \0 \N \_ \L \P \/ and the unknown: libyaml's to judge */
  if (v == 0 || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
    return NO;
  add_utf8(&f->sb, v);
  return 1 + digits;
}

/* A quoted scalar at the cursor, continued on lines indented past pcol.
 * The cursor ends after the closing quote. */
static int quoted(struct fp *f, int pcol, struct ynode *out)
{
  char q = *f->p;
  int line = f->line;
  const char *p = f->p + 1;
  buf_reset(&f->sb);
  for (;;) {
    /* the characters of one line, up to the quote or the line's end */
    const char *run = p;
    while (p < f->end && *p != q && *p != '\n' && *p != '\\')
      p++;
    if (p == f->end)
      return NO;
    if (*p == q && q == '\'' && p + 1 < f->end && p[1] == '\'') {
      buf_add(&f->sb, run, (size_t)(p - run) + 1);
      p += 2;
      continue;
    }
    if (*p == '\\' && q == '\'') {
      buf_add(&f->sb, run, (size_t)(p - run) + 1);
      p++;
      continue;
    }
    if (*p == '\\') {
      buf_add(&f->sb, run, (size_t)(p - run));
      if (p + 1 < f->end && p[1] == '\n')
        return NO; /* an escaped line break: left to libyaml */
      int used = unescape(f, p + 1);
      if (used < 0)
        return NO;
      p += 1 + used;
      continue;
    }
    if (*p == q) {
      buf_add(&f->sb, run, (size_t)(p - run));
      f->p = p + 1;
      return scalar(f, out, line, false, f->sb.data, f->sb.len);
    }
    /* a line break: trailing spaces go, breaks fold */
    const char *e = p;
    while (e > run && e[-1] == ' ')
      e--;
    buf_add(&f->sb, run, (size_t)(e - run));
    int breaks = 0;
    for (;;) {
      p++; /* the '\n' */
      f->line++;
      f->ls = p;
      breaks++;
      while (p < f->end && *p == ' ')
        p++;
      if (p == f->end)
        return NO;
      if (*p != '\n')
        break;
    }
    if ((int)(p - f->ls) <= pcol)
      return NO;
    if (p == f->ls && f->end - p >= 3 &&
        (memcmp(p, "---", 3) == 0 || memcmp(p, "...", 3) == 0))
      return NO;
    if (breaks == 1)
      buf_addc(&f->sb, ' ');
    else
      for (int i = 1; i < breaks; i++)
        buf_addc(&f->sb, '\n');
  }
}

/* --- plain scalars in block context --- */

/* Scans one line of a plain scalar from p: its end (trailing spaces
 * excluded) in *e; returns the stop: 0 the line's end, '#' a comment,
 * ':' a value indicator. */
static int plain_line(const struct fp *f, const char *p, const char **e)
{
  const char *last = p;
  for (;;) {
    if (at_eol(f, p)) {
      *e = last;
      return 0;
    }
    if (*p == ':' && blank_or_eol(f, p + 1)) {
      *e = last;
      return ':';
    }
    if (*p == ' ') {
      p++;
      if (p < f->end && *p == '#') {
        *e = last;
        return '#';
      }
      continue;
    }
    p++;
    last = p;
  }
}

/* A plain scalar at the cursor (a value), continued on lines indented
 * past pcol. Ends with the cursor at the next content line. */
static int plain_block(struct fp *f, int pcol, struct ynode *out)
{
  int line = f->line;
  const char *e;
  int stop = plain_line(f, f->p, &e);
  if (stop == ':')
    return NO;
  const char *first = f->p;
  bool folded = false;
  if (stop == 0) {
    /* continuation lines? */
    const char *end1 = e;
    for (;;) {
      f->p = e;
      to_next_line(f);
      int breaks = 1;
      const char *p;
      for (;;) {
        p = f->ls;
        while (p < f->end && *p == ' ')
          p++;
        if (p == f->end || *p != '\n')
          break;
        f->p = p;
        to_next_line(f);
        breaks++;
      }
      if (p == f->end || *p == '#' || (int)(p - f->ls) <= pcol)
        break; /* the scalar ended: f->ls is a line to read on */
      if (p == f->ls && f->end - p >= 3 &&
          (memcmp(p, "---", 3) == 0 || memcmp(p, "...", 3) == 0))
        return NO;
      if (!folded) {
        buf_reset(&f->sb);
        buf_add(&f->sb, first, (size_t)(end1 - first));
        folded = true;
      }
      if (breaks == 1)
        buf_addc(&f->sb, ' ');
      else
        for (int i = 1; i < breaks; i++)
          buf_addc(&f->sb, '\n');
      stop = plain_line(f, p, &e);
      if (stop == ':')
        return NO;
      buf_add(&f->sb, p, (size_t)(e - p));
      if (stop == '#') {
        f->p = e;
        to_next_line(f);
        break;
      }
    }
    int rc = folded ? scalar(f, out, line, true, f->sb.data, f->sb.len)
                    : scalar(f, out, line, true, first, (size_t)(end1 - first));
    if (rc < 0)
      return NO;
  } else {
    if (scalar(f, out, line, true, first, (size_t)(e - first)) < 0)
      return NO;
    f->p = e;
    to_next_line(f);
  }
  if (next_content(f) < 0)
    return NO;
  return 0;
}

/* --- block scalars --- */

static int block_scalar(struct fp *f, int pcol, struct ynode *out)
{
  bool folded = *f->p == '>';
  int line = f->line;
  const char *p = f->p + 1;
  int chomp = 0; /* -1 strip, 0 clip, 1 keep */
  if (p < f->end && (*p == '-' || *p == '+'))
    chomp = *p++ == '-' ? -1 : 1;
  if (!blank_or_eol(f, p))
    return NO; /* an indentation indicator, or odder */
  f->p = p;
  if (finish_line(f) < 0)
    return NO;
  /* the leading blank lines and the indentation */
  int leading = 0, maxs = 0, ind;
  for (;;) {
    p = f->ls;
    while (p < f->end && *p == ' ')
      p++;
    int s = (int)(p - f->ls);
    if (p == f->end || *p != '\n') {
      if (p == f->end || s <= pcol || s < maxs)
        return NO; /* empty, or odd: libyaml's */
      ind = s;
      break;
    }
    if (s > maxs)
      maxs = s;
    leading++;
    f->p = p;
    to_next_line(f);
  }
  struct buf *b = &f->sb;
  buf_reset(b);
  bool lbreak = false, lblank = false;
  int trailing = leading;
  for (;;) {
    /* a content line at f->ls, indented by ind or more */
    const char *c = f->ls + ind;
    bool tblank = *c == ' ';
    if (folded && lbreak && !lblank && !tblank) {
      if (!trailing)
        buf_addc(b, ' ');
    } else if (lbreak) {
      buf_addc(b, '\n');
    }
    lbreak = false;
    for (; trailing; trailing--)
      buf_addc(b, '\n');
    lblank = tblank;
    const char *e = c;
    while (e < f->end && *e != '\n')
      e++;
    buf_add(b, c, (size_t)(e - c));
    f->p = e;
    if (e == f->end) {
      f->ls = e;
      break;
    }
    lbreak = true;
    to_next_line(f);
    /* the breaks and indentation before the next content line */
    bool more = false;
    for (;;) {
      p = f->ls;
      while (p < f->end && *p == ' ' && p - f->ls < ind)
        p++;
      if (p < f->end && *p == '\n') {
        trailing++;
        f->p = p;
        to_next_line(f);
        continue;
      }
      more = p < f->end && p - f->ls == ind;
      break;
    }
    if (!more)
      break;
  }
  if (chomp >= 0 && lbreak)
    buf_addc(b, '\n');
  if (chomp == 1)
    for (; trailing; trailing--)
      buf_addc(b, '\n');
  if (scalar(f, out, line, false, b->data, b->len) < 0)
    return NO;
  if (next_content(f) < 0)
    return NO;
  return 0;
}

/* --- flow collections --- */

/* Skips spaces and line breaks inside a flow collection; a line it moves
 * to must be indented past pcol; comments decline. */
static int flow_space(struct fp *f, int pcol)
{
  for (;;) {
    while (f->p < f->end && *f->p == ' ')
      f->p++;
    if (f->p == f->end)
      return NO;
    if (*f->p == '#')
      return NO;
    if (*f->p != '\n')
      break;
    to_next_line(f);
    const char *p = f->p;
    while (p < f->end && *p == ' ')
      p++;
    if (p < f->end && *p != '\n' && (int)(p - f->ls) <= pcol)
      return NO;
  }
  return 0;
}

static int flow_node(struct fp *f, int pcol, struct ynode *out, int depth);

static int flow_plain(struct fp *f, struct ynode *out)
{
  const char *p = f->p, *last = p;
  if (!plain_start(f, p))
    return NO;
  while (!at_eol(f, p) && !strchr(",[]{}", *p)) {
    if (*p == '#' || *p == '?')
      return NO;
    if (*p == ':') {
      if (p + 1 < f->end && (p[1] == ' ' || p[1] == '\n'))
        break;
      return NO;
    }
    if (*p != ' ')
      last = p + 1;
    p++;
  }
  if (scalar(f, out, f->line, true, f->p, (size_t)(last - f->p)) < 0)
    return NO;
  f->p = last;
  return 0;
}

/* A flow key: a plain or quoted scalar on one line, then ':' and a blank. */
static int flow_key(struct fp *f, int pcol, struct ynode *out)
{
  const char *start = f->p;
  int line = f->line;
  int rc =
      *f->p == '"' || *f->p == '\'' ? quoted(f, pcol, out) : flow_plain(f, out);
  if (rc < 0)
    return NO;
  if (f->line != line || f->p - start > 1000 || f->p + 1 >= f->end ||
      *f->p != ':' || (f->p[1] != ' ' && f->p[1] != '\n'))
    return NO;
  f->p++;
  return 0;
}

static int flow_collection(struct fp *f, int pcol, struct ynode *out, int depth)
{
  bool map = *f->p == '{';
  char close = map ? '}' : ']';
  size_t base;
  if (open_collection(f, out, map ? Y_MAP : Y_SEQ, depth, &base) < 0)
    return NO;
  f->p++;
  if (flow_space(f, pcol) < 0)
    return NO;
  if (*f->p == close) {
    f->p++;
    return 0;
  }
  for (;;) {
    struct ynode k, v;
    if (map) {
      if (*f->p == '[' || *f->p == '{' || flow_key(f, pcol, &k) < 0)
        goto no;
      for (size_t i = base; i < f->top; i += 2) {
        if (strcmp(f->stk[i].str, k.str) == 0)
          goto no;
      }
      push(f, &k);
      if (flow_space(f, pcol) < 0 || *f->p == ',' || *f->p == '}')
        goto no; /* an empty value: libyaml's */
    }
    if (flow_node(f, pcol, &v, depth + 1) < 0)
      goto no;
    push(f, &v);
    if (flow_space(f, pcol) < 0)
      goto no;
    if (*f->p == close) {
      f->p++;
      break;
    }
    if (*f->p != ',')
      goto no;
    f->p++;
    if (flow_space(f, pcol) < 0 || *f->p == close || *f->p == ',')
      goto no;
  }
  return close_collection(f, base, out, 0);
no:
  return close_collection(f, base, out, NO);
}

static int flow_node(struct fp *f, int pcol, struct ynode *out, int depth)
{
  char c = *f->p;
  if (c == '[' || c == '{')
    return flow_collection(f, pcol, out, depth);
  if (c == '"' || c == '\'')
    return quoted(f, pcol, out);
  return flow_plain(f, out);
}

/* --- block collections --- */

static int block_map(struct fp *f, int col, struct ynode *out, int depth);
static int block_seq(struct fp *f, int col, bool indentless, struct ynode *out,
                     int depth);

/* Is there a key at p: a plain or quoted scalar on this line, then ':'
 * and a blank? */
static bool is_key(const struct fp *f, const char *p)
{
  if (*p == '"' || *p == '\'') {
    char q = *p++;
    while (!at_eol(f, p) && *p != q) {
      if (q == '"' && *p == '\\' && p + 1 < f->end && p[1] != '\n')
        p++;
      else if (q == '\'' && p + 1 < f->end && p[0] == '\'' && p[1] == '\'')
        p++;
      p++;
    }
    return !at_eol(f, p) && p + 1 < f->end && p[1] == ':' &&
           blank_or_eol(f, p + 2);
  }
  if (!plain_start(f, p))
    return false;
  const char *e;
  return plain_line(f, p, &e) == ':';
}

/* A node after "- " or "key: " on the cursor's line. */
static int inline_value(struct fp *f, int pcol, struct ynode *out, int depth)
{
  char c = *f->p;
  int rc;
  if (c == '|' || c == '>')
    return block_scalar(f, pcol, out);
  if (c == '"' || c == '\'')
    rc = quoted(f, pcol, out);
  else if (c == '[' || c == '{')
    rc = flow_collection(f, pcol, out, depth);
  else if (plain_start(f, f->p))
    return plain_block(f, pcol, out);
  else
    return NO;
  if (rc < 0)
    return NO;
  if (finish_line(f) < 0 || next_content(f) < 0)
    return NO;
  return 0;
}

/* The node of a key or an entry whose line has nothing after the
 * indicator; the cursor is at the next content line. mark is the line of
 * the ':' or '-' (an empty value's line). */
static int block_value(struct fp *f, int pcol, bool in_map, int mark,
                       struct ynode *out, int depth)
{
  int c = f->col;
  if (c > pcol) {
    if (is_dash(f, f->p))
      return block_seq(f, c, false, out, depth);
    if (is_key(f, f->p))
      return block_map(f, c, out, depth);
    return inline_value(f, pcol, out, depth);
  }
  if (in_map && c == pcol && is_dash(f, f->p))
    return block_seq(f, c, true, out, depth);
  return scalar(f, out, mark, true, "", 0);
}

/* After "- " or "key:": a node on this line, or on the lines below. */
static int after_indicator(struct fp *f, int pcol, bool in_map, int mark,
                           struct ynode *out, int depth)
{
  const char *p = f->p;
  while (p < f->end && *p == ' ')
    p++;
  if (at_eol(f, p) || *p == '#') {
    if (finish_line(f) < 0 || next_content(f) < 0)
      return NO;
    return block_value(f, pcol, in_map, mark, out, depth);
  }
  f->p = p;
  if (!in_map && is_key(f, p)) /* "- key: value": a map in the entry */
    return block_map(f, (int)(p - f->ls), out, depth);
  return inline_value(f, pcol, out, depth);
}

static int block_seq(struct fp *f, int col, bool indentless, struct ynode *out,
                     int depth)
{
  size_t base;
  if (open_collection(f, out, Y_SEQ, depth, &base) < 0)
    return NO;
  for (;;) {
    struct ynode v;
    int mark = f->line;
    f->p++; /* the '-' */
    if (after_indicator(f, col, false, mark, &v, depth + 1) < 0)
      goto no;
    push(f, &v);
    if (f->col < col)
      break;
    if (f->col > col)
      goto no;
    if (!is_dash(f, f->p)) {
      if (indentless)
        break;
      goto no;
    }
  }
  return close_collection(f, base, out, 0);
no:
  return close_collection(f, base, out, NO);
}

static int block_map(struct fp *f, int col, struct ynode *out, int depth)
{
  size_t base;
  if (open_collection(f, out, Y_MAP, depth, &base) < 0)
    return NO;
  for (;;) {
    struct ynode k, v;
    const char *start = f->p;
    int line = f->line;
    if (*f->p == '"' || *f->p == '\'') {
      if (quoted(f, col, &k) < 0)
        goto no;
    } else {
      const char *e;
      if (!plain_start(f, f->p) || plain_line(f, f->p, &e) != ':' ||
          scalar(f, &k, line, true, f->p, (size_t)(e - f->p)) < 0)
        goto no;
      f->p = e;
    }
    push(f, &k);
    if (f->line != line || f->p - start > 1000 || *f->p != ':' ||
        !blank_or_eol(f, f->p + 1))
      goto no;
    for (size_t i = base; i + 1 < f->top; i += 2)
      if (strcmp(f->stk[i].str, k.str) == 0)
        goto no;
    f->p++;
    if (after_indicator(f, col, true, line, &v, depth + 1) < 0)
      goto no;
    push(f, &v);
    if (f->col < col)
      break;
    if (f->col > col || !is_key(f, f->p))
      goto no;
  }
  return close_collection(f, base, out, 0);
no:
  return close_collection(f, base, out, NO);
}

struct ynode *yamlfast_parse(const char *text, size_t len, int line_offset)
{
  if (!chars_plain((const unsigned char *)text, len))
    return NULL;
  struct fp f = {.s = text,
                 .end = text + len,
                 .p = text,
                 .ls = text,
                 .line = 1,
                 .off = line_offset};
  buf_init(&f.sb);
  struct ytree *tree = xcalloc(1, sizeof(*tree));
  struct ynode *root = &tree->root;
  f.tree = tree;
  int rc = NO;
  if (len >= 3 && memcmp(text, "---", 3) == 0) {
    const char *p = text + 3;
    while (p < f.end && *p == ' ')
      p++;
    if (!at_eol(&f, p))
      goto out;
    f.p = p;
    to_next_line(&f);
  }
  if (next_content(&f) < 0)
    goto out;
  if (f.col < 0) {
    root->kind = Y_MAP;
    root->line = 1 + line_offset;
    rc = 0;
  } else if (is_dash(&f, f.p)) {
    rc = block_seq(&f, f.col, false, root, 0);
  } else if (is_key(&f, f.p)) {
    rc = block_map(&f, f.col, root, 0);
  }
  if (rc == 0 && f.col >= 0)
    rc = NO;
out:
  drop(&f, 0);
  free(f.stk);
  buf_release(&f.sb);
  if (rc < 0) {
    ychunks_free(tree->chunks);
    free(tree);
    return NULL;
  }
  return root;
}

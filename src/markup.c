#include "markup.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

/* ---- URLs ---- */

static bool has_scheme(const char *s)
{
  if (!isalpha((unsigned char)*s))
    return false;
  const char *p = s + 1;
  while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
    p++;
  return *p == ':';
}

/* Removes "." and ".." segments of path (RFC 3986, 5.2.4) into out. */
static void remove_dots(const char *path, size_t n, struct buf *out)
{
  size_t start = out->len;
  size_t i = 0;
  while (i < n) {
    size_t seg = i + 1;
    while (seg < n && path[seg] != '/')
      seg++;
    /* path[i..seg) is "/name" (or "name" at the very start) */
    const char *s = path + i + (path[i] == '/');
    size_t sl = (size_t)(path + seg - s);
    bool last = seg >= n;
    if (sl == 1 && s[0] == '.') {
      if (last)
        buf_addc(out, '/');
    } else if (sl == 2 && s[0] == '.' && s[1] == '.') {
      size_t k = out->len;
      while (k > start && out->data[k - 1] != '/')
        k--;
      if (k > start)
        k--;
      buf_truncate(out, k);
      if (last)
        buf_addc(out, '/');
    } else {
      buf_add(out, path + i, seg - i);
    }
    i = seg;
  }
}

void url_resolve(const char *base, const char *ref, struct buf *out)
{
  if (!base || !*ref || has_scheme(ref) || ref[0] == '#') {
    buf_adds(out, ref);
    return;
  }
  /* base: scheme "://" authority path */
  const char *auth = strstr(base, "://");
  if (!auth) {
    buf_adds(out, ref);
    return;
  }
  auth += 3;
  const char *path = auth + strcspn(auth, "/?#");
  if (ref[0] == '/' && ref[1] == '/') {
    buf_add(out, base, (size_t)(auth - 3 - base) + 1);
    buf_adds(out, ref);
    return;
  }
  buf_add(out, base, (size_t)(path - base));
  size_t rl = strcspn(ref, "?#");
  if (ref[0] == '/') {
    remove_dots(ref, rl, out);
  } else {
    struct buf merged = BUF_INIT;
    size_t pl = strcspn(path, "?#");
    buf_add(&merged, path, pl);
    if (!merged.len || merged.data[merged.len - 1] != '/')
      buf_addc(&merged, '/'); /* the site's URL is a directory */
    buf_add(&merged, ref, rl);
    remove_dots(merged.data, merged.len, out);
    buf_release(&merged);
  }
  buf_adds(out, ref + rl);
}

/* ---- scanning ---- */

/* Looking for the end of a tag costs time: a page of unclosed tags must
 * not cost n² (nor nested pairs a deep recursion). */
struct budget {
  size_t left;
};
#define MAX_DEPTH 16

struct scan {
  const struct markup_ctx *c;
  const char *s;
  size_t n, i;
  struct buf *out;
  struct budget *b;
  int depth;
};

static bool at(const struct scan *sc, const char *w)
{
  size_t wl = strlen(w);
  return sc->i + wl <= sc->n && memcmp(sc->s + sc->i, w, wl) == 0;
}

/* The end of the tag that starts at i with open and ends with close
 * (index after it), or 0 if it does not end on this page. */
static size_t tag_end(const struct scan *sc, size_t i, const char *close)
{
  size_t cl = strlen(close);
  for (size_t k = i; k + cl <= sc->n; k++) {
    if (!sc->b->left)
      return 0;
    sc->b->left--;
    if (memcmp(sc->s + k, close, cl) == 0)
      return k + cl;
  }
  return 0;
}

/* The words of a tag's inside: name and arguments ("x", key="y"). */
struct args {
  char name[32];
  char *pos[4];
  size_t npos;
  char *key[8], *val[8];
  size_t nkv;
  bool closing, selfclose;
};

static void args_release(struct args *a)
{
  for (size_t i = 0; i < a->npos; i++)
    free(a->pos[i]);
  for (size_t i = 0; i < a->nkv; i++) {
    free(a->key[i]);
    free(a->val[i]);
  }
}

static void parse_args(const char *s, size_t n, struct args *a)
{
  memset(a, 0, sizeof(*a));
  size_t i = 0;
  while (i < n && isspace((unsigned char)s[i]))
    i++;
  if (i < n && s[i] == '/') {
    a->closing = true;
    i++;
  }
  while (n > i && isspace((unsigned char)s[n - 1]))
    n--;
  if (n > i && s[n - 1] == '/') {
    a->selfclose = true;
    n--;
  }
  size_t w = 0;
  while (i < n && !isspace((unsigned char)s[i])) {
    if (w + 1 < sizeof(a->name))
      a->name[w++] = s[i];
    i++;
  }
  a->name[w] = '\0';
  while (i < n) {
    while (i < n && isspace((unsigned char)s[i]))
      i++;
    if (i >= n)
      break;
    size_t ks = i;
    while (i < n && !isspace((unsigned char)s[i]) && s[i] != '=' &&
           s[i] != '"' && s[i] != '\'')
      i++;
    char *key = NULL;
    if (i < n && s[i] == '=' && i > ks) {
      key = xstrndup(s + ks, i - ks);
      i++;
    } else {
      i = ks;
    }
    size_t vs = i, ve;
    if (i < n && (s[i] == '"' || s[i] == '\'' || s[i] == '`')) {
      char q = s[i++];
      vs = i;
      while (i < n && s[i] != q)
        i++;
      ve = i;
      if (i < n)
        i++;
    } else {
      while (i < n && !isspace((unsigned char)s[i]))
        i++;
      ve = i;
    }
    char *val = xstrndup(s + vs, ve - vs);
    if (key && a->nkv < 8) {
      a->key[a->nkv] = key;
      a->val[a->nkv++] = val;
    } else if (!key && a->npos < 4) {
      a->pos[a->npos++] = val;
    } else {
      free(key);
      free(val);
    }
  }
}

/* The argument named key, else the positional one at pos (-1: none). */
static const char *arg(const struct args *a, const char *key, int pos)
{
  for (size_t i = 0; i < a->nkv; i++)
    if (strcmp(a->key[i], key) == 0)
      return a->val[i];
  return pos >= 0 && (size_t)pos < a->npos ? a->pos[pos] : NULL;
}

static void clean_range(const struct markup_ctx *c, const char *s, size_t n,
                        struct buf *out, struct budget *b, int depth);

/* A page path (Hugo's ref, Jekyll's link) as its URL. */
static void page_url(const struct markup_ctx *c, const char *path,
                     struct buf *out)
{
  struct buf p = BUF_INIT;
  const char *s = path;
  if (strncmp(s, "content/", 8) == 0)
    s += 8;
  buf_adds(&p, s);
  size_t l = p.len;
  if (l > 3 && strcmp(p.data + l - 3, ".md") == 0)
    buf_truncate(&p, l - 3);
  l = p.len;
  if ((l >= 5 && strcmp(p.data + l - 5, "index") == 0 &&
       (l == 5 || p.data[l - 6] == '/')))
    buf_truncate(&p, l - 5 - (l >= 6 && p.data[l - 6] == '_'));
  if (p.len && p.data[p.len - 1] != '/')
    buf_addc(&p, '/');
  url_resolve(c->base, p.data, out);
  buf_release(&p);
}

static void post_url(const struct markup_ctx *c, const char *id,
                     struct buf *out)
{
  if (c->post_url)
    c->post_url(c->ud, id, out);
  else
    url_resolve(c->base, id, out);
}

/* A Hugo shortcode without a closing one. */
static void shortcode(const struct markup_ctx *c, const struct args *a,
                      struct buf *out)
{
  const char *v;
  if (strcmp(a->name, "youtube") == 0 && (v = arg(a, "id", 0)))
    buf_addf(out, "<https://www.youtube.com/watch?v=%s>", v);
  else if (strcmp(a->name, "vimeo") == 0 && (v = arg(a, "id", 0)))
    buf_addf(out, "<https://vimeo.com/%s>", v);
  else if (strcmp(a->name, "gist") == 0 && a->npos >= 2)
    buf_addf(out, "<https://gist.github.com/%s/%s>", a->pos[0], a->pos[1]);
  else if ((strcmp(a->name, "ref") == 0 || strcmp(a->name, "relref") == 0) &&
           (v = arg(a, "path", 0)))
    page_url(c, v, out);
  else if (strcmp(a->name, "figure") == 0 &&
           ((v = arg(a, "caption", -1)) || (v = arg(a, "title", -1)) ||
            (v = arg(a, "alt", -1))))
    buf_adds(out, v);
}

/* The index where the closing shortcode of name begins (its "{{"), and
 * in *after the index after it; 0 when there is none. */
static size_t find_closer(const struct scan *sc, const char *name,
                          size_t *after)
{
  for (size_t k = sc->i; k + 4 < sc->n; k++) {
    if (!sc->b->left)
      return 0;
    sc->b->left--;
    if (sc->s[k] != '{' || sc->s[k + 1] != '{' ||
        (sc->s[k + 2] != '<' && sc->s[k + 2] != '%'))
      continue;
    char close[4] = {sc->s[k + 2] == '<' ? '>' : '%', '}', '}', 0};
    size_t e = tag_end(sc, k + 3, close);
    if (!e)
      continue;
    struct args a;
    parse_args(sc->s + k + 3, e - k - 6, &a);
    bool hit = a.closing && strcmp(a.name, name) == 0;
    args_release(&a);
    if (hit) {
      *after = e;
      return k;
    }
  }
  return 0;
}

static void fence(struct buf *out, const char *lang, const char *s, size_t n)
{
  while (n && (*s == '\n' || *s == '\r')) {
    s++;
    n--;
  }
  while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
    n--;
  if (out->len && out->data[out->len - 1] != '\n')
    buf_addc(out, '\n');
  buf_addf(out, "```%s\n", lang ? lang : "");
  buf_add(out, s, n);
  buf_adds(out, "\n```\n");
}

/* {{< … >}} or {{% … %}} at sc->i. Returns false when it is not one. */
static bool hugo(struct scan *sc)
{
  char kind = sc->s[sc->i + 2];
  char close[4] = {kind == '<' ? '>' : '%', '}', '}', 0};
  size_t e = tag_end(sc, sc->i + 3, close);
  if (!e)
    return false;
  const char *in = sc->s + sc->i + 3;
  size_t inl = e - sc->i - 6;
  /* an escaped shortcode (a comment inside the delimiters): written out
   * as an example */
  if (inl >= 4 && in[0] == '/' && in[1] == '*' && in[inl - 1] == '/' &&
      in[inl - 2] == '*') {
    buf_addf(sc->out, "{{%c", kind);
    buf_add(sc->out, in + 2, inl - 4);
    buf_addf(sc->out, "%c}}", close[0]);
    sc->i = e;
    return true;
  }
  struct args a;
  parse_args(in, inl, &a);
  sc->i = e;
  size_t after;
  size_t closer =
      a.closing || a.selfclose ? 0 : find_closer(sc, a.name, &after);
  if (a.closing) {
    /* a closer without its opener: dropped */
  } else if (closer) {
    const char *inner = sc->s + sc->i;
    size_t il = closer - sc->i;
    if (strcmp(a.name, "highlight") == 0)
      fence(sc->out, a.npos ? a.pos[0] : NULL, inner, il);
    else if (sc->depth < MAX_DEPTH)
      clean_range(sc->c, inner, il, sc->out, sc->b, sc->depth + 1);
    else
      buf_add(sc->out, inner, il);
    sc->i = after;
  } else {
    shortcode(sc->c, &a, sc->out);
  }
  args_release(&a);
  return true;
}

/* {{ … }}: a Liquid output. */
static bool liquid_out(struct scan *sc)
{
  size_t e = tag_end(sc, sc->i + 2, "}}");
  if (!e)
    return false;
  const char *in = sc->s + sc->i + 2;
  size_t n = e - sc->i - 4;
  while (n && isspace((unsigned char)*in)) {
    in++;
    n--;
  }
  while (n && isspace((unsigned char)in[n - 1]))
    n--;
  sc->i = e;
  const struct markup_ctx *c = sc->c;
#define IS(w) (n == strlen(w) && memcmp(in, w, n) == 0)
  if (IS("site.url")) {
    size_t bl = c->base ? strlen(c->base) : 0;
    while (bl && c->base[bl - 1] == '/')
      bl--;
    buf_add(sc->out, c->base ? c->base : "", bl);
  } else if (IS("site.baseurl")) {
    /* part of site.url here */
  } else if (IS("page.title") && c->title) {
    buf_adds(sc->out, c->title);
  } else if (n && (in[0] == '"' || in[0] == '\'')) {
    const char *q = memchr(in + 1, in[0], n - 1);
    const char *bar = q ? memchr(q, '|', n - (size_t)(q - in)) : NULL;
    if (q && bar) {
      char *path = xstrndup(in + 1, (size_t)(q - in - 1));
      url_resolve(c->base, path, sc->out);
      free(path);
    }
  }
#undef IS
  return true;
}

/* {% … %}: a Liquid tag. */
static bool liquid_tag(struct scan *sc)
{
  size_t e = tag_end(sc, sc->i + 2, "%}");
  if (!e)
    return false;
  struct args a;
  parse_args(sc->s + sc->i + 2, e - sc->i - 4, &a);
  /* "{%- raw -%}": whitespace control */
  char *name = a.name[0] == '-' ? a.name + 1 : a.name;
  sc->i = e;
  const char *end = strcmp(name, "raw") == 0         ? "endraw"
                    : strcmp(name, "comment") == 0   ? "endcomment"
                    : strcmp(name, "highlight") == 0 ? "endhighlight"
                                                     : NULL;
  if (end) {
    size_t k = sc->i, stop = sc->n, after = sc->n;
    for (; k + 2 < sc->n && sc->b->left; k++) {
      sc->b->left--;
      if (sc->s[k] != '{' || sc->s[k + 1] != '%')
        continue;
      size_t te = tag_end(sc, k + 2, "%}");
      if (!te)
        break;
      struct args b;
      parse_args(sc->s + k + 2, te - k - 4, &b);
      const char *bn = b.name[0] == '-' ? b.name + 1 : b.name;
      bool hit = strcmp(bn, end) == 0;
      args_release(&b);
      if (hit) {
        stop = k;
        after = te;
        break;
      }
    }
    if (strcmp(name, "raw") == 0)
      buf_add(sc->out, sc->s + sc->i, stop - sc->i);
    else if (strcmp(name, "highlight") == 0)
      fence(sc->out, a.npos ? a.pos[0] : NULL, sc->s + sc->i, stop - sc->i);
    sc->i = after;
  } else if (strcmp(name, "post_url") == 0 && a.npos) {
    post_url(sc->c, a.pos[0], sc->out);
  } else if (strcmp(name, "link") == 0 && a.npos) {
    const char *p = a.pos[0];
    if (strncmp(p, "_posts/", 7) == 0) {
      char *id = xstrdup(p + 7);
      size_t l = strlen(id);
      if (l > 3 && strcmp(id + l - 3, ".md") == 0)
        id[l - 3] = '\0';
      post_url(sc->c, id, sc->out);
      free(id);
    } else {
      page_url(sc->c, p, sc->out);
    }
  }
  args_release(&a);
  return true;
}

/* The link target at i (after "](" or "]: " or href="), resolved. */
static void link_target(struct scan *sc, char quote)
{
  size_t i = sc->i;
  size_t end = i;
  if (quote) {
    while (end < sc->n && sc->s[end] != quote && sc->s[end] != '\n')
      end++;
  } else if (i < sc->n && sc->s[i] == '<') {
    buf_addc(sc->out, '<');
    i++;
    end = i;
    while (end < sc->n && sc->s[end] != '>' && sc->s[end] != '\n')
      end++;
  } else {
    int depth = 0;
    while (end < sc->n && !isspace((unsigned char)sc->s[end])) {
      if (sc->s[end] == '(')
        depth++;
      if (sc->s[end] == ')' && depth-- == 0)
        break;
      end++;
    }
  }
  char *ref = xstrndup(sc->s + i, end - i);
  if (sc->c->base && !has_scheme(ref) && ref[0] != '#' && ref[0] != '{' &&
      ref[0])
    url_resolve(sc->c->page && ref[0] != '/' ? sc->c->page : sc->c->base, ref,
                sc->out);
  else
    buf_adds(sc->out, ref);
  free(ref);
  sc->i = end;
}

/* Whether i starts a line (after up to three spaces). */
static bool line_start(const struct scan *sc, size_t i)
{
  size_t k = i, sp = 0;
  while (k > 0 && sc->s[k - 1] == ' ' && sp < 4) {
    k--;
    sp++;
  }
  return sp < 4 && (k == 0 || sc->s[k - 1] == '\n');
}

/* The bytes that may begin something clean_range looks at: a fence or a
 * code span, a shortcode or tag, a link's end, href= or src=. */
static const bool looked_at[256] = {
    ['`'] = true, ['~'] = true, ['{'] = true, [']'] = true,
    ['h'] = true, ['s'] = true, ['H'] = true, ['S'] = true,
};

/* Whether the byte at k begins something clean_range looks at: an h or
 * an s only as the first letter of a word (href=, src=) and only when
 * links are resolved; any other byte goes out as it is. */
static inline bool looked_at_here(const struct markup_ctx *c, const char *s,
                                  size_t k)
{
  unsigned char ch = (unsigned char)s[k];
  if (!looked_at[ch])
    return false;
  if ((ch | 0x20) == 'h' || (ch | 0x20) == 's')
    return c->base && k > 0 && isspace((unsigned char)s[k - 1]);
  return true;
}

static void clean_range(const struct markup_ctx *c, const char *s, size_t n,
                        struct buf *out, struct budget *b, int depth)
{
  struct scan sc = {c, s, n, 0, out, b, depth};
  bool fenced = false;
  char fence_ch = 0;
  while (sc.i < n) {
    char ch = s[sc.i];
    /* a run of text that holds nothing to look at goes out at once */
    if (!fenced && !looked_at_here(c, s, sc.i)) {
      size_t k = sc.i + 1;
      while (k < n && !looked_at_here(c, s, k))
        k++;
      buf_add(out, s + sc.i, k - sc.i);
      sc.i = k;
      continue;
    }
    /* fenced code: as written */
    if ((ch == '`' || ch == '~') && line_start(&sc, sc.i) &&
        at(&sc, ch == '`' ? "```" : "~~~")) {
      if (!fenced || ch == fence_ch) {
        fenced = !fenced;
        fence_ch = ch;
      }
      size_t eol = sc.i;
      while (eol < n && s[eol] != '\n')
        eol++;
      buf_add(out, s + sc.i, eol - sc.i);
      sc.i = eol;
      continue;
    }
    if (fenced) {
      buf_addc(out, ch);
      sc.i++;
      continue;
    }
    /* a code span: as written */
    if (ch == '`') {
      size_t run = 0;
      while (sc.i + run < n && s[sc.i + run] == '`')
        run++;
      size_t k = sc.i + run;
      size_t close = 0;
      while (k < n && b->left) {
        b->left--;
        if (s[k] == '`') {
          size_t r2 = 0;
          while (k + r2 < n && s[k + r2] == '`')
            r2++;
          if (r2 == run) {
            close = k + r2;
            break;
          }
          k += r2;
        } else {
          k++;
        }
      }
      size_t to = close ? close : sc.i + run;
      buf_add(out, s + sc.i, to - sc.i);
      sc.i = to;
      continue;
    }
    if (!c->keep && ch == '{' && sc.i + 2 < n) {
      char k2 = s[sc.i + 1], k3 = s[sc.i + 2];
      if (k2 == '{' && (k3 == '<' || k3 == '%') && hugo(&sc))
        continue;
      if (k2 == '{' && liquid_out(&sc))
        continue;
      if (k2 == '%' && liquid_tag(&sc))
        continue;
    }
    if (c->base) {
      if (ch == ']' && sc.i + 1 < n && s[sc.i + 1] == '(') {
        buf_adds(out, "](");
        sc.i += 2;
        if (sc.i < n && s[sc.i] != '{') /* a tag: its value comes next */
          link_target(&sc, 0);
        continue;
      }
      if (ch == ']' && sc.i + 1 < n && s[sc.i + 1] == ':') {
        /* a reference definition: "[label]: target" at a line's start */
        size_t k = sc.i;
        while (k > 0 && s[k - 1] != '[' && s[k - 1] != '\n')
          k--;
        if (k > 0 && s[k - 1] == '[' && line_start(&sc, k - 1)) {
          buf_adds(out, "]:");
          sc.i += 2;
          while (sc.i < n && (s[sc.i] == ' ' || s[sc.i] == '\t'))
            buf_addc(out, s[sc.i++]);
          link_target(&sc, 0);
          continue;
        }
      }
      if ((ch == 'h' || ch == 's' || ch == 'H' || ch == 'S') && sc.i > 0 &&
          isspace((unsigned char)s[sc.i - 1])) {
        size_t al = sc.i + 5 <= n && strncasecmp(s + sc.i, "href=", 5) == 0 ? 5
                    : sc.i + 4 <= n && strncasecmp(s + sc.i, "src=", 4) == 0
                        ? 4
                        : 0;
        if (al && sc.i + al < n &&
            (s[sc.i + al] == '"' || s[sc.i + al] == '\'')) {
          char q = s[sc.i + al];
          buf_add(out, s + sc.i, al + 1);
          sc.i += al + 1;
          link_target(&sc, q);
          continue;
        }
      }
    }
    buf_addc(out, ch);
    sc.i++;
  }
}

void markup_clean(const struct markup_ctx *c, const char *body, size_t len,
                  struct buf *out)
{
  struct budget b = {16 * len + 65536};
  clean_range(c, body, len, out, &b, 0);
}

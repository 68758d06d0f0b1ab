#include "tpl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xalloc.h"

enum kind {
  T_ROOT,
  T_TEXT,
  T_VAR,
  T_SECTION,
  T_INVERTED,
  T_PARTIAL,
  T_BLOCK,
  T_PARENT
};

struct node {
  enum kind kind;
  char *s;     /* text, or the tag's name */
  size_t len;  /* of s */
  bool escape; /* T_VAR */
  int line;
  char *indent;   /* standalone partial/parent: indentation; block: see
                     below; NULL when not standalone */
  bool same_line; /* block opened and closed on one standalone line */
  struct node *kids;
  size_t nkids, cap;
};

struct tpl {
  struct node root;
  char *name;
  /* the nodes' strings, end to end in one allocation (no node frees its
   * own) */
  char *strs;
  size_t nstrs;
};

/* ---- tokens ---- */

struct tok {
  char type; /* 0 text, 'v' variable, '&' unescaped, or # ^ / ! > = $ < */
  const char *s;
  size_t len;
  size_t start, end; /* source span */
  int line;
  bool removed; /* whitespace of a standalone line */
  char *indent; /* see struct node */
  bool same_line;
};

struct toks {
  struct tok *v;
  size_t n, cap;
};

static void push_tok(struct toks *t, struct tok k)
{
  if (t->n == t->cap)
    t->v = xgrow(t->v, &t->cap, t->n + 1, sizeof(*t->v));
  t->v[t->n++] = k;
}

static int count_lines(const char *s, size_t from, size_t to)
{
  int n = 0;
  for (const char *p = s + from, *end = s + to;
       (p = memchr(p, '\n', (size_t)(end - p))); p++)
    n++;
  return n;
}

static void trim(const char **s, size_t *n)
{
  while (*n && (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r')) {
    (*s)++;
    (*n)--;
  }
  while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' ||
                (*s)[*n - 1] == '\n' || (*s)[*n - 1] == '\r'))
    (*n)--;
}

static const char *find(const char *hay, size_t hn, const char *needle,
                        size_t nn)
{
  if (nn == 0 || hn < nn)
    return NULL;
  for (size_t i = 0; i + nn <= hn; i++) {
    const char *c = memchr(hay + i, needle[0], hn - nn + 1 - i);
    if (!c)
      return NULL;
    i = (size_t)(c - hay);
    if (memcmp(c, needle, nn) == 0)
      return c;
  }
  return NULL;
}

static void emit_text(struct toks *t, const char *src, size_t from, size_t to,
                      int *line)
{
  while (from < to) {
    const char *nl = memchr(src + from, '\n', to - from);
    size_t end = nl ? (size_t)(nl - src) + 1 : to;
    push_tok(t, (struct tok){.type = 0,
                             .s = src + from,
                             .len = end - from,
                             .start = from,
                             .end = end,
                             .line = *line});
    if (nl)
      (*line)++;
    from = end;
  }
}

static bool standalone_type(char type)
{
  switch (type) {
  case '#':
  case '^':
  case '/':
  case '!':
  case '>':
  case '=':
  case '$':
  case '<':
    return true;
  default:
    return false;
  }
}

static int tokenize(const char *src, size_t len, const char *name,
                    struct toks *t, struct err *e)
{
  char otag[16] = "{{", ctag[16] = "}}";
  size_t ol = 2, cl = 2, pos = 0;
  int line = 1;
  while (pos < len) {
    const char *o = find(src + pos, len - pos, otag, ol);
    if (!o) {
      emit_text(t, src, pos, len, &line);
      break;
    }
    size_t tstart = (size_t)(o - src);
    emit_text(t, src, pos, tstart, &line);
    int tline = line;
    size_t p = tstart + ol;
    char type = p < len ? src[p] : 0;
    const char *close;
    size_t cstart, cend;
    if (type == '{' || type == '=') {
      char want[17];
      want[0] = type == '{' ? '}' : '=';
      memcpy(want + 1, ctag, cl + 1);
      close = find(src + p + 1, len - p - 1, want, cl + 1);
      cstart = p + 1;
      if (close) {
        cend = (size_t)(close - src);
        pos = cend + cl + 1;
      }
      if (type == '{')
        type = '&';
    } else {
      if (type == '&' || (type != '=' && standalone_type(type)))
        cstart = p + 1;
      else {
        cstart = p;
        type = 'v';
      }
      /* after the sigil: with "<% >%" as delimiters, "<%>%" must not
       * close on its own '>' */
      close = find(src + cstart, len - cstart, ctag, cl);
      if (close) {
        cend = (size_t)(close - src);
        pos = cend + cl;
      }
    }
    if (!close)
      return err_set(e, EX_DATAERR, "%s:%d: tag '%s' is not closed by '%s'",
                     name, tline, otag, ctag);
    const char *s = src + cstart;
    size_t n = cend - cstart;
    trim(&s, &n);
    line += count_lines(src, tstart, pos);
    if (type == '=') {
      /* "<% %>": two delimiters separated by white space */
      size_t a = 0;
      while (a < n && s[a] != ' ' && s[a] != '\t')
        a++;
      size_t b = a;
      while (b < n && (s[b] == ' ' || s[b] == '\t'))
        b++;
      if (a == 0 || b == a || b == n || a >= sizeof(otag) ||
          n - b >= sizeof(ctag) || memchr(s + b, ' ', n - b) ||
          memchr(s, '=', a) || memchr(s + b, '=', n - b))
        return err_set(e, EX_DATAERR, "%s:%d: bad delimiter change '%.*s'",
                       name, tline, (int)n, s);
      memcpy(otag, s, a);
      otag[a] = '\0';
      ol = a;
      memcpy(ctag, s + b, n - b);
      ctag[n - b] = '\0';
      cl = n - b;
    } else if (type != '!' && n == 0) {
      return err_set(e, EX_DATAERR, "%s:%d: empty tag name", name, tline);
    }
    push_tok(t, (struct tok){.type = type,
                             .s = s,
                             .len = n,
                             .start = tstart,
                             .end = pos,
                             .line = tline});
  }
  return 0;
}

static bool is_blank(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
      return false;
  return true;
}

/* How many spaces and tabs s[0..n) starts with. */
static size_t leading_ws(const char *s, size_t n)
{
  size_t k = 0;
  while (k < n && (s[k] == ' ' || s[k] == '\t'))
    k++;
  return k;
}

/* Marks standalone lines: a line with at least one tag, every tag of a kind
 * that produces no text of its own, and nothing but white space besides.
 * Their white space (and line end) is removed; partials and parents on
 * such a line take the line's indentation; a block records the indentation
 * of its content (see struct node). */
static void mark_standalone(const char *src, size_t len, struct toks *t)
{
  size_t i = 0;
  while (i < t->n) {
    size_t j = i;
    bool ok = true;
    int tags = 0;
    for (;; j++) {
      struct tok *k = &t->v[j];
      if (k->type == 0) {
        if (!is_blank(k->s, k->len))
          ok = false;
      } else {
        tags++;
        if (!standalone_type(k->type))
          ok = false;
      }
      bool eol = k->type == 0 && k->len && k->s[k->len - 1] == '\n';
      if (eol || j + 1 == t->n)
        break;
    }
    if (ok && tags) {
      const struct tok *first = &t->v[i];
      /* the line's indentation, copied for the tags that keep it */
      const char *line_indent = first->s;
      size_t indent_len =
          first->type == 0 ? leading_ws(first->s, first->len) : 0;
      size_t line_end = t->v[j].end;
      bool gave = false;
      for (size_t k = i; k <= j; k++) {
        struct tok *tk = &t->v[k];
        if (tk->type == 0) {
          tk->removed = true;
          continue;
        }
        if ((tk->type == '>' || tk->type == '<') && !gave) {
          tk->indent = xstrndup(line_indent, indent_len);
          gave = true;
        } else if (tk->type == '$') {
          bool closes_here = false;
          for (size_t m = k + 1; m <= j; m++)
            if (t->v[m].type == '/' && t->v[m].len == tk->len &&
                memcmp(t->v[m].s, tk->s, tk->len) == 0)
              closes_here = true;
          if (closes_here) {
            tk->indent = xstrndup(line_indent, indent_len);
            tk->same_line = true;
          } else {
            tk->indent = xstrndup(src + line_end,
                                  leading_ws(src + line_end, len - line_end));
          }
        }
      }
    }
    i = j + 1;
  }
}

/* ---- tree ---- */

static struct node *add_kid(struct node *parent, struct node kid)
{
  if (parent->nkids == parent->cap)
    parent->kids = xgrow(parent->kids, &parent->cap, parent->nkids + 1,
                         sizeof(*parent->kids));
  parent->kids[parent->nkids] = kid;
  return &parent->kids[parent->nkids++];
}

static void node_release(struct node *n)
{
  free(n->indent);
  for (size_t i = 0; i < n->nkids; i++)
    node_release(&n->kids[i]);
  free(n->kids);
}

void tpl_free(struct tpl *t)
{
  if (!t)
    return;
  node_release(&t->root);
  free(t->strs);
  free(t->name);
  free(t);
}

static int build(struct tpl *t, struct toks *tk, struct err *e)
{
  /* open sections by index path: kids arrays move as they grow, so keep
   * the chain of indices rather than pointers */
  size_t path[TPL_MAX_DEPTH * 4];
  size_t depth = 0;
  struct node *cur = &t->root;
  int rc = 0;
  for (size_t i = 0; i < tk->n; i++) {
    struct tok *k = &tk->v[i];
    if (k->removed)
      continue;
    struct node n = {.line = k->line};
    switch (k->type) {
    case 0:
      if (cur->nkids && cur->kids[cur->nkids - 1].kind == T_TEXT) {
        /* the text before is the last string made: it grows in place */
        struct node *prev = &cur->kids[cur->nkids - 1];
        memcpy(prev->s + prev->len, k->s, k->len);
        prev->len += k->len;
        prev->s[prev->len] = '\0';
        t->nstrs += k->len;
        continue;
      }
      n.kind = T_TEXT;
      break;
    case 'v':
    case '&':
      n.kind = T_VAR;
      n.escape = k->type == 'v';
      break;
    case '!':
    case '=':
      continue;
    case '>':
      n.kind = T_PARTIAL;
      break;
    case '#':
    case '^':
    case '$':
    case '<':
      n.kind = k->type == '#'   ? T_SECTION
               : k->type == '^' ? T_INVERTED
               : k->type == '$' ? T_BLOCK
                                : T_PARENT;
      break;
    case '/': {
      if (depth == 0)
        return err_set(e, EX_DATAERR, "%s:%d: '{{/%.*s}}' closes nothing",
                       t->name, k->line, (int)k->len, k->s);
      if (cur->len != k->len || memcmp(cur->s, k->s, k->len) != 0)
        return err_set(e, EX_DATAERR,
                       "%s:%d: '{{/%.*s}}' does not match '%s' opened on "
                       "line %d",
                       t->name, k->line, (int)k->len, k->s, cur->s, cur->line);
      depth--;
      cur = &t->root;
      for (size_t d = 0; d < depth; d++)
        cur = &cur->kids[path[d]];
      continue;
    }
    }
    n.s = t->strs + t->nstrs;
    memcpy(n.s, k->s, k->len);
    n.s[k->len] = '\0';
    t->nstrs += k->len + 1;
    n.len = k->len;
    n.indent = k->indent;
    k->indent = NULL;
    n.same_line = k->same_line;
    struct node *added = add_kid(cur, n);
    if (n.kind == T_SECTION || n.kind == T_INVERTED || n.kind == T_BLOCK ||
        n.kind == T_PARENT) {
      if (depth == ARRAY_SIZE(path))
        return err_set(e, EX_DATAERR, "%s:%d: sections nested too deeply",
                       t->name, k->line);
      path[depth++] = cur->nkids - 1;
      cur = added;
    }
  }
  if (depth)
    rc = err_set(e, EX_DATAERR, "%s:%d: '%s' is never closed", t->name,
                 cur->line, cur->s);
  return rc;
}

struct tpl *tpl_parse(const char *src, size_t len, const char *name,
                      struct err *e)
{
  struct tpl *t = xcalloc(1, sizeof(*t));
  struct toks tk = {0};
  t->root.kind = T_ROOT;
  t->name = xstrdup(name ? name : "template");
  int rc = tokenize(src, len, t->name, &tk, e);
  if (rc == 0) {
    mark_standalone(src, len, &tk);
    /* room for every token's string and its NUL: what build keeps */
    size_t room = 1;
    for (size_t i = 0; i < tk.n; i++)
      room += tk.v[i].len + 1;
    t->strs = xmalloc(room);
    rc = build(t, &tk, e);
  }
  for (size_t i = 0; i < tk.n; i++)
    if (tk.v[i].indent) /* those build did not take */
      free(tk.v[i].indent);
  free(tk.v);
  if (rc < 0) {
    tpl_free(t);
    return NULL;
  }
  return t;
}

/* ---- rendering ---- */

struct frame { /* block overrides of one parent tag */
  const struct node *parent;
  const struct frame *outer;
};

struct rstate {
  tpl_load_fn load;
  tpl_parsed_fn parsed; /* instead of load: partials parsed by the loader */
  void *ud;
  tpl_escape_fn esc;
  struct err *e;
  json_t *stack[TPL_MAX_DEPTH * 8];
  size_t sp;
  int depth;  /* partials and parents being rendered */
  int blocks; /* blocks being rendered */
  struct buf *out;
  const struct frame *innermost;
};

static bool truthy(json_t *v)
{
  if (!v || json_is_null(v) || json_is_false(v))
    return false;
  if (json_is_array(v))
    return json_array_size(v) > 0;
  if (json_is_string(v))
    return json_string_length(v) > 0;
  return true;
}

static json_t *lookup(struct rstate *r, const char *name, size_t len)
{
  if (len == 1 && name[0] == '.')
    return r->sp ? r->stack[r->sp - 1] : NULL;
  const char *dot = memchr(name, '.', len);
  size_t first = dot ? (size_t)(dot - name) : len;
  char key[256];
  if (first >= sizeof(key))
    return NULL;
  memcpy(key, name, first);
  key[first] = '\0';
  json_t *v = NULL;
  for (size_t i = r->sp; i-- > 0;) {
    json_t *f = r->stack[i];
    if (json_is_object(f) && (v = json_object_get(f, key)))
      break;
  }
  while (v && dot) {
    const char *next = dot + 1;
    const char *end = name + len;
    dot = memchr(next, '.', (size_t)(end - next));
    size_t n = dot ? (size_t)(dot - next) : (size_t)(end - next);
    if (n >= sizeof(key))
      return NULL;
    memcpy(key, next, n);
    key[n] = '\0';
    v = json_is_object(v) ? json_object_get(v, key) : NULL;
  }
  return v;
}

static void format_number(struct buf *b, json_t *v)
{
  if (json_is_integer(v)) {
    buf_addf(b, "%lld", (long long)json_integer_value(v));
    return;
  }
  double d = json_real_value(v);
  char tmp[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
    if (strtod(tmp, NULL) == d)
      break;
  }
  buf_adds(b, tmp);
}

static int check_size(struct rstate *r)
{
  if (r->out->len > TPL_MAX_OUTPUT)
    return err_set(r->e, EX_DATAERR,
                   "template output is larger than the limit of %zu bytes",
                   TPL_MAX_OUTPUT);
  return 0;
}

static int render_nodes(struct rstate *r, const struct node *kids, size_t n);

static int push(struct rstate *r, json_t *v)
{
  if (r->sp == sizeof(r->stack) / sizeof(*r->stack))
    return err_set(r->e, EX_DATAERR, "sections nested too deeply");
  r->stack[r->sp++] = v;
  return 0;
}

/* Prefixes every non-empty line of src with indent. */
static void indent_source(struct buf *out, const char *src, size_t n,
                          const char *indent)
{
  bool bol = true;
  for (size_t i = 0; i < n; i++) {
    if (bol && src[i] != '\n')
      buf_adds(out, indent);
    buf_addc(out, src[i]);
    bol = src[i] == '\n';
  }
}

/* Renders partial or parent name; frame is the overrides to add (NULL for
 * a partial). */
static int render_partial(struct rstate *r, const struct node *n,
                          const struct frame *frame)
{
  struct buf src = BUF_INIT;
  struct tpl *own = NULL;
  const struct tpl *t = NULL;
  int rc = -1;
  if (r->depth >= TPL_MAX_DEPTH) {
    err_set(r->e, EX_DATAERR,
            "partials nested deeper than %d (does '%s' include itself?)",
            TPL_MAX_DEPTH, n->s);
    goto out;
  }
  int found = 0;
  if (r->parsed) {
    found = r->parsed(r->ud, n->s, n->indent ? n->indent : "", &t, r->e);
  } else if (r->load) {
    found = r->load(r->ud, n->s, &src, r->e);
    if (found > 0 && !(t = own = tpl_parse_partial(src.data, src.len, n->s,
                                                   n->indent, r->e)))
      found = -1;
  }
  if (found < 0)
    goto out;
  if (found == 0) {
    rc = 0;
    goto out;
  }
  const struct frame *saved = r->innermost;
  struct frame f;
  if (frame) {
    f = *frame;
    r->innermost = &f;
  }
  r->depth++;
  rc = render_nodes(r, t->root.kids, t->root.nkids);
  r->depth--;
  r->innermost = saved;
out:
  tpl_free(own);
  buf_release(&src);
  return rc;
}

struct tpl *tpl_parse_partial(const char *src, size_t len, const char *name,
                              const char *indent, struct err *e)
{
  if (!indent || !indent[0])
    return tpl_parse(src, len, name, e);
  struct buf ind = BUF_INIT;
  indent_source(&ind, src, len, indent);
  struct tpl *t = tpl_parse(ind.data, ind.len, name, e);
  buf_release(&ind);
  return t;
}

/* The override of block name: the outermost parent tag that defines it. */
static const struct node *find_override(const struct rstate *r,
                                        const struct node *block)
{
  const struct node *found = NULL;
  for (const struct frame *f = r->innermost; f; f = f->outer) {
    for (size_t i = 0; i < f->parent->nkids; i++) {
      const struct node *k = &f->parent->kids[i];
      if (k->kind == T_BLOCK && strcmp(k->s, block->s) == 0)
        found = k;
    }
  }
  return found;
}

/* Re-indents text: strips the indentation the block had where it was
 * written (drop) and adds the one it has where it is expanded (add). */
static void reindent(struct buf *out, const char *s, size_t n, const char *drop,
                     const char *add)
{
  size_t dl = strlen(drop);
  bool bol = true;
  for (size_t i = 0; i < n;) {
    if (bol && s[i] != '\n') {
      size_t k = 0;
      while (k < dl && i + k < n && s[i + k] == drop[k])
        k++;
      i += k;
      if (i < n && s[i] != '\n')
        buf_adds(out, add);
      bol = false;
      continue;
    }
    buf_addc(out, s[i]);
    bol = s[i] == '\n';
    i++;
  }
}

static int render_block_in(struct rstate *r, const struct node *n)
{
  const struct node *o = find_override(r, n);
  if (!o)
    return render_nodes(r, n->kids, n->nkids);
  if (!n->indent && !o->indent)
    return render_nodes(r, o->kids, o->nkids);
  struct buf *saved = r->out;
  struct buf tmp = BUF_INIT;
  r->out = &tmp;
  int rc = render_nodes(r, o->kids, o->nkids);
  r->out = saved;
  if (rc == 0) {
    size_t before = saved->len;
    reindent(saved, tmp.data, tmp.len, o->indent ? o->indent : "",
             n->indent ? n->indent : "");
    if (n->same_line && saved->len > before &&
        saved->data[saved->len - 1] != '\n')
      buf_addc(saved, '\n');
  }
  buf_release(&tmp);
  return rc;
}

static int render_block(struct rstate *r, const struct node *n)
{
  /* an override that contains its own block would expand forever */
  if (r->blocks >= TPL_MAX_DEPTH)
    return err_set(r->e, EX_DATAERR,
                   "blocks nested deeper than %d (does block '%s' contain "
                   "itself?)",
                   TPL_MAX_DEPTH, n->s);
  r->blocks++;
  int rc = render_block_in(r, n);
  r->blocks--;
  return rc;
}

static int render_nodes(struct rstate *r, const struct node *kids, size_t nk)
{
  for (size_t i = 0; i < nk; i++) {
    const struct node *n = &kids[i];
    json_t *v;
    switch (n->kind) {
    case T_ROOT:
      break;
    case T_TEXT:
      buf_add(r->out, n->s, n->len);
      break;
    case T_VAR:
      v = lookup(r, n->s, n->len);
      if (json_is_string(v)) {
        if (n->escape)
          r->esc(r->out, json_string_value(v), json_string_length(v));
        else
          buf_add(r->out, json_string_value(v), json_string_length(v));
      } else if (json_is_number(v)) {
        format_number(r->out, v);
      } else if (json_is_boolean(v)) {
        buf_adds(r->out, json_is_true(v) ? "true" : "false");
      }
      break;
    case T_SECTION:
      v = lookup(r, n->s, n->len);
      if (!truthy(v))
        break;
      if (json_is_array(v)) {
        size_t idx;
        json_t *item;
        json_array_foreach(v, idx, item)
        {
          if (push(r, item) < 0)
            return -1;
          int rc = render_nodes(r, n->kids, n->nkids);
          r->sp--;
          if (rc < 0 || check_size(r) < 0)
            return -1;
        }
      } else {
        if (push(r, v) < 0)
          return -1;
        int rc = render_nodes(r, n->kids, n->nkids);
        r->sp--;
        if (rc < 0)
          return -1;
      }
      break;
    case T_INVERTED:
      v = lookup(r, n->s, n->len);
      if (!truthy(v) && render_nodes(r, n->kids, n->nkids) < 0)
        return -1;
      break;
    case T_PARTIAL:
      if (render_partial(r, n, NULL) < 0)
        return -1;
      break;
    case T_PARENT: {
      struct frame f = {.parent = n, .outer = r->innermost};
      if (render_partial(r, n, &f) < 0)
        return -1;
      break;
    }
    case T_BLOCK:
      if (render_block(r, n) < 0)
        return -1;
      break;
    }
    if (check_size(r) < 0)
      return -1;
  }
  return 0;
}

/* Renders t with data from a state with its loader set. */
static int render_top(struct rstate *r, const struct tpl *t, json_t *data,
                      tpl_escape_fn esc, struct buf *out, struct err *e)
{
  r->esc = esc ? esc : tpl_escape_html;
  r->e = e;
  r->out = out;
  r->stack[r->sp++] = data;
  return render_nodes(r, t->root.kids, t->root.nkids);
}

int tpl_render(const struct tpl *t, json_t *data, tpl_load_fn load,
               void *load_ud, tpl_escape_fn esc, struct buf *out, struct err *e)
{
  struct rstate r = {.load = load, .ud = load_ud};
  return render_top(&r, t, data, esc, out, e);
}

int tpl_render_parsed(const struct tpl *t, json_t *data, tpl_parsed_fn parsed,
                      void *ud, tpl_escape_fn esc, struct buf *out,
                      struct err *e)
{
  struct rstate r = {.parsed = parsed, .ud = ud};
  return render_top(&r, t, data, esc, out, e);
}

void tpl_escape_html(struct buf *out, const char *s, size_t n)
{
  size_t run = 0; /* what needs no entity is copied at once */
  for (size_t i = 0; i < n; i++) {
    const char *ent;
    switch (s[i]) {
    case '&':
      ent = "&amp;";
      break;
    case '<':
      ent = "&lt;";
      break;
    case '>':
      ent = "&gt;";
      break;
    case '"':
      ent = "&quot;";
      break;
    case '\'':
      ent = "&#39;";
      break;
    default:
      continue;
    }
    buf_add(out, s + run, i - run);
    buf_adds(out, ent);
    run = i + 1;
  }
  buf_add(out, s + run, n - run);
}

void tpl_escape_none(struct buf *out, const char *s, size_t n)
{
  buf_add(out, s, n);
}

static bool is_alnum_byte(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || (unsigned char)c >= 0x80;
}

void tpl_escape_markdown(struct buf *out, const char *s, size_t n)
{
  size_t run = 0; /* what needs no backslash is copied at once */
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool bol = i == 0 || s[i - 1] == '\n';
    bool escape = false;
    switch (c) {
    case '\\':
    case '`':
    case '*':
    case '[':
    case ']':
    case '<':
    case '>':
    case '&':
    case '|':
    case '~':
      escape = true;
      break;
    case '_': /* inside a word, _ never starts emphasis */
      escape = i == 0 || i + 1 == n || !is_alnum_byte(s[i - 1]) ||
               !is_alnum_byte(s[i + 1]);
      break;
    case '#':
    case '+':
    case '-':
    case '=':
      escape = bol;
      break;
    default:
      break;
    }
    if (escape) {
      buf_add(out, s + run, i - run);
      buf_addc(out, '\\');
      run = i;
    }
  }
  buf_add(out, s + run, n - run);
}

#include "md.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

#include <cmark.h>

#include "util.h"
#include "xalloc.h"

void md_to_html(const char *markdown, size_t len, struct buf *out)
{
  /* Since cmark 0.29 safe mode is the default; CMARK_OPT_UNSAFE is never
   * passed here. */
  char *html = cmark_markdown_to_html(markdown, len, CMARK_OPT_DEFAULT);
  if (!html)
    abort();
  buf_adds(out, html);
  free(html);
}

/* ---- plain text ---- */

/* The state of a plain-text rendering. The prefix is what every line of
 * the current block starts with ("> " in a quote, spaces under a list
 * item); it is written when the line gets its first character. */
struct plain {
  struct buf *out;
  struct buf prefix;
  size_t *stack; /* prefix lengths to return to */
  size_t depth, cap;
  size_t links[8]; /* where the text of open links began */
  size_t nlinks;
  bool bol;     /* at the beginning of a line (prefix not yet written) */
  bool started; /* a block was written */
  bool blank;   /* a blank line is due before the next block */
  bool marked;  /* a list marker was written: the next block goes on */
  bool skip;    /* inside an inline <script> or <style>: no text */
  bool skipped; /* one ended just now: its spaces fold into one */
  char *href;   /* the target of an inline <a> that is open */
};

static void newline(struct plain *p)
{
  if (p->bol) { /* an empty line keeps the quote marks, not the spaces */
    size_t n = p->prefix.len;
    while (n && p->prefix.data[n - 1] == ' ')
      n--;
    buf_add(p->out, p->prefix.data, n);
  }
  size_t n = p->out->len; /* no trailing spaces ("- " of an empty item) */
  while (n && p->out->data[n - 1] == ' ')
    n--;
  buf_truncate(p->out, n);
  buf_addc(p->out, '\n');
  p->bol = true;
}

static void put(struct plain *p, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n') {
      newline(p);
      continue;
    }
    if (p->bol) {
      buf_add(p->out, p->prefix.data, p->prefix.len);
      p->bol = false;
    }
    buf_addc(p->out, s[i]);
  }
}

static void puts_(struct plain *p, const char *s)
{
  put(p, s, strlen(s));
}

/* Adds s to the prefix; mark: also to the line already begun (a quote
 * that opens on a list item's line). */
static void push(struct plain *p, const char *s, bool mark)
{
  p->stack = xgrow(p->stack, &p->cap, p->depth + 1, sizeof(*p->stack));
  p->stack[p->depth++] = p->prefix.len;
  buf_adds(&p->prefix, s);
  if (mark && !p->bol)
    buf_adds(p->out, s);
}

static void pop(struct plain *p)
{
  if (p->depth)
    buf_truncate(&p->prefix, p->stack[--p->depth]);
}

static void block_start(struct plain *p)
{
  if (p->marked) {
    p->marked = false;
    return;
  }
  if (!p->bol)
    newline(p);
  if (p->blank && p->started)
    newline(p);
  p->blank = false;
}

static void block_end(struct plain *p, bool blank)
{
  if (p->marked) { /* an empty list item */
    p->marked = false;
    newline(p);
  }
  if (!p->bol)
    newline(p);
  p->blank = blank;
  p->started = true;
}

/* ---- raw HTML as text ---- */

/* Appends the UTF-8 of code point cp. */
static void utf8_put(struct buf *b, unsigned long cp)
{
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    cp = 0xFFFD;
  if (cp < 0x80) {
    buf_addc(b, (char)cp);
  } else if (cp < 0x800) {
    buf_addc(b, (char)(0xC0 | (cp >> 6)));
    buf_addc(b, (char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    buf_addc(b, (char)(0xE0 | (cp >> 12)));
    buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
    buf_addc(b, (char)(0x80 | (cp & 0x3F)));
  } else {
    buf_addc(b, (char)(0xF0 | (cp >> 18)));
    buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
    buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
    buf_addc(b, (char)(0x80 | (cp & 0x3F)));
  }
}

/* Decodes the entity at s (after '&'); returns its length (without '&')
 * or 0 when it is none crier knows. */
static size_t entity(const char *s, size_t n, struct buf *out)
{
  static const struct {
    const char *name;
    const char *text;
  } named[] = {
      {"amp;", "&"},        {"lt;", "<"},         {"gt;", ">"},
      {"quot;", "\""},      {"apos;", "'"},       {"nbsp;", " "},
      {"ndash;", "\u2013"}, {"mdash;", "\u2014"}, {"hellip;", "\u2026"}};
  for (size_t i = 0; i < sizeof(named) / sizeof(*named); i++) {
    size_t l = strlen(named[i].name);
    if (n >= l && memcmp(s, named[i].name, l) == 0) {
      buf_adds(out, named[i].text);
      return l;
    }
  }
  if (n >= 3 && s[0] == '#') {
    bool hex = s[1] == 'x' || s[1] == 'X';
    size_t i = hex ? 2 : 1;
    unsigned long cp = 0;
    size_t digits = 0;
    while (i < n && digits < 8 &&
           (hex ? strchr("0123456789abcdefABCDEF", s[i]) != NULL
                : (s[i] >= '0' && s[i] <= '9')) &&
           s[i]) {
      char c = s[i];
      cp = cp * (hex ? 16 : 10) +
           (unsigned long)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
      i++;
      digits++;
    }
    if (digits && i < n && s[i] == ';') {
      utf8_put(out, cp);
      return i + 1;
    }
  }
  return 0;
}

/* The value of attribute name in the tag tag[0..n), or NULL (caller
 * frees). */
static char *attr(const char *tag, size_t n, const char *name)
{
  size_t nl = strlen(name);
  for (size_t i = 1; i + nl + 1 < n; i++) {
    if ((tag[i - 1] != ' ' && tag[i - 1] != '\t' && tag[i - 1] != '\n') ||
        strncasecmp(tag + i, name, nl) != 0 || tag[i + nl] != '=')
      continue;
    size_t v = i + nl + 1, e;
    char q = tag[v];
    if (q == '"' || q == '\'') {
      v++;
      for (e = v; e < n && tag[e] != q; e++)
        ;
    } else {
      for (e = v; e < n && tag[e] != ' ' && tag[e] != '>'; e++)
        ;
    }
    return xstrndup(tag + v, e - v);
  }
  return NULL;
}

/* The tag's name, lower case, into name (at most 15 bytes); closing: it
 * starts with "</". */
static void tag_name(const char *tag, size_t n, char name[16], bool *closing)
{
  size_t i = 1, k = 0;
  *closing = i < n && tag[i] == '/';
  if (*closing)
    i++;
  while (i < n && k < 15 &&
         ((tag[i] >= 'a' && tag[i] <= 'z') ||
          (tag[i] >= 'A' && tag[i] <= 'Z') || (tag[i] >= '0' && tag[i] <= '9')))
    name[k++] = (char)(tag[i++] | 0x20);
  name[k] = '\0';
}

static bool block_tag(const char *name)
{
  static const char *const v[] = {
      "p",      "div",   "br",         "li",      "tr",      "h1",
      "h2",     "h3",    "h4",         "h5",      "h6",      "ul",
      "ol",     "table", "blockquote", "section", "article", "header",
      "footer", "dd",    "dt",         "pre",     "hr"};
  for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++)
    if (strcmp(v[i], name) == 0)
      return true;
  return false;
}

static bool url_shown(const char *url);
static void put(struct plain *p, const char *s, size_t n);

/* One tag of raw HTML: what it means in text. */
static void html_tag(struct plain *p, const char *tag, size_t n,
                     struct buf *text)
{
  char name[16];
  bool closing;
  tag_name(tag, n, name, &closing);
  if (strcmp(name, "script") == 0 || strcmp(name, "style") == 0) {
    p->skip = !closing;
    p->skipped = closing;
  } else if (strcmp(name, "a") == 0 && !closing) {
    free(p->href);
    p->href = attr(tag, n, "href");
  } else if (strcmp(name, "a") == 0 && p->href) {
    if (url_shown(p->href))
      buf_addf(text, " <%s>", p->href);
    free(p->href);
    p->href = NULL;
  } else if (strcmp(name, "img") == 0) {
    char *alt = attr(tag, n, "alt");
    if (alt)
      buf_adds(text, alt);
    free(alt);
  } else if (block_tag(name)) {
    if (text->len && text->data[text->len - 1] != '\n')
      buf_addc(text, '\n');
    if (strcmp(name, "li") == 0 && !closing)
      buf_adds(text, "- ");
  }
}

/* Raw HTML as text: tags dropped (block ones end a line, links keep
 * their target, images their alt text), entities decoded, white space
 * folded, scripts, styles and comments dropped. */
static void html_text(struct plain *p, const char *h, size_t n)
{
  struct buf text = BUF_INIT;
  bool space = false;
  for (size_t i = 0; i < n;) {
    if (h[i] == '<') {
      size_t e = i + 1;
      if (n - i >= 4 && memcmp(h + i, "<!--", 4) == 0) {
        const char *end = NULL;
        for (size_t k = i + 4; k + 3 <= n && !end; k++)
          if (memcmp(h + k, "-->", 3) == 0)
            end = h + k + 3;
        i = end ? (size_t)(end - h) : n;
        continue;
      }
      while (e < n && h[e] != '>')
        e++;
      size_t before = text.len;
      html_tag(p, h + i, e - i, &text);
      if (text.len > before) {
        char first = text.data[before];
        if (space && before && text.data[before - 1] != '\n' && first != '\n' &&
            first != ' ') {
          /* the space before an image's text */
          struct buf added = BUF_INIT;
          buf_add(&added, text.data + before, text.len - before);
          buf_truncate(&text, before);
          buf_addc(&text, ' ');
          buf_add(&text, added.data, added.len);
          buf_release(&added);
        }
        space = false; /* what a tag wrote ends its white space */
      }
      i = e < n ? e + 1 : n;
      continue;
    }
    if (p->skip) {
      i++;
      continue;
    }
    if (h[i] == ' ' || h[i] == '\t' || h[i] == '\n' || h[i] == '\r') {
      space = true;
      i++;
      continue;
    }
    if (space && text.len && text.data[text.len - 1] != '\n')
      buf_addc(&text, ' ');
    space = false;
    size_t el;
    if (h[i] == '&' && (el = entity(h + i + 1, n - i - 1, &text))) {
      i += el + 1;
      continue;
    }
    buf_addc(&text, h[i++]);
  }
  while (text.len && text.data[text.len - 1] == '\n')
    buf_truncate(&text, text.len - 1);
  put(p, text.data, text.len);
  buf_release(&text);
}

static bool tight_item(cmark_node *n)
{
  cmark_node *item = cmark_node_parent(n);
  cmark_node *list = item ? cmark_node_parent(item) : NULL;
  return item && list && cmark_node_get_type(item) == CMARK_NODE_ITEM &&
         cmark_node_get_list_tight(list);
}

/* URLs that cmark's safe mode empties are not shown either. */
static bool url_shown(const char *url)
{
  static const char *const bad[] = {
      "javascript:", "vbscript:", "file:", "data:"};
  if (!url || !*url)
    return false;
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    if (strncasecmp(url, bad[i], strlen(bad[i])) == 0)
      return false;
  return true;
}

static void link_end(struct plain *p, cmark_node *n)
{
  if (!p->nlinks || --p->nlinks >= sizeof(p->links) / sizeof(*p->links))
    return;
  size_t start = p->links[p->nlinks];
  const char *url = cmark_node_get_url(n);
  if (!url_shown(url))
    return;
  const char *text = p->out->data + start;
  size_t tl = p->out->len - start;
  if ((strlen(url) == tl && memcmp(url, text, tl) == 0) ||
      (strncmp(url, "mailto:", 7) == 0 && strlen(url + 7) == tl &&
       memcmp(url + 7, text, tl) == 0))
    return; /* <https://…>: the text is the address */
  puts_(p, tl ? " <" : "<");
  puts_(p, url);
  puts_(p, ">");
}

/* Underlines the heading just written (levels 1 and 2). */
static void underline(struct plain *p, int level)
{
  const char *line = p->out->data;
  const char *nl = strrchr(line, '\n');
  if (nl)
    line = nl + 1;
  if (strncmp(line, p->prefix.data, p->prefix.len) == 0)
    line += p->prefix.len;
  size_t chars = 0;
  for (const unsigned char *c = (const unsigned char *)line; *c; c++)
    chars += (*c & 0xC0) != 0x80;
  newline(p);
  for (size_t i = 0; i < chars; i++)
    puts_(p, level == 1 ? "=" : "-");
}

static void enter(struct plain *p, cmark_node *n)
{
  switch (cmark_node_get_type(n)) {
  case CMARK_NODE_PARAGRAPH:
  case CMARK_NODE_HEADING:
    block_start(p);
    break;
  case CMARK_NODE_BLOCK_QUOTE: {
    bool marked = p->marked; /* its first block goes on the item's line */
    block_start(p);
    push(p, "> ", true);
    p->marked = marked;
    break;
  }
  case CMARK_NODE_LIST: {
    bool marked = p->marked;
    block_start(p);
    p->marked = marked;
    break;
  }
  case CMARK_NODE_ITEM: {
    cmark_node *list = cmark_node_parent(n);
    block_start(p);
    char marker[32] = "- ";
    if (cmark_node_get_list_type(list) == CMARK_ORDERED_LIST) {
      int k = cmark_node_get_list_start(list);
      for (cmark_node *s = cmark_node_previous(n); s;
           s = cmark_node_previous(s))
        k++;
      snprintf(marker, sizeof(marker), "%d. ", k);
    }
    puts_(p, marker);
    char pad[32];
    size_t w = strlen(marker);
    memset(pad, ' ', w);
    pad[w] = '\0';
    push(p, pad, false);
    p->marked = true;
    break;
  }
  case CMARK_NODE_CODE_BLOCK: {
    block_start(p);
    push(p, "    ", true);
    const char *s = cmark_node_get_literal(n);
    size_t len = s ? strlen(s) : 0;
    while (len && s[len - 1] == '\n')
      len--;
    put(p, s ? s : "", len);
    pop(p);
    block_end(p, true);
    break;
  }
  case CMARK_NODE_THEMATIC_BREAK:
    block_start(p);
    puts_(p, "----");
    block_end(p, true);
    break;
  case CMARK_NODE_TEXT:
  case CMARK_NODE_CODE:
    if (!p->skip) {
      const char *t =
          cmark_node_get_literal(n) ? cmark_node_get_literal(n) : "";
      if (p->skipped && p->out->len && p->out->data[p->out->len - 1] == ' ')
        while (*t == ' ')
          t++;
      puts_(p, t);
    }
    p->skipped = false;
    break;
  case CMARK_NODE_HTML_BLOCK: {
    const char *h = cmark_node_get_literal(n);
    block_start(p);
    size_t before = p->out->len;
    html_text(p, h ? h : "", h ? strlen(h) : 0);
    p->skip = false;
    if (p->out->len > before)
      block_end(p, true);
    break;
  }
  case CMARK_NODE_HTML_INLINE: {
    const char *h = cmark_node_get_literal(n);
    html_text(p, h ? h : "", h ? strlen(h) : 0);
    break;
  }
  case CMARK_NODE_SOFTBREAK:
  case CMARK_NODE_LINEBREAK:
    puts_(p, "\n");
    break;
  case CMARK_NODE_LINK:
  case CMARK_NODE_IMAGE:
    if (p->bol) { /* the prefix goes before the link's text */
      buf_add(p->out, p->prefix.data, p->prefix.len);
      p->bol = false;
    }
    if (p->nlinks < sizeof(p->links) / sizeof(*p->links))
      p->links[p->nlinks] = p->out->len;
    p->nlinks++;
    break;
  default:
    break;
  }
}

static void leave(struct plain *p, cmark_node *n)
{
  switch (cmark_node_get_type(n)) {
  case CMARK_NODE_PARAGRAPH:
    block_end(p, !tight_item(n));
    break;
  case CMARK_NODE_HEADING:
    if (cmark_node_get_heading_level(n) <= 2)
      underline(p, cmark_node_get_heading_level(n));
    block_end(p, true);
    break;
  case CMARK_NODE_BLOCK_QUOTE:
    pop(p);
    block_end(p, true);
    break;
  case CMARK_NODE_ITEM:
    pop(p);
    block_end(p, !cmark_node_get_list_tight(cmark_node_parent(n)));
    break;
  case CMARK_NODE_LIST:
    block_end(p, true);
    break;
  case CMARK_NODE_LINK:
  case CMARK_NODE_IMAGE:
    link_end(p, n);
    break;
  default:
    break;
  }
}

void md_to_text(const char *markdown, size_t len, struct buf *out)
{
  cmark_node *doc = cmark_parse_document(markdown, len, CMARK_OPT_DEFAULT);
  if (!doc)
    abort();
  struct buf text = BUF_INIT;
  struct plain p = {.out = &text, .prefix = BUF_INIT, .bol = true};
  cmark_iter *it = cmark_iter_new(doc);
  cmark_event_type ev;
  while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
    cmark_node *n = cmark_iter_get_node(it);
    if (ev == CMARK_EVENT_ENTER)
      enter(&p, n);
    else if (ev == CMARK_EVENT_EXIT) /* leaves have none */
      leave(&p, n);
  }
  cmark_iter_free(it);
  cmark_node_free(doc);
  buf_rtrim(&text);
  buf_add(out, text.data, text.len);
  buf_addc(out, '\n');
  buf_release(&text);
  buf_release(&p.prefix);
  free(p.stack);
  free(p.href);
}

/* Folds white space (newlines included) to single spaces and trims. */
void md_one_line(struct buf *b)
{
  size_t w = 0;
  bool space = true;
  for (size_t i = 0; i < b->len; i++) {
    char c = b->data[i];
    bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (ws) {
      if (!space)
        b->data[w++] = ' ';
      space = true;
    } else {
      b->data[w++] = c;
      space = false;
    }
  }
  while (w && b->data[w - 1] == ' ')
    w--;
  buf_truncate(b, w);
}

/* Trims trailing white space of every line (outside code fences), drops
 * blank lines at the start and runs of blank lines beyond one (templates
 * with sections leave them), and ends with exactly one newline. */
void md_tidy(struct buf *b)
{
  struct buf out = BUF_INIT;
  bool fence = false, pending_blank = false;
  if (b->len)
    buf_grow(&out, b->len + 1); /* never longer than b and a line end */
  for (size_t i = 0; i < b->len;) {
    const char *nl = memchr(b->data + i, '\n', b->len - i);
    size_t eol = nl ? (size_t)(nl - b->data) : b->len;
    const char *line = b->data + i;
    size_t n = eol - i;
    bool toggles =
        n >= 3 && (memcmp(line, "```", 3) == 0 || memcmp(line, "~~~", 3) == 0);
    if (!fence)
      while (n &&
             (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
        n--;
    if (n == 0 && !fence) {
      pending_blank = out.len > 0;
    } else {
      if (pending_blank)
        buf_addc(&out, '\n');
      pending_blank = false;
      buf_add(&out, line, n);
      buf_addc(&out, '\n');
    }
    if (toggles)
      fence = !fence;
    i = eol + 1;
  }
  buf_release(b);
  *b = out;
}

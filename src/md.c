#include "md.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
  bool bol;      /* at the beginning of a line (prefix not yet written) */
  bool started;  /* a block was written */
  bool blank;    /* a blank line is due before the next block */
  bool marked;   /* a list marker was written: the next block goes on */
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
  static const char *const bad[] = {"javascript:", "vbscript:", "file:",
                                    "data:"};
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
    puts_(p, cmark_node_get_literal(n) ? cmark_node_get_literal(n) : "");
    break;
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
  default: /* raw HTML is dropped, as in the HTML part */
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
}

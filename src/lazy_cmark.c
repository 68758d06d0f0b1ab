/* libcmark, opened when a text is first turned into HTML or plain text
 * (lazy.h): a cron run with nothing to send and `crier check` on a site
 * without Markdown to render never load it. */
#include "lazy.h"

#include <stddef.h>

#include <cmark.h>

#define CMARK_FUNCS(X)                                                         \
  X(cmark_markdown_to_html)                                                    \
  X(cmark_parse_document)                                                      \
  X(cmark_node_free)                                                           \
  X(cmark_node_previous)                                                       \
  X(cmark_node_parent)                                                         \
  X(cmark_node_get_type)                                                       \
  X(cmark_node_get_literal)                                                    \
  X(cmark_node_get_heading_level)                                              \
  X(cmark_node_get_list_type)                                                  \
  X(cmark_node_get_list_start)                                                 \
  X(cmark_node_get_list_tight)                                                 \
  X(cmark_node_get_url)                                                        \
  X(cmark_iter_new)                                                            \
  X(cmark_iter_free)                                                           \
  X(cmark_iter_next)                                                           \
  X(cmark_iter_get_node)

LAZY_DEFINE(lazy_cmark_spec, CRIER_SONAME_CMARK,
            "needed to turn Markdown into HTML and plain text", CMARK_FUNCS);
#define FN(f) LAZY_FN(LAZY_CMARK, f)

char *cmark_markdown_to_html(const char *text, size_t len, int options)
{
  return FN(cmark_markdown_to_html)(text, len, options);
}

cmark_node *cmark_parse_document(const char *buffer, size_t len, int options)
{
  return FN(cmark_parse_document)(buffer, len, options);
}

void cmark_node_free(cmark_node *node)
{
  FN(cmark_node_free)(node);
}

cmark_node *cmark_node_previous(cmark_node *node)
{
  return FN(cmark_node_previous)(node);
}

cmark_node *cmark_node_parent(cmark_node *node)
{
  return FN(cmark_node_parent)(node);
}

cmark_node_type cmark_node_get_type(cmark_node *node)
{
  return FN(cmark_node_get_type)(node);
}

const char *cmark_node_get_literal(cmark_node *node)
{
  return FN(cmark_node_get_literal)(node);
}

int cmark_node_get_heading_level(cmark_node *node)
{
  return FN(cmark_node_get_heading_level)(node);
}

cmark_list_type cmark_node_get_list_type(cmark_node *node)
{
  return FN(cmark_node_get_list_type)(node);
}

int cmark_node_get_list_start(cmark_node *node)
{
  return FN(cmark_node_get_list_start)(node);
}

int cmark_node_get_list_tight(cmark_node *node)
{
  return FN(cmark_node_get_list_tight)(node);
}

const char *cmark_node_get_url(cmark_node *node)
{
  return FN(cmark_node_get_url)(node);
}

cmark_iter *cmark_iter_new(cmark_node *root)
{
  return FN(cmark_iter_new)(root);
}

void cmark_iter_free(cmark_iter *iter)
{
  FN(cmark_iter_free)(iter);
}

cmark_event_type cmark_iter_next(cmark_iter *iter)
{
  return FN(cmark_iter_next)(iter);
}

cmark_node *cmark_iter_get_node(cmark_iter *iter)
{
  return FN(cmark_iter_get_node)(iter);
}

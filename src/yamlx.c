#include "yamlx.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "util.h"
#include "yamlfast.h"
#include "xalloc.h"

struct pstate {
  yaml_parser_t parser;
  const char *file;
  int off;
  struct diags *d;
};

#define perr(p, line, ...)                                                     \
  diag_add((p)->d, DIAG_ERROR, (p)->file, (line) + (p)->off, __VA_ARGS__)

static int next_event(struct pstate *p, yaml_event_t *ev)
{
  if (!yaml_parser_parse(&p->parser, ev)) {
    int line = (int)p->parser.problem_mark.line + 1;
    if (p->parser.problem_mark.line == 0 && p->parser.context_mark.line)
      line = (int)p->parser.context_mark.line + 1;
    return diag_add(p->d, DIAG_ERROR, p->file, line + p->off,
                    "invalid YAML: %s%s%s",
                    p->parser.problem ? p->parser.problem : "syntax error",
                    p->parser.context ? " " : "",
                    p->parser.context ? p->parser.context : "");
  }
  return 0;
}

void ynode_release(struct ynode *n)
{
  free(n->str);
  for (size_t i = 0; i < n->n; i++) {
    if (n->keys)
      ynode_release(&n->keys[i]);
    ynode_release(&n->items[i]);
  }
  free(n->keys);
  free(n->items);
}

void ychunks_free(struct ychunk *c)
{
  while (c) {
    struct ychunk *next = c->next;
    free(c);
    c = next;
  }
}

void ynode_free(struct ynode *n)
{
  if (!n)
    return;
  struct ytree *t = (struct ytree *)n; /* every tree is its root */
  if (t->chunks)
    ychunks_free(t->chunks);
  else
    ynode_release(n);
  free(t);
}

static int parse_node(struct pstate *p, yaml_event_t *ev, struct ynode *out,
                      int depth);

static int parse_collection(struct pstate *p, struct ynode *out, bool map,
                            int depth)
{
  size_t cap = 0, kcap = 0;
  for (;;) {
    yaml_event_t ev;
    if (next_event(p, &ev) < 0)
      return -1;
    if (ev.type == YAML_SEQUENCE_END_EVENT ||
        ev.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete(&ev);
      return 0;
    }
    struct ynode key = {0};
    if (map) {
      if (ev.type != YAML_SCALAR_EVENT) {
        int line = (int)ev.start_mark.line + 1;
        yaml_event_type_t t = ev.type;
        yaml_event_delete(&ev);
        if (t == YAML_ALIAS_EVENT)
          return perr(p, line, "YAML aliases are not supported");
        return perr(p, line, "a map key must be a plain string");
      }
      if (parse_node(p, &ev, &key, depth) < 0) {
        ynode_release(&key); /* a key with a NUL has its string already */
        return -1;
      }
      for (size_t i = 0; i < out->n; i++) {
        if (strcmp(out->keys[i].str, key.str) == 0) {
          int line = key.line;
          char *k = key.str;
          int rc = diag_add(p->d, DIAG_ERROR, p->file, line,
                            "duplicate key '%s' (first on line %d)", k,
                            out->keys[i].line);
          ynode_release(&key);
          return rc;
        }
      }
      if (next_event(p, &ev) < 0) {
        ynode_release(&key);
        return -1;
      }
    }
    struct ynode val = {0};
    if (parse_node(p, &ev, &val, depth) < 0) {
      ynode_release(&key);
      ynode_release(&val); /* what it had read before the error */
      return -1;
    }
    out->items = xgrow(out->items, &cap, out->n + 1, sizeof(*out->items));
    if (map)
      out->keys = xgrow(out->keys, &kcap, out->n + 1, sizeof(*out->keys));
    out->items[out->n] = val;
    if (map)
      out->keys[out->n] = key;
    out->n++;
  }
}

/* Consumes ev (deletes it) and everything belonging to the node it starts. */
static int parse_node(struct pstate *p, yaml_event_t *ev, struct ynode *out,
                      int depth)
{
  int line = (int)ev->start_mark.line + 1;
  memset(out, 0, sizeof(*out));
  out->line = line + p->off;
  const yaml_char_t *anchor = NULL;
  switch (ev->type) {
  case YAML_SCALAR_EVENT:
    anchor = ev->data.scalar.anchor;
    break;
  case YAML_SEQUENCE_START_EVENT:
    anchor = ev->data.sequence_start.anchor;
    break;
  case YAML_MAPPING_START_EVENT:
    anchor = ev->data.mapping_start.anchor;
    break;
  case YAML_ALIAS_EVENT:
    yaml_event_delete(ev);
    return perr(p, line, "YAML aliases are not supported");
  default:
    yaml_event_delete(ev);
    return perr(p, line, "unexpected YAML structure");
  }
  if (anchor) {
    yaml_event_delete(ev);
    return perr(p, line, "YAML anchors are not supported");
  }
  if (ev->type == YAML_SCALAR_EVENT) {
    out->kind = Y_STR;
    out->str =
        xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
    out->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (strlen(out->str) != ev->data.scalar.length) {
      yaml_event_delete(ev);
      return perr(p, line, "NUL character in a string");
    }
    yaml_event_delete(ev);
    return 0;
  }
  bool map = ev->type == YAML_MAPPING_START_EVENT;
  yaml_event_delete(ev);
  out->kind = map ? Y_MAP : Y_SEQ;
  if (depth >= YAMLX_MAX_DEPTH)
    return perr(p, line, "nesting deeper than the limit of %d levels",
                YAMLX_MAX_DEPTH);
  return parse_collection(p, out, map, depth + 1);
}

struct ynode *yamlx_parse_libyaml(const char *text, size_t len,
                                  const char *file, int line_offset,
                                  struct diags *d)
{
  struct pstate p = {.file = file, .off = line_offset, .d = d};
  struct ytree *tree = xcalloc(1, sizeof(*tree));
  struct ynode *root = &tree->root;
  yaml_event_t ev;
  bool ok = false, have_doc = false;
  yaml_parser_initialize(&p.parser);
  yaml_parser_set_input_string(&p.parser, (const unsigned char *)text, len);
  yaml_parser_set_encoding(&p.parser, YAML_UTF8_ENCODING);
  for (;;) {
    if (next_event(&p, &ev) < 0)
      goto out;
    yaml_event_type_t t = ev.type;
    if (t == YAML_STREAM_END_EVENT) {
      yaml_event_delete(&ev);
      break;
    }
    if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_END_EVENT) {
      yaml_event_delete(&ev);
      continue;
    }
    if (t == YAML_DOCUMENT_START_EVENT) {
      int line = (int)ev.start_mark.line + 1;
      yaml_event_delete(&ev);
      if (have_doc) {
        perr(&p, line, "more than one YAML document");
        goto out;
      }
      have_doc = true;
      continue;
    }
    if (parse_node(&p, &ev, root, 0) < 0)
      goto out;
  }
  if (!have_doc || (root->kind == Y_STR && ynode_is_null(root))) {
    ynode_release(root);
    memset(root, 0, sizeof(*root));
    root->kind = Y_MAP;
    root->line = 1 + line_offset;
  }
  ok = true;
out:
  yaml_parser_delete(&p.parser);
  if (!ok) {
    ynode_free(root);
    return NULL;
  }
  return root;
}

struct ynode *yamlx_parse(const char *text, size_t len, const char *file,
                          int line_offset, struct diags *d)
{
  struct ynode *root = yamlfast_parse(text, len, line_offset);
  if (root)
    return root;
  return yamlx_parse_libyaml(text, len, file, line_offset, d);
}

bool ynode_equal(const struct ynode *a, const struct ynode *b)
{
  if (a->kind != b->kind || a->line != b->line || a->plain != b->plain ||
      a->n != b->n || !a->str != !b->str || (!a->keys != !b->keys) ||
      (!a->items != !b->items))
    return false;
  if (a->str && strcmp(a->str, b->str) != 0)
    return false;
  for (size_t i = 0; i < a->n; i++) {
    if (a->keys && !ynode_equal(&a->keys[i], &b->keys[i]))
      return false;
    if (!ynode_equal(&a->items[i], &b->items[i]))
      return false;
  }
  return true;
}

struct ynode *yamlx_load_file(const char *path, struct diags *d)
{
  struct buf text = BUF_INIT;
  struct ynode *root = NULL;
  struct err e;
  int line;
  const char *why;
  if (file_read(path, FILE_MAX, &text, &e) < 0)
    diag_add(d, DIAG_ERROR, NULL, 0, "%s", e.msg);
  else if (utf8_check(text.data, text.len, &line, &why) < 0)
    diag_add(d, DIAG_ERROR, path, line, "%s", why);
  else
    root = yamlx_parse(text.data, text.len, path, 0, d);
  buf_release(&text);
  return root;
}

const struct ynode *ymap_get(const struct ynode *map, const char *key)
{
  if (!map || map->kind != Y_MAP)
    return NULL;
  for (size_t i = 0; i < map->n; i++)
    if (strcmp(map->keys[i].str, key) == 0)
      return &map->items[i];
  return NULL;
}

const struct ynode *ypath_get(const struct ynode *map, const char *path)
{
  const struct ynode *n = map;
  const char *p = path;
  for (;;) {
    size_t seg = strcspn(p, ".");
    if (!n || n->kind != Y_MAP)
      return NULL;
    const struct ynode *next = NULL;
    for (size_t i = 0; i < n->n && !next; i++)
      if (strlen(n->keys[i].str) == seg && memcmp(n->keys[i].str, p, seg) == 0)
        next = &n->items[i];
    if (!next || !p[seg])
      return next;
    n = next;
    p += seg + 1;
  }
}

bool ynode_is_null(const struct ynode *n)
{
  return n && n->kind == Y_STR && n->plain &&
         (!n->str[0] || strcmp(n->str, "~") == 0 ||
          strcasecmp(n->str, "null") == 0);
}

bool ynode_bool(const struct ynode *n, bool *b)
{
  if (!n || n->kind != Y_STR || !n->plain)
    return false;
  if (strcasecmp(n->str, "true") == 0 || strcasecmp(n->str, "yes") == 0) {
    *b = true;
    return true;
  }
  if (strcasecmp(n->str, "false") == 0 || strcasecmp(n->str, "no") == 0) {
    *b = false;
    return true;
  }
  return false;
}

const char *ykind_name(enum ykind k)
{
  switch (k) {
  case Y_STR:
    return "a string";
  case Y_MAP:
    return "a map";
  case Y_SEQ:
    return "a list";
  }
  return "?";
}

#ifndef CRIER_YAMLFAST_H
#define CRIER_YAMLFAST_H
/*
 * Private to yamlx.c and its tests: the two readers behind yamlx_parse.
 *
 * yamlfast_parse reads the block YAML that front matter, crier.yaml,
 * locations and language files are written in (block maps and lists,
 * plain, quoted and block scalars, simple flow collections) without
 * libyaml. It builds exactly the tree the libyaml reader would, or
 * declines: it never reports an error, and anything it is not sure of
 * (anchors, tags, directives, tabs, complex keys, more than one document,
 * duplicate keys, NUL, nesting past YAMLX_MAX_DEPTH, CR, odd folding,
 * anything libyaml would refuse) is left to yamlx_parse_libyaml, which
 * reports as before. fuzz/fuzz_yaml.c checks that the two agree.
 */
#include <stdbool.h>
#include <stddef.h>

#include "yamlx.h"

/* Reads text as yamlx_parse does. Returns the tree, or NULL when it
 * declines (nothing is reported). */
struct ynode *yamlfast_parse(const char *text, size_t len, int line_offset);

/* yamlx_parse through libyaml alone. */
struct ynode *yamlx_parse_libyaml(const char *text, size_t len,
                                  const char *file, int line_offset,
                                  struct diags *d);

/* Frees what a node of libyaml's trees holds, not the node itself. */
void ynode_release(struct ynode *n);

/* Every tree is handed out as the root of one of these. yamlfast's trees
 * take their strings and arrays from chunks that go together (a front
 * matter's tree was some forty allocations, each freed alone);
 * libyaml's have no chunks and are freed node by node. ynode_free takes
 * either by its root. */
struct ychunk {
  struct ychunk *next; /* the one taken before */
  size_t used, cap;    /* bytes after the header */
};
struct ytree {
  struct ynode root; /* first: the tree is &root */
  struct ychunk *chunks;
};
/* Frees a list of chunks (next first in each). */
void ychunks_free(struct ychunk *c);

/* Two trees alike in every field (kind, line, plain, string bytes, key
 * order, entries). */
bool ynode_equal(const struct ynode *a, const struct ynode *b);

#endif

#ifndef CRIER_YAMLX_H
#define CRIER_YAMLX_H
/*
 * YAML documents as a tree of strings, maps and lists, each node carrying
 * its line number. Scalars stay strings (no implicit typing): the reader of
 * a field decides what it means. Anchors, aliases, more than one document,
 * non-scalar keys, duplicate keys, and nesting deeper than YAMLX_MAX_DEPTH
 * are refused. A tree owns all of its nodes and strings. The common
 * shapes are read by a reader of crier's own, everything else by libyaml,
 * to the same tree (yamlfast.h).
 */
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define YAMLX_MAX_DEPTH 32

enum ykind { Y_STR, Y_MAP, Y_SEQ };

struct ynode {
  enum ykind kind;
  int line;            /* 1-based line in the file */
  bool plain;          /* a scalar written without quotes or block style */
  char *str;           /* Y_STR: the value, NUL-terminated */
  size_t n;            /* Y_MAP, Y_SEQ: number of entries */
  struct ynode *keys;  /* Y_MAP: the keys (Y_STR nodes) */
  struct ynode *items; /* Y_MAP: the values; Y_SEQ: the elements */
};

/* Parses text (len bytes) as one YAML document. line_offset is added to
 * every line (for front matter inside a larger file). An empty document is
 * an empty map. Returns a tree (free with ynode_free) or NULL after adding
 * an error that names file and line to d. */
struct ynode *yamlx_parse(const char *text, size_t len, const char *file,
                          int line_offset, struct diags *d);

/* Reads the file at path (at most FILE_MAX bytes, valid UTF-8) and parses
 * it as above. NULL after adding an error to d. */
struct ynode *yamlx_load_file(const char *path, struct diags *d);

/* Frees a tree yamlx_parse or yamlx_load_file returned, by its root (no
 * other node: the tree's memory is kept with the root). NULL is nothing. */
void ynode_free(struct ynode *n);

/* The value under key in a map, or NULL (borrowed). */
const struct ynode *ymap_get(const struct ynode *map, const char *key);
/* The value at a dotted path ("event.date": the key "date" of the map
 * under "event"), or NULL when a step is missing or not a map
 * (borrowed). */
const struct ynode *ypath_get(const struct ynode *map, const char *path);
/* A plain scalar that is empty, "~" or "null". */
bool ynode_is_null(const struct ynode *n);
/* A plain scalar "true"/"false" (any case): sets *b and returns true. */
bool ynode_bool(const struct ynode *n, bool *b);
/* Name of a kind for messages ("a string", "a map", "a list"). */
const char *ykind_name(enum ykind k);

#endif

/* Fuzz target: the YAML loader (front matter, config and locations all go
 * through it), and a differential check of its two readers: whenever the
 * fast reader (yamlfast.c) accepts an input, libyaml's reader must accept
 * it too and build the same tree, field for field. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "yamlfast.h"
#include "yamlx.h"

static void dump(const struct ynode *n, int depth)
{
  static const char *kinds[] = {"str", "map", "seq"};
  fprintf(stderr, "%*s%s line %d%s", depth * 2, "", kinds[n->kind], n->line,
          n->plain ? " plain" : "");
  if (n->str)
    fprintf(stderr, " \"%s\"", n->str);
  fprintf(stderr, " n=%zu\n", n->n);
  for (size_t i = 0; i < n->n; i++) {
    if (n->keys)
      dump(&n->keys[i], depth + 1);
    dump(&n->items[i], depth + 2);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *text = (const char *)data;
  struct diags d;
  diags_init(&d);
  struct ynode *fast = yamlfast_parse(text, size, 2);
  if (fast) {
    struct ynode *slow = yamlx_parse_libyaml(text, size, "f.yml", 2, &d);
    if (!slow || !ynode_equal(fast, slow)) {
      fprintf(stderr, "yamlfast accepted what libyaml %s\nfast:\n",
              slow ? "reads differently" : "refuses");
      dump(fast, 1);
      if (slow) {
        fprintf(stderr, "libyaml:\n");
        dump(slow, 1);
      } else if (d.n) {
        fprintf(stderr, "libyaml: %s\n", d.v[0].msg);
      }
      abort();
    }
    ynode_free(slow);
    ynode_free(fast);
    diags_release(&d);
  }
  struct ynode *n = yamlx_parse(text, size, "f.yml", 0, &d);
  ynode_free(n);
  diags_release(&d);
  return 0;
}

/* Fuzz target: the YAML loader (front matter, config and locations all go
 * through it). */
#include <stddef.h>
#include <stdint.h>

#include "yamlx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct diags d;
  diags_init(&d);
  struct ynode *n = yamlx_parse((const char *)data, size, "f.yml", 0, &d);
  ynode_free(n);
  diags_release(&d);
  return 0;
}

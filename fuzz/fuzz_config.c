/* Fuzz target: the whole config reader (sections, channels, secrets). */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct config c;
  struct diags d;
  diags_init(&d);
  config_parse(&c, "/tmp/f/crier.yaml", (const char *)data, size, &d);
  config_release(&c);
  diags_release(&d);
  return 0;
}

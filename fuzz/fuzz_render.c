/* Fuzz target: rendering through the renderer's real loading path — the
 * template cache, the user's templates directory on disk, partials found
 * there or in the built-in directory. The input is NUL-separated: the
 * English announcement template, then partials p0, p1, … written as files
 * into a fresh templates directory for each input. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "event.h"
#include "render.h"
#include "when.h"

#define MAX_PARTIALS 40

static char root[64];

static void put(const char *rel, const char *p, size_t n)
{
  char path[128];
  snprintf(path, sizeof(path), "%s/%s", root, rel);
  FILE *f = fopen(path, "wb");
  if (!f)
    abort();
  if (n && fwrite(p, 1, n, f) != n)
    abort();
  fclose(f);
}

static void clear(void)
{
  char path[128];
  snprintf(path, sizeof(path), "%s/en/announce.md.mustache", root);
  unlink(path);
  for (int i = 0; i < MAX_PARTIALS; i++) {
    snprintf(path, sizeof(path), "%s/en/partials/p%d.mustache", root, i);
    unlink(path);
  }
}

/* At exit: the templates directory goes with the fuzzer. */
static void remove_root(void)
{
  clear();
  char d[128];
  snprintf(d, sizeof(d), "%s/en/partials", root);
  rmdir(d);
  snprintf(d, sizeof(d), "%s/en", root);
  rmdir(d);
  rmdir(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct config cfg;
  static struct event *ev;
  if (!ev) {
    struct err e;
    when_set_zone("Europe/Berlin", &e);
    snprintf(root, sizeof(root), "%s", "/tmp/crier-fuzz-render-XXXXXX");
    if (!mkdtemp(root))
      abort();
    atexit(remove_root);
    char d[128];
    snprintf(d, sizeof(d), "%s/en", root);
    if (mkdir(d, 0700) < 0)
      abort();
    snprintf(d, sizeof(d), "%s/en/partials", root);
    if (mkdir(d, 0700) < 0)
      abort();
    struct diags dg;
    diags_init(&dg);
    struct buf y = BUF_INIT;
    buf_addf(&y, "site: {url: https://x.example}\ntemplates: %s\n", root);
    config_parse(&cfg, "f.yaml", y.data, y.len, &dg);
    buf_release(&y);
    static const char file[] = "---\ntitle: \"T <x> *y*\"\n"
                               "date: 2030-05-06 19:00\n---\nBody\n";
    ev = event_parse("2030-05-06-t.md", NULL, file, sizeof(file) - 1, NULL,
                     NULL, &dg, NULL);
    diags_release(&dg);
    if (!ev)
      abort();
  }
  clear();
  const char *p = (const char *)data, *end = p + size;
  for (int i = -1; i < MAX_PARTIALS && p <= end; i++) {
    const char *nul = memchr(p, 0, (size_t)(end - p));
    size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);
    char rel[64];
    if (i < 0)
      snprintf(rel, sizeof(rel), "en/announce.md.mustache");
    else
      snprintf(rel, sizeof(rel), "en/partials/p%d.mustache", i);
    put(rel, p, n);
    if (!nul)
      break;
    p = nul + 1;
  }
  struct renderer *r = renderer_new(&cfg);
  struct render_req q = {.ev = ev,
                         .notice = "announce",
                         .langs = LANG_EN,
                         .now = ev->start - 86400};
  struct message m;
  struct err e;
  if (render_message(r, &q, &m, &e) == 0)
    message_release(&m);
  renderer_free(r);
  return 0;
}

/* Fuzz target: loading an event file (front matter, dates, talks, links)
 * and rendering its announcement in both languages. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "event.h"
#include "render.h"
#include "when.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct locations locs;
  static struct renderer *r;
  static struct config cfg;
  if (!r) {
    struct err e;
    when_set_zone("Europe/Berlin", &e);
    struct diags d;
    diags_init(&d);
    config_parse(&cfg, "f.yaml", "site: {url: https://x.example}\n", 31, &d);
    diags_release(&d);
    static struct location here = {.key = (char *)"here",
                                   .name = (char *)"Here",
                                   .street = (char *)"S 1",
                                   .city = (char *)"Köln"};
    locs.v = &here;
    locs.n = 1;
    r = renderer_new(&cfg);
  }
  struct diags d;
  diags_init(&d);
  struct event *ev = event_parse("2030-01-01-f.md", NULL, (const char *)data,
                                 size, &cfg, &locs, &d, NULL);
  if (ev) {
    struct render_req q = {.ev = ev,
                           .notice = "announce",
                           .langs = LANG_DE | LANG_EN,
                           .now = ev->start - 1};
    struct message m;
    struct err e;
    if (render_message(r, &q, &m, &e) == 0)
      message_release(&m);
    char *snap = event_snapshot(ev);
    struct event *back = event_from_snapshot(snap);
    if (!back)
      abort(); /* a snapshot must always rebuild */
    event_free(back);
    free(snap);
  }
  event_free(ev);
  diags_release(&d);
  return 0;
}

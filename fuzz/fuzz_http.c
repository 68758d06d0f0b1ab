/* Fuzz target: what the channels make of a server's answer. The input is
 * a status line's number, headers and a body (split at the first blank
 * line); its first bytes also pick the status, a transport error, the
 * channel and the notice, and that channel's step function reads the input
 * as the answer to each of its requests. Retry-After / rate-limit headers
 * are parsed. One channel per input, not all of them (that many times the
 * executions), and libFuzzer's coverage feedback spreads them over the
 * channels. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "diag.h"
#include "when.h"

static struct config cfg;
static struct event ev;
static bool ready;

/* Every channel type, as crier.yaml writes them (each type's own reader
 * fills its settings). */
static const char config_text[] =
    "channels:\n"
    "  - {name: m, type: matrix, homeserver: 'http://127.0.0.1:1', room: "
    "'#r:x', access_token: {env: FUZZ_T}}\n"
    "  - {name: g, type: github, repo: o/r, token: {env: FUZZ_T}, api_url: "
    "'http://127.0.0.1:1'}\n"
    "  - {name: w, type: webhook, url: 'http://127.0.0.1:1/h', secret: "
    "{env: FUZZ_W}}\n"
    "  - {name: u, type: meetup, group: g, api_url: 'http://127.0.0.1:1/q', "
    "token_url: 'http://127.0.0.1:1/t', auth: {access_token: {env: "
    "FUZZ_T}}}\n"
    "  - {name: s, type: mail, url: 'smtp://127.0.0.1:1', from: a@x, to: "
    "b@x}\n"
    "  - {name: p, type: mail, provider: postmark, from: a@x, to: b@x, "
    "api_key: {env: FUZZ_T}}\n";

static void setup(void)
{
  struct err e;
  struct diags d;
  diags_init(&d);
  setenv("FUZZ_T", "tok", 1);
  setenv("FUZZ_W", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1);
  if (config_parse(&cfg, "fuzz.yaml", config_text, strlen(config_text), &d) <
      0) {
    diags_print(&d);
    abort(); /* the target would test nothing */
  }
  diags_release(&d);
  when_set_zone("Europe/Berlin", &e);
  ev = (struct event){.id = (char *)"2030-01-01-e",
                      .title = (char *)"T",
                      .path = (char *)"e.md",
                      .start = 1900000000};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!ready) {
    setup();
    ready = true;
  }
  char *p = malloc(size + 1);
  memcpy(p, data, size);
  p[size] = '\0';
  const char *blank = strstr(p, "\r\n\r\n");
  struct http_resp r = {0};
  buf_init(&r.body);
  buf_init(&r.headers);
  r.status = size ? 100 + data[0] % 500 : 200;
  r.retry_after = -1;
  r.code = size > 1 && data[1] % 7 == 0 ? CURLE_OPERATION_TIMEDOUT : CURLE_OK;
  r.data_started = size > 2 && data[2] % 2;
  if (blank) {
    buf_add(&r.headers, p, (size_t)(blank - p) + 2);
    buf_add(&r.body, blank + 4, strlen(blank + 4));
  } else {
    buf_add(&r.body, p, strlen(p));
  }
  static const char *const notices[] = {"announce", "update", "cancel",
                                        "reminder-1d"};
  unsigned pick = size > 3 ? data[3] : 0;
  size_t c = pick % cfg.nchannels;
  struct chan_ctx ctx;
  chan_ctx_init(&ctx, &cfg.channels[c], &cfg, NULL);
  size_t k = pick / cfg.nchannels % 4;
  struct delivery d = {.ev = &ev,
                       .notice = notices[k],
                       .ctx = &ctx,
                       .msg = {(char *)"S", (char *)"M", (char *)"<p>M</p>"}};
  memset(d.key, 'a', 64);
  snprintf(d.lang, sizeof(d.lang), "de");
  d.state = json_object();
  buf_init(&d.scratch);
  chan_delivery_init(&d);
  http_step_fn step = cfg.channels[c].type->step;
  /* walk every phase: each answer is this input */
  struct http_req req;
  for (int phase = 0; phase < 8; phase++) {
    memset(&req, 0, sizeof(req));
    buf_init(&req.url);
    buf_init(&req.body);
    d.task.ud = &d;
    d.phase = phase;
    enum step s = step(&d.task, &r, &req);
    buf_release(&req.url);
    buf_release(&req.body);
    curl_slist_free_all(req.headers);
    curl_slist_free_all(req.rcpt);
    free(req.mail_from);
    if (s != STEP_SEND)
      break;
  }
  json_decref(d.state);
  buf_release(&d.scratch);
  chan_delivery_release(&d);
  chan_ctx_release(&ctx);
  char *v = http_header(&r, "retry-after");
  free(v);
  free(p);
  buf_release(&r.body);
  buf_release(&r.headers);
  return 0;
}

/* Fuzz target: what the channels make of a server's answer. The input is
 * a status line's number, headers and a body (split at the first blank
 * line); its first bytes also pick the status, a transport error, the
 * channel and the notice, and that channel's step function reads the input
 * as the answer to each of its requests. Retry-After / rate-limit headers
 * are parsed. One channel per input, not all six: six times the executions,
 * and libFuzzer's coverage feedback spreads them over the channels. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "when.h"

static struct config cfg;
static struct channel chans[6];
static struct event ev;

static void setup(void)
{
  struct err e;
  when_set_zone("Europe/Berlin", &e);
  chans[0] = (struct channel){.name = (char *)"m",
                              .type = CHAN_MATRIX,
                              .homeserver = (char *)"http://127.0.0.1:1",
                              .room = (char *)"#r:x"};
  chans[1] = (struct channel){.name = (char *)"g",
                              .type = CHAN_GITHUB,
                              .repo = (char *)"o/r",
                              .mode = (char *)"issue",
                              .api_url = (char *)"http://127.0.0.1:1"};
  chans[2] = (struct channel){.name = (char *)"w",
                              .type = CHAN_WEBHOOK,
                              .url = (char *)"http://127.0.0.1:1/h"};
  chans[3] = (struct channel){.name = (char *)"u",
                              .type = CHAN_MEETUP,
                              .group = (char *)"g",
                              .api_url = (char *)"http://127.0.0.1:1/q",
                              .token_url = (char *)"http://127.0.0.1:1/t"};
  chans[3].auth.kind = MEETUP_AUTH_TOKEN;
  chans[4] = (struct channel){.name = (char *)"s",
                              .type = CHAN_MAIL,
                              .url = (char *)"smtp://127.0.0.1:1",
                              .from = (char *)"a@x"};
  chans[5] = (struct channel){.name = (char *)"p",
                              .type = CHAN_MAIL,
                              .provider = (char *)"postmark",
                              .from = (char *)"a@x"};
  ev = (struct event){.id = (char *)"2030-01-01-e",
                      .title = (char *)"T",
                      .path = (char *)"e.md",
                      .start = 1900000000};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!cfg.min_gap) {
    setup();
    cfg.min_gap = 1;
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
  size_t c = pick % 6;
  struct chan_ctx ctx = {.ch = &chans[c], .cfg = &cfg};
  buf_init(&ctx.token);
  buf_init(&ctx.secret2);
  buf_adds(&ctx.token, "tok");
  ctx.serial = (char *)"s";
  size_t k = pick / 6 % 4;
  struct delivery d = {.ev = &ev,
                       .notice = notices[k],
                       .ctx = &ctx,
                       .msg = {(char *)"S", (char *)"M", (char *)"<p>M</p>"}};
  memset(d.key, 'a', 64);
  snprintf(d.lang, sizeof(d.lang), "de");
  d.state = json_object();
  buf_init(&d.scratch);
  const struct chan_ops *ops = chan_ops_for(chans[c].type);
  /* walk every phase: each answer is this input */
  struct http_req req;
  for (int phase = 0; phase < 8; phase++) {
    memset(&req, 0, sizeof(req));
    buf_init(&req.url);
    buf_init(&req.body);
    d.task.ud = &d;
    d.phase = phase;
    enum step s = ops->step(&d.task, &r, &req);
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
  free(d.aux);
  buf_release(&ctx.token);
  buf_release(&ctx.secret2);
  free(ctx.meetup_token);
  char *v = http_header(&r, "retry-after");
  free(v);
  free(p);
  buf_release(&r.body);
  buf_release(&r.headers);
  return 0;
}

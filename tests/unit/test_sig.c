/* Webhook signatures: the test vectors of Standard Webhooks and GitHub,
 * ed25519 round trips, tampering, stale timestamps. */
#include <limits.h>
#include "harness.h"

#include "sig.h"

int main(void)
{
  struct err e = {0};
  struct buf s = BUF_INIT;
  const char *body = "{\"test\": 2432232314}";
  const char *key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const char *id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  OK(sig_sign(key, id, 1614265330, body, strlen(body), &s, &e) == 0, "%s",
     e.msg);
  STR_EQ(s.data, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  OK(sig_verify(key, id, 1614265330, s.data, body, strlen(body), 1614265330,
                &e) == 0,
     "%s", e.msg);
  /* among several signatures, one valid is enough */
  struct buf many = BUF_INIT;
  buf_addf(&many, "v1,AAAA v1a,BBBB %s", s.data);
  OK(sig_verify(key, id, 1614265330, many.data, body, strlen(body), 1614265330,
                &e) == 0,
     "%s", e.msg);
  buf_release(&many);
  /* tampered body, id, timestamp; wrong key; stale and future timestamps */
  OK(sig_verify(key, id, 1614265330, s.data, "{\"test\": 2432232315}", 20,
                1614265330, &e) < 0,
     "tampered body");
  OK(sig_verify(key, "msg_other", 1614265330, s.data, body, strlen(body),
                1614265330, &e) < 0,
     "other id");
  OK(sig_verify(key, id, 1614265331, s.data, body, strlen(body), 1614265331,
                &e) < 0,
     "other timestamp");
  OK(sig_verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx", id, 1614265330,
                s.data, body, strlen(body), 1614265330, &e) < 0,
     "wrong key");
  OK(sig_verify(key, id, 1614265330, s.data, body, strlen(body),
                1614265330 + 301, &e) < 0 &&
         strstr(e.msg, "behind"),
     "stale: %s", e.msg);
  OK(sig_verify(key, id, 1614265330, s.data, body, strlen(body),
                1614265330 - 301, &e) < 0 &&
         strstr(e.msg, "ahead"),
     "future: %s", e.msg);
  OK(sig_verify(key, id, 1614265330, s.data, body, strlen(body),
                1614265330 + 299, &e) == 0,
     "within 5 minutes");
  /* out-of-range timestamps are refused before any arithmetic (UBSan
   * aborted on the subtraction, the release build told a nonsense skew) */
  OK(sig_verify(key, id, LLONG_MIN, s.data, body, strlen(body), 1614265330,
                &e) < 0 &&
         strstr(e.msg, "out of range"),
     "LLONG_MIN: %s", e.msg);
  OK(sig_verify(key, id, LLONG_MAX, s.data, body, strlen(body), 1614265330,
                &e) < 0 &&
         strstr(e.msg, "out of range"),
     "LLONG_MAX: %s", e.msg);
  OK(sig_verify(key, id, -1, s.data, body, strlen(body), 1614265330, &e) < 0 &&
         strstr(e.msg, "out of range"),
     "negative: %s", e.msg);
  OK(sig_sign("whsec_!!!", id, 1, "x", 1, &s, &e) < 0, "bad base64");
  OK(sig_sign("secret", id, 1, "x", 1, &s, &e) < 0, "no prefix");

  /* ed25519 */
  struct buf sk = BUF_INIT, pk = BUF_INIT, sg = BUF_INIT;
  sig_keygen_ed25519(&sk, &pk);
  OK(strncmp(sk.data, "whsk_", 5) == 0 && strncmp(pk.data, "whpk_", 5) == 0,
     "key prefixes");
  OK(sig_sign(sk.data, id, 1700000000, body, strlen(body), &sg, &e) == 0, "%s",
     e.msg);
  OK(strncmp(sg.data, "v1a,", 4) == 0, "%s", sg.data);
  OK(sig_verify(pk.data, id, 1700000000, sg.data, body, strlen(body),
                1700000000, &e) == 0,
     "%s", e.msg);
  OK(sig_verify(sk.data, id, 1700000000, sg.data, body, strlen(body),
                1700000000, &e) == 0,
     "verify with the secret key");
  OK(sig_verify(pk.data, id, 1700000000, sg.data, "{}", 2, 1700000000, &e) < 0,
     "tampered");
  OK(sig_verify(pk.data, id, 1700000000, s.data, body, strlen(body), 1700000000,
                &e) < 0,
     "a v1 signature is no v1a signature");
  buf_release(&sk);
  buf_release(&pk);
  buf_release(&sg);
  buf_reset(&s);
  sig_keygen_hmac(&s);
  OK(strncmp(s.data, "whsec_", 6) == 0 && s.len == 6 + 44, "%s", s.data);

  /* GitHub */
  buf_reset(&s);
  sig_github("It's a Secret to Everybody", "Hello, World!", 13, &s);
  STR_EQ(s.data, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f"
                 "4379c8b043e17");
  OK(sig_github_verify("It's a Secret to Everybody", s.data, "Hello, World!",
                       13, &e) == 0,
     "github verify");
  OK(sig_github_verify("It's a Secret to Everybody", s.data, "Hello, World?",
                       13, &e) < 0,
     "github tampered");
  OK(sig_github_verify("wrong", s.data, "Hello, World!", 13, &e) < 0,
     "github wrong secret");
  buf_release(&s);

  return t_summary();
}

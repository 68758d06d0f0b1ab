/* Secrets: from the environment or a file the owner alone may read, never
 * named by value in an error; every secret crier knows, and whatever looks
 * like a credential, is redacted from what it prints. */
#include "harness.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "secret.h"

static char dir[] = "/tmp/crier-test-secret-XXXXXX";

static void from_the_environment(void)
{
  struct buf out = BUF_INIT;
  struct err e;
  struct secret_ref ref = {SECRET_ENV, (char *)"CRIER_T_SECRET"};
  setenv("CRIER_T_SECRET", "env-secret-value-1", 1);
  OK(secret_get(&ref, "test token", &out, &e) == 0, "%s", e.msg);
  STR_EQ(out.data, "env-secret-value-1");
  unsetenv("CRIER_T_SECRET");
  OK(secret_get(&ref, "test token", &out, &e) < 0 && e.code == EX_CONFIG &&
         strstr(e.msg, "CRIER_T_SECRET is not set"),
     "unset: %s", e.msg);
  setenv("CRIER_T_SECRET", "", 1);
  OK(secret_get(&ref, "test token", &out, &e) < 0, "empty is not a secret");
  unsetenv("CRIER_T_SECRET");
  secret_wipe(&out);
}

static void from_a_file(void)
{
  char path[256];
  snprintf(path, sizeof(path), "%s/token", dir);
  FILE *f = fopen(path, "w");
  fputs("file-secret-value-2\n", f);
  fclose(f);
  struct buf out = BUF_INIT;
  struct err e;
  struct secret_ref ref = {SECRET_FILE, path};
  chmod(path, 0600);
  OK(secret_get(&ref, "test token", &out, &e) == 0, "%s", e.msg);
  STR_EQ(out.data, "file-secret-value-2");
  chmod(path, 0644);
  OK(secret_get(&ref, "test token", &out, &e) < 0 &&
         strstr(e.msg, "can be read by others (mode 644)") &&
         !strstr(e.msg, "file-secret"),
     "a file others can read: %s", e.msg);
  ref.name = dir;
  OK(secret_get(&ref, "test token", &out, &e) < 0 &&
         strstr(e.msg, "not a regular file"),
     "a directory: %s", e.msg);
  unlink(path);
  secret_wipe(&out);
}

static void redaction(void)
{
  secret_register("canary-123456", 13);
  char *r = secret_redacted(
      "token canary-123456 and Authorization: Bearer xyz\n"
      "grant=x&access_token=abc.def&refresh_token=r1 whsec_AAAA "
      "jwt eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl end");
  OK(!strstr(r, "canary") && !strstr(r, "xyz") && !strstr(r, "abc.def") &&
         !strstr(r, "r1 ") && !strstr(r, "AAAA") && !strstr(r, "eyJ"),
     "redacted: %s", r);
  OK(strstr(r, "Authorization: ***") && strstr(r, " end"), "%s", r);
  free(r);
  /* tokens in JSON, however the server spaces them (a token endpoint's
   * pretty-printed answer leaked through --trace) */
  r = secret_redacted("{\n  \"access_token\" : \"AT-secret-1\",\n"
                      "  \"refresh_token\":\t\"RT-se\\\"cret-2\",\n"
                      "  \"token_type\": \"bearer\", \"expires_in\": 3600}");
  OK(!strstr(r, "AT-secret") && !strstr(r, "RT-se") && !strstr(r, "cret-2") &&
         strstr(r, "\"access_token\" : \"***\"") &&
         strstr(r, "\"token_type\": \"bearer\""),
     "JSON members redacted: %s", r);
  free(r);
  secret_forget_all();
  r = secret_redacted("canary-123456");
  STR_EQ(r, "canary-123456"); /* forgotten: no longer known */
  free(r);
}

static void wiping(void)
{
  struct buf b = BUF_INIT;
  buf_adds(&b, "wipe-me");
  char *p = b.data;
  size_t n = b.len;
  (void)p;
  (void)n;
  secret_wipe(&b);
  OK(b.len == 0 && b.data[0] == '\0', "a wiped buffer is empty");
}

/* A secret URL: its path and its token (the last segment) are redacted
 * wherever they appear alone; the words of the path are not. */
static void a_url_and_its_parts(void)
{
  setenv("CRIER_TEST_HOOK",
         "https://hooks.slack.com/services/T0001/B0002/s3cretHOOKtoken", 1);
  struct secret_ref ref = {SECRET_ENV, (char *)"CRIER_TEST_HOOK"};
  struct buf v = BUF_INIT;
  struct err e;
  OK(secret_get(&ref, "hook", &v, &e) == 0, "%s", e.msg);
  char *a = secret_redacted("POST /services/T0001/B0002/s3cretHOOKtoken → 404; "
                            "token s3cretHOOKtoken; services stay");
  STR_EQ(a, "POST *** → 404; token ***; services stay");
  free(a);
  secret_wipe(&v);
  unsetenv("CRIER_TEST_HOOK");
}

int main(void)
{
  if (!mkdtemp(dir))
    return 77;
  CASE(from_the_environment);
  CASE(from_a_file);
  CASE(redaction);
  CASE(wiping);
  CASE(a_url_and_its_parts);
  rmdir(dir);
  return t_summary();
}

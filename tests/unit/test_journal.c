/* The journal: claim, finish, state, the lock, keys. */
#include "harness.h"

#include <stdlib.h>
#include <unistd.h>

#include "deliver.h"
#include "journal.h"

static char dir[] = "/tmp/crier-test-journal-XXXXXX";

int main(void)
{
  if (!mkdtemp(dir))
    return 77;
  char path[512];
  snprintf(path, sizeof(path), "%s/j.db", dir);
  struct err e;
  struct journal *j = journal_open(path, 0, &e);
  OK(j != NULL, "%s", e.msg);
  /* a second holder is refused with EX_TEMPFAIL */
  struct journal *j2 = journal_open(path, 200, &e);
  OK(!j2 && e.code == EX_TEMPFAIL && strstr(e.msg, "another crier"),
     "lock: %s", e.msg);
  struct jrow r = {.event = (char *)"ev", .notice = (char *)"announce",
                   .channel = (char *)"chat", .lang = (char *)"de"};
  delivery_key("ev", "announce", "chat", "de", NULL, r.key);
  OK(strlen(r.key) == 64, "hex key");
  char k2[65];
  delivery_key("ev", "announce", "chat", "en", NULL, k2);
  OK(strcmp(r.key, k2) != 0, "the language is part of the key");
  delivery_key("ev", "announce", "chat", "de", NULL, k2);
  STR_EQ(k2, r.key);
  enum dstatus before;
  OK(journal_claim(j, &r, &before, &e) == 0 && before == DS_NONE, "claim");
  OK(journal_set_state(j, r.key, "{\"event_id\":\"1\"}", &e) == 0, "state");
  OK(journal_claim(j, &r, &before, &e) == 0 && before == DS_SENDING,
     "a second claim sees 'sending'");
  OK(journal_finish(j, r.key, DS_FAILED, NULL, NULL,
                    "HTTP 500: token syt_abc123 Authorization: Bearer xyz", 0,
                    &e) == 0, "finish");
  struct jrow got;
  OK(journal_get(j, r.key, &got), "get");
  INT_EQ(got.status, DS_FAILED);
  INT_EQ(got.attempts, 2);
  OK(strstr(got.error, "Bearer") == NULL || strstr(got.error, "***"),
     "errors are redacted: %s", got.error);
  STR_EQ(got.state, "{\"event_id\":\"1\"}");
  jrow_release(&got);
  OK(journal_finish(j, r.key, DS_SENT, "$ev", "https://x/1", NULL, 0, &e) == 0,
     "sent");
  OK(journal_get(j, r.key, &got) && got.status == DS_SENT &&
         strcmp(got.url, "https://x/1") == 0 && !got.error, "sent row");
  jrow_release(&got);
  OK(journal_kv_set(j, "k", "v1", &e) == 0 &&
         journal_kv_set(j, "k", "v2", &e) == 0, "kv");
  char *v = journal_kv_get(j, "k");
  STR_EQ(v, "v2");
  free(v);
  journal_close(j);
  /* reopened, everything is there */
  j = journal_open(path, 0, &e);
  OK(j && journal_get(j, r.key, &got) && got.status == DS_SENT, "durable");
  jrow_release(&got);
  journal_close(j);
  /* a directory is not a journal */
  OK(!journal_open(dir, 0, &e) && e.code == EX_CANTCREAT, "%s", e.msg);
  snprintf(path, sizeof(path), "%s/j.db-wal", dir);
  unlink(path);
  snprintf(path, sizeof(path), "%s/j.db-shm", dir);
  unlink(path);
  t_rmdir(dir);
  return t_summary();
}

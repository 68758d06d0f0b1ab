/* crier serve's queue: admission (done, pending, full, stopping), order
 * and retries, the answer to a waiting connection given once and only
 * after the job's id is recorded, shutdown, the done-id set; and
 * journal_kv_each, which loads that set. */
#include "harness.h"

#include <stdlib.h>

#include "journal.h"
#include "serve.h"

static int suspended, resumed;
static void fake_suspend(void *conn)
{
  (void)conn;
  suspended++;
}
static void fake_resume(void *conn)
{
  (void)conn;
  resumed++;
}

static struct serve_job *push(const char *id)
{
  struct serve_job *j = serve_job_new(SERVE_PUSH, id);
  j->before = strdup("aaaaaaa");
  j->after = strdup("bbbbbbb");
  return j;
}

static void test_admission(void)
{
  struct serve_queue q;
  serve_queue_init(&q, 2);
  q.resume = fake_resume;
  OK(serve_queue_admit(&q, push("p1"), NULL, NULL) == SERVE_QUEUED, "p1");
  struct serve_job *dup = push("p1");
  OK(serve_queue_admit(&q, dup, NULL, NULL) == SERVE_PENDING, "p1 again");
  serve_queue_unref(&q, dup);
  struct serve_job *other = serve_job_new(SERVE_ANNOUNCE, "p1");
  OK(serve_queue_admit(&q, other, NULL, NULL) == SERVE_QUEUED,
     "an announce id is not a push id");
  struct serve_job *third = push("p3");
  OK(serve_queue_admit(&q, third, NULL, NULL) == SERVE_FULL, "full at 2");
  serve_queue_unref(&q, third);

  /* first in, first out; the running job still counts as pending */
  struct serve_job *j = serve_queue_next(&q, 0);
  OK(j && j->kind == SERVE_PUSH && strcmp(j->id, "p1") == 0, "p1 first");
  INT_EQ(j->attempts, 1);
  dup = push("p1");
  OK(serve_queue_admit(&q, dup, NULL, NULL) == SERVE_PENDING, "running");
  serve_queue_unref(&q, dup);
  third = push("p3");
  OK(serve_queue_admit(&q, third, NULL, NULL) == SERVE_QUEUED,
     "room again once one runs");

  /* a retry goes back in front, due later; the others go on meanwhile */
  serve_queue_finish(&q, j, SERVE_RETRY, 75, "busy", 1000);
  OK(!serve_queue_is_done(&q, SERVE_PUSH, "p1"), "a retry is not done");
  struct serve_job *k = serve_queue_next(&q, 0);
  OK(k && k->kind == SERVE_ANNOUNCE, "the announce, while p1 waits");
  serve_queue_finish(&q, k, SERVE_FAILED, 66, "no event", 0);
  OK(!serve_queue_is_done(&q, SERVE_ANNOUNCE, "p1"), "failed: not done");
  k = serve_queue_next(&q, 0);
  OK(k && strcmp(k->id, "p3") == 0, "p3");
  serve_queue_finish(&q, k, SERVE_DONE, 0, NULL, 0);
  OK(serve_queue_is_done(&q, SERVE_PUSH, "p3"), "p3 done");
  dup = push("p3");
  OK(serve_queue_admit(&q, dup, NULL, NULL) == SERVE_SEEN, "p3 replayed");
  serve_queue_unref(&q, dup);
  OK(serve_queue_next(&q, 0) == NULL, "p1 is not due yet");

  json_t *st = serve_queue_status(&q);
  INT_EQ(json_integer_value(json_object_get(st, "accepted")), 3);
  INT_EQ(json_integer_value(json_object_get(st, "done")), 1);
  INT_EQ(json_integer_value(json_object_get(st, "failed")), 1);
  INT_EQ(json_integer_value(json_object_get(st, "retried")), 1);
  json_t *last = json_object_get(st, "last_job");
  STR_EQ(json_string_value(json_object_get(last, "id")), "p3");
  STR_EQ(json_string_value(json_object_get(last, "result")), "done");
  INT_EQ(json_integer_value(
             json_object_get(json_object_get(st, "queue"), "waiting")),
         1);
  json_decref(st);

  /* the spool lists the pushes not done */
  json_t *p = serve_queue_pushes(&q, false);
  OK(p && json_array_size(p) == 1, "p1 left");
  STR_EQ(json_string_value(json_object_get(json_array_get(p, 0), "id")), "p1");
  json_decref(p);
  OK(serve_queue_pushes(&q, false) == NULL, "nothing changed since");
  serve_queue_release(&q);
}

static void test_answers(void)
{
  struct serve_queue q;
  serve_queue_init(&q, 8);
  q.resume = fake_resume;
  suspended = resumed = 0;
  int conn1, conn2, conn3;
  struct serve_job *a = serve_job_new(SERVE_ANNOUNCE, "msg_1");
  OK(serve_queue_admit(&q, a, &conn1, fake_suspend) == SERVE_QUEUED, "a");
  INT_EQ(suspended, 1);
  struct serve_job *b = serve_job_new(SERVE_ANNOUNCE, "msg_2");
  OK(serve_queue_admit(&q, b, &conn2, fake_suspend) == SERVE_QUEUED, "b");
  OK(serve_queue_admit(&q, push("p"), NULL, NULL) == SERVE_QUEUED, "p");
  struct serve_job *c = serve_job_new(SERVE_ANNOUNCE, "msg_3");
  OK(serve_queue_admit(&q, c, &conn3, fake_suspend) == SERVE_QUEUED, "c");

  struct serve_job *j = serve_queue_next(&q, 0);
  OK(j == a, "a runs");
  serve_queue_answer(&q, a, 200, json_pack("{s:i}", "status", 0), 0);
  unsigned status;
  char *body;
  int ra;
  OK(!serve_queue_answer_of(&q, a, &status, &body, &ra),
     "not given before the job is finished");
  INT_EQ(resumed, 0);
  serve_queue_finish(&q, a, SERVE_DONE, 0, NULL, 0);
  INT_EQ(resumed, 1);
  OK(serve_queue_answer_of(&q, a, &status, &body, &ra), "given");
  INT_EQ(status, 200);
  STR_EQ(body, "{\"status\":0}");
  free(body);
  serve_queue_unref(&q, a); /* the connection is done */

  /* shutdown: b runs and does not finish; c waits; p is kept */
  j = serve_queue_next(&q, 0);
  OK(j == b, "b runs");
  serve_queue_stop(&q);
  INT_EQ(resumed, 2);
  OK(serve_queue_answer_of(&q, c, &status, &body, &ra), "c answered");
  INT_EQ(status, 503);
  OK(ra > 0, "Retry-After");
  free(body);
  serve_queue_unref(&q, c);
  struct serve_job *late = push("late");
  OK(serve_queue_admit(&q, late, NULL, NULL) == SERVE_STOPPING, "stopping");
  serve_queue_unref(&q, late);
  OK(serve_queue_next(&q, 10) == NULL, "no job while stopping");
  char id[64];
  OK(serve_queue_abandon(&q, id, sizeof(id)), "b abandoned");
  STR_EQ(id, "announce msg_2");
  INT_EQ(resumed, 3);
  /* the worker comes back late: its answer is not given twice */
  serve_queue_answer(&q, b, 200, json_pack("{}"), 0);
  serve_queue_finish(&q, b, SERVE_DONE, 0, NULL, 0);
  INT_EQ(resumed, 3);
  OK(serve_queue_answer_of(&q, b, &status, &body, &ra), "b answered");
  INT_EQ(status, 503);
  free(body);
  serve_queue_unref(&q, b);
  json_t *p = serve_queue_pushes(&q, true);
  INT_EQ(json_array_size(p), 1);
  json_decref(p);
  serve_queue_release(&q); /* frees p (ASan: no leak) */
}

static void test_done_ids(void)
{
  struct serve_queue q;
  serve_queue_init(&q, 1);
  char id[32];
  for (int i = 0; i < 5000; i++) {
    snprintf(id, sizeof(id), "d-%d", i);
    serve_queue_mark_done(&q, i % 2 ? SERVE_PUSH : SERVE_ANNOUNCE, id);
  }
  int found = 0, wrong = 0;
  for (int i = 0; i < 5000; i++) {
    snprintf(id, sizeof(id), "d-%d", i);
    found += serve_queue_is_done(&q, i % 2 ? SERVE_PUSH : SERVE_ANNOUNCE, id);
    wrong += serve_queue_is_done(&q, i % 2 ? SERVE_ANNOUNCE : SERVE_PUSH, id);
  }
  INT_EQ(found, 5000);
  INT_EQ(wrong, 0);
  OK(!serve_queue_is_done(&q, SERVE_PUSH, "d-5000"), "not added");
  serve_queue_release(&q);
}

static void kv(void *ud, const char *k, const char *v)
{
  struct buf *b = ud;
  buf_addf(b, "%s=%s;", k, v);
}

static void test_kv_each(void)
{
  char dir[] = "/tmp/crier-test-serve-XXXXXX";
  if (!mkdtemp(dir))
    return;
  char path[512];
  snprintf(path, sizeof(path), "%s/j.db", dir);
  struct err e;
  struct journal *j = journal_open(path, 0, &e);
  OK(j != NULL, "%s", e.msg);
  if (!j)
    return;
  journal_kv_set(j, "seen:github:a", "done", &e);
  journal_kv_set(j, "seen:announce:b", "1", &e);
  journal_kv_set(j, "seenx", "no", &e);
  journal_kv_set(j, "meetup:token", "no", &e);
  struct buf b = BUF_INIT;
  OK(journal_kv_each(j, "seen:", kv, &b, &e) == 0, "%s", e.msg);
  OK(strstr(b.data, "seen:github:a=done;") &&
         strstr(b.data, "seen:announce:b=1;") && !strstr(b.data, "=no;"),
     "prefix only: %s", b.data);
  buf_release(&b);
  journal_close(j);
  t_rmdir(dir);
}

int main(void)
{
  test_admission();
  test_answers();
  test_done_ids();
  test_kv_each();
  return t_summary();
}

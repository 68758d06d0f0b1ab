/* SMTP replies and dialogues: codes, enhanced status codes and text of
 * one- and multi-line replies, and a transcript split into commands with
 * the replies they got (the end of the message after DATA included). */
#include "harness.h"

#include <stdlib.h>

#include "smtp.h"

static void reply(const char *lines, struct smtp_reply *r)
{
  smtp_reply_parse(lines, strlen(lines), r);
}

static void test_replies(void)
{
  struct smtp_reply r;
  reply("550 5.1.1 <no-such-user@crier.test>: Recipient address rejected: "
        "User unknown in virtual mailbox table\r\n",
        &r);
  INT_EQ(r.code, 550);
  STR_EQ(r.status, "5.1.1");
  STR_EQ(r.text, "<no-such-user@crier.test>: Recipient address rejected: "
                 "User unknown in virtual mailbox table");
  OK(!smtp_reply_temporary(&r), "5xx is permanent");

  reply("250-mx.crier.test\n250-PIPELINING\n250-SIZE 10240000\n250 SMTPUTF8\n",
        &r);
  INT_EQ(r.code, 250);
  STR_EQ(r.status, "");
  STR_EQ(r.text, "mx.crier.test PIPELINING SIZE 10240000 SMTPUTF8");

  reply("451-4.7.1 Greylisted,\r\n451 4.7.1 come back later\r\n", &r);
  INT_EQ(r.code, 451);
  STR_EQ(r.status, "4.7.1");
  STR_EQ(r.text, "Greylisted, come back later");
  OK(smtp_reply_temporary(&r), "4xx is temporary");

  reply("421 mx.example closing\r\n", &r);
  STR_EQ(r.status, "");
  STR_EQ(r.text, "mx.example closing");

  reply("552 5.3.4\r\n", &r);
  INT_EQ(r.code, 552);
  STR_EQ(r.status, "5.3.4");
  STR_EQ(r.text, "");

  /* not an enhanced status code: kept as text */
  reply("550 5.1 no\r\n", &r);
  STR_EQ(r.status, "");
  STR_EQ(r.text, "5.1 no");
  reply("550 5.1.1234 x\r\n", &r);
  STR_EQ(r.status, "");
  reply("554 2.0.0x\r\n", &r);
  STR_EQ(r.status, "");
  STR_EQ(r.text, "2.0.0x");
  reply("250 2.0.0 Ok: queued as 252EAA84146", &r);
  STR_EQ(r.status, "2.0.0");
  STR_EQ(r.text, "Ok: queued as 252EAA84146");

  /* control characters do not pass */
  reply("550 5.7.1 bad\x1b[31m red\x07\r\n", &r);
  STR_EQ(r.text, "bad?[31m red?");

  /* a very long reply is cut, not overflowed */
  struct buf big = BUF_INIT;
  buf_adds(&big, "554 5.7.1 ");
  for (int i = 0; i < 200; i++)
    buf_adds(&big, "spam ");
  reply(big.data, &r);
  OK(strlen(r.text) == sizeof(r.text) - 1, "cut at %zu", strlen(r.text));
  buf_release(&big);

  /* no reply at all */
  reply("", &r);
  INT_EQ(r.code, 0);
  struct buf b = BUF_INIT;
  smtp_reply_format(&r, &b);
  STR_EQ(b.data, "no reply");
  buf_reset(&b);
  reply("550 5.1.1 <a@b>: User unknown\r\n", &r);
  smtp_reply_format(&r, &b);
  STR_EQ(b.data, "550 5.1.1 <a@b>: User unknown");
  buf_reset(&b);
  reply("421 closing\r\n", &r);
  smtp_reply_format(&r, &b);
  STR_EQ(b.data, "421 closing");
  buf_release(&b);
}

static void test_dialogue(void)
{
  const char *t =
      "< 220 mx.crier.test ESMTP\n"
      "> EHLO treff.example.net\n"
      "< 250-mx.crier.test\n"
      "< 250-STARTTLS\n"
      "< 250 SMTPUTF8\n"
      "> STARTTLS\n"
      "< 220 2.0.0 Ready to start TLS\n"
      "> EHLO treff.example.net\n"
      "< 250-mx.crier.test\n"
      "< 250 AUTH PLAIN LOGIN\n"
      "> AUTH PLAIN\n"
      "< 334 \n"
      "> (SASL data not shown)\n"
      "< 235 2.7.0 Authentication successful\n"
      "> MAIL FROM:<crier@treff.example.net> SIZE=5836\n"
      "< 250 2.1.0 Ok\n"
      "> RCPT TO:<list@crier.test>\n"
      "< 250 2.1.5 Ok\n"
      "> RCPT TO:<nobody@crier.test>\n"
      "< 550 5.1.1 <nobody@crier.test>: Recipient address rejected\n"
      "> DATA\n"
      "< 354 End data with <CR><LF>.<CR><LF>\n"
      "< 451 4.3.0 <END-OF-MESSAGE>: End-of-data rejected: try later\n"
      "> QUIT\n"
      "< 221 2.0.0 Bye\n";
  struct smtp_exchange *x = NULL;
  size_t n = smtp_dialogue(t, &x);
  INT_EQ(n, 12);
  if (n == 12) {
    STR_EQ(x[0].cmd, "");
    INT_EQ(x[0].reply.code, 220);
    STR_EQ(x[1].cmd, "EHLO treff.example.net");
    STR_EQ(x[1].reply.text, "mx.crier.test STARTTLS SMTPUTF8");
    STR_EQ(x[2].cmd, "STARTTLS");
    STR_EQ(x[4].cmd, "AUTH PLAIN");
    INT_EQ(x[4].reply.code, 334);
    STR_EQ(x[5].cmd, "(SASL data not shown)");
    INT_EQ(x[5].reply.code, 235);
    STR_EQ(x[6].cmd, "MAIL FROM:<crier@treff.example.net> SIZE=5836");
    STR_EQ(x[7].cmd, "RCPT TO:<list@crier.test>");
    INT_EQ(x[7].reply.code, 250);
    STR_EQ(x[8].cmd, "RCPT TO:<nobody@crier.test>");
    INT_EQ(x[8].reply.code, 550);
    STR_EQ(x[8].reply.status, "5.1.1");
    STR_EQ(x[9].cmd, "DATA");
    INT_EQ(x[9].reply.code, 354);
    STR_EQ(x[10].cmd, ".");
    INT_EQ(x[10].reply.code, 451);
    STR_EQ(x[10].reply.text,
           "<END-OF-MESSAGE>: End-of-data rejected: try later");
    STR_EQ(x[11].cmd, "QUIT");
    INT_EQ(x[11].reply.code, 221);
  }
  free(x);

  /* DATA refused: no end of message; a reply cut short is kept */
  x = NULL;
  n = smtp_dialogue("< 220 hi\n> DATA\n< 554 5.5.1 Error: no valid recipients\n"
                    "> QUIT\n< 221-Bye\n",
                    &x);
  INT_EQ(n, 3);
  if (n == 3) {
    STR_EQ(x[1].cmd, "DATA");
    INT_EQ(x[1].reply.code, 554);
    STR_EQ(x[2].cmd, "QUIT");
    INT_EQ(x[2].reply.code, 221);
  }
  free(x);

  /* the message went out and no reply came */
  x = NULL;
  n = smtp_dialogue("> DATA\n< 354 go ahead\n", &x);
  INT_EQ(n, 1);
  free(x);

  x = NULL;
  n = smtp_dialogue("", &x);
  INT_EQ(n, 0);
  free(x);
}

int main(void)
{
  test_replies();
  test_dialogue();
  return t_summary();
}

#ifndef CRIER_SMTP_H
#define CRIER_SMTP_H
/*
 * SMTP through libcurl: the options of one mail transaction and what the
 * server said during it.
 *
 * Every attempt is a new connection that is closed (QUIT) after it, so a
 * retry starts a clean transaction; every reply, the QUIT's included, is
 * awaited at most the request's timeout, and the whole attempt ends at
 * most 2 s after it. Recipients may be refused one by one
 * (CURLOPT_MAIL_RCPT_ALLOWFAILS): the message goes to the accepted ones.
 * STARTTLS is used whenever the server offers it, and required for smtp://
 * to hosts other than loopback and whenever a password is configured: a
 * password is never sent in the clear, and a server that offers no AUTH
 * after TLS gets no message (resp->no_auth).
 *
 * The dialogue is kept in resp->headers, one line each: "> COMMAND" (an
 * AUTH command without its initial response, SASL exchanges as "> (SASL
 * data not shown)", anything unexpected as "> (not shown)") and "< REPLY".
 */
#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "buf.h"
#include "http.h"

/* One reply of the server: its code (0 if there was none), its enhanced
 * status code ("5.1.1", or "") and its text, the lines joined by spaces,
 * control characters replaced, cut at the size of text. */
struct smtp_reply {
  int code;
  char status[16];
  char text[400];
};

/* Parses the lines of one reply ("250-…" lines, then "250 …"), separated
 * by LF or CRLF, into r. */
void smtp_reply_parse(const char *lines, size_t len, struct smtp_reply *r);

/* Appends "550 5.1.1 text" (what is there of it) to out. */
void smtp_reply_format(const struct smtp_reply *r, struct buf *out);

/* Whether the reply is a temporary refusal (4xx). */
bool smtp_reply_temporary(const struct smtp_reply *r);

/* One exchange of a dialogue: a command ("" for the greeting, "." for the
 * end of the message after DATA) and the final reply it got (code 0 when
 * none came). */
struct smtp_exchange {
  char cmd[320];
  struct smtp_reply reply;
};

/* Splits a transcript (resp->headers of an SMTP request) into exchanges,
 * in order; *out is the caller's to free. Returns how many there are. */
size_t smtp_dialogue(const char *transcript, struct smtp_exchange **out);

/* Sets the SMTP options of the request of t on c (the engine calls this
 * for HTTP_SMTP requests, after the common options). */
void smtp_setup(CURL *c, struct http_task *t);

#endif

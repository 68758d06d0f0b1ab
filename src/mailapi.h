#ifndef CRIER_MAILAPI_H
#define CRIER_MAILAPI_H
/* HTTP mail providers for the mail channel (see chan_mailapi.c). */
#include "chan.h"

/* The mail channel's settings (chan_mail.c reads them). */
struct mail_conf {
  char *url, *username, *from, *ca_file, *provider, *domain, *api_url;
  char *helo; /* the name said in EHLO (SMTP) */
  struct secret_ref password, api_key;
  struct strlist to, bcc;
  bool calendar;
};

int mailapi_prepare(struct chan_ctx *c, struct err *e);
/* Fills req with the provider's send request; text is the plain-text
 * body (md_to_text). ics may be NULL; method is its METHOD. */
void mailapi_build(struct delivery *d, struct http_req *req,
                   const char *message_id, const char *text, const char *ics,
                   const char *method);
enum step mailapi_result(struct http_task *t, struct delivery *d,
                         const struct http_resp *prev);

#endif

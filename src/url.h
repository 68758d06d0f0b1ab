#ifndef CRIER_URL_H
#define CRIER_URL_H
/*
 * URLs, parsed strictly. crier decides where credentials may go from a
 * URL's parts, never from its text: a URL is scheme://host[:port][/rest]
 * with a lower-case scheme, a host that is a DNS name, a dotted IPv4
 * address or a bracketed IPv6 address, and no user information, spaces,
 * backslashes or control characters anywhere (forms that another parser
 * might read differently are refused rather than guessed at).
 *
 * Loopback is an IPv4 literal in 127.0.0.0/8, [::1] or the name
 * "localhost" — nothing else, whatever the name looks like.
 */
#include <stdbool.h>

#include "err.h"

struct url {
  char scheme[8]; /* "https", "http", "smtp", "smtps" */
  char host[256]; /* lower case; IPv6 without brackets */
  int port;       /* explicit, or the scheme's default */
  bool ipv6;
  const char *rest; /* borrowed: the path, query and fragment ("" if none) */
};

/* Parses s into u (u->rest points into s). Fails with EX_CONFIG and a
 * message saying what is wrong with the URL. */
int url_parse(const char *s, struct url *u, struct err *e);

bool url_is_loopback(const struct url *u);

/* Whether a and b have the same scheme, host and port. */
bool url_same_origin(const struct url *a, const struct url *b);

/* Whether crier may send a request to s: https or smtps anywhere, smtp
 * (STARTTLS) anywhere, plain http only to loopback. Fails with EX_CONFIG
 * and the reason. */
int url_check_endpoint(const char *s, struct err *e);

/* Whether the server-given URL next may be followed from base (the
 * configured endpoint): both parse and have the same origin. */
bool url_may_follow(const char *base, const char *next);

#endif

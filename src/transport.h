#ifndef CRIER_TRANSPORT_H
#define CRIER_TRANSPORT_H
/*
 * The transport: a second process that opens libcurl and runs the
 * requests of the process that made it. `announce` makes one first thing
 * (http_warm), so that the dynamic loader's work for libcurl's thirty
 * libraries runs on one core while this process reads the configuration,
 * the site and the journal, renders and claims on the other. Two threads
 * of one process cannot share that work here: every mprotect and munmap of
 * the loader interrupts the other core running the same address space
 * (bench/README.md); two processes have an address space each.
 *
 * The engine (http.c) keeps everything that decides: the window, hosts,
 * serial keys, retries, the step functions, the hooks that claim and
 * record. The transport only turns a request into a response, as
 * libcurl's multi handle does in-process; each goes over a socket pair as
 * a length-prefixed message. It takes no signal meant for crier (a stop
 * lets requests in flight finish, as in-process), dies with its parent,
 * and ends when the socket closes. A transport that dies is a connection
 * lost under every request it had (the request may have gone out); the
 * engine then goes on in-process.
 */
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct http_task;
struct http_resp;

/* Forks the transport; false (and nothing started) if it cannot be, or
 * if one ran before. The caller has no other thread. */
bool transport_start(void);
/* A transport was started and has neither ended nor been lost. */
bool transport_on(void);
/* Waits until the transport has libcurl: 0; or -1 with the error it met
 * opening it (EX_UNAVAILABLE, as lazy_load says it); or -2 if it ended
 * without a word (it is then lost). */
int transport_ready(struct err *e);
/* Sends t's request (t->req, timeouts) under the tag `tag`; false if the
 * transport is lost (nothing of it was sent). */
bool transport_send(uint64_t tag, const struct http_task *t,
                    long host_connections);
/* Reads what has arrived (waiting up to ms milliseconds for it) and
 * calls got for each whole answer, its fields filled into the response
 * got's first call returns for the tag (NULL: an answer no longer wanted,
 * dropped). Returns false when the transport is lost. */
bool transport_collect(int ms,
                       struct http_resp *(*want)(void *ud, uint64_t tag),
                       void (*got)(void *ud, uint64_t tag), void *ud);
/* Closes the socket: the transport ends (it is reaped at exit). */
void transport_stop(void);
/* The transport's process ID, or -1 (for tests and diagnostics). */
long transport_pid(void);

#endif

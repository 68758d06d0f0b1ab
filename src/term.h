#ifndef CRIER_TERM_H
#define CRIER_TERM_H
/*
 * What crier writes for people passes through one filter, so that text
 * from event files, servers or templates cannot drive the terminal it is
 * shown on (set its title, move the cursor, hide lines): C0 control
 * characters other than tab, line feed and a carriage return that ends a
 * line, DEL, and C1 controls (U+0080–U+009F in UTF-8) are written as
 * "\x1b" / "\u009b". JSON output is unaffected (jansson escapes these
 * already).
 */
#include <stddef.h>
#include <stdio.h>

#include "buf.h"

/* Replaces stdout and stderr with filtered streams over the same file
 * descriptors. stderr stays unbuffered and flushes stdout before each
 * write, so that lines of the two keep their order in one file or pipe.
 * Call once, first thing in main. */
void term_guard_stdio(void);

/* Appends s[0..n) to out with control characters escaped as above (for a
 * caller that builds a line itself). */
void term_escape(struct buf *out, const char *s, size_t n);

/* Whether s[0..n) holds a character term_escape would escape, other than
 * a carriage return, line feed or tab; *at gets its offset. */
int term_find_control(const char *s, size_t n, size_t *at);

#endif

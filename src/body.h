#ifndef CRIER_BODY_H
#define CRIER_BODY_H
/*
 * What an event's body is. Either the organizers' own invitation — a
 * letter that describes the evening, often greets, signs off and links the
 * registration — which crier's announcement carries as it is, below the
 * facts; or details that crier's own text carries at its end. For texts
 * in another language than the body's: the theme the body states. And
 * what the body already says (an abstract, a link), so that no text says
 * it twice.
 *
 * The theme is the paragraph most about the event; paragraphs and lines
 * that recur in the bodies of the site's other events (a greeting, a
 * standing description of the meetup) are never it. What recurs is
 * collected once per site (struct body_recur), which borrows nothing.
 */
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "event.h"

enum body_kind { BODY_KIND_DETAILS, BODY_KIND_INVITATION };

/* Appends s[0..n) to out with its white space (spaces, tabs, line ends)
 * folded: each run to one space, none at either end. The key by which
 * paragraphs and lines are compared. */
void body_fold(const char *s, size_t n, struct buf *out);

/* Whether body contains text, comparing letters and digits only (case,
 * white space, punctuation and Markdown ignored). A text of fewer than
 * four words is never found. */
bool body_says(const char *body, const char *text);

/* Whether body links to url: the address appears in it, compared without
 * its scheme, "www." and a final '/' (ASCII case ignored). */
bool body_links_to(const char *body, const char *url);

/* What body (ev's body in some language) is: an invitation when it
 * contains a talk's abstract or the registration link (the Meetup.com
 * link), or is written as a letter — it opens with a salutation ("Dear
 * Rustaceans,") or signs off ("Yours,\nFlorian and Kai"); else details. */
enum body_kind body_kind_of(const struct event *ev, const char *body);

struct body_recur;

/* What recurs in the bodies of evs (n of them): paragraphs and lines that
 * two or more events' bodies have. */
struct body_recur *body_recur_new(struct event *const *evs, size_t n);
void body_recur_free(struct body_recur *r);

/* The theme of body (ev's body in its own language) for a text in another
 * language: the text after a "TL;DR:" label; else, before the body's first
 * thematic break, the paragraph that names most words of the event's or
 * its talks' titles (the first of them when none does), leaving out notes
 * in parentheses, salutations and sign-offs, the paragraph that states
 * the date or the time, the one with the registration link, headings,
 * lists and code, and whatever recurs in other events' bodies (r, may be
 * NULL). One paragraph of Markdown on one line, or NULL when the body has
 * none. Caller frees. */
char *body_theme(const struct event *ev, const char *body,
                 const struct body_recur *r);

#endif

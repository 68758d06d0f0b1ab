/* libunistring, opened when a text's characters are first counted the
 * way a person sees them (lazy.h): only the channels with limits in
 * graphemes (Mastodon, Bluesky) count so. */
#include "lazy.h"

#include <stddef.h>

#include <unigbrk.h>

#define UNISTRING_FUNCS(X) X(u8_grapheme_next)

LAZY_DEFINE(lazy_unistring_spec, CRIER_SONAME_UNISTRING,
            "needed to count characters as people see them", UNISTRING_FUNCS);
#define FN(f) LAZY_FN(LAZY_UNISTRING, f)

const uint8_t *u8_grapheme_next(const uint8_t *s, const uint8_t *end)
{
  return FN(u8_grapheme_next)(s, end);
}

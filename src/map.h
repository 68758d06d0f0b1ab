#ifndef CRIER_MAP_H
#define CRIER_MAP_H
/*
 * A hash map from strings to pointers (open addressing). The map copies
 * its keys and owns the copies; values are borrowed (the caller owns what
 * they point to). Lookups and inserts take constant time on average.
 */
#include <stddef.h>

struct map {
  struct map_slot *slots;
  size_t cap, n;
};

#define MAP_INIT                                                               \
  {                                                                            \
    NULL, 0, 0                                                                 \
  }

/* The value of key, or NULL. */
void *map_get(const struct map *m, const char *key);
/* Sets key to value (replacing an earlier value); returns the old value or
 * NULL. */
void *map_put(struct map *m, const char *key, void *value);
/* Calls fn for every entry, in no particular order. */
void map_each(const struct map *m,
              void (*fn)(void *ud, const char *key, void *value), void *ud);
/* Frees the keys and the table; values are untouched. */
void map_release(struct map *m);

#endif

#include "map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct map_slot {
  char *key; /* NULL: empty */
  void *value;
  uint64_t hash;
};

static uint64_t hash_of(const char *s)
{
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return h;
}

static struct map_slot *find(const struct map *m, const char *key, uint64_t h)
{
  size_t mask = m->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    struct map_slot *s = &m->slots[i];
    if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
      return s;
  }
}

void *map_get(const struct map *m, const char *key)
{
  if (!m->n)
    return NULL;
  struct map_slot *s = find(m, key, hash_of(key));
  return s->key ? s->value : NULL;
}

static void grow(struct map *m)
{
  struct map old = *m;
  m->cap = old.cap ? old.cap * 2 : 16;
  m->slots = xcalloc(m->cap, sizeof(*m->slots));
  for (size_t i = 0; i < old.cap; i++)
    if (old.slots[i].key)
      *find(m, old.slots[i].key, old.slots[i].hash) = old.slots[i];
  free(old.slots);
}

void *map_put(struct map *m, const char *key, void *value)
{
  if ((m->n + 1) * 4 > m->cap * 3)
    grow(m);
  uint64_t h = hash_of(key);
  struct map_slot *s = find(m, key, h);
  if (s->key) {
    void *old = s->value;
    s->value = value;
    return old;
  }
  s->key = xstrdup(key);
  s->hash = h;
  s->value = value;
  m->n++;
  return NULL;
}

void map_each(const struct map *m,
              void (*fn)(void *ud, const char *key, void *value), void *ud)
{
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key)
      fn(ud, m->slots[i].key, m->slots[i].value);
}

void map_release(struct map *m)
{
  for (size_t i = 0; i < m->cap; i++)
    free(m->slots[i].key);
  free(m->slots);
  memset(m, 0, sizeof(*m));
}

/* Jansson, opened when crier first builds or reads a JSON document
 * (lazy.h): a text's data (the templates render from one), a request's
 * body, a response, --json output, the results a run collects. A cron
 * run with nothing due never loads it. json_pack forwards to
 * json_vpack_ex, which is what Jansson's own json_pack calls. */
#include "lazy.h"

#include <stdarg.h>
#include <stddef.h>

#include <jansson.h>

#define JANSSON_FUNCS(X)                                                       \
  X(json_object)                                                               \
  X(json_array)                                                                \
  X(json_string)                                                               \
  X(json_integer)                                                              \
  X(json_true)                                                                 \
  X(json_false)                                                                \
  X(json_null)                                                                 \
  X(json_delete)                                                               \
  X(json_object_get)                                                           \
  X(json_object_size)                                                          \
  X(json_object_set_new)                                                       \
  X(json_object_set_new_nocheck)                                               \
  X(json_object_del)                                                           \
  X(json_object_update)                                                        \
  X(json_array_size)                                                           \
  X(json_array_get)                                                            \
  X(json_array_append_new)                                                     \
  X(json_array_extend)                                                         \
  X(json_string_value)                                                         \
  X(json_string_length)                                                        \
  X(json_integer_value)                                                        \
  X(json_real_value)                                                           \
  X(json_number_value)                                                         \
  X(json_vpack_ex)                                                             \
  X(json_loads)                                                                \
  X(json_loadb)                                                                \
  X(json_dumps)

LAZY_DEFINE(lazy_jansson_spec, CRIER_SONAME_JANSSON,
            "needed for JSON and the texts' data", JANSSON_FUNCS);
#define FN(f) LAZY_FN(LAZY_JANSSON, f)

json_t *json_object(void)
{
  return FN(json_object)();
}

json_t *json_array(void)
{
  return FN(json_array)();
}

json_t *json_string(const char *value)
{
  return FN(json_string)(value);
}

json_t *json_integer(json_int_t value)
{
  return FN(json_integer)(value);
}

json_t *json_true(void)
{
  return FN(json_true)();
}

json_t *json_false(void)
{
  return FN(json_false)();
}

json_t *json_null(void)
{
  return FN(json_null)();
}

void json_delete(json_t *json)
{
  FN(json_delete)(json);
}

json_t *json_object_get(const json_t *object, const char *key)
{
  return FN(json_object_get)(object, key);
}

int json_object_set_new(json_t *object, const char *key, json_t *value)
{
  return FN(json_object_set_new)(object, key, value);
}

int json_object_set_new_nocheck(json_t *object, const char *key, json_t *value)
{
  return FN(json_object_set_new_nocheck)(object, key, value);
}

int json_object_del(json_t *object, const char *key)
{
  return FN(json_object_del)(object, key);
}

int json_object_update(json_t *object, json_t *other)
{
  return FN(json_object_update)(object, other);
}

size_t json_object_size(const json_t *object)
{
  return FN(json_object_size)(object);
}

size_t json_array_size(const json_t *array)
{
  return FN(json_array_size)(array);
}

json_t *json_array_get(const json_t *array, size_t index)
{
  return FN(json_array_get)(array, index);
}

int json_array_append_new(json_t *array, json_t *value)
{
  return FN(json_array_append_new)(array, value);
}

int json_array_extend(json_t *array, json_t *other)
{
  return FN(json_array_extend)(array, other);
}

const char *json_string_value(const json_t *string)
{
  return FN(json_string_value)(string);
}

size_t json_string_length(const json_t *string)
{
  return FN(json_string_length)(string);
}

json_int_t json_integer_value(const json_t *integer)
{
  return FN(json_integer_value)(integer);
}

double json_real_value(const json_t *real)
{
  return FN(json_real_value)(real);
}

double json_number_value(const json_t *json)
{
  return FN(json_number_value)(json);
}

json_t *json_vpack_ex(json_error_t *error, size_t flags, const char *fmt,
                      va_list ap)
{
  return FN(json_vpack_ex)(error, flags, fmt, ap);
}

json_t *json_pack(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  json_t *v = json_vpack_ex(NULL, 0, fmt, ap);
  va_end(ap);
  return v;
}

json_t *json_loads(const char *input, size_t flags, json_error_t *error)
{
  return FN(json_loads)(input, flags, error);
}

json_t *json_loadb(const char *buffer, size_t buflen, size_t flags,
                   json_error_t *error)
{
  return FN(json_loadb)(buffer, buflen, flags, error);
}

char *json_dumps(const json_t *json, size_t flags)
{
  return FN(json_dumps)(json, flags);
}

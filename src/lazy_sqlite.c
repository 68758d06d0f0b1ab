/* libsqlite3, opened with the journal (lazy.h): check, preview and the
 * commands that read no journal never load it. */
#include "lazy.h"

#include <stddef.h>

#include <sqlite3.h>

#define SQLITE_FUNCS(X)                                                        \
  X(sqlite3_config)                                                            \
  X(sqlite3_open)                                                              \
  X(sqlite3_open_v2)                                                           \
  X(sqlite3_close)                                                             \
  X(sqlite3_busy_timeout)                                                      \
  X(sqlite3_exec)                                                              \
  X(sqlite3_free)                                                              \
  X(sqlite3_errmsg)                                                            \
  X(sqlite3_errcode)                                                           \
  X(sqlite3_prepare_v2)                                                        \
  X(sqlite3_step)                                                              \
  X(sqlite3_reset)                                                             \
  X(sqlite3_clear_bindings)                                                    \
  X(sqlite3_finalize)                                                          \
  X(sqlite3_bind_text)                                                         \
  X(sqlite3_bind_int)                                                          \
  X(sqlite3_bind_int64)                                                        \
  X(sqlite3_column_text)                                                       \
  X(sqlite3_column_int)                                                        \
  X(sqlite3_column_int64)                                                      \
  X(sqlite3_column_type)                                                       \
  X(sqlite3_column_count)

LAZY_DEFINE(lazy_sqlite_spec, CRIER_SONAME_SQLITE, "needed for the journal",
            SQLITE_FUNCS);
#define FN(f) LAZY_FN(LAZY_SQLITE, f)

int sqlite3_open(const char *path, sqlite3 **db)
{
  return FN(sqlite3_open)(path, db);
}

int sqlite3_open_v2(const char *path, sqlite3 **db, int flags, const char *vfs)
{
  return FN(sqlite3_open_v2)(path, db, flags, vfs);
}

int sqlite3_close(sqlite3 *db)
{
  return FN(sqlite3_close)(db);
}

int sqlite3_busy_timeout(sqlite3 *db, int ms)
{
  return FN(sqlite3_busy_timeout)(db, ms);
}

int sqlite3_exec(sqlite3 *db, const char *sql,
                 int (*cb)(void *, int, char **, char **), void *ud,
                 char **errmsg)
{
  return FN(sqlite3_exec)(db, sql, cb, ud, errmsg);
}

void sqlite3_free(void *p)
{
  FN(sqlite3_free)(p);
}

const char *sqlite3_errmsg(sqlite3 *db)
{
  return FN(sqlite3_errmsg)(db);
}

int sqlite3_errcode(sqlite3 *db)
{
  return FN(sqlite3_errcode)(db);
}

int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st,
                       const char **tail)
{
  return FN(sqlite3_prepare_v2)(db, sql, n, st, tail);
}

int sqlite3_step(sqlite3_stmt *st)
{
  return FN(sqlite3_step)(st);
}

int sqlite3_reset(sqlite3_stmt *st)
{
  return FN(sqlite3_reset)(st);
}

int sqlite3_clear_bindings(sqlite3_stmt *st)
{
  return FN(sqlite3_clear_bindings)(st);
}

int sqlite3_finalize(sqlite3_stmt *st)
{
  return FN(sqlite3_finalize)(st);
}

int sqlite3_bind_text(sqlite3_stmt *st, int i, const char *s, int n,
                      void (*destructor)(void *))
{
  return FN(sqlite3_bind_text)(st, i, s, n, destructor);
}

int sqlite3_bind_int(sqlite3_stmt *st, int i, int v)
{
  return FN(sqlite3_bind_int)(st, i, v);
}

int sqlite3_bind_int64(sqlite3_stmt *st, int i, sqlite3_int64 v)
{
  return FN(sqlite3_bind_int64)(st, i, v);
}

const unsigned char *sqlite3_column_text(sqlite3_stmt *st, int i)
{
  return FN(sqlite3_column_text)(st, i);
}

int sqlite3_column_int(sqlite3_stmt *st, int i)
{
  return FN(sqlite3_column_int)(st, i);
}

sqlite3_int64 sqlite3_column_int64(sqlite3_stmt *st, int i)
{
  return FN(sqlite3_column_int64)(st, i);
}

int sqlite3_column_type(sqlite3_stmt *st, int i)
{
  return FN(sqlite3_column_type)(st, i);
}

int sqlite3_column_count(sqlite3_stmt *st)
{
  return FN(sqlite3_column_count)(st);
}

/* sqlite3_config takes variable arguments: no forwarder, this one call. */
void lazy_sqlite_page_by_page(void)
{
  FN(sqlite3_config)(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0);
}

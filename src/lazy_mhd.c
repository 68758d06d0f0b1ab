/* libmicrohttpd, opened by crier serve (lazy.h). */
#include "lazy.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>

#define MHD_FUNCS(X)                                                           \
  X(MHD_start_daemon_va)                                                       \
  X(MHD_stop_daemon)                                                           \
  X(MHD_get_daemon_info)                                                       \
  X(MHD_lookup_connection_value)                                               \
  X(MHD_suspend_connection)                                                    \
  X(MHD_resume_connection)                                                     \
  X(MHD_create_response_from_buffer)                                           \
  X(MHD_add_response_header)                                                   \
  X(MHD_queue_response)                                                        \
  X(MHD_destroy_response)

LAZY_DEFINE(lazy_mhd_spec, CRIER_SONAME_MHD, "needed by serve", MHD_FUNCS);
#define FN(f) LAZY_FN(LAZY_MHD, f)

struct MHD_Daemon *MHD_start_daemon_va(unsigned int flags, uint16_t port,
                                       MHD_AcceptPolicyCallback apc,
                                       void *apc_cls,
                                       MHD_AccessHandlerCallback dh,
                                       void *dh_cls, va_list ap)
{
  return FN(MHD_start_daemon_va)(flags, port, apc, apc_cls, dh, dh_cls, ap);
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port,
                                    MHD_AcceptPolicyCallback apc, void *apc_cls,
                                    MHD_AccessHandlerCallback dh, void *dh_cls,
                                    ...)
{
  va_list ap;
  va_start(ap, dh_cls);
  struct MHD_Daemon *d =
      MHD_start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
  va_end(ap);
  return d;
}

void MHD_stop_daemon(struct MHD_Daemon *d)
{
  FN(MHD_stop_daemon)(d);
}

/* The information crier asks for takes no further argument. */
const union MHD_DaemonInfo *
MHD_get_daemon_info(struct MHD_Daemon *d, enum MHD_DaemonInfoType type, ...)
{
  return FN(MHD_get_daemon_info)(d, type);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *c,
                                        enum MHD_ValueKind kind,
                                        const char *key)
{
  return FN(MHD_lookup_connection_value)(c, kind, key);
}

void MHD_suspend_connection(struct MHD_Connection *c)
{
  FN(MHD_suspend_connection)(c);
}

void MHD_resume_connection(struct MHD_Connection *c)
{
  FN(MHD_resume_connection)(c);
}

struct MHD_Response *
MHD_create_response_from_buffer(size_t size, void *buffer,
                                enum MHD_ResponseMemoryMode mode)
{
  return FN(MHD_create_response_from_buffer)(size, buffer, mode);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *r,
                                        const char *header, const char *content)
{
  return FN(MHD_add_response_header)(r, header, content);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *c,
                                   unsigned int status, struct MHD_Response *r)
{
  return FN(MHD_queue_response)(c, status, r);
}

void MHD_destroy_response(struct MHD_Response *r)
{
  FN(MHD_destroy_response)(r);
}

/* Forgather-C plugin ABI: versions, status codes, the error buffer.
 *
 * Versioning policy: FG_ABI_MAJOR changes when a slot is removed or its signature
 * changes; FG_ABI_MINOR changes when a table grows at its end. The host accepts a
 * plugin whose major equals its own and whose minor is not newer. */
#ifndef FORGATHER_FG_ABI_H
#define FORGATHER_FG_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define FG_BEGIN_DECLS extern "C" {
#define FG_END_DECLS }
#else
#define FG_BEGIN_DECLS
#define FG_END_DECLS
#endif

FG_BEGIN_DECLS

#define FG_ABI_MAJOR 1
#define FG_ABI_MINOR 3

#define FG_EXPORT __attribute__((visibility("default")))
#define FG_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))

/* Status codes: 0 is success, errors are negative. */
typedef int32_t fg_status;
#define FG_OK 0
#define FG_E_INVALID_ARG (-1)
#define FG_E_NOT_FOUND (-2)
#define FG_E_TYPE (-3)
#define FG_E_RANGE (-4)
#define FG_E_NOMEM (-5)
#define FG_E_UNSUPPORTED (-6)
#define FG_E_ABI (-7)
#define FG_E_DEVICE (-8)
#define FG_E_IO (-9)
#define FG_E_INTERNAL (-10)
#define FG_E_PARSE (-11)
#define FG_E_NUMERIC (-12)
#define FG_E_INTERRUPTED (-13)

#define FG_ERROR_MSG_SIZE 1024

/* Fixed buffer so no string crosses the plugin boundary for freeing. */
typedef struct fg_error {
    fg_status code;
    char msg[FG_ERROR_MSG_SIZE];
} fg_error;

/* True when a size-prefixed table is large enough to hold `member`: lets either side
 * use slots appended in a later minor version only when the other side has them. */
#define FG_HAS(table_ptr, member)                                                        \
    ((table_ptr) != NULL &&                                                              \
     (table_ptr)->struct_size >= offsetof(__typeof__(*(table_ptr)), member) +            \
                                     sizeof((table_ptr)->member) &&                     \
     (table_ptr)->member != NULL)

/* The size a table must have to hold every slot up to and including `member`: the
 * minimum to require of an object's vtable when calling slots up to that one, so tables
 * of plugins built before later slots were appended stay usable. */
#define FG_VTBL_THROUGH(type, member) ((uint32_t)(offsetof(type, member) + sizeof(((type *)0)->member)))

FG_END_DECLS

#endif

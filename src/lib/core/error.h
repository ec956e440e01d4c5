/* Errors as values.
 *
 * A function that can fail returns a negative int (or NULL) and fills the
 * `brig_error *reterr` passed as its last argument.  Callers add context with
 * brig_error_wrap() on the way up, so the message a user finally sees reads
 * "create container `c1`: mount `/proc`: Operation not permitted".
 */
#ifndef BRIG_CORE_ERROR_H
#define BRIG_CORE_ERROR_H

#include <stdarg.h>

struct brig_error_s {
    int errnum; /* errno at the origin, 0 when not a system error */
    char *msg;  /* full message, context first */
};
typedef struct brig_error_s *brig_error;

/* Set *reterr to a new error "fmt..." and return -1.  If errnum is non-zero
 * ": strerror(errnum)" is appended.  Any error already in *reterr is freed. */
int brig_error_set(brig_error *reterr, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int brig_error_setv(brig_error *reterr, int errnum, const char *fmt, va_list ap);

/* Prefix the error in *reterr with "fmt...: " and return -1. */
int brig_error_wrap(brig_error *reterr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void brig_error_free(brig_error *err);
static inline void brig_error_freep(brig_error *err)
{
    brig_error_free(err);
}
#define _cleanup_error_ __attribute__((cleanup(brig_error_freep)))

/* Shorthand for the common "verb object: strerror(errno)" case. */
#define brig_error_errno(reterr, ...) brig_error_set((reterr), errno, __VA_ARGS__)

#endif

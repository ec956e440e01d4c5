/* Shared by the log writer (logfile.c) and reader (logfile_read.c); not
 * part of the engine's interface. */
#ifndef BRIG_ENGINE_LOGFILE_INTERNAL_H
#define BRIG_ENGINE_LOGFILE_INTERNAL_H

#include <stddef.h>
#include <string.h>

#include "core/util.h"

#define LOG_NAME "ctr.log"
#define LOG_LINE_MAX 16384 /* docker's split size */
#define LOG_FLUSH_AT (64 * 1024)

/* A growable byte buffer. */
struct buf {
    char *p;
    size_t len, cap;
};

static inline void buf_reserve(struct buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    b->p = brig_xrealloc(b->p, cap);
    b->cap = cap;
}

static inline void buf_add(struct buf *b, const void *p, size_t n)
{
    /* An empty run (a string that starts with an escape) on a buffer not
     * yet allocated: NULL + 0 and memcpy from/to NULL are undefined. */
    if (n == 0)
        return;
    buf_reserve(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static inline void buf_addc(struct buf *b, char c)
{
    buf_reserve(b, 1);
    b->p[b->len++] = c;
}

#endif

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void brig_error_free(brig_error *err)
{
    if (err == NULL || *err == NULL)
        return;
    free((*err)->msg);
    free(*err);
    *err = NULL;
}

int brig_error_setv(brig_error *reterr, int errnum, const char *fmt, va_list ap)
{
    char *base = NULL, *msg = NULL;

    if (reterr == NULL)
        return -1;
    brig_error_free(reterr);
    if (vasprintf(&base, fmt, ap) < 0)
        base = NULL;
    if (base != NULL && errnum != 0) {
        if (asprintf(&msg, "%s: %s", base, strerror(errnum)) < 0)
            msg = NULL;
        free(base);
    } else {
        msg = base;
    }
    *reterr = calloc(1, sizeof(**reterr));
    if (*reterr == NULL) {
        /* Out of memory while reporting an error: nothing sensible left. */
        free(msg);
        abort();
    }
    (*reterr)->errnum = errnum;
    /* Every error is one line: ids, paths, keys and args come from users
     * and configs, and a raw newline or ESC in them would forge lines in
     * the log or the terminal of whoever reads it. */
    (*reterr)->msg = msg != NULL ? brig_str_escape(msg) : strdup("out of memory");
    free(msg);
    return -1;
}

int brig_error_set(brig_error *reterr, int errnum, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = brig_error_setv(reterr, errnum, fmt, ap);
    va_end(ap);
    return ret;
}

int brig_error_wrap(brig_error *reterr, const char *fmt, ...)
{
    char *ctx = NULL, *msg = NULL, *esc = NULL;
    va_list ap;

    if (reterr == NULL || *reterr == NULL)
        return -1;
    va_start(ap, fmt);
    if (vasprintf(&ctx, fmt, ap) < 0)
        ctx = NULL;
    va_end(ap);
    if (ctx == NULL)
        return -1;
    /* The context names user strings too (see brig_error_setv). */
    esc = brig_str_escape(ctx);
    if (asprintf(&msg, "%s: %s", esc, (*reterr)->msg) >= 0) {
        free((*reterr)->msg);
        (*reterr)->msg = msg;
    }
    free(esc);
    free(ctx);
    return -1;
}

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/util.h"
#include "sandbox/container.h"

/* libbrig never prints: warnings go through the callback the CLI installed,
 * or nowhere. */
static brig_log_fn log_fn;
static void *log_data;

void brig_set_log(brig_log_fn fn, void *data)
{
    log_fn = fn;
    log_data = data;
}

void brig_log(int level, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;

    if (log_fn == NULL)
        return;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (msg != NULL) {
        /* One warning, one line, whatever user strings it names. */
        char *esc = brig_str_escape(msg);
        log_fn(level, esc, log_data);
        free(esc);
    }
    free(msg);
}

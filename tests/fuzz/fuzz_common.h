/* Shared by the harnesses: the property every parser error must keep. */
#ifndef BRIG_FUZZ_COMMON_H
#define BRIG_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* A failure must come with exactly one non-empty line of message: the CLIs
 * print it as is, and a newline or escape from the document would let a
 * config forge log lines.  abort() makes libFuzzer keep the input. */
static inline void fuzz_check_error(brig_error err)
{
    if (err == NULL || err->msg == NULL || err->msg[0] == '\0')
        abort();
    for (const char *c = err->msg; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            abort();
}

#endif

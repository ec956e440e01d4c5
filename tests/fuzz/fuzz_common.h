/* Shared by the harnesses: the property every parser error must keep. */
#ifndef BRIG_FUZZ_COMMON_H
#define BRIG_FUZZ_COMMON_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A scratch directory for a harness that works on files: on tmpfs when
 * there is one (the code under test fsyncs, which on a disk would leave the
 * fuzzer mostly waiting), removed when the process exits. */
static inline char *fuzz_scratch_buf(void)
{
    static char path[64];
    return path;
}

static inline int fuzz_scratch_rm(const char *path, const struct stat *sb, int type,
                                  struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    return type == FTW_DP ? rmdir(path) : unlink(path);
}

static inline void fuzz_scratch_cleanup(void)
{
    nftw(fuzz_scratch_buf(), fuzz_scratch_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* "/dev/shm/brig-fuzz-NAME-XXXXXX" (or under /tmp), made once. */
static inline const char *fuzz_scratch_dir(const char *name)
{
    char *path = fuzz_scratch_buf();
    if (path[0] != '\0')
        return path;
    snprintf(path, 64, "%s/brig-fuzz-%s-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", name);
    if (mkdtemp(path) == NULL)
        abort();
    atexit(fuzz_scratch_cleanup);
    return path;
}

#endif

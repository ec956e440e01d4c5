/* Scope-bound cleanup, systemd style.  A variable declared with one of these
 * attributes is released when it goes out of scope; TAKE_PTR/TAKE_FD hand
 * ownership on so the cleanup becomes a no-op. */
#ifndef BRIG_CORE_CLEANUP_H
#define BRIG_CORE_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void brig_freep(void *p)
{
    free(*(void **)p);
}
static inline void brig_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}
static inline void brig_fclosep(FILE **f)
{
    if (*f != NULL)
        fclose(*f);
}
static inline void brig_closedirp(DIR **d)
{
    if (*d != NULL)
        closedir(*d);
}
/* A NULL-terminated array of strings, each owned. */
static inline void brig_strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p != NULL; p++)
        free(*p);
    free(v);
}
static inline void brig_strv_freep(char ***v)
{
    brig_strv_free(*v);
}

#define _cleanup_free_ __attribute__((cleanup(brig_freep)))
#define _cleanup_close_ __attribute__((cleanup(brig_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(brig_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(brig_closedirp)))
#define _cleanup_strv_ __attribute__((cleanup(brig_strv_freep)))

#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _tmp = (p);                                                                  \
        (p) = NULL;                                                                                \
        _tmp;                                                                                      \
    })
#define TAKE_FD(fd)                                                                                \
    ({                                                                                             \
        int _tmp = (fd);                                                                           \
        (fd) = -1;                                                                                 \
        _tmp;                                                                                      \
    })

#define BRIG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif

/* Shared by rootfs.c (prepare/pivot/finalize), mounts.c (spec mounts) and
 * devices.c (/dev).  Not part of libbrig's API. */
#ifndef BRIG_ROOTFS_INTERNAL_H
#define BRIG_ROOTFS_INTERNAL_H

#include <stdbool.h>

#include "core/error.h"
#include "sandbox/rootfs.h"

#define BRIG_MS_PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

/* Hand a held error on to the caller's reterr. */
static inline void brig_rootfs_pass_error(brig_error *reterr, brig_error *err)
{
    if (reterr != NULL) {
        brig_error_free(reterr);
        *reterr = *err;
    } else {
        brig_error_free(err);
    }
    *err = NULL;
}

/* A container path with "//" and "." components removed and no trailing
 * '/'; ".." is kept (RESOLVE_IN_ROOT resolves it without leaving the root).
 * NULL when `path` is not absolute. */
char *brig_rootfs_clean_path(const char *path);

/* Check that the O_PATH `fd` names something inside the rootfs `rootfd`
 * and, with ret_inner, return its path as the container will see it
 * ("/proc/self").  Both are read back from the kernel (/proc/self/fd), so
 * this checks where the fd really is, not where a string says it is. */
int brig_rootfs_check_inside(int rootfd, int fd, const char *what, char **ret_inner,
                             brig_error *reterr);

/* Perform spec mount number `i` inside `rootfd`. */
int brig_rootfs_mount_one(const struct brig_rootfs_ctx *c, int rootfd, size_t i,
                          brig_error *reterr);

/* True when brig builds /dev itself: nothing in the spec bind-mounts /dev. */
bool brig_rootfs_needs_dev(const struct brig_spec *spec);
/* Default devices + linux.devices + /dev symlinks + /dev/ptmx. */
int brig_rootfs_setup_dev(const struct brig_rootfs_ctx *c, int rootfd, brig_error *reterr);

/* Map statvfs() f_flag bits to the MS_* flags a bind remount must repeat
 * so it does not drop them (nosuid, nodev, noexec, atime; rdonly too when
 * `with_rdonly`). */
unsigned long brig_rootfs_statvfs_flags(unsigned long f_flag, bool with_rdonly);

#endif

/* The container's filesystem view, built inside its new mount namespace by
 * the container process itself, before it becomes the user's program.
 *
 * Security invariants kept here:
 *  - every destination is resolved inside the rootfs with RESOLVE_IN_ROOT and
 *    mounted through its O_PATH fd (/proc/self/fd/N), so a symlink planted in
 *    the rootfs can never redirect a mount onto a host path (CVE-2021-30465);
 *  - mounts happen in spec order, each with its propagation flags;
 *  - after pivot_root the old root is detached (MNT_DETACH) and unreachable. */
#ifndef BRIG_ROOTFS_H
#define BRIG_ROOTFS_H

#include <stdbool.h>

#include "cgroup/cgroup.h"
#include "core/error.h"
#include "spec/spec.h"

struct brig_rootfs_ctx {
    const struct brig_spec *spec;
    const char *rootfs;           /* absolute host path of root.path */
    const struct brig_cgroup *cg; /* for "cgroup" mounts; may be NULL */
    bool new_cgroupns;            /* the container has its own cgroup namespace */
    bool in_userns;               /* mknod is not allowed: bind host device nodes */
    bool no_pivot;                /* --no-pivot: MS_MOVE + chroot instead */
    const char *mount_label;      /* context= for tmpfs/devpts/mqueue; NULL = none */
    int proc_fd; /* the runtime's /proc (O_PATH), opened before the clone; -1 = none */
};

/* Before pivot_root: set the rootfs propagation (linux.rootfsPropagation,
 * default rslave... as runc: MS_SLAVE|MS_REC on "/"), bind the rootfs onto
 * itself, perform spec mounts in order, create /dev (default devices, the
 * spec's linux.devices, /dev/fd|stdin|stdout|stderr symlinks, /dev/ptmx ->
 * pts/ptmx) when /dev is not a bind of the host's. */
int brig_rootfs_prepare(const struct brig_rootfs_ctx *c, brig_error *reterr);
/* pivot_root into the rootfs (or MS_MOVE + chroot with no_pivot) and chdir "/". */
int brig_rootfs_pivot(const struct brig_rootfs_ctx *c, brig_error *reterr);
/* After pivot_root: masked paths (a read-only empty tmpfs over directories,
 * /dev/null over files), read-only paths (bind remount ro, nosuid, nodev,
 * noexec kept), then the read-only root (root.readonly).  Mount targets are
 * named by their fds' magic links under proc_fd when there is one, so a
 * config without a /proc mount still gets its masks. */
int brig_rootfs_finalize(const struct brig_rootfs_ctx *c, brig_error *reterr);

/* The default device nodes every container gets (null, zero, full, random,
 * urandom, tty), as spec devices. */
const struct brig_spec_device *brig_rootfs_default_devices(size_t *ret_n);

#endif

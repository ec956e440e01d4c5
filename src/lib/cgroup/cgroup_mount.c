/* The container's /sys/fs/cgroup.  Runs in the container's mount namespace
 * before pivot_root; every target is resolved inside the rootfs with
 * RESOLVE_IN_ROOT and mounted through its /proc/self/fd path, so a symlink
 * planted in the image cannot redirect a mount onto the host.
 *
 * With its own cgroup namespace the container gets fresh mounts whose root
 * is its own cgroup (the namespace root): cgroup2 on v2; on v1/hybrid a
 * tmpfs with one directory per hierarchy ("cpu,cpuacct" plus "cpu" and
 * "cpuacct" symlinks, "systemd" for name=systemd, "unified" for the hybrid
 * cgroup2 tree), the layout docker and runc give.  Without one, the
 * container's own cgroup directories are bind-mounted in the same places,
 * so it still sees only itself.  Read-only is applied per mount with a
 * bind remount, never on a superblock it shares with the host. */
#include "cgroup/cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

/* Flags that only make sense on a fresh mount of ours. */
static unsigned long plain_flags(unsigned long flags)
{
    return flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME |
                    MS_STRICTATIME);
}

static int remount_flags(int fd, const char *what, unsigned long flags, brig_error *reterr)
{
    char p[BRIG_FD_PATH_MAX];

    if (!(flags & MS_RDONLY))
        return 0;
    brig_fd_path(fd, p);
    if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | plain_flags(flags), NULL) < 0)
        return brig_error_errno(reterr, "remount `%s` read-only", what);
    return 0;
}

static int bind_dir(const char *src, int fd, const char *what, brig_error *reterr)
{
    char p[BRIG_FD_PATH_MAX];

    brig_fd_path(fd, p);
    if (mount(src, p, NULL, MS_BIND | MS_REC, NULL) < 0)
        return brig_error_errno(reterr, "bind-mount cgroup `%s` on `%s`", src, what);
    return 0;
}

/* Mount one hierarchy on the directory `fd` (an O_PATH fd we hold).  The
 * caller re-opens the target by name afterwards for the read-only remount:
 * `fd` (and its /proc/self/fd link) still names the covered directory. */
static int mount_hier(const struct brig_cg_hier *h, int fd, const char *what, unsigned long flags,
                      bool new_cgroupns, brig_error *reterr)
{
    char p[BRIG_FD_PATH_MAX];

    brig_fd_path(fd, p);
    if (new_cgroupns) {
        int r;
        if (h->kind == BRIG_CG_KIND_UNIFIED)
            r = mount("cgroup2", p, "cgroup2", plain_flags(flags), NULL);
        else
            r = mount("cgroup", p, "cgroup", plain_flags(flags), h->controllers);
        /* In a user namespace v1 hierarchies cannot be mounted (EPERM):
         * the bind mount below shows the same directory. */
        if (r == 0)
            return 0;
        if (errno != EPERM)
            return brig_error_errno(reterr, "mount cgroup `%s` on `%s`",
                                    *h->controllers ? h->controllers : "cgroup2", what);
    }
    return bind_dir(h->dir, fd, what, reterr);
}

static int mount_v1_tree(const struct brig_cgroup *cg, int rootfd, const char *dest, int destfd,
                         unsigned long flags, bool new_cgroupns, brig_error *reterr)
{
    _cleanup_close_ int tmpfd = -1;
    char p[BRIG_FD_PATH_MAX];

    brig_fd_path(destfd, p);
    if (mount("tmpfs", p, "tmpfs", plain_flags(flags), "mode=755") < 0)
        return brig_error_errno(reterr, "mount tmpfs on `%s`", dest);
    tmpfd = brig_open_in_root(rootfd, dest, O_PATH | O_DIRECTORY, 0, reterr);
    if (tmpfd < 0)
        return -1;
    for (size_t i = 0; i < cg->n_hiers; i++) {
        const struct brig_cg_hier *h = &cg->hiers[i];
        _cleanup_free_ char *what = NULL;
        _cleanup_close_ int sub = -1;
        const char *name = h->kind == BRIG_CG_KIND_UNIFIED ? "unified"
                           : h->kind == BRIG_CG_KIND_NAMED ? h->controllers + strlen("name=")
                                                           : h->controllers;
        what = brig_xasprintf("%s/%s", dest, name);
        /* The tmpfs is ours and brand new: plain *at() calls are safe. */
        if (mkdirat(tmpfd, name, 0755) < 0 && errno != EEXIST)
            return brig_error_errno(reterr, "mkdir `%s`", what);
        sub = openat(tmpfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return brig_error_errno(reterr, "open `%s`", what);
        if (mount_hier(h, sub, what, flags, new_cgroupns, reterr) < 0)
            return -1;
        close(sub);
        sub = openat(tmpfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return brig_error_errno(reterr, "open `%s`", what);
        if (remount_flags(sub, what, flags, reterr) < 0)
            return -1;
        /* Co-mounted controllers: "cpu" -> "cpu,cpuacct", as docker does. */
        if (h->kind == BRIG_CG_KIND_V1 && strchr(h->controllers, ',') != NULL) {
            _cleanup_free_ char *list = brig_xstrdup(h->controllers);
            char *save = NULL;
            for (char *c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save))
                if (symlinkat(name, tmpfd, c) < 0 && errno != EEXIST)
                    return brig_error_errno(reterr, "symlink `%s/%s`", dest, c);
        }
    }
    return remount_flags(tmpfd, dest, flags, reterr);
}

int brig_cgroup_mount(const struct brig_cgroup *cg, int rootfd, const char *dest,
                      unsigned long flags, bool new_cgroupns, brig_error *reterr)
{
    _cleanup_close_ int destfd = -1;
    int r;

    destfd = brig_mkdir_p_in_root(rootfd, dest, 0755, reterr);
    if (destfd < 0)
        return brig_error_wrap(reterr, "mount cgroups on `%s`", dest);
    if (cg->mode == BRIG_CGROUP_V2) {
        r = mount_hier(brig_cg_find(cg, NULL), destfd, dest, flags, new_cgroupns, reterr);
        if (r == 0) {
            _cleanup_close_ int mfd =
                brig_open_in_root(rootfd, dest, O_PATH | O_DIRECTORY, 0, reterr);
            r = mfd < 0 ? -1 : remount_flags(mfd, dest, flags, reterr);
        }
    } else
        r = mount_v1_tree(cg, rootfd, dest, destfd, flags, new_cgroupns, reterr);
    if (r < 0)
        return brig_error_wrap(reterr, "mount cgroups on `%s`", dest);
    return 0;
}

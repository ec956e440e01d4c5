/* The container's filesystem view: prepare (spec mounts and /dev, before
 * pivot_root), pivot, finalize (masked and read-only paths, read-only root).
 * Runs in the container process, already in its own mount namespace. */
#include "sandbox/rootfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/util.h"
#include "selinux/label.h"

/* One /proc/self/mountinfo line, the fields brig needs.  Strings point into
 * the line buffer. */
struct mountinfo_entry {
    char *mountpoint; /* unescaped */
    char *optional;   /* "shared:1 master:2", may be "" */
    char *fstype;
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
    char *o = s;
    while (*s) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            *o++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
            s += 4;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
}

static bool parse_mountinfo_line(char *line, struct mountinfo_entry *e)
{
    char *save = NULL, *f, *sep;
    int n = 0;

    sep = strstr(line, " - ");
    if (sep == NULL)
        return false;
    *sep = '\0';
    e->optional = "";
    for (f = strtok_r(line, " ", &save); f != NULL; f = strtok_r(NULL, " ", &save), n++) {
        if (n == 4)
            e->mountpoint = f;
        else if (n == 6) {
            /* The rest of the first half, space separated. */
            e->optional = f;
            if (save != NULL && *save != '\0')
                f[strlen(f)] = ' ';
            break;
        }
    }
    if (n < 4)
        return false;
    e->fstype = strtok_r(sep + 3, " ", &save);
    if (e->fstype == NULL)
        return false;
    unescape_octal(e->mountpoint);
    return true;
}

static bool path_is_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (strcmp(dir, "/") == 0)
        return true;
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* pivot_root(2) refuses a new root whose parent mount is shared, and a
 * shared parent would also carry our bind of the rootfs back to the host.
 * Make that one mount private, as runc does (only matters when
 * rootfsPropagation asked for "shared"). */
static int make_parent_mount_private(const char *rootfs, brig_error *reterr)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    _cleanup_free_ char *line = NULL, *best = NULL;
    bool best_shared = false;
    size_t cap = 0;

    if (f == NULL)
        return brig_error_errno(reterr, "open `/proc/self/mountinfo`");
    while (getline(&line, &cap, f) > 0) {
        struct mountinfo_entry e;
        line[strcspn(line, "\n")] = '\0';
        if (!parse_mountinfo_line(line, &e) || !path_is_under(rootfs, e.mountpoint))
            continue;
        /* The longest prefix is the mount holding rootfs; a later entry
         * with the same mount point is mounted on top and wins. */
        if (best == NULL || strlen(e.mountpoint) >= strlen(best)) {
            free(best);
            best = brig_xstrdup(e.mountpoint);
            best_shared = strstr(e.optional, "shared:") != NULL;
        }
    }
    if (best != NULL && best_shared && mount(NULL, best, NULL, MS_PRIVATE, NULL) < 0)
        return brig_error_errno(reterr, "make `%s` private", best);
    return 0;
}

int brig_rootfs_prepare(const struct brig_rootfs_ctx *c, brig_error *reterr)
{
    unsigned long prop = c->spec->linux_.rootfs_propagation;
    _cleanup_free_ char *real = NULL;
    _cleanup_close_ int rootfd = -1;

    if (c->rootfs == NULL || c->rootfs[0] != '/')
        return brig_error_set(reterr, EINVAL, "rootfs `%s`: must be an absolute path",
                              c->rootfs ? c->rootfs : "");
    /* Nothing the container mounts may reach the host: by default every
     * mount becomes a slave of the host's (rslave), as runc. */
    if (prop == 0)
        prop = MS_SLAVE | MS_REC;
    if (mount(NULL, "/", NULL, prop, NULL) < 0)
        return brig_error_errno(reterr, "set the propagation of `/`");
    real = realpath(c->rootfs, NULL);
    if (real == NULL)
        return brig_error_errno(reterr, "resolve rootfs `%s`", c->rootfs);
    if (make_parent_mount_private(real, reterr) < 0)
        return -1;
    /* pivot_root needs the new root to be a mount point. */
    if (mount(real, real, NULL, MS_BIND | MS_REC, NULL) < 0)
        return brig_error_errno(reterr, "bind rootfs `%s` onto itself", real);
    rootfd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return brig_error_errno(reterr, "open rootfs `%s`", real);

    for (size_t i = 0; i < c->spec->n_mounts; i++)
        if (brig_rootfs_mount_one(c, rootfd, i, reterr) < 0)
            return -1;
    return brig_rootfs_setup_dev(c, rootfd, reterr);
}

/* Before MS_MOVE + chroot, the host's procfs and sysfs mounts stay in this
 * namespace, reachable by escaping the chroot; and the kernel lets a
 * namespace mount a fresh procfs only when it can already see one that is
 * not covered.  Hide every one outside the rootfs, as runc does: unmount
 * it, or cover it with an empty read-only tmpfs when that is refused. */
static int hide_host_proc_sys(const char *rootfs, brig_error *reterr)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    _cleanup_free_ char *line = NULL;
    _cleanup_strv_ char **paths = NULL;
    size_t cap = 0;

    if (f == NULL)
        return brig_error_errno(reterr, "open `/proc/self/mountinfo`");
    while (getline(&line, &cap, f) > 0) {
        struct mountinfo_entry e;
        line[strcspn(line, "\n")] = '\0';
        if (!parse_mountinfo_line(line, &e))
            continue;
        if (strcmp(e.fstype, "proc") != 0 && strcmp(e.fstype, "sysfs") != 0)
            continue;
        if (path_is_under(e.mountpoint, rootfs))
            continue;
        brig_strv_append(&paths, e.mountpoint);
    }
    for (char **p = paths; p != NULL && *p != NULL; p++) {
        if (umount2(*p, MNT_DETACH) == 0)
            continue;
        if (errno != EINVAL && errno != EPERM)
            return brig_error_errno(reterr, "unmount `%s`", *p);
        /* EINVAL: already gone with its parent, or covered; cover it
         * anyway unless the path itself is gone. */
        if (mount("tmpfs", *p, "tmpfs", MS_RDONLY, NULL) < 0 && errno != ENOENT)
            return brig_error_errno(reterr, "cover `%s` with a tmpfs", *p);
    }
    return 0;
}

static int move_root(const char *rootfs, brig_error *reterr)
{
    _cleanup_close_ int newroot = -1;

    if (hide_host_proc_sys(rootfs, reterr) < 0)
        return -1;
    newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (newroot < 0)
        return brig_error_errno(reterr, "open rootfs `%s`", rootfs);
    if (fchdir(newroot) < 0)
        return brig_error_errno(reterr, "chdir to rootfs `%s`", rootfs);
    if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
        return brig_error_errno(reterr, "move rootfs `%s` to `/`", rootfs);
    if (chroot(".") < 0)
        return brig_error_errno(reterr, "chroot to rootfs `%s`", rootfs);
    return 0;
}

/* pivot_root(".", ".") stacks the old root on top of the new one at "/";
 * from inside it, make it a slave (so the unmount cannot propagate to the
 * host's mounts) and detach it.  No directory for the old root is needed,
 * so a read-only rootfs works too. */
static int pivot_root_dot(const char *rootfs, brig_error *reterr)
{
    _cleanup_close_ int oldroot = -1, newroot = -1;

    oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0)
        return brig_error_errno(reterr, "open `/`");
    newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (newroot < 0)
        return brig_error_errno(reterr, "open rootfs `%s`", rootfs);
    if (fchdir(newroot) < 0)
        return brig_error_errno(reterr, "chdir to rootfs `%s`", rootfs);
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return brig_error_errno(reterr, "pivot_root into `%s`", rootfs);
    if (fchdir(oldroot) < 0)
        return brig_error_errno(reterr, "chdir to the old root");
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return brig_error_errno(reterr, "make the old root a slave");
    if (umount2(".", MNT_DETACH) < 0)
        return brig_error_errno(reterr, "detach the old root");
    return 0;
}

int brig_rootfs_pivot(const struct brig_rootfs_ctx *c, brig_error *reterr)
{
    _cleanup_free_ char *real = realpath(c->rootfs, NULL);
    unsigned long prop = c->spec->linux_.rootfs_propagation;

    if (real == NULL)
        return brig_error_errno(reterr, "resolve rootfs `%s`", c->rootfs);
    if ((c->no_pivot ? move_root(real, reterr) : pivot_root_dot(real, reterr)) < 0)
        return -1;
    if (chdir("/") < 0)
        return brig_error_errno(reterr, "chdir `/`");
    /* rootfsPropagation applies to the container's "/", which exists only
     * now; applied before pivoting it would have changed the host's. */
    if (prop != 0 && mount(NULL, "/", NULL, prop, NULL) < 0)
        return brig_error_errno(reterr, "set the propagation of the container's `/`");
    return 0;
}

/* The magic link naming `fd` for mount(2), which takes only paths.  After
 * pivot_root the container's /proc may be absent (a config without a proc
 * mount) or not yet what we think; with `proc_fd` the cwd is the runtime's
 * own /proc (finalize_enter) and the link is relative to it. */
static void finalize_fd_path(bool rel, int fd, char buf[BRIG_FD_PATH_MAX])
{
    if (rel)
        snprintf(buf, BRIG_FD_PATH_MAX, "self/fd/%d", fd);
    else
        brig_fd_path(fd, buf);
}

/* Remount `fd` (already its own mount) read-only, repeating the flags it
 * has: in a user namespace dropping a locked one is EPERM. */
static int remount_ro(bool rel, int fd, unsigned long extra, const char *what, brig_error *reterr)
{
    char p[BRIG_FD_PATH_MAX];
    struct statvfs sv;
    unsigned long keep = 0;

    finalize_fd_path(rel, fd, p);
    if (statvfs(p, &sv) == 0)
        keep = brig_rootfs_statvfs_flags(sv.f_flag, false);
    if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep | extra, NULL) < 0)
        return brig_error_errno(reterr, "remount `%s` read-only", what);
    return 0;
}

static int readonly_path(bool rel, int rootfd, const char *path, brig_error *reterr)
{
    _cleanup_error_ brig_error err = NULL;
    _cleanup_close_ int fd = brig_open_in_root(rootfd, path, O_PATH, 0, &err);
    char p[BRIG_FD_PATH_MAX];

    if (fd < 0) {
        if (err->errnum == ENOENT)
            return 0;
        brig_rootfs_pass_error(reterr, &err);
        return brig_error_wrap(reterr, "read-only path `%s`", path);
    }
    finalize_fd_path(rel, fd, p);
    if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
        return brig_error_errno(reterr, "read-only path `%s`: bind onto itself", path);
    close(fd);
    fd = brig_open_in_root(rootfd, path, O_PATH, 0, reterr);
    if (fd < 0)
        return brig_error_wrap(reterr, "read-only path `%s`", path);
    return remount_ro(rel, fd, 0, path, reterr);
}

static int masked_path(bool rel, int rootfd, const char *path, const char *mount_label,
                       brig_error *reterr)
{
    _cleanup_error_ brig_error err = NULL;
    _cleanup_close_ int fd = brig_open_in_root(rootfd, path, O_PATH, 0, &err);
    _cleanup_close_ int nullfd = -1;
    _cleanup_free_ char *data = NULL;
    char p[BRIG_FD_PATH_MAX], np[BRIG_FD_PATH_MAX];
    struct stat st;

    if (fd < 0) {
        if (err->errnum == ENOENT)
            return 0;
        brig_rootfs_pass_error(reterr, &err);
        return brig_error_wrap(reterr, "mask `%s`", path);
    }
    if (fstat(fd, &st) < 0)
        return brig_error_errno(reterr, "mask `%s`: stat", path);
    finalize_fd_path(rel, fd, p);
    if (S_ISDIR(st.st_mode)) {
        if (mount_label != NULL)
            data = brig_label_mount_data(NULL, mount_label);
        if (mount("tmpfs", p, "tmpfs", MS_RDONLY, data) < 0)
            return brig_error_errno(reterr, "mask `%s`: mount an empty tmpfs", path);
        return 0;
    }
    /* The container's /dev/null is ours (mknod or a bind of the host's)
     * unless /dev came from elsewhere; check it before hiding data with
     * it, so a regular file there can never be what shows through. */
    nullfd = brig_open_in_root(rootfd, "/dev/null", O_PATH, 0, reterr);
    if (nullfd < 0)
        return brig_error_wrap(reterr, "mask `%s`", path);
    if (fstat(nullfd, &st) < 0)
        return brig_error_errno(reterr, "mask `%s`: stat `/dev/null`", path);
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
        return brig_error_set(reterr, EINVAL, "mask `%s`: `/dev/null` is not the null device",
                              path);
    finalize_fd_path(rel, nullfd, np);
    if (mount(np, p, NULL, MS_BIND, NULL) < 0)
        return brig_error_errno(reterr, "mask `%s`: bind `/dev/null` over it", path);
    return 0;
}

/* The /dev tmpfs was mounted writable so devices could be created; honour
 * its "ro" now. */
static int dev_readonly(const struct brig_rootfs_ctx *c, bool rel, int rootfd, brig_error *reterr)
{
    for (size_t i = 0; i < c->spec->n_mounts; i++) {
        const struct brig_spec_mount *m = &c->spec->mounts[i];
        _cleanup_free_ char *dest = brig_rootfs_clean_path(m->destination);
        _cleanup_close_ int fd = -1;

        if (dest == NULL || strcmp(dest, "/dev") != 0 || m->type == NULL ||
            strcmp(m->type, "tmpfs") != 0 || !(m->opts.flags & MS_RDONLY))
            continue;
        fd = brig_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0, reterr);
        if (fd < 0)
            return -1;
        if (remount_ro(rel, fd, m->opts.flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC), "/dev",
                       reterr) < 0)
            return -1;
    }
    return 0;
}

static int finalize_paths(const struct brig_rootfs_ctx *c, bool rel, int rootfd, brig_error *reterr)
{
    const struct brig_spec_linux *l = &c->spec->linux_;

    for (char **p = l->masked_paths; p != NULL && *p != NULL; p++)
        if (masked_path(rel, rootfd, *p, c->mount_label, reterr) < 0)
            return -1;
    for (char **p = l->readonly_paths; p != NULL && *p != NULL; p++)
        if (readonly_path(rel, rootfd, *p, reterr) < 0)
            return -1;
    return dev_readonly(c, rel, rootfd, reterr);
}

int brig_rootfs_finalize(const struct brig_rootfs_ctx *c, brig_error *reterr)
{
    _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    bool rel = c->proc_fd >= 0;
    struct statvfs sv;
    int r;

    if (rootfd < 0)
        return brig_error_errno(reterr, "open `/`");
    /* The cwd outside the root lasts only for these mounts, whose paths
     * are all "self/fd/N": nothing walks ".." from it, and the chdir back
     * happens before anything else runs. */
    if (rel && fchdir(c->proc_fd) < 0)
        return brig_error_errno(reterr, "enter the runtime's `/proc`");
    r = finalize_paths(c, rel, rootfd, reterr);
    if (rel && chdir("/") < 0 && r == 0)
        r = brig_error_errno(reterr, "chdir `/`");
    if (r < 0)
        return -1;
    if (!c->spec->root_readonly)
        return 0;
    if (statvfs("/", &sv) < 0)
        return brig_error_errno(reterr, "statvfs `/`");
    if (mount(NULL, "/", NULL,
              MS_BIND | MS_REMOUNT | MS_RDONLY | brig_rootfs_statvfs_flags(sv.f_flag, false),
              NULL) < 0)
        return brig_error_errno(reterr, "remount `/` read-only");
    return 0;
}

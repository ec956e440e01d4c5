/* The spec's mounts, one at a time, inside the container's rootfs.
 *
 * Invariant: no mount(2) call here takes a destination built by joining the
 * rootfs path and a container path.  The destination is resolved inside the
 * rootfs with RESOLVE_IN_ROOT (brig_open_in_root / brig_mkdir_p_in_root),
 * and mount(2) is given that fd's /proc/self/fd/N.  The container owns the
 * rootfs and may have planted symlinks ("/mnt -> /etc" or "../../../etc");
 * resolved this way they can only point somewhere else inside the rootfs,
 * never at the host (CVE-2021-30465). */
#include "sandbox/rootfs_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "core/util.h"
#include "selinux/label.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

char *brig_rootfs_clean_path(const char *path)
{
    char *out, *o;
    const char *p = path;

    if (path == NULL || path[0] != '/')
        return NULL;
    out = brig_xmalloc0(strlen(path) + 2);
    o = out;
    while (*p != '\0') {
        const char *end;
        size_t len;

        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        end = strchr(p, '/');
        len = end ? (size_t)(end - p) : strlen(p);
        if (!(len == 1 && p[0] == '.')) {
            *o++ = '/';
            memcpy(o, p, len);
            o += len;
        }
        p += len;
    }
    if (o == out)
        *o++ = '/';
    *o = '\0';
    return out;
}

static int fd_readlink(int fd, char buf[PATH_MAX], brig_error *reterr)
{
    char p[BRIG_FD_PATH_MAX];
    ssize_t n;

    brig_fd_path(fd, p);
    n = readlink(p, buf, PATH_MAX - 1);
    if (n < 0)
        return brig_error_errno(reterr, "readlink `%s`", p);
    buf[n] = '\0';
    return 0;
}

int brig_rootfs_check_inside(int rootfd, int fd, const char *what, char **ret_inner,
                             brig_error *reterr)
{
    char root[PATH_MAX], path[PATH_MAX];
    size_t rlen;
    const char *inner;

    if (fd_readlink(rootfd, root, reterr) < 0 || fd_readlink(fd, path, reterr) < 0)
        return -1;
    rlen = strlen(root);
    if (strcmp(root, "/") == 0)
        inner = path;
    else if (strncmp(path, root, rlen) == 0 && (path[rlen] == '\0' || path[rlen] == '/'))
        inner = path[rlen] ? path + rlen : "/";
    else
        return brig_error_set(reterr, EXDEV, "`%s` resolved to `%s`, outside the rootfs `%s`", what,
                              path, root);
    if (ret_inner != NULL)
        *ret_inner = brig_xstrdup(inner);
    return 0;
}

unsigned long brig_rootfs_statvfs_flags(unsigned long f_flag, bool with_rdonly)
{
    unsigned long r = 0;

    if (with_rdonly && (f_flag & ST_RDONLY))
        r |= MS_RDONLY;
    if (f_flag & ST_NOSUID)
        r |= MS_NOSUID;
    if (f_flag & ST_NODEV)
        r |= MS_NODEV;
    if (f_flag & ST_NOEXEC)
        r |= MS_NOEXEC;
    if (f_flag & ST_NODIRATIME)
        r |= MS_NODIRATIME;
    /* The kernel locks the atime mode as a whole; repeat it exactly. */
    if (f_flag & ST_NOATIME)
        r |= MS_NOATIME;
    else if (f_flag & ST_RELATIME)
        r |= MS_RELATIME;
    else
        r |= MS_STRICTATIME;
    return r;
}

static bool is_bind(const struct brig_spec_mount *m)
{
    return (m->type != NULL && strcmp(m->type, "bind") == 0) || (m->opts.flags & MS_BIND) ||
           m->opts.recursive_bind;
}

/* Filesystems whose labelling the policy lets a mount choose (fs_use_trans
 * / context= capable).  mqueue is labelled by genfscon and refuses context=
 * with EINVAL on Debian's policy, as it does on Fedora's; runc and crun do
 * not give it one either. */
static bool takes_mount_label(const char *type)
{
    return strcmp(type, "tmpfs") == 0 || strcmp(type, "devpts") == 0 || strcmp(type, "shm") == 0;
}

/* brig_mkdir_p_in_root stops at a dangling symlink ("/mnt/x -> /vol"
 * with no /vol in the image).  runc creates the symlink's target inside the
 * rootfs; so does this: rewrite the path through the first dangling link
 * and retry.  The rewritten string is still resolved with RESOLVE_IN_ROOT,
 * so it cannot leave the rootfs however the link reads. */
static char *rewrite_dangling(int rootfd, const char *path)
{
    _cleanup_free_ char *prefix = brig_xstrdup(path);
    size_t len = strlen(path);

    for (size_t end = 1; end <= len; end++) {
        _cleanup_error_ brig_error err = NULL;
        _cleanup_close_ int fd = -1;
        char target[PATH_MAX];
        struct stat st;
        ssize_t n;
        char *slash;

        if (end < len && path[end] != '/')
            continue;
        memcpy(prefix, path, end);
        prefix[end] = '\0';
        fd = brig_open_in_root(rootfd, prefix, O_PATH, 0, &err);
        if (fd >= 0)
            continue;
        if (err->errnum != ENOENT)
            return NULL;
        brig_error_free(&err);
        fd = brig_open_in_root(rootfd, prefix, O_PATH | O_NOFOLLOW, 0, &err);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISLNK(st.st_mode))
            return NULL; /* a plain missing component: mkdir handles it */
        n = readlinkat(fd, "", target, sizeof(target) - 1);
        if (n <= 0)
            return NULL;
        target[n] = '\0';
        if (target[0] == '/')
            return brig_xasprintf("%s%s", target, path + end);
        slash = strrchr(prefix, '/');
        *slash = '\0';
        return brig_xasprintf("%s/%s%s", prefix, target, path + end);
    }
    return NULL;
}

/* The mount point for `dest`: a directory (created with its parents), or
 * with `as_file` an empty regular file (for binding a file).  Returns an
 * O_PATH fd resolved inside the rootfs. */
static int open_mount_target(int rootfd, const char *dest, bool as_file, brig_error *reterr)
{
    _cleanup_free_ char *path = brig_xstrdup(dest);
    _cleanup_error_ brig_error err = NULL;

    /* Bounded like the kernel's symlink limit. */
    for (int hops = 0; hops < 40; hops++) {
        _cleanup_free_ char *parent = NULL, *next = NULL;
        _cleanup_close_ int pfd = -1, fd = -1;
        const char *base;

        brig_error_free(&err);
        if (!as_file) {
            fd = brig_mkdir_p_in_root(rootfd, path, 0755, &err);
        } else {
            fd = brig_open_in_root(rootfd, path, O_PATH, 0, &err);
            if (fd < 0 && err->errnum == ENOENT) {
                parent = brig_xstrdup(path);
                base = strrchr(parent, '/');
                parent[base - parent] = '\0';
                brig_error_free(&err);
                pfd = brig_mkdir_p_in_root(rootfd, *parent ? parent : "/", 0755, &err);
                /* O_CREAT without O_EXCL also creates the target of a
                 * dangling symlink, resolved inside the rootfs like the
                 * rest.  Nothing existed there, so nothing is opened but
                 * the new empty file. */
                if (pfd >= 0)
                    fd = brig_open_in_root(rootfd, path, O_CREAT | O_RDONLY | O_NOCTTY | O_NONBLOCK,
                                           0644, &err);
                if (fd >= 0) {
                    close(fd);
                    fd = brig_open_in_root(rootfd, path, O_PATH, 0, &err);
                }
            }
        }
        if (fd >= 0)
            return TAKE_FD(fd);
        if (err->errnum != ENOENT)
            break;
        next = rewrite_dangling(rootfd, path);
        if (next == NULL)
            break;
        free(path);
        path = TAKE_PTR(next);
    }
    brig_rootfs_pass_error(reterr, &err);
    return -1;
}

/* Re-resolve the destination after mounting: the old fd still names the
 * directory *under* the new mount, so flags and propagation must be
 * applied through a fresh one.  RESOLVE_IN_ROOT already keeps it inside
 * the rootfs; reading the path back from the kernel double-checks that a
 * mount did not end up somewhere the rootfs does not contain. */
static int reopen_mounted(int rootfd, const char *dest, brig_error *reterr)
{
    _cleanup_close_ int fd = brig_open_in_root(rootfd, dest, O_PATH, 0, reterr);

    if (fd < 0)
        return -1;
    if (brig_rootfs_check_inside(rootfd, fd, dest, NULL, reterr) < 0)
        return -1;
    return TAKE_FD(fd);
}

/* Binds into /proc can hide what masks and read-only paths protect or
 * redirect writes the runtime makes later (/proc/self/attr/exec,
 * CVE-2019-16884), so only these well-known files (lxcfs) may be covered,
 * and /proc itself only by another procfs. */
static const char *const proc_bind_allowed[] = {
    "/proc/cpuinfo", "/proc/diskstats",
    "/proc/meminfo", "/proc/stat",
    "/proc/swaps",   "/proc/uptime",
    "/proc/loadavg", "/proc/slabinfo",
    "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
};

static int check_proc_cover(const char *inner, const char *source, const char *source_fd_path,
                            brig_error *reterr)
{
    struct statfs sfs;

    if (strcmp(inner, "/proc") == 0) {
        if (source_fd_path != NULL && statfs(source_fd_path, &sfs) == 0 &&
            sfs.f_type == PROC_SUPER_MAGIC)
            return 0;
        return brig_error_set(reterr, EPERM, "`%s` cannot be mounted on `/proc`: not a procfs",
                              source);
    }
    if (!brig_str_has_prefix(inner, "/proc/"))
        return 0;
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(proc_bind_allowed); i++)
        if (strcmp(inner, proc_bind_allowed[i]) == 0)
            return 0;
    return brig_error_set(reterr, EPERM,
                          "`%s` is inside /proc: only %s and a few like it may "
                          "be covered",
                          inner, proc_bind_allowed[0]);
}

/* MS_REMOUNT|MS_BIND with the requested per-mount flags.  In a user
 * namespace the kernel locks the flags a mount inherited from a more
 * privileged namespace (MNT_LOCK_NOSUID, ...): a remount that would clear
 * them fails with EPERM.  Then repeat the locked ones, as runc does, unless
 * the spec explicitly asked to clear that flag ("suid", "rw"): then the
 * EPERM is the honest answer. */
static int remount_bind(int fd, const struct brig_spec_mount *m, const char *dest, const char *type,
                        unsigned long flags, brig_error *reterr)
{
    char p[BRIG_FD_PATH_MAX];
    struct statvfs sv;
    unsigned long locked;
    int saved;

    brig_fd_path(fd, p);
    if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | flags, NULL) == 0)
        return 0;
    saved = errno;
    if (saved == EPERM && statvfs(p, &sv) == 0) {
        locked = brig_rootfs_statvfs_flags(sv.f_flag, true) & ~m->opts.clear_flags;
        if (flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME))
            locked &= ~(MS_NOATIME | MS_RELATIME | MS_STRICTATIME);
        if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | flags | locked, NULL) == 0)
            return 0;
    }
    return brig_error_set(reterr, saved, "mount `%s` on `%s` (type %s): remount with flags 0x%lx",
                          m->source ? m->source : type, dest, type, flags);
}

static int mount_bind(const struct brig_rootfs_ctx *c, int rootfd, size_t i, const char *dest,
                      brig_error *reterr)
{
    const struct brig_spec_mount *m = &c->spec->mounts[i];
    _cleanup_close_ int fd = -1, srcfd = -1;
    _cleanup_free_ char *inner = NULL;
    char p[BRIG_FD_PATH_MAX], sp[BRIG_FD_PATH_MAX];
    struct stat st;
    unsigned long flags;

    if (m->source == NULL)
        return brig_error_set(reterr, EINVAL, "mounts[%zu] (`%s`): a bind mount needs a source", i,
                              dest);
    /* A bind source is a host path that another container (or this one,
     * through an earlier bind) may be able to write: resolved once, with no
     * symlink followed, and from then on named only by this fd, so a
     * component swapped for a symlink cannot redirect the mount to a host
     * directory the container was never given.  A relative source is
     * relative to the bundle, our working directory. */
    srcfd = brig_open_host_nofollow(m->source, O_PATH, reterr);
    if (srcfd < 0)
        return brig_error_wrap(reterr, "mounts[%zu].source \"%s\"", i, m->source);
    if (fstat(srcfd, &st) < 0)
        return brig_error_errno(reterr, "mount `%s` on `%s` (type bind): stat source", m->source,
                                dest);
    brig_fd_path(srcfd, sp);
    fd = open_mount_target(rootfd, dest, !S_ISDIR(st.st_mode), reterr);
    if (fd < 0)
        return brig_error_wrap(reterr, "mount `%s` on `%s` (type bind)", m->source, dest);
    if (brig_rootfs_check_inside(rootfd, fd, dest, &inner, reterr) < 0 ||
        check_proc_cover(inner, m->source, sp, reterr) < 0)
        return brig_error_wrap(reterr, "mount `%s` on `%s` (type bind)", m->source, dest);

    brig_fd_path(fd, p);
    /* The source is the magic link of the O_PATH fd: the kernel binds the
     * very dentry opened above, never a path looked up again. */
    if (mount(sp, p, NULL, MS_BIND | (m->opts.recursive_bind ? MS_REC : 0), NULL) < 0)
        return brig_error_errno(reterr, "mount `%s` on `%s` (type bind)", m->source, dest);
    close(fd);
    fd = reopen_mounted(rootfd, dest, reterr);
    if (fd < 0)
        return brig_error_wrap(reterr, "mount `%s` on `%s` (type bind)", m->source, dest);

    /* The first bind ignores every flag but MS_BIND|MS_REC; the others
     * (ro, nosuid, nodev, noexec, atime) need a remount. */
    flags = m->opts.flags & ~(MS_BIND | MS_REC | MS_REMOUNT | BRIG_MS_PROPAGATION);
    if (flags != 0 && remount_bind(fd, m, dest, "bind", flags, reterr) < 0)
        return -1;
    if (m->opts.recursive_ro) {
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
        if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
            return brig_error_errno(reterr,
                                    "mount `%s` on `%s` (type bind): make recursively "
                                    "read-only (rro)",
                                    m->source, dest);
    }
    return TAKE_FD(fd);
}

/* tmpcopyup: copy what the image has at a tmpfs destination into the new
 * tmpfs.  The source fd was opened before mounting, so it still sees the
 * directory underneath.  The tree belongs to the container: everything is
 * relative to directory fds and O_NOFOLLOW, so a symlink in it is copied as
 * a symlink and never followed. */
static int copy_tree(int srcfd, int dstfd, const char *dest, int depth, brig_error *reterr)
{
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    int dupfd;

    if (depth > 128)
        return brig_error_set(reterr, ELOOP, "tmpcopyup `%s`: tree deeper than 128", dest);
    dupfd = fcntl(srcfd, F_DUPFD_CLOEXEC, 3);
    if (dupfd < 0 || (d = fdopendir(dupfd)) == NULL) {
        if (dupfd >= 0)
            close(dupfd);
        return brig_error_errno(reterr, "tmpcopyup `%s`: read directory", dest);
    }
    while ((errno = 0, de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        _cleanup_close_ int in = -1, out = -1;
        struct stat st;

        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
            continue;
        if (fstatat(srcfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return brig_error_errno(reterr, "tmpcopyup `%s/%s`: stat", dest, n);
        if (S_ISDIR(st.st_mode)) {
            if (mkdirat(dstfd, n, st.st_mode & 07777) < 0 ||
                (in = openat(srcfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
                (out = openat(dstfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                return brig_error_errno(reterr, "tmpcopyup `%s/%s`", dest, n);
            if (copy_tree(in, out, dest, depth + 1, reterr) < 0)
                return -1;
        } else if (S_ISREG(st.st_mode)) {
            char buf[65536];
            ssize_t r;

            in = openat(srcfd, n, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            out = openat(dstfd, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                         st.st_mode & 07777);
            if (in < 0 || out < 0)
                return brig_error_errno(reterr, "tmpcopyup `%s/%s`", dest, n);
            while ((r = read(in, buf, sizeof(buf))) > 0)
                if (brig_write_all(out, buf, (size_t)r) < 0)
                    return brig_error_errno(reterr, "tmpcopyup `%s/%s`: write", dest, n);
            if (r < 0)
                return brig_error_errno(reterr, "tmpcopyup `%s/%s`: read", dest, n);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t r = readlinkat(srcfd, n, target, sizeof(target) - 1);

            if (r < 0)
                return brig_error_errno(reterr, "tmpcopyup `%s/%s`: readlink", dest, n);
            target[r] = '\0';
            if (symlinkat(target, dstfd, n) < 0)
                return brig_error_errno(reterr, "tmpcopyup `%s/%s`: symlink", dest, n);
        } else if (mknodat(dstfd, n, st.st_mode, st.st_rdev) < 0) {
            return brig_error_errno(reterr, "tmpcopyup `%s/%s`: mknod", dest, n);
        }
        /* mkdir/open/mknod honour the umask; repeat mode and owner. */
        if (fchownat(dstfd, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
            (!S_ISLNK(st.st_mode) && fchmodat(dstfd, n, st.st_mode & 07777, 0) < 0))
            return brig_error_errno(reterr, "tmpcopyup `%s/%s`: set owner and mode", dest, n);
    }
    if (errno != 0)
        return brig_error_errno(reterr, "tmpcopyup `%s`: read directory", dest);
    return 0;
}

/* proc and sysfs only on a real directory: mounting them through a symlink
 * or over a file has been the way to mount them somewhere unexpected
 * (CVE-2019-19921).  A missing destination is fine: it is created. */
static int check_real_dir(int rootfd, const char *dest, brig_error *reterr)
{
    _cleanup_error_ brig_error err = NULL;
    _cleanup_close_ int fd = brig_open_in_root(rootfd, dest, O_PATH | O_NOFOLLOW, 0, &err);
    struct stat st;

    if (fd < 0) {
        if (err->errnum == ENOENT)
            return 0;
        brig_rootfs_pass_error(reterr, &err);
        return -1;
    }
    if (fstat(fd, &st) < 0)
        return brig_error_errno(reterr, "stat `%s`", dest);
    if (!S_ISDIR(st.st_mode))
        return brig_error_set(reterr, ENOTDIR, "`%s` must be an ordinary directory, not a %s", dest,
                              S_ISLNK(st.st_mode) ? "symlink" : "file");
    return 0;
}

static int mount_fs(const struct brig_rootfs_ctx *c, int rootfd, size_t i, const char *dest,
                    brig_error *reterr)
{
    const struct brig_spec_mount *m = &c->spec->mounts[i];
    const char *type = m->type;
    const char *source = m->source ? m->source : type;
    _cleanup_free_ char *labeled = NULL;
    _cleanup_close_ int fd = -1, below = -1, top = -1;
    const char *data = m->opts.data;
    char p[BRIG_FD_PATH_MAX];
    unsigned long flags = m->opts.flags & ~(BRIG_MS_PROPAGATION | MS_REC | MS_BIND);

    /* A read-only /dev tmpfs still needs its device nodes: it is mounted
     * writable here and made read-only in brig_rootfs_finalize. */
    bool copyup = m->opts.tmpcopyup && strcmp(type, "tmpfs") == 0;
    bool ro_after = false;

    if (strcmp(dest, "/dev") == 0 && strcmp(type, "tmpfs") == 0)
        flags &= ~MS_RDONLY;
    /* Likewise a read-only tmpfs that is first filled by tmpcopyup. */
    if (copyup && (flags & MS_RDONLY)) {
        flags &= ~MS_RDONLY;
        ro_after = true;
    }
    if ((strcmp(type, "proc") == 0 || strcmp(type, "sysfs") == 0) &&
        check_real_dir(rootfd, dest, reterr) < 0)
        return brig_error_wrap(reterr, "mount `%s` on `%s` (type %s)", source, dest, type);
    fd = open_mount_target(rootfd, dest, false, reterr);
    if (fd < 0)
        return brig_error_wrap(reterr, "mount `%s` on `%s` (type %s)", source, dest, type);
    if (strcmp(type, "proc") != 0) {
        _cleanup_free_ char *inner = NULL;
        if (brig_rootfs_check_inside(rootfd, fd, dest, &inner, reterr) < 0 ||
            check_proc_cover(inner, source, NULL, reterr) < 0)
            return brig_error_wrap(reterr, "mount `%s` on `%s` (type %s)", source, dest, type);
    }
    if (copyup) {
        char fp[BRIG_FD_PATH_MAX];
        brig_fd_path(fd, fp);
        /* Reopening our own O_PATH fd: the same directory, now readable. */
        below = open(fp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (below < 0)
            return brig_error_errno(reterr, "mount `%s` on `%s` (type %s): open for tmpcopyup",
                                    source, dest, type);
    }
    if (c->mount_label != NULL && takes_mount_label(type)) {
        labeled = brig_label_mount_data(data, c->mount_label);
        data = labeled;
    }
    brig_fd_path(fd, p);
    if (mount(source, p, type, flags, data) < 0) {
        int saved = errno;
        /* A user namespace that does not own a network namespace may not
         * mount sysfs; runc binds the host's /sys instead. */
        if (!(saved == EPERM && c->in_userns && strcmp(type, "sysfs") == 0))
            return brig_error_set(reterr, saved, "mount `%s` on `%s` (type %s)", source, dest,
                                  type);
        if (mount("/sys", p, NULL, MS_BIND | MS_REC, NULL) < 0)
            return brig_error_errno(reterr, "mount `/sys` on `%s` (type bind, for sysfs)", dest);
        close(fd);
        fd = reopen_mounted(rootfd, dest, reterr);
        if (fd < 0)
            return brig_error_wrap(reterr, "mount `%s` on `%s` (type %s)", source, dest, type);
        if (flags != 0 && remount_bind(fd, m, dest, m->type ? m->type : "bind", flags, reterr) < 0)
            return -1;
        return TAKE_FD(fd);
    }
    close(fd);
    fd = reopen_mounted(rootfd, dest, reterr);
    if (fd < 0)
        return brig_error_wrap(reterr, "mount `%s` on `%s` (type %s)", source, dest, type);
    if (below >= 0) {
        brig_fd_path(fd, p);
        top = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (top < 0)
            return brig_error_errno(reterr, "mount `%s` on `%s` (type %s): open for tmpcopyup",
                                    source, dest, type);
        if (copy_tree(below, top, dest, 0, reterr) < 0)
            return brig_error_wrap(reterr, "mount `%s` on `%s` (type %s)", source, dest, type);
        if (ro_after && remount_bind(fd, m, dest, type, flags | MS_RDONLY, reterr) < 0)
            return -1;
    }
    return TAKE_FD(fd);
}

int brig_rootfs_mount_one(const struct brig_rootfs_ctx *c, int rootfd, size_t i, brig_error *reterr)
{
    const struct brig_spec_mount *m = &c->spec->mounts[i];
    _cleanup_free_ char *dest = brig_rootfs_clean_path(m->destination);
    _cleanup_close_ int fd = -1;
    const char *type;

    if (dest == NULL)
        return brig_error_set(reterr, EINVAL, "mounts[%zu].destination `%s`: must be absolute", i,
                              m->destination ? m->destination : "");
    if (m->opts.idmap)
        return brig_error_set(reterr, ENOTSUP, "mounts[%zu]: idmapped mounts are not supported", i);
    if (is_bind(m)) {
        type = "bind";
        fd = mount_bind(c, rootfd, i, dest, reterr);
    } else if (m->type == NULL) {
        return brig_error_set(reterr, EINVAL, "mounts[%zu] (`%s`): no type and not a bind mount", i,
                              dest);
    } else if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0) {
        type = m->type;
        if (c->cg == NULL)
            return brig_error_set(reterr, EINVAL,
                                  "mount `%s` on `%s` (type %s): the container has no cgroup",
                                  m->source ? m->source : type, dest, type);
        if (brig_cgroup_mount(c->cg, rootfd, dest, m->opts.flags & ~BRIG_MS_PROPAGATION,
                              c->new_cgroupns, reterr) < 0)
            return brig_error_wrap(reterr, "mount `%s` on `%s` (type %s)",
                                   m->source ? m->source : type, dest, type);
        fd = reopen_mounted(rootfd, dest, reterr);
    } else {
        type = m->type;
        fd = mount_fs(c, rootfd, i, dest, reterr);
    }
    if (fd < 0)
        return -1;

    /* Propagation is its own mount(2) call: the kernel ignores it when
     * combined with any other operation. */
    if (m->opts.propagation != 0) {
        char p[BRIG_FD_PATH_MAX];
        brig_fd_path(fd, p);
        if (mount(NULL, p, NULL, m->opts.propagation, NULL) < 0)
            return brig_error_errno(reterr, "mount `%s` on `%s` (type %s): set propagation",
                                    m->source ? m->source : type, dest, type);
    }
    return 0;
}

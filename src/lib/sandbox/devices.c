/* /dev inside the container: device nodes, the /proc/self/fd symlinks and
 * /dev/ptmx.  Every path is resolved inside the rootfs (RESOLVE_IN_ROOT),
 * and every device path must be under /dev. */
#include "sandbox/rootfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/util.h"

/* As runc/crun and the runtime-spec's "Default Devices". */
static const struct brig_spec_device default_devices[] = {
    {.type = 'c',
     .path = (char *)"/dev/null",
     .major = 1,
     .minor = 3,
     .has_mode = true,
     .file_mode = 0666},
    {.type = 'c',
     .path = (char *)"/dev/zero",
     .major = 1,
     .minor = 5,
     .has_mode = true,
     .file_mode = 0666},
    {.type = 'c',
     .path = (char *)"/dev/full",
     .major = 1,
     .minor = 7,
     .has_mode = true,
     .file_mode = 0666},
    {.type = 'c',
     .path = (char *)"/dev/random",
     .major = 1,
     .minor = 8,
     .has_mode = true,
     .file_mode = 0666},
    {.type = 'c',
     .path = (char *)"/dev/urandom",
     .major = 1,
     .minor = 9,
     .has_mode = true,
     .file_mode = 0666},
    {.type = 'c',
     .path = (char *)"/dev/tty",
     .major = 5,
     .minor = 0,
     .has_mode = true,
     .file_mode = 0666},
};

const struct brig_spec_device *brig_rootfs_default_devices(size_t *ret_n)
{
    *ret_n = BRIG_ARRAY_SIZE(default_devices);
    return default_devices;
}

bool brig_rootfs_needs_dev(const struct brig_spec *spec)
{
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct brig_spec_mount *m = &spec->mounts[i];
        _cleanup_free_ char *dest = brig_rootfs_clean_path(m->destination);
        bool bind = (m->type != NULL && strcmp(m->type, "bind") == 0) ||
                    (m->opts.flags & MS_BIND) || m->opts.recursive_bind;

        if (dest != NULL && strcmp(dest, "/dev") == 0 && bind)
            return false;
    }
    return true;
}

static mode_t device_type_bits(char type)
{
    switch (type) {
    case 'c':
    case 'u':
        return S_IFCHR;
    case 'b':
        return S_IFBLK;
    case 'p':
        return S_IFIFO;
    default:
        return 0;
    }
}

/* In a user namespace mknod is refused: bind the host's node (same path)
 * onto an empty file instead, as runc does. */
static int bind_device(int rootfd, int pfd, const char *base, const char *path, brig_error *reterr)
{
    _cleanup_close_ int fd = -1;
    char p[BRIG_FD_PATH_MAX];

    if (mknodat(pfd, base, S_IFREG | 0644, 0) < 0 && errno != EEXIST)
        return brig_error_errno(reterr, "create `%s` inside the rootfs", path);
    fd = brig_open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, 0, reterr);
    if (fd < 0)
        return -1;
    brig_fd_path(fd, p);
    if (mount(path, p, NULL, MS_BIND, NULL) < 0)
        return brig_error_errno(reterr, "mount `%s` on `%s` (type bind)", path, path);
    return 0;
}

static int create_device(const struct brig_rootfs_ctx *c, int rootfd,
                         const struct brig_spec_device *d, brig_error *reterr)
{
    _cleanup_free_ char *path = brig_rootfs_clean_path(d->path);
    _cleanup_free_ char *parent = NULL;
    _cleanup_close_ int pfd = -1;
    mode_t kind = device_type_bits(d->type);
    mode_t perm = d->has_mode ? (d->file_mode & 07777) : 0666;
    dev_t rdev = makedev((unsigned)d->major, (unsigned)d->minor);
    const char *base;
    struct stat st;

    if (path == NULL || !brig_str_has_prefix(path, "/dev/") || strstr(path, "/../") != NULL ||
        strcmp(path + strlen(path) - 3, "/..") == 0)
        return brig_error_set(reterr, EINVAL, "device `%s`: path must be under /dev",
                              d->path ? d->path : "");
    if (kind == 0)
        return brig_error_set(reterr, EINVAL, "device `%s`: unknown type `%c`", path, d->type);
    parent = brig_xstrdup(path);
    *strrchr(parent, '/') = '\0';
    base = strrchr(path, '/') + 1;
    pfd = brig_mkdir_p_in_root(rootfd, parent, 0755, reterr);
    if (pfd < 0)
        return brig_error_wrap(reterr, "create device `%s`", path);

    if (c->in_userns)
        return bind_device(rootfd, pfd, base, path, reterr) < 0
                   ? brig_error_wrap(reterr, "create device `%s`", path)
                   : 0;

    if (mknodat(pfd, base, kind | perm, rdev) < 0) {
        if (errno != EEXIST)
            return brig_error_errno(reterr, "create device `%s` (%c %lld:%lld)", path, d->type,
                                    (long long)d->major, (long long)d->minor);
        /* The image may ship anything under that name (a regular file for
         * /dev/null, a symlink): unless it is already the right node,
         * replace it. */
        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return brig_error_errno(reterr, "stat `%s`", path);
        if ((st.st_mode & S_IFMT) != kind || (kind != S_IFIFO && st.st_rdev != rdev)) {
            if (unlinkat(pfd, base, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
                return brig_error_errno(reterr, "remove `%s` to create a device there", path);
            if (mknodat(pfd, base, kind | perm, rdev) < 0)
                return brig_error_errno(reterr, "create device `%s`", path);
        }
    }
    /* mknod honours the umask; the spec's fileMode is meant exactly. */
    if (fchmodat(pfd, base, perm, 0) < 0)
        return brig_error_errno(reterr, "chmod device `%s`", path);
    if (fchownat(pfd, base, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, AT_SYMLINK_NOFOLLOW) <
        0)
        return brig_error_errno(reterr, "chown device `%s`", path);
    return 0;
}

static bool spec_lists_device(const struct brig_spec_linux *l, const char *path)
{
    for (size_t i = 0; i < l->n_devices; i++) {
        _cleanup_free_ char *p = brig_rootfs_clean_path(l->devices[i].path);
        if (p != NULL && strcmp(p, path) == 0)
            return true;
    }
    return false;
}

static const struct {
    const char *name, *target;
} dev_symlinks[] = {
    {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
};

int brig_rootfs_setup_dev(const struct brig_rootfs_ctx *c, int rootfd, brig_error *reterr)
{
    const struct brig_spec_linux *l = &c->spec->linux_;
    _cleanup_close_ int devfd = -1;

    if (!brig_rootfs_needs_dev(c->spec))
        return 0;
    devfd = brig_mkdir_p_in_root(rootfd, "/dev", 0755, reterr);
    if (devfd < 0)
        return brig_error_wrap(reterr, "set up /dev");

    for (size_t i = 0; i < BRIG_ARRAY_SIZE(default_devices); i++)
        if (!spec_lists_device(l, default_devices[i].path) &&
            create_device(c, rootfd, &default_devices[i], reterr) < 0)
            return -1;
    for (size_t i = 0; i < l->n_devices; i++)
        if (create_device(c, rootfd, &l->devices[i], reterr) < 0)
            return -1;

    /* symlinkat relative to the /dev fd we resolved inside the rootfs. */
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(dev_symlinks); i++)
        if (symlinkat(dev_symlinks[i].target, devfd, dev_symlinks[i].name) < 0 && errno != EEXIST)
            return brig_error_errno(reterr, "symlink `/dev/%s` -> `%s`", dev_symlinks[i].name,
                                    dev_symlinks[i].target);
    /* /dev/ptmx must be the one of the container's devpts instance, never a
     * node the image shipped. */
    if (unlinkat(devfd, "ptmx", 0) < 0 && errno != ENOENT)
        return brig_error_errno(reterr, "remove `/dev/ptmx`");
    if (symlinkat("pts/ptmx", devfd, "ptmx") < 0)
        return brig_error_errno(reterr, "symlink `/dev/ptmx` -> `pts/ptmx`");
    return 0;
}

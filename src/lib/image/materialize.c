/* Where overlayfs is unavailable (storage_driver "vfs", or a kernel or
 * filesystem without it), a container gets a private copy: the image's
 * layers copied lowest first, each applying its whiteouts (0:0 character
 * devices delete what lower layers had) and opaque directories
 * (trusted.overlay.opaque=y empties what lower layers had there). */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/util.h"
#include "image/image_internal.h"

struct link_seen {
    dev_t dev;
    ino_t ino;
    char *rel;
};
struct copy {
    int rootfd; /* the destination's root, for hard links */
    struct link_seen *links;
    size_t n_links;
    bool root;
};

static int copy_xattrs(int src, int dst, brig_error *reterr)
{
    char list[8192], val[65536];
    ssize_t n = flistxattr(src, list, sizeof(list));
    if (n < 0)
        return errno == ENOTSUP ? 0 : brig_error_errno(reterr, "list xattrs");
    for (char *k = list; k < list + n; k += strlen(k) + 1) {
        if (brig_str_has_prefix(k, "trusted.overlay.") || strcmp(k, "security.selinux") == 0)
            continue;
        ssize_t v = fgetxattr(src, k, val, sizeof(val));
        if (v < 0 || fsetxattr(dst, k, val, (size_t)v, 0) < 0)
            return brig_error_errno(reterr, "copy xattr `%s`", k);
    }
    return 0;
}

static bool is_opaque(int dfd)
{
    char v[2];
    return fgetxattr(dfd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

static int empty_dir(int dfd, brig_error *reterr)
{
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return brig_error_errno(reterr, "open directory");
    }
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
            image_rm_rf_at(dfd, de->d_name, reterr) < 0)
            return -1;
    return 0;
}

static int copy_data(int in, int out, off_t size, brig_error *reterr)
{
    while (size > 0) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)size, 0);
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
            char buf[1 << 16];
            n = read(in, buf, sizeof(buf));
            if (n > 0 && brig_write_all(out, buf, (size_t)n) < 0)
                return brig_error_errno(reterr, "write");
        }
        if (n < 0)
            return brig_error_errno(reterr, "copy");
        if (n == 0)
            break;
        size -= n;
    }
    return 0;
}

static int copy_dir(struct copy *c, int src, int dst, const char *rel, brig_error *reterr);

static int copy_one(struct copy *c, int src, int dst, const char *name, const char *rel,
                    brig_error *reterr)
{
    struct stat st, dt;
    _cleanup_free_ char *path = rel[0] ? brig_xasprintf("%s/%s", rel, name) : brig_xstrdup(name);
    bool exists;
    struct timespec ts[2];

    if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return brig_error_errno(reterr, "stat `%s`", path);
    exists = fstatat(dst, name, &dt, AT_SYMLINK_NOFOLLOW) == 0;
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
        return exists ? image_rm_rf_at(dst, name, reterr) : 0; /* whiteout */
    if (exists && !(S_ISDIR(st.st_mode) && S_ISDIR(dt.st_mode)) &&
        image_rm_rf_at(dst, name, reterr) < 0)
        return -1;
    ts[0] = st.st_atim;
    ts[1] = st.st_mtim;
    if (S_ISDIR(st.st_mode)) {
        _cleanup_close_ int s = -1, d = -1;
        if (!(exists && S_ISDIR(dt.st_mode)) && mkdirat(dst, name, 0700) < 0)
            return brig_error_errno(reterr, "mkdir `%s`", path);
        s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s < 0 || d < 0)
            return brig_error_errno(reterr, "open `%s`", path);
        if (exists && is_opaque(s) && empty_dir(d, reterr) < 0)
            return -1;
        if (copy_dir(c, s, d, path, reterr) < 0)
            return -1;
        if ((c->root && fchown(d, st.st_uid, st.st_gid) < 0) || fchmod(d, st.st_mode & 07777) < 0)
            return brig_error_errno(reterr, "set owner and mode of `%s`", path);
        if (copy_xattrs(s, d, reterr) < 0)
            return brig_error_wrap(reterr, "`%s`", path);
        futimens(d, ts);
        return 0;
    }
    if (S_ISREG(st.st_mode)) {
        _cleanup_close_ int s = -1, d = -1;
        if (st.st_nlink > 1) {
            for (size_t i = 0; i < c->n_links; i++)
                if (c->links[i].dev == st.st_dev && c->links[i].ino == st.st_ino) {
                    if (linkat(c->rootfd, c->links[i].rel, dst, name, 0) < 0)
                        return brig_error_errno(reterr, "link `%s`", path);
                    return 0;
                }
            c->links = brig_xrealloc(c->links, (c->n_links + 1) * sizeof(*c->links));
            c->links[c->n_links++] =
                (struct link_seen){.dev = st.st_dev, .ino = st.st_ino, .rel = brig_xstrdup(path)};
        }
        s = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        d = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (s < 0 || d < 0)
            return brig_error_errno(reterr, "open `%s`", path);
        if (copy_data(s, d, st.st_size, reterr) < 0)
            return brig_error_wrap(reterr, "`%s`", path);
        if ((c->root && fchown(d, st.st_uid, st.st_gid) < 0) || fchmod(d, st.st_mode & 07777) < 0)
            return brig_error_errno(reterr, "set owner and mode of `%s`", path);
        if (copy_xattrs(s, d, reterr) < 0)
            return brig_error_wrap(reterr, "`%s`", path);
        futimens(d, ts);
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX + 1];
        ssize_t n = readlinkat(src, name, target, PATH_MAX);
        if (n < 0)
            return brig_error_errno(reterr, "readlink `%s`", path);
        target[n] = '\0';
        if (symlinkat(target, dst, name) < 0)
            return brig_error_errno(reterr, "symlink `%s`", path);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
        if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0)
            return brig_error_errno(reterr, "mknod `%s`", path);
        if (fchmodat(dst, name, st.st_mode & 07777, 0) < 0)
            return brig_error_errno(reterr, "chmod `%s`", path);
    } else {
        return 0; /* sockets mean nothing in an image */
    }
    if (c->root && fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return brig_error_errno(reterr, "chown `%s`", path);
    utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW);
    return 0;
}

static int copy_dir(struct copy *c, int src, int dst, const char *rel, brig_error *reterr)
{
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    int fd = fcntl(src, F_DUPFD_CLOEXEC, 3);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return brig_error_errno(reterr, "open `%s`", rel[0] ? rel : "/");
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (copy_one(c, src, dst, de->d_name, rel, reterr) < 0)
            return -1;
    }
    return 0;
}

int image_copy_tree(int srcfd, int dstfd, brig_error *reterr)
{
    struct copy c = {.rootfd = dstfd, .root = geteuid() == 0};
    struct stat st;
    int r = copy_dir(&c, srcfd, dstfd, "", reterr);
    /* The root directory's own metadata, from the layer. */
    if (r == 0 && fstat(srcfd, &st) == 0) {
        if (c.root && fchown(dstfd, st.st_uid, st.st_gid) < 0)
            r = brig_error_errno(reterr, "chown the root");
        fchmod(dstfd, st.st_mode & 07777);
        struct timespec ts[2] = {st.st_atim, st.st_mtim};
        futimens(dstfd, ts);
    }
    for (size_t i = 0; i < c.n_links; i++)
        free(c.links[i].rel);
    free(c.links);
    return r;
}

int brig_image_materialize(struct brig_image_store *s, const struct brig_image *img,
                           const char *dest, brig_error *reterr)
{
    _cleanup_close_ int dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    (void)s;
    if (dfd < 0)
        return brig_error_errno(reterr, "copy image sha256:%.12s: open `%s`", img->id, dest);
    for (size_t i = 0; i < img->n_layers; i++) {
        _cleanup_close_ int lfd = open(img->layers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lfd < 0)
            return brig_error_errno(reterr, "copy image sha256:%.12s: open layer `%s`", img->id,
                                    img->layers[i]);
        /* Hard links never span layers (a tar cannot link across), so
         * each layer has its own link map. */
        if (image_copy_tree(lfd, dfd, reterr) < 0)
            return brig_error_wrap(reterr, "copy image sha256:%.12s into `%s`: layer %zu", img->id,
                                   dest, i + 1);
    }
    return 0;
}

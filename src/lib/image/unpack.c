/* One layer: a tar stream (any compression libarchive detects) unpacked
 * into a directory in overlayfs' lowerdir format, with both digests taken
 * on the way (the blob's, of the bytes as read, and the diff id, of the
 * uncompressed tar).
 *
 * Three readers are chained, each pulling from the one before:
 *   source -> A (filters, "raw" format: the uncompressed bytes) -> B (tar)
 * so the layer is read once, never stored compressed, and hashed twice only
 * when it is compressed.
 *
 * Every entry is created relative to its parent's fd, and parents are
 * walked one component at a time with RESOLVE_NO_SYMLINKS: an entry whose
 * path goes through a symlink (planted earlier in the same tar), "..", or
 * an absolute path is refused, naming the entry. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/util.h"
#include "image/archive_dl.h"
#include "image/image_internal.h"
#include "selinux/context.h"
#include "selinux/label.h"

#define SRC_BUF (1 << 20)

struct dir_time {
    char *path;
    struct timespec ts[2];
};

struct unpack {
    int rootfd;
    const char *what;
    struct image_source *src;
    struct archive *a; /* filters -> raw bytes */
    struct image_sha256 blob, diff;
    bool blob_is_diff; /* no compression: one hash serves both */
    uint64_t blob_size;
    brig_error src_err;
    char *cached_parent;
    int cached_fd;
    struct dir_time *dirs;
    size_t n_dirs, cap_dirs;
    bool root;
    uint64_t size;
    bool strict_end;  /* no padding of a short last block (no digest to check) */
    uint64_t tar_len; /* uncompressed bytes handed to the tar reader */
    bool padded;
};

/* umoci (0.4) ends its layers right after the last file's data: no padding
 * to the 512-byte block, no end-of-archive blocks.  Go's archive/tar (and
 * so docker, podman, containerd) takes that as the end; libarchive wants
 * the padding.  Once the real stream ends we hand it the zeros that
 * complete the block, outside both digests: a layer whose bytes were
 * really cut short still fails its diff id check. */
static const char zero_block[512];

static la_ssize_t a_read(struct archive *a, void *cookie, const void **buf)
{
    struct unpack *u = cookie;
    ssize_t n = u->src->read(u->src->cookie, buf, &u->src_err);
    if (n < 0) {
        archive_set_error(a, EIO, "%s", u->src_err ? u->src_err->msg : "read error");
        return -1;
    }
    image_sha256_update(&u->blob, *buf, (size_t)n);
    u->blob_size += (uint64_t)n;
    return n;
}

static la_ssize_t b_read(struct archive *b, void *cookie, const void **buf)
{
    struct unpack *u = cookie;
    size_t size;
    la_int64_t off;
    int r;
    if (u->padded)
        return 0;
    r = archive_read_data_block(u->a, buf, &size, &off);
    if (r == ARCHIVE_EOF) {
        u->padded = true;
        if (u->strict_end || u->tar_len % 512 == 0)
            return 0;
        *buf = zero_block;
        return (la_ssize_t)(512 - u->tar_len % 512);
    }
    if (r < ARCHIVE_WARN) {
        archive_set_error(b, archive_errno(u->a), "%s", archive_error_string(u->a));
        return -1;
    }
    if (!u->blob_is_diff)
        image_sha256_update(&u->diff, *buf, size);
    u->tar_len += size;
    return (la_ssize_t)size;
}

int image_entry_path(const char *path, char **ret, brig_error *reterr)
{
    _cleanup_free_ char *out = brig_xmalloc0(strlen(path) + 1);
    size_t o = 0;
    const char *c = path;
    /* A leading '/' is rooted in the layer, as containerd and GNU tar take
     * it (umoci writes its root entry as "/"): resolved relative to the
     * layer's root it cannot land outside. */
    while (*c) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            _cleanup_free_ char *q = image_printable(path);
            return brig_error_set(reterr, 0, "entry `%s`: path escapes the layer (`..`)", q);
        }
        if (n > 0 && !(n == 1 && c[0] == '.')) {
            if (o > 0)
                out[o++] = '/';
            memcpy(out + o, c, n);
            o += n;
        }
        c += n;
        if (*c == '/')
            c++;
    }
    out[o] = '\0';
    *ret = TAKE_PTR(out);
    return 0;
}

static int open_beneath(int dirfd, const char *name, int flags)
{
    struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
                           .resolve =
                               RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    int fd;
    for (int tries = 0;; tries++) {
        fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
        if (fd >= 0 || errno != EAGAIN || tries == 32)
            return fd;
    }
}

static void cache_drop(struct unpack *u)
{
    free(u->cached_parent);
    u->cached_parent = NULL;
    if (u->cached_fd >= 0)
        close(u->cached_fd);
    u->cached_fd = -1;
}

/* The directory `rel` inside the layer ("" = the root) as an O_PATH fd
 * owned by the cache; missing directories are made (0755, root). */
static int parent_fd(struct unpack *u, const char *rel, const char *entry, brig_error *reterr)
{
    _cleanup_free_ char *p = NULL;
    _cleanup_close_ int cur = -1;
    char *save = NULL;
    if (u->cached_parent != NULL && strcmp(u->cached_parent, rel) == 0)
        return u->cached_fd;
    cache_drop(u);
    cur = fcntl(u->rootfd, F_DUPFD_CLOEXEC, 3);
    if (cur < 0)
        return brig_error_errno(reterr, "dup");
    p = brig_xstrdup(rel);
    for (char *c = strtok_r(p, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        int next = open_beneath(cur, c, O_PATH | O_DIRECTORY);
        if (next < 0 && errno == ENOENT) {
            if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST)
                goto fail;
            next = open_beneath(cur, c, O_PATH | O_DIRECTORY);
        }
        if (next < 0)
            goto fail;
        close(cur);
        cur = next;
    }
    u->cached_parent = brig_xstrdup(rel);
    u->cached_fd = TAKE_FD(cur);
    return u->cached_fd;
fail : {
    _cleanup_free_ char *q = image_printable(entry);
    if (errno == ELOOP || errno == EXDEV)
        return brig_error_set(reterr, 0, "entry `%s`: path goes through a symlink", q);
    if (errno == ENOTDIR)
        return brig_error_set(reterr, 0, "entry `%s`: path goes through a non-directory", q);
    return brig_error_errno(reterr, "entry `%s`: open parent", q);
}
}

static bool skip_xattr(const char *name)
{
    /* overlay's own xattrs would let a layer forge redirects or metacopy;
     * SELinux labels are the engine's to set. */
    return brig_str_has_prefix(name, "trusted.overlay.") ||
           brig_str_has_prefix(name, "user.overlay.") || strcmp(name, "security.selinux") == 0;
}

static int apply_xattrs(int fd, struct archive_entry *e, const char *entry, brig_error *reterr)
{
    const char *name;
    const void *val;
    size_t size;
    if (archive_entry_xattr_reset(e) == 0)
        return 0;
    while (archive_entry_xattr_next(e, &name, &val, &size) == ARCHIVE_OK) {
        if (name == NULL || skip_xattr(name))
            continue;
        if (fsetxattr(fd, name, val, size, 0) < 0) {
            _cleanup_free_ char *q = image_printable(entry), *n = image_printable(name);
            return brig_error_errno(reterr, "entry `%s`: set xattr `%s`", q, n);
        }
    }
    return 0;
}

/* Owner, mode (after chown, which clears setuid), xattrs: on an open fd. */
static int apply_meta_fd(struct unpack *u, int fd, struct archive_entry *e, const char *entry,
                         brig_error *reterr)
{
    uid_t uid = (uid_t)archive_entry_uid(e);
    gid_t gid = (gid_t)archive_entry_gid(e);
    if (u->root && fchown(fd, uid, gid) < 0) {
        _cleanup_free_ char *q = image_printable(entry);
        return brig_error_errno(reterr, "entry `%s`: chown", q);
    }
    if (fchmod(fd, archive_entry_perm(e) & 07777) < 0) {
        _cleanup_free_ char *q = image_printable(entry);
        return brig_error_errno(reterr, "entry `%s`: chmod", q);
    }
    return apply_xattrs(fd, e, entry, reterr);
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_nsec(e);
    if (archive_entry_atime_is_set(e)) {
        ts[0].tv_sec = archive_entry_atime(e);
        ts[0].tv_nsec = archive_entry_atime_nsec(e);
    } else {
        ts[0] = ts[1];
    }
}

static void defer_dir_time(struct unpack *u, const char *rel, struct archive_entry *e)
{
    if (u->n_dirs == u->cap_dirs) {
        u->cap_dirs = u->cap_dirs ? 2 * u->cap_dirs : 64;
        u->dirs = brig_xrealloc(u->dirs, u->cap_dirs * sizeof(*u->dirs));
    }
    u->dirs[u->n_dirs].path = brig_xstrdup(rel);
    entry_times(e, u->dirs[u->n_dirs].ts);
    u->n_dirs++;
}

/* Make room for a new entry `base` in pfd: an existing non-directory (or a
 * directory, when the new entry is not one) goes. */
static int clear_slot(struct unpack *u, int pfd, const char *base, bool new_is_dir,
                      const char *entry, brig_error *reterr)
{
    struct stat st;
    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : brig_error_errno(reterr, "stat entry");
    if (S_ISDIR(st.st_mode)) {
        if (new_is_dir)
            return 1; /* keep it, update its metadata */
        /* The cache holds pfd (this entry's parent), which stays valid. */
        return image_rm_rf_at(pfd, base, reterr);
    }
    if (unlinkat(pfd, base, 0) < 0) {
        _cleanup_free_ char *q = image_printable(entry);
        return brig_error_errno(reterr, "entry `%s`: replace", q);
    }
    return 0;
}

static int write_file(struct unpack *u, struct archive *b, int pfd, const char *base,
                      struct archive_entry *e, const char *entry, brig_error *reterr)
{
    _cleanup_close_ int fd = -1;
    const void *buf;
    size_t size;
    la_int64_t off, end = 0, want = archive_entry_size(e);
    struct timespec ts[2];
    int r;
    fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        _cleanup_free_ char *q = image_printable(entry);
        return brig_error_errno(reterr, "entry `%s`: create", q);
    }
    while ((r = archive_read_data_block(b, &buf, &size, &off)) == ARCHIVE_OK) {
        const char *p = buf;
        size_t left = size;
        while (left > 0) {
            ssize_t w = pwrite(fd, p, left, off);
            if (w < 0) {
                _cleanup_free_ char *q = image_printable(entry);
                return brig_error_errno(reterr, "entry `%s`: write", q);
            }
            p += w, left -= (size_t)w, off += w;
        }
        if (off > end)
            end = off;
    }
    if (r != ARCHIVE_EOF) {
        _cleanup_free_ char *q = image_printable(entry),
                            *m = image_printable(archive_error_string(b) ?: "?");
        return brig_error_set(reterr, 0, "entry `%s`: %s", q, m);
    }
    if (end < want && ftruncate(fd, want) < 0)
        return brig_error_errno(reterr, "truncate");
    u->size += (uint64_t)want;
    if (apply_meta_fd(u, fd, e, entry, reterr) < 0)
        return -1;
    entry_times(e, ts);
    futimens(fd, ts);
    return 0;
}

static int unpack_entry(struct unpack *u, struct archive *b, struct archive_entry *e,
                        brig_error *reterr)
{
    const char *raw = archive_entry_pathname(e);
    _cleanup_free_ char *rel = NULL, *dir = NULL;
    const char *base;
    mode_t type = archive_entry_filetype(e);
    const char *hl = archive_entry_hardlink(e);
    struct timespec ts[2];
    int pfd, r;

    if (raw == NULL)
        return brig_error_set(reterr, 0, "an entry has no path");
    if (image_entry_path(raw, &rel, reterr) < 0)
        return -1;
    if (rel[0] == '\0') { /* the layer's root itself */
        if (type != AE_IFDIR)
            return brig_error_set(reterr, 0, "entry `%s`: the root is not a directory", raw);
        if (apply_meta_fd(u, u->rootfd, e, raw, reterr) < 0)
            return -1;
        defer_dir_time(u, "", e);
        return 0;
    }
    char *slash = strrchr(rel, '/');
    dir = slash ? strndup(rel, (size_t)(slash - rel)) : brig_xstrdup("");
    if (dir == NULL)
        abort();
    base = slash ? slash + 1 : rel;
    pfd = parent_fd(u, dir, raw, reterr);
    if (pfd < 0)
        return -1;

    /* OCI whiteouts become overlayfs' own format. */
    if (brig_str_has_prefix(base, ".wh.")) {
        if (strcmp(base, ".wh..wh..opq") == 0) {
            _cleanup_close_ int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dfd < 0 || fsetxattr(dfd, "trusted.overlay.opaque", "y", 1, 0) < 0) {
                _cleanup_free_ char *q = image_printable(raw);
                return brig_error_errno(reterr, "entry `%s`: mark the directory opaque", q);
            }
            return 0;
        }
        if (brig_str_has_prefix(base, ".wh..wh."))
            return 0; /* aufs bookkeeping (.wh..wh.plnk): nothing to apply */
        const char *name = base + 4;
        if (clear_slot(u, pfd, name, false, raw, reterr) < 0)
            return -1;
        if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0) {
            _cleanup_free_ char *q = image_printable(raw);
            return brig_error_errno(reterr, "entry `%s`: make the whiteout", q);
        }
        return 0;
    }

    r = clear_slot(u, pfd, base, hl == NULL && type == AE_IFDIR, raw, reterr);
    if (r < 0)
        return -1;
    if (hl != NULL) {
        _cleanup_free_ char *trel = NULL, *tdir = NULL;
        char *ts_ = NULL;
        int tpfd;
        if (image_entry_path(hl, &trel, reterr) < 0)
            return brig_error_wrap(reterr, "hard link `%s`", raw);
        ts_ = strrchr(trel, '/');
        tdir = ts_ ? strndup(trel, (size_t)(ts_ - trel)) : brig_xstrdup("");
        if (tdir == NULL)
            abort();
        /* Resolve the target's parent on a private fd: the cache holds pfd. */
        _cleanup_close_ int keep = fcntl(pfd, F_DUPFD_CLOEXEC, 3);
        tpfd = parent_fd(u, tdir, raw, reterr);
        if (tpfd < 0)
            return -1;
        if (trel[0] == '\0' || linkat(tpfd, ts_ ? ts_ + 1 : trel, keep, base, 0) < 0) {
            _cleanup_free_ char *q = image_printable(raw), *t = image_printable(hl);
            return brig_error_errno(reterr, "entry `%s`: hard link to `%s`", q, t);
        }
        return 0;
    }
    switch (type) {
    case AE_IFREG:
        return write_file(u, b, pfd, base, e, raw, reterr);
    case AE_IFDIR: {
        _cleanup_close_ int dfd = -1;
        if (r == 0 && mkdirat(pfd, base, 0700) < 0) {
            _cleanup_free_ char *q = image_printable(raw);
            return brig_error_errno(reterr, "entry `%s`: mkdir", q);
        }
        dfd = open_beneath(pfd, base, O_RDONLY | O_DIRECTORY);
        if (dfd < 0) {
            _cleanup_free_ char *q = image_printable(raw);
            return brig_error_errno(reterr, "entry `%s`: open", q);
        }
        if (apply_meta_fd(u, dfd, e, raw, reterr) < 0)
            return -1;
        defer_dir_time(u, rel, e);
        return 0;
    }
    case AE_IFLNK: {
        const char *target = archive_entry_symlink(e);
        if (target == NULL || symlinkat(target, pfd, base) < 0) {
            _cleanup_free_ char *q = image_printable(raw);
            return brig_error_errno(reterr, "entry `%s`: symlink", q);
        }
        break;
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
        if (mknodat(pfd, base, type | (archive_entry_perm(e) & 07777),
                    type == AE_IFIFO ? 0 : archive_entry_rdev(e)) < 0) {
            _cleanup_free_ char *q = image_printable(raw);
            return brig_error_errno(reterr, "entry `%s`: mknod", q);
        }
        break;
    default: {
        _cleanup_free_ char *q = image_printable(raw);
        return brig_error_set(reterr, 0, "entry `%s`: unsupported file type 0%o", q,
                              (unsigned)type);
    }
    }
    /* Symlinks and nodes: by name, never following (the parent is ours). */
    if (u->root && fchownat(pfd, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
                            AT_SYMLINK_NOFOLLOW) < 0) {
        _cleanup_free_ char *q = image_printable(raw);
        return brig_error_errno(reterr, "entry `%s`: chown", q);
    }
    if (type != AE_IFLNK && fchmodat(pfd, base, archive_entry_perm(e) & 07777, 0) < 0) {
        _cleanup_free_ char *q = image_printable(raw);
        return brig_error_errno(reterr, "entry `%s`: chmod", q);
    }
    entry_times(e, ts);
    utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
    return 0;
}

static void finish_dir_times(struct unpack *u)
{
    /* Last first: setting a child's time does not touch its parent's. */
    for (size_t i = u->n_dirs; i-- > 0;) {
        struct dir_time *d = &u->dirs[i];
        if (d->path[0] == '\0') {
            futimens(u->rootfd, d->ts);
        } else {
            _cleanup_close_ int fd = -1;
            _cleanup_free_ char *p = brig_xstrdup(d->path);
            char *save = NULL;
            fd = fcntl(u->rootfd, F_DUPFD_CLOEXEC, 3);
            for (char *c = strtok_r(p, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
                int next = open_beneath(fd, c, O_PATH | O_DIRECTORY);
                close(fd);
                fd = next;
            }
            if (fd >= 0) {
                char path[BRIG_FD_PATH_MAX];
                brig_fd_path(fd, path);
                utimensat(AT_FDCWD, path, d->ts, 0);
            }
        }
        free(d->path);
    }
    free(u->dirs);
    u->dirs = NULL;
    u->n_dirs = 0;
}

int image_unpack_layer(int dirfd, struct image_source *src, int flags, const char *what,
                       struct image_layer_result *res, brig_error *reterr)
{
    struct unpack u = {.rootfd = dirfd,
                       .what = what,
                       .src = src,
                       .cached_fd = -1,
                       .strict_end = (flags & IMAGE_UNPACK_STRICT) != 0};
    struct archive *b = NULL;
    struct archive_entry *e;
    _cleanup_free_ char *ro_label = brig_store_context(BRIG_STORE_LAYER);
    int r, ret = -1;

    if (brig_archive_load(reterr) < 0)
        return -1;
    /* A layer is what every container of the image maps and runs: the
     * kernel checks mmap/mprotect against the real layer inode, not
     * overlay's context= view, so each file is created with the read-only
     * container type (at s0, every pair dominates it) by this thread's
     * fscreate, never relabelled later: no window in which a layer file
     * exists with the store's type, and no second walk. */
    if (ro_label != NULL && (brig_label_fd(dirfd, ro_label, reterr) < 0 ||
                             brig_label_set_fscreate(ro_label, reterr) < 0))
        return brig_error_wrap(reterr, "%s: label the layer", what);
    u.root = geteuid() == 0;
    image_sha256_init(&u.blob);
    image_sha256_init(&u.diff);
    u.a = archive_read_new();
    b = archive_read_new();
    if (u.a == NULL || b == NULL)
        abort();
    archive_read_support_filter_all(u.a);
    archive_read_support_format_raw(u.a);
    archive_read_support_format_tar(b);
    if (archive_read_open(u.a, &u, NULL, a_read, NULL) != ARCHIVE_OK ||
        archive_read_next_header(u.a, &e) != ARCHIVE_OK) {
        _cleanup_free_ char *m = image_printable(archive_error_string(u.a) ?: "empty");
        brig_error_set(reterr, 0, "%s: %s", what, m);
        goto out;
    }
    u.blob_is_diff = archive_filter_code(u.a, 0) == ARCHIVE_FILTER_NONE;
    if (archive_read_open(b, &u, NULL, b_read, NULL) != ARCHIVE_OK) {
        _cleanup_free_ char *m = image_printable(archive_error_string(b) ?: "?");
        brig_error_set(reterr, 0, "%s: %s", what, m);
        goto out;
    }
    for (;;) {
        r = archive_read_next_header(b, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN) {
            _cleanup_free_ char *m = image_printable(archive_error_string(b) ?: "?");
            brig_error_set(reterr, 0, "%s: %s", what, m);
            goto out;
        }
        if (unpack_entry(&u, b, e, reterr) < 0) {
            brig_error_wrap(reterr, "%s", what);
            goto out;
        }
    }
    /* The digests cover every byte: the tar's trailing padding, and what the
     * decompressor did not ask for. */
    {
        const void *buf;
        size_t size;
        la_int64_t off;
        r = u.padded ? ARCHIVE_EOF : ARCHIVE_OK;
        while (r == ARCHIVE_OK &&
               (r = archive_read_data_block(u.a, &buf, &size, &off)) == ARCHIVE_OK)
            if (!u.blob_is_diff)
                image_sha256_update(&u.diff, buf, size);
        if (r != ARCHIVE_EOF) {
            _cleanup_free_ char *m = image_printable(archive_error_string(u.a) ?: "?");
            brig_error_set(reterr, 0, "%s: %s", what, m);
            goto out;
        }
        ssize_t n;
        while ((n = src->read(src->cookie, &buf, &u.src_err)) > 0) {
            image_sha256_update(&u.blob, buf, (size_t)n);
            u.blob_size += (uint64_t)n;
        }
        if (n < 0) {
            brig_error_set(reterr, 0, "%s: %s", what, u.src_err ? u.src_err->msg : "read error");
            goto out;
        }
    }
    finish_dir_times(&u);
    image_sha256_final(&u.blob, res->blob);
    if (u.blob_is_diff)
        memcpy(res->diff_id, res->blob, sizeof(res->diff_id));
    else
        image_sha256_final(&u.diff, res->diff_id);
    res->size = u.size;
    res->blob_size = u.blob_size;
    ret = 0;
out:
    for (size_t i = 0; i < u.n_dirs; i++)
        free(u.dirs[i].path);
    free(u.dirs);
    cache_drop(&u);
    brig_error_free(&u.src_err);
    archive_read_free(b);
    archive_read_free(u.a);
    if (ro_label != NULL) {
        /* What this thread creates next (the layer's size file, the
         * store's records) is store metadata again. */
        _cleanup_error_ brig_error reset_err = NULL;
        if (brig_label_set_fscreate(NULL, &reset_err) < 0 && ret == 0) {
            *reterr = TAKE_PTR(reset_err);
            ret = -1;
        }
    }
    return ret;
}

struct fd_src {
    int fd;
    char *buf;
};
static ssize_t fd_read(void *cookie, const void **buf, brig_error *reterr)
{
    struct fd_src *s = cookie;
    ssize_t n;
    do
        n = read(s->fd, s->buf, SRC_BUF);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return brig_error_errno(reterr, "read");
    *buf = s->buf;
    return n;
}

int image_unpack_layer_fd(int dirfd, int fd, int flags, const char *what,
                          struct image_layer_result *res, brig_error *reterr)
{
    _cleanup_free_ char *buf = brig_xmalloc0(SRC_BUF);
    struct fd_src s = {.fd = fd, .buf = buf};
    struct image_source src = {.read = fd_read, .cookie = &s};
    return image_unpack_layer(dirfd, &src, flags, what, res, reterr);
}

struct mem_src {
    const char *p;
    size_t left;
};
static ssize_t mem_read(void *cookie, const void **buf, brig_error *reterr)
{
    struct mem_src *m = cookie;
    size_t n = m->left < SRC_BUF ? m->left : SRC_BUF;
    *buf = m->p;
    m->p += n;
    m->left -= n;
    return (ssize_t)n;
}

int image_unpack_layer_mem(int dirfd, const void *data, size_t len, int flags, const char *what,
                           struct image_layer_result *res, brig_error *reterr)
{
    struct mem_src m = {.p = data, .left = len};
    struct image_source src = {.read = mem_read, .cookie = &m};
    return image_unpack_layer(dirfd, &src, flags, what, res, reterr);
}

/* Relabelling trees for `:z`/`:Z` volumes and container rootfs.
 *
 * Security invariants this file keeps:
 *
 *  - Nothing is reached by a joined path string.  A volume may be owned and
 *    concurrently modified by a container, which can swap any directory for
 *    a symlink to a host file at any moment.  Every directory is opened with
 *    openat(parent_fd, name, O_NOFOLLOW|O_DIRECTORY), and every other entry
 *    is labelled through (parent_fd, name) with symlinks never followed, so
 *    the worst a racing container can do is make us label its own entries.
 *    Path strings exist only for messages and for the mount-point check.
 *  - A symlink is labelled itself; its target never is.
 *  - The walk stays on the top's mount: directories on another mount (by
 *    mount id, or st_dev where the kernel has no mount ids) and mount points
 *    listed in /proc/self/mountinfo below the top are not entered/labelled.
 *  - A hard link in the tree to a file elsewhere on the same filesystem is
 *    the same inode and gets labelled, as with chcon -R; fs.protected_hardlinks
 *    keeps a container from linking to host files it cannot write.
 *  - An entry whose label is already right is not written, so its ctime
 *    does not change and a relabel of a labelled tree is read-only.
 *  - The top is labelled last, after every worker has finished: a relabel
 *    that was interrupted leaves the top visibly unlabelled.
 */
#include "selinux/relabel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/util.h"

#define XATTR_NAME "security.selinux"
#define MAX_THREADS 64
#define DEFAULT_MAX_THREADS 8
#define PROGRESS_INTERVAL_NS (100 * 1000 * 1000L)
#define DENTS_BUF_SIZE (64 * 1024)

/* getxattrat/setxattrat (Linux 6.13) label (dirfd, name) without following
 * a final symlink and without an extra fd per entry.  glibc 2.36 has no
 * numbers for them; they are 463/464 on every architecture that uses the
 * common syscall table (alpha and mips add offsets: there we only use the
 * fallback). */
#if !defined(__NR_setxattrat) && !defined(__alpha__) && !defined(__mips__)
#define __NR_setxattrat 463
#define __NR_getxattrat 464
#endif

struct xattr_args_v0 {
    uint64_t value;
    uint32_t size;
    uint32_t flags;
};

/* ---- refusal list -------------------------------------------------------- */

static const char *const refused_dirs[] = {
    "/",     "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt",     "/proc",
    "/root", "/run", "/sbin", "/srv", "/sys", "/tmp",  "/usr", "/var",   "/var/lib", "/var/log",
};

/* What breaks on the host if this directory gets a container label.  The
 * point of the message is the alternative: a custom type (seed 002's
 * container_logger) instead of relabelling shared host content. */
static const char *refusal_consequence(const char *dir)
{
    if (strcmp(dir, "/var/log") == 0)
        return "relabelling it would lock the host's own tools out of it (logrotate, journald, "
               "log scanners could no longer read or rotate the logs)";
    if (strcmp(dir, "/") == 0 || strcmp(dir, "/usr") == 0 || strcmp(dir, "/bin") == 0 ||
        strcmp(dir, "/sbin") == 0 || strcmp(dir, "/lib") == 0 || strcmp(dir, "/lib64") == 0)
        return "relabelling it would lock the host's own programs and services out of their "
               "files";
    return "relabelling it would lock the host's own tools and services out of it";
}

/* realpath() when the path exists; otherwise the path with trailing slashes
 * dropped, so a missing "/usr/" still compares as "/usr". */
static char *canonical_path(const char *path)
{
    char *r = realpath(path, NULL);
    if (r != NULL)
        return r;
    r = brig_xstrdup(path);
    size_t n = strlen(r);
    while (n > 1 && r[n - 1] == '/')
        r[--n] = '\0';
    return r;
}

static bool same_dir(const char *canon, const char *other)
{
    if (other == NULL || other[0] != '/')
        return false;
    _cleanup_free_ char *c = canonical_path(other);
    return strcmp(canon, c) == 0;
}

const char *brig_relabel_refused(const char *path)
{
    /* The reason names the path, so it cannot be a constant; one buffer per
     * thread keeps the const-char* interface safe to call concurrently. */
    static __thread char reason[PATH_MAX + 512];
    _cleanup_free_ char *canon = NULL;

    if (path == NULL || path[0] == '\0')
        return NULL;
    canon = canonical_path(path);
    /* List entries are resolved too: with merged /usr, /bin is /usr/bin,
     * and "/usr/bin" must be refused like "/bin". */
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(refused_dirs); i++) {
        if (strcmp(canon, refused_dirs[i]) == 0 || same_dir(canon, refused_dirs[i])) {
            snprintf(reason, sizeof(reason),
                     "`%s` is a host system directory: %s; use a custom type instead (brig "
                     "policy generate)",
                     canon, refusal_consequence(refused_dirs[i]));
            return reason;
        }
    }

    /* The invoking user's home: $HOME, and under sudo the real user's. */
    const char *home = getenv("HOME");
    const char *sudo_user = getenv("SUDO_USER");
    _cleanup_free_ char *sudo_home = NULL;
    if (sudo_user != NULL && *sudo_user != '\0') {
        struct passwd pw, *res = NULL;
        char buf[4096];
        if (getpwnam_r(sudo_user, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
            sudo_home = brig_xstrdup(res->pw_dir);
    }
    if (same_dir(canon, home) || same_dir(canon, sudo_home)) {
        snprintf(reason, sizeof(reason),
                 "`%s` is your home directory: relabelling it would lock your own login, shell "
                 "and tools out of it; use a subdirectory made for the container, or a custom "
                 "type (brig policy generate)",
                 canon);
        return reason;
    }
    return NULL;
}

/* ---- the walk ------------------------------------------------------------ */

/* An open directory whose entries are being (or waiting to be) visited.  It
 * stays open while queued children still need its fd for openat(). */
struct node {
    int fd;
    atomic_int refs;
    char *path; /* for messages only, never for access */
};

struct item {
    struct node *parent;
    char *name; /* NULL: list `parent` itself (the top) */
};

struct walk {
    pthread_mutex_t lock;
    pthread_cond_t work_cond; /* items pushed, or walk over */
    pthread_cond_t done_cond; /* walk over (the progress loop waits here) */
    struct item *stack;
    size_t n, cap;
    size_t busy;    /* workers processing an item */
    size_t waiting; /* workers blocked on work_cond */
    bool done;
    brig_error err; /* first error; guarded by lock */

    atomic_bool failed;
    atomic_uint_fast64_t visited, changed;

    const char *context;
    size_t context_len;
    bool use_xattrat;
    dev_t dev;
    uint64_t mnt_id;
    bool have_mnt_id;
    char **mounts; /* mount points strictly below the top */
};

static void node_unref(struct node *n)
{
    if (n == NULL || atomic_fetch_sub(&n->refs, 1) != 1)
        return;
    close(n->fd);
    free(n->path);
    free(n);
}

static char *join_path(const char *dir, const char *name)
{
    if (strcmp(dir, "/") == 0)
        return brig_xasprintf("/%s", name);
    return brig_xasprintf("%s/%s", dir, name);
}

/* Record the first error; later ones are consequences or noise. */
static void walk_fail(struct walk *w, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void walk_fail(struct walk *w, int errnum, const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&w->lock);
    if (w->err == NULL) {
        va_start(ap, fmt);
        brig_error_setv(&w->err, errnum, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&w->lock);
    atomic_store(&w->failed, true);
}

static int xattr_error(brig_error *reterr, int errnum, const char *path, const char *op)
{
    if (errnum == ENOTSUP || errnum == EOPNOTSUPP)
        return brig_error_set(reterr, 0,
                              "relabel `%s`: the filesystem does not support extended attributes "
                              "(mount it with context=... or use a volume on another fs)",
                              path);
    return brig_error_set(reterr, errnum, "relabel `%s`: %s", path, op);
}

static void walk_fail_xattr(struct walk *w, int errnum, const char *path, const char *op)
{
    pthread_mutex_lock(&w->lock);
    if (w->err == NULL)
        xattr_error(&w->err, errnum, path, op);
    pthread_mutex_unlock(&w->lock);
    atomic_store(&w->failed, true);
}

/* Is the value read back the target?  libselinux writes the context with
 * a trailing NUL; other tools may not, and both mean the same label. */
static bool label_matches(const struct walk *w, const char *buf, ssize_t len)
{
    if (len == (ssize_t)w->context_len + 1 && buf[len - 1] == '\0')
        len--;
    return len == (ssize_t)w->context_len && memcmp(buf, w->context, w->context_len) == 0;
}

enum { LABEL_SAME = 0, LABEL_CHANGED = 1 };

/* Label an open directory.  Returns LABEL_*, or -errno with *ret_op set. */
static int label_fd(const struct walk *w, int fd, const char **ret_op)
{
    char buf[w->context_len + 2];
    ssize_t len = fgetxattr(fd, XATTR_NAME, buf, sizeof(buf));

    if (len >= 0 && label_matches(w, buf, len))
        return LABEL_SAME;
    if (len < 0 && errno != ENODATA && errno != ERANGE) {
        *ret_op = "fgetxattr";
        return -errno;
    }
    if (fsetxattr(fd, XATTR_NAME, w->context, w->context_len + 1, 0) < 0) {
        *ret_op = "fsetxattr";
        return -errno;
    }
    return LABEL_CHANGED;
}

#ifdef __NR_setxattrat
static ssize_t getxattr_at(int dfd, const char *name, char *buf, size_t size)
{
    struct xattr_args_v0 args = {.value = (uintptr_t)buf, .size = size};
    return syscall(__NR_getxattrat, dfd, name, AT_SYMLINK_NOFOLLOW, XATTR_NAME, &args,
                   sizeof(args));
}

static int setxattr_at(int dfd, const char *name, const char *val, size_t size)
{
    struct xattr_args_v0 args = {.value = (uintptr_t)val, .size = size};
    return syscall(__NR_setxattrat, dfd, name, AT_SYMLINK_NOFOLLOW, XATTR_NAME, &args,
                   sizeof(args));
}
#endif

/* Label the entry `name` of directory `dfd`, never following it if it is a
 * symlink.  Returns LABEL_*, or -errno with *ret_op set (-ENOENT: the entry
 * went away under us, which the caller ignores). */
static int label_at(const struct walk *w, int dfd, const char *name, const char **ret_op)
{
    char buf[w->context_len + 2];
    ssize_t len;

#ifdef __NR_setxattrat
    if (w->use_xattrat) {
        len = getxattr_at(dfd, name, buf, sizeof(buf));
        if (len >= 0 && label_matches(w, buf, len))
            return LABEL_SAME;
        if (len < 0 && errno != ENODATA && errno != ERANGE) {
            *ret_op = "lgetxattr";
            return -errno;
        }
        if (setxattr_at(dfd, name, w->context, w->context_len + 1) < 0) {
            *ret_op = "lsetxattr";
            return -errno;
        }
        return LABEL_CHANGED;
    }
#endif

    /* Kernels before 6.13 have no *xattrat and no l*xattr relative to a
     * dirfd.  Pin the entry itself with O_PATH|O_NOFOLLOW (a symlink yields
     * an fd on the link), then go through its /proc/self/fd magic link with
     * the *following* getxattr/setxattr: the magic link jumps straight to
     * the pinned inode without re-walking any name, and does not follow a
     * pinned symlink further (libselinux's fsetfilecon does the same for
     * O_PATH fds).  lsetxattr would instead address the magic link itself
     * and fail with EOPNOTSUPP.  fsetxattr is no option: O_PATH fds refuse
     * it with EBADF, and opening a FIFO or device for real has effects. */
    _cleanup_close_ int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        *ret_op = "open";
        return -errno;
    }
    char proc[BRIG_FD_PATH_MAX];
    brig_fd_path(fd, proc);
    len = getxattr(proc, XATTR_NAME, buf, sizeof(buf));
    if (len >= 0 && label_matches(w, buf, len))
        return LABEL_SAME;
    if (len < 0 && errno != ENODATA && errno != ERANGE) {
        *ret_op = "lgetxattr";
        return -errno;
    }
    if (setxattr(proc, XATTR_NAME, w->context, w->context_len + 1, 0) < 0) {
        *ret_op = "lsetxattr";
        return -errno;
    }
    return LABEL_CHANGED;
}

static bool is_mount_point_below(const struct walk *w, const struct node *dir, const char *name)
{
    if (w->mounts == NULL || w->mounts[0] == NULL)
        return false;
    _cleanup_free_ char *p = join_path(dir->path, name);
    for (char **m = w->mounts; *m != NULL; m++)
        if (strcmp(*m, p) == 0)
            return true;
    return false;
}

static void count(struct walk *w, int r)
{
    atomic_fetch_add_explicit(&w->visited, 1, memory_order_relaxed);
    if (r == LABEL_CHANGED)
        atomic_fetch_add_explicit(&w->changed, 1, memory_order_relaxed);
}

/* Label one non-directory entry; returns LABEL_*, or -1 when there was
 * nothing to count (gone, or the walk failed). */
static int label_entry(struct walk *w, struct node *dir, const char *name)
{
    const char *op = NULL;
    int r = label_at(w, dir->fd, name, &op);

    if (r == -ENOENT)
        return -1; /* removed while we walk: nothing left to label */
    if (r < 0) {
        _cleanup_free_ char *p = join_path(dir->path, name);
        walk_fail_xattr(w, -r, p, op);
        return -1;
    }
    return r;
}

/* Same mount as the top?  Mount ids tell bind mounts of the same fs apart;
 * st_dev is the fallback on kernels without STATX_MNT_ID. */
static int same_mount(const struct walk *w, int fd, bool *ret_same)
{
    struct statx stx;

    if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) < 0)
        return -errno;
    dev_t dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
    *ret_same = dev == w->dev;
    if (w->have_mnt_id && (stx.stx_mask & STATX_MNT_ID))
        *ret_same = *ret_same && stx.stx_mnt_id == w->mnt_id;
    return 0;
}

static void push_items(struct walk *w, struct node *parent, char **names, size_t n)
{
    if (n == 0)
        return;
    pthread_mutex_lock(&w->lock);
    if (w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->n + n)
            cap *= 2;
        w->stack = brig_xrealloc(w->stack, cap * sizeof(*w->stack));
        w->cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        atomic_fetch_add(&parent->refs, 1);
        w->stack[w->n++] = (struct item){.parent = parent, .name = names[i]};
    }
    if (w->waiting > 0)
        pthread_cond_broadcast(&w->work_cond);
    pthread_mutex_unlock(&w->lock);
}

/* Read every entry of `dir`: label non-directories here, queue directories
 * for any worker. */
static void list_dir(struct walk *w, struct node *dir, char *dents)
{
    char **subdirs = NULL;
    size_t nsub = 0, capsub = 0;
    uint64_t visited = 0, changed = 0;

    /* Our own offset: dir->fd is shared with children's openat() only,
     * never read by anyone else, so getdents64 on it is race-free. */
    for (;;) {
        ssize_t nread = getdents64(dir->fd, dents, DENTS_BUF_SIZE);
        if (nread < 0) {
            walk_fail(w, errno, "relabel `%s`: read directory", dir->path);
            break;
        }
        if (nread == 0)
            break;
        for (ssize_t off = 0; off < nread && !atomic_load(&w->failed);) {
            struct dirent64 *de = (struct dirent64 *)(dents + off);
            off += de->d_reclen;
            const char *name = de->d_name;
            if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
                continue;
            if (is_mount_point_below(w, dir, name))
                continue;
            unsigned char type = de->d_type;
            if (type == DT_UNKNOWN) {
                struct stat st;
                if (fstatat(dir->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                    continue; /* gone */
                type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
            }
            if (type != DT_DIR) {
                int r = label_entry(w, dir, name);
                if (r >= 0) {
                    visited++;
                    changed += r == LABEL_CHANGED;
                }
                continue;
            }
            if (nsub == capsub) {
                capsub = capsub ? capsub * 2 : 16;
                subdirs = brig_xrealloc(subdirs, capsub * sizeof(*subdirs));
            }
            subdirs[nsub++] = brig_xstrdup(name);
        }
        /* Shared counters once per batch, not per entry: with 8 workers a
         * per-entry atomic add bounces one cache line between all cores. */
        atomic_fetch_add_explicit(&w->visited, visited, memory_order_relaxed);
        atomic_fetch_add_explicit(&w->changed, changed, memory_order_relaxed);
        visited = changed = 0;
        if (atomic_load(&w->failed))
            break;
    }
    if (atomic_load(&w->failed)) {
        for (size_t i = 0; i < nsub; i++)
            free(subdirs[i]);
        nsub = 0;
    }
    push_items(w, dir, subdirs, nsub);
    free(subdirs);
}

/* Open the subdirectory item->name of item->parent, label it, list it. */
static void visit_dir(struct walk *w, struct item *it, char *dents)
{
    struct node *parent = it->parent;
    int fd = openat(parent->fd, it->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0) {
        if (errno == ENOENT)
            return;
        if (errno == ENOTDIR || errno == ELOOP) {
            /* Replaced by a non-directory (maybe a symlink) since readdir:
             * label what is there now, still without following it. */
            int r = label_entry(w, parent, it->name);
            if (r >= 0)
                count(w, r);
            return;
        }
        _cleanup_free_ char *p = join_path(parent->path, it->name);
        walk_fail(w, errno, "relabel `%s`: open", p);
        return;
    }

    struct node *n = brig_xmalloc0(sizeof(*n));
    n->fd = fd;
    atomic_init(&n->refs, 1);
    n->path = join_path(parent->path, it->name);

    bool same = true;
    int r = same_mount(w, fd, &same);
    if (r < 0) {
        walk_fail(w, -r, "relabel `%s`: statx", n->path);
    } else if (same) {
        const char *op = NULL;
        r = label_fd(w, fd, &op);
        if (r < 0)
            walk_fail_xattr(w, -r, n->path, op);
        else {
            count(w, r);
            list_dir(w, n, dents);
        }
    }
    node_unref(n);
}

static void *worker(void *arg)
{
    struct walk *w = arg;
    _cleanup_free_ char *dents = brig_xmalloc0(DENTS_BUF_SIZE);

    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (w->n == 0 && !w->done) {
            if (w->busy == 0) {
                /* Nothing queued and nobody who could queue more. */
                w->done = true;
                pthread_cond_broadcast(&w->work_cond);
                pthread_cond_broadcast(&w->done_cond);
                break;
            }
            w->waiting++;
            pthread_cond_wait(&w->work_cond, &w->lock);
            w->waiting--;
        }
        if (w->done) {
            pthread_mutex_unlock(&w->lock);
            return NULL;
        }
        struct item it = w->stack[--w->n];
        w->busy++;
        pthread_mutex_unlock(&w->lock);

        /* After a failure, drain the queue without doing more work. */
        if (!atomic_load(&w->failed)) {
            if (it.name == NULL)
                list_dir(w, it.parent, dents);
            else
                visit_dir(w, &it, dents);
        }
        free(it.name);
        node_unref(it.parent);

        pthread_mutex_lock(&w->lock);
        w->busy--;
        if (w->busy == 0 && w->n == 0 && !w->done) {
            w->done = true;
            pthread_cond_broadcast(&w->work_cond);
            pthread_cond_broadcast(&w->done_cond);
        }
        pthread_mutex_unlock(&w->lock);
    }
}

/* Mount points strictly below `top`, from /proc/self/mountinfo (field 5,
 * octal-escaped).  Catches non-directory mount points, which the per
 * directory mount-id check cannot see. */
static char **mounts_below(const char *top)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    char **v = brig_xmalloc0(sizeof(char *));
    size_t toplen = strlen(top);

    if (f == NULL)
        return v;
    while (getline(&line, &cap, f) > 0) {
        char *save = NULL, *tok = strtok_r(line, " ", &save);
        for (int i = 0; tok != NULL && i < 4; i++)
            tok = strtok_r(NULL, " ", &save);
        if (tok == NULL)
            continue;
        /* Unescape \ooo in place. */
        char *o = tok;
        for (const char *s = tok; *s; s++) {
            if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                s[3] >= '0' && s[3] <= '7') {
                *o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                s += 3;
            } else {
                *o++ = *s;
            }
        }
        *o = '\0';
        bool below = strcmp(top, "/") == 0 ? tok[1] != '\0'
                                           : strncmp(tok, top, toplen) == 0 && tok[toplen] == '/';
        if (below)
            brig_strv_append(&v, tok);
    }
    return v;
}

static int threads_for(const struct brig_relabel_opts *opts)
{
    int n = opts != NULL ? opts->threads : 0;
    if (n <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus < 1 ? 1 : cpus > DEFAULT_MAX_THREADS ? DEFAULT_MAX_THREADS : (int)cpus;
    }
    return n > MAX_THREADS ? MAX_THREADS : n;
}

static void walk_snapshot(struct walk *w, struct brig_relabel_progress *p)
{
    p->visited = atomic_load(&w->visited);
    p->changed = atomic_load(&w->changed);
}

/* Walk below the open directory `topfd` with `nthreads` workers; the
 * calling thread reports progress meanwhile, so the callback only ever runs
 * on the caller's thread. */
static int walk_tree(struct walk *w, int topfd, const char *top, int nthreads,
                     const struct brig_relabel_opts *opts, brig_error *reterr)
{
    pthread_t tids[MAX_THREADS];
    int started = 0;
    struct node *root = brig_xmalloc0(sizeof(*root));
    pthread_condattr_t ca;

    /* Our own copy: the caller keeps topfd to label the top last. */
    root->fd = fcntl(topfd, F_DUPFD_CLOEXEC, 3);
    if (root->fd < 0) {
        free(root);
        return brig_error_errno(reterr, "relabel `%s`: dup", top);
    }
    atomic_init(&root->refs, 1);
    root->path = brig_xstrdup(top);

    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->work_cond, NULL);
    pthread_cond_init(&w->done_cond, &ca);
    pthread_condattr_destroy(&ca);

    push_items(w, root, (char *[]){NULL}, 1);
    node_unref(root);

    for (; started < nthreads; started++) {
        int r = pthread_create(&tids[started], NULL, worker, w);
        if (r != 0) {
            if (started > 0)
                break; /* fewer threads still finish the walk */
            walk_fail(w, r, "relabel `%s`: start thread", top);
            /* Nobody will pop the root item: drop it ourselves. */
            free(w->stack[0].name);
            node_unref(w->stack[0].parent);
            w->n = 0;
            w->done = true;
            break;
        }
    }

    pthread_mutex_lock(&w->lock);
    while (!w->done) {
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_nsec += PROGRESS_INTERVAL_NS;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        int r = 0;
        while (!w->done && r != ETIMEDOUT)
            r = pthread_cond_timedwait(&w->done_cond, &w->lock, &deadline);
        if (!w->done && opts != NULL && opts->progress != NULL) {
            struct brig_relabel_progress p;
            walk_snapshot(w, &p);
            pthread_mutex_unlock(&w->lock);
            opts->progress(&p, opts->progress_data);
            pthread_mutex_lock(&w->lock);
        }
    }
    pthread_mutex_unlock(&w->lock);

    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);

    free(w->stack);
    pthread_cond_destroy(&w->done_cond);
    pthread_cond_destroy(&w->work_cond);
    pthread_mutex_destroy(&w->lock);

    if (w->err != NULL) {
        brig_error_free(reterr);
        *reterr = TAKE_PTR(w->err);
        return -1;
    }
    return 0;
}

int brig_relabel(const char *path, const char *context, const struct brig_relabel_opts *opts,
                 struct brig_relabel_progress *ret_stats, brig_error *reterr)
{
    _cleanup_free_ char *top = NULL;
    _cleanup_close_ int fd = -1;
    _cleanup_strv_ char **mounts = NULL;
    struct walk w = {0};
    struct statx stx;
    const char *op = NULL;
    int r;

    if (ret_stats != NULL)
        *ret_stats = (struct brig_relabel_progress){0};
    if (path == NULL || *path == '\0')
        return brig_error_set(reterr, EINVAL, "relabel: no path");
    if (context == NULL || *context == '\0')
        return brig_error_set(reterr, EINVAL, "relabel `%s`: no context", path);

    /* The refusal list is checked on the resolved path, so "/usr/" or a
     * symlink to /usr is refused like /usr itself. */
    if (opts != NULL && opts->no_symlinks) {
        /* Opened first, then named by what the kernel says the fd is. */
        char fdp[BRIG_FD_PATH_MAX];
        fd = brig_open_host_nofollow(path, O_PATH, reterr);
        if (fd < 0)
            return brig_error_wrap(reterr, "relabel `%s`", path);
        brig_fd_path(fd, fdp);
        top = realpath(fdp, NULL);
    } else {
        top = realpath(path, NULL);
    }
    if (top == NULL)
        return brig_error_errno(reterr, "relabel `%s`", path);
    if (opts == NULL || !opts->force) {
        const char *why = brig_relabel_refused(top);
        if (why != NULL)
            return brig_error_set(reterr, 0, "relabel `%s`: %s", path, why);
    }

    /* O_PATH first: the top may be a single file (a file volume), and a
     * FIFO must not be opened for reading. */
    if (fd < 0)
        fd = open(top, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return brig_error_errno(reterr, "relabel `%s`: open", top);
    if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_MNT_ID, &stx) < 0)
        return brig_error_errno(reterr, "relabel `%s`: statx", top);

    w.context = context;
    w.context_len = strlen(context);
    w.dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
    w.have_mnt_id = (stx.stx_mask & STATX_MNT_ID) != 0;
    w.mnt_id = stx.stx_mnt_id;
    atomic_init(&w.visited, 0);
    atomic_init(&w.changed, 0);
    atomic_init(&w.failed, false);

    /* Prefer getxattrat/setxattrat; a kernel (or seccomp filter) without
     * them answers ENOSYS (EPERM under some container profiles). */
#ifdef __NR_setxattrat
    {
        /* Only whether the syscall exists matters here, not the value. */
        char probe[w.context_len + 2];
        if (getxattr_at(AT_FDCWD, top, probe, sizeof(probe)) >= 0 ||
            (errno != ENOSYS && errno != EPERM))
            w.use_xattrat = true;
    }
#endif
    /* The fallback needs /proc: without it every entry would look "gone"
     * (ENOENT) and be skipped silently, reporting success on an unlabelled
     * tree. */
    if (!w.use_xattrat && access("/proc/self/fd", F_OK) < 0)
        return brig_error_errno(reterr,
                                "relabel `%s`: /proc/self/fd (needed on kernels without "
                                "getxattrat)",
                                top);

    if (S_ISDIR(stx.stx_mode)) {
        _cleanup_close_ int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            return brig_error_errno(reterr, "relabel `%s`: open", top);
        mounts = mounts_below(top);
        w.mounts = mounts;
        if (walk_tree(&w, dfd, top, threads_for(opts), opts, reterr) < 0) {
            if (ret_stats != NULL)
                walk_snapshot(&w, ret_stats);
            return -1;
        }
        /* Last, so the top only looks done once everything below is. */
        r = label_fd(&w, dfd, &op);
    } else {
        /* A single file (or symlink, FIFO...): through its parent. */
        _cleanup_free_ char *dir = brig_xstrdup(top);
        char *slash = strrchr(dir, '/');
        const char *name = slash + 1;
        *slash = '\0';
        _cleanup_close_ int pfd =
            opts != NULL && opts->no_symlinks
                ? brig_open_host_nofollow(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY, NULL)
                : open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (pfd < 0)
            return brig_error_errno(reterr, "relabel `%s`: open", dir[0] ? dir : "/");
        r = label_at(&w, pfd, name, &op);
    }
    if (r < 0) {
        if (ret_stats != NULL)
            walk_snapshot(&w, ret_stats);
        return xattr_error(reterr, -r, top, op);
    }
    count(&w, r);

    struct brig_relabel_progress final;
    walk_snapshot(&w, &final);
    /* The completion report: always made, so a progress display ends on the
     * true totals. */
    if (opts != NULL && opts->progress != NULL)
        opts->progress(&final, opts->progress_data);
    if (ret_stats != NULL)
        *ret_stats = final;
    return 0;
}

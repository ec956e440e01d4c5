#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void *brig_xmalloc0(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (p == NULL)
        abort();
    return p;
}

void *brig_xrealloc(void *p, size_t size)
{
    void *n = realloc(p, size ? size : 1);
    if (n == NULL)
        abort();
    return n;
}

char *brig_xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (p == NULL)
        abort();
    return p;
}

char *brig_xstrdup(const char *s)
{
    char *r;
    if (s == NULL)
        return NULL;
    r = strdup(s);
    if (r == NULL)
        abort();
    return r;
}

char *brig_xasprintf(const char *fmt, ...)
{
    char *r = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&r, fmt, ap) < 0)
        abort();
    va_end(ap);
    return r;
}

size_t brig_strv_len(char *const *v)
{
    size_t n = 0;
    if (v != NULL)
        while (v[n] != NULL)
            n++;
    return n;
}

char **brig_strv_dup(char *const *v)
{
    size_t n = brig_strv_len(v);
    char **r = brig_xmalloc0((n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++)
        r[i] = brig_xstrdup(v[i]);
    return r;
}

void brig_strv_append(char ***v, const char *s)
{
    size_t n = brig_strv_len(*v);
    *v = brig_xrealloc(*v, (n + 2) * sizeof(char *));
    (*v)[n] = brig_xstrdup(s);
    (*v)[n + 1] = NULL;
}

char *brig_str_escape(const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    char *out, *o;

    for (const char *p = s; *p; p++)
        n += ((unsigned char)*p < 0x20 || *p == 0x7f) ? 4 : 1;
    out = o = brig_xmalloc0(n + 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p != 0x7f) {
            *o++ = (char)*p;
            continue;
        }
        *o++ = '\\';
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *o++ = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
            continue;
        }
        *o++ = 'x';
        *o++ = hex[*p >> 4];
        *o++ = hex[*p & 0xf];
    }
    *o = '\0';
    return out;
}

bool brig_str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

ssize_t brig_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t r = write(fd, p + done, len - done);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)r;
    }
    return (ssize_t)done;
}

ssize_t brig_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t r = read(fd, p + done, len - done);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

int brig_read_file_at(int dirfd, const char *path, size_t max, char **ret_buf, size_t *ret_len,
                      brig_error *reterr)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = NULL;
    size_t len = 0, cap = 4096;

    fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return brig_error_errno(reterr, "open `%s`", path);
    buf = brig_xmalloc0(cap + 1);
    for (;;) {
        ssize_t r;
        if (len == cap) {
            if (cap >= max)
                return brig_error_set(reterr, EFBIG, "read `%s`: larger than %zu bytes", path, max);
            cap = cap * 2 > max ? max : cap * 2;
            buf = brig_xrealloc(buf, cap + 1);
        }
        r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return brig_error_errno(reterr, "read `%s`", path);
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    if (ret_len)
        *ret_len = len;
    *ret_buf = TAKE_PTR(buf);
    return 0;
}

int brig_write_file_at(int dirfd, const char *path, const void *buf, size_t len, mode_t mode,
                       brig_error *reterr)
{
    _cleanup_close_ int fd = -1;
    int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY | O_TRUNC | (mode ? O_CREAT : 0);

    fd = openat(dirfd, path, flags, mode);
    if (fd < 0)
        return brig_error_errno(reterr, "open `%s`", path);
    if (brig_write_all(fd, buf, len) < 0)
        return brig_error_errno(reterr, "write `%s`", path);
    return 0;
}

int brig_write_file_atomic_at(int dirfd, const char *path, const void *buf, size_t len, mode_t mode,
                              brig_error *reterr)
{
    _cleanup_free_ char *tmp = brig_xasprintf("%s.tmp%d", path, (int)getpid());
    if (brig_write_file_at(dirfd, tmp, buf, len, mode ? mode : 0600, reterr) < 0)
        return -1;
    if (renameat(dirfd, tmp, dirfd, path) < 0) {
        int saved = errno;
        unlinkat(dirfd, tmp, 0);
        return brig_error_set(reterr, saved, "rename `%s`", path);
    }
    return 0;
}

int brig_fds_cloexec_from(int from, brig_error *reterr)
{
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;

    if (syscall(SYS_close_range, (unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return 0;
    /* Older kernels: walk /proc/self/fd. */
    d = opendir("/proc/self/fd");
    if (d == NULL)
        return brig_error_errno(reterr, "open `/proc/self/fd`");
    while ((de = readdir(d)) != NULL) {
        int64_t n;
        if (brig_parse_i64(de->d_name, &n) < 0 || n < from || n == dirfd(d))
            continue;
        if (fcntl((int)n, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
            return brig_error_errno(reterr, "set close-on-exec on fd %d", (int)n);
    }
    return 0;
}

int brig_parse_u64(const char *s, uint64_t *ret)
{
    char *end = NULL;
    unsigned long long v;

    if (s == NULL || *s == '\0' || !isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -ERANGE;
    if (*end != '\0')
        return -EINVAL;
    *ret = v;
    return 0;
}

int brig_parse_i64(const char *s, int64_t *ret)
{
    char *end = NULL;
    long long v;

    if (s == NULL || *s == '\0')
        return -EINVAL;
    if (!isdigit((unsigned char)*s) && !(*s == '-' && isdigit((unsigned char)s[1])))
        return -EINVAL;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno == ERANGE)
        return -ERANGE;
    if (*end != '\0')
        return -EINVAL;
    *ret = v;
    return 0;
}

int brig_mkdir_p_at(int dirfd, const char *path, mode_t mode, brig_error *reterr)
{
    _cleanup_free_ char *p = brig_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdirat(dirfd, p, mode) < 0 && errno != EEXIST)
            return brig_error_errno(reterr, "mkdir `%s`", p);
        *s = '/';
    }
    if (mkdirat(dirfd, p, mode) < 0 && errno != EEXIST)
        return brig_error_errno(reterr, "mkdir `%s`", p);
    return 0;
}

int brig_open_in_root(int rootfd, const char *path, int flags, mode_t mode, brig_error *reterr)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd;

    /* EAGAIN: a rename raced the lookup; retry a bounded number of times
     * (a container renaming in a loop must not hang the runtime). */
    for (int tries = 0;; tries++) {
        fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        if (fd >= 0 || errno != EAGAIN || tries == 32)
            break;
    }
    if (fd < 0)
        return brig_error_errno(reterr, "open `%s` inside the rootfs", path);
    return fd;
}

int brig_mkdir_p_in_root(int rootfd, const char *path, mode_t mode, brig_error *reterr)
{
    _cleanup_free_ char *p = brig_xstrdup(path);
    _cleanup_close_ int cur = -1;
    char *save = NULL, *comp;

    cur = brig_open_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0, reterr);
    if (cur < 0)
        return -1;
    /* Each component is created relative to the previous one's fd and then
     * re-opened with RESOLVE_IN_ROOT semantics (the fd itself is the root
     * of the lookup only for one component, and RESOLVE_BENEATH keeps a
     * symlink component from pointing out). */
    for (comp = strtok_r(p, "/", &save); comp != NULL; comp = strtok_r(NULL, "/", &save)) {
        struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                               .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
        _cleanup_free_ char *sofar = NULL;
        int next;

        if (strcmp(comp, ".") == 0)
            continue;
        if (mkdirat(cur, comp, mode) < 0 && errno != EEXIST)
            return brig_error_errno(reterr, "mkdir `%s` inside the rootfs", path);
        /* Resolve what we have so far from the root again, so a component
         * that is a symlink is followed as if the rootfs were "/". */
        sofar = strndup(path, (size_t)(comp - p) + strlen(comp));
        if (sofar == NULL)
            abort();
        for (int tries = 0;; tries++) {
            next = (int)syscall(SYS_openat2, rootfd, sofar, &how, sizeof(how));
            if (next >= 0 || errno != EAGAIN || tries == 32)
                break;
        }
        if (next < 0)
            return brig_error_errno(reterr, "open `%s` inside the rootfs", sofar);
        close(cur);
        cur = next;
    }
    return TAKE_FD(cur);
}

/* The first prefix of `path` that is a symlink now, for the message only:
 * the refusal itself came from the kernel's single lookup. */
static char *first_symlink_prefix(const char *path)
{
    _cleanup_free_ char *p = brig_xstrdup(path);
    char *s = p;

    for (;;) {
        struct stat sb;
        char *slash;

        while (*s == '/')
            s++;
        if (*s == '\0')
            return NULL;
        slash = strchr(s, '/');
        if (slash != NULL)
            *slash = '\0';
        if (lstat(p, &sb) == 0 && S_ISLNK(sb.st_mode))
            return brig_xstrdup(p);
        if (slash == NULL)
            return NULL;
        *slash = '/';
        s = slash + 1;
    }
}

int brig_open_host_nofollow(const char *path, int flags, brig_error *reterr)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    int fd;

    for (int tries = 0;; tries++) {
        fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
        if (fd >= 0 || errno != EAGAIN || tries == 32)
            break;
    }
    if (fd >= 0)
        return fd;
    if (errno == ELOOP) {
        _cleanup_free_ char *comp = first_symlink_prefix(path), *real = realpath(path, NULL);
        _cleanup_free_ char *hint =
            real ? brig_xasprintf("; it resolves to \"%s\" now, use that path if it is the "
                                  "one you mean",
                                  real)
                 : brig_xstrdup("");
        brig_error_set(reterr, 0,
                       "\"%s\" is a symlink; bind sources are not followed through symlinks (a "
                       "container that can write the parent could redirect them)%s",
                       comp ? comp : path, hint);
        if (reterr != NULL && *reterr != NULL)
            (*reterr)->errnum = ELOOP;
        return -1;
    }
    return brig_error_errno(reterr, "open");
}

void brig_fd_path(int fd, char buf[BRIG_FD_PATH_MAX])
{
    snprintf(buf, BRIG_FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

int brig_validate_id(const char *id, brig_error *reterr)
{
    size_t n;
    if (id == NULL || *id == '\0')
        return brig_error_set(reterr, 0, "container id: must not be empty");
    n = strlen(id);
    if (n > 1024)
        return brig_error_set(reterr, 0, "container id `%.32s...`: longer than 1024 bytes", id);
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strstr(id, "..") != NULL)
        return brig_error_set(reterr, 0, "container id `%s`: must not contain `..`", id);
    for (const char *p = id; *p; p++) {
        if (isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.' || *p == '+')
            continue;
        return brig_error_set(reterr, 0,
                              "container id `%s`: invalid character `%c` (allowed: letters, "
                              "digits, `_`, `-`, `.`, `+`)",
                              id, *p);
    }
    return 0;
}

char *brig_now_rfc3339(void)
{
    struct timespec ts;
    struct tm tm;
    char buf[64];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    return brig_xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

struct brig_kernel_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};

void brig_signals_reset_ignored(void)
{
    for (int s = 1; s <= 64; s++) {
        struct brig_kernel_sigaction old = {0}, dfl = {0};
        if (s == SIGKILL || s == SIGSTOP)
            continue;
        if (syscall(SYS_rt_sigaction, s, NULL, &old, sizeof(unsigned long)) == 0 &&
            old.handler == (void *)SIG_IGN)
            (void)syscall(SYS_rt_sigaction, s, &dfl, NULL, sizeof(unsigned long));
    }
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BRIG_HAVE_LSAN 1
#endif
#elif defined(__SANITIZE_ADDRESS__)
#define BRIG_HAVE_LSAN 1
#endif
#ifdef BRIG_HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

void brig_sanitizer_check_leaks_now(void)
{
#ifdef BRIG_HAVE_LSAN
    __lsan_do_leak_check();
#endif
}

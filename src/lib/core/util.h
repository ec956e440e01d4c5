/* Small helpers every module uses: memory, strings, fds, files, numbers and
 * safe path resolution inside a root. */
#ifndef BRIG_CORE_UTIL_H
#define BRIG_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/cleanup.h"
#include "core/error.h"

/* Allocation failure is not an error brig can report meaningfully (the
 * report itself needs memory), so these abort, as crun's and git's do. */
void *brig_xmalloc0(size_t size);
void *brig_xrealloc(void *p, size_t size);
char *brig_xstrdup(const char *s);
char *brig_xstrndup(const char *s, size_t n);
char *brig_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* NULL-terminated string vectors. */
size_t brig_strv_len(char *const *v);
char **brig_strv_dup(char *const *v);
void brig_strv_append(char ***v, const char *s); /* copies s */
bool brig_str_has_prefix(const char *s, const char *prefix);
/* A copy of `s` fit for one line of an error or log message: control
 * characters (bytes below 0x20 and 0x7f) become \n, \r, \t or \xNN.  A
 * backslash is kept as is, so escaping twice changes nothing (an error the
 * container init sent over the sync socket is escaped again by the
 * runtime). */
char *brig_str_escape(const char *s);

/* fds: every fd brig opens is O_CLOEXEC; these keep it so. */
ssize_t brig_write_all(int fd, const void *buf, size_t len);
ssize_t brig_read_all(int fd, void *buf, size_t len); /* until len or EOF */
/* Read a whole file (at most max bytes) into a NUL-terminated buffer. */
int brig_read_file_at(int dirfd, const char *path, size_t max, char **ret_buf, size_t *ret_len,
                      brig_error *reterr);
/* Write a file relative to dirfd (O_WRONLY|O_TRUNC, no create unless mode != 0). */
int brig_write_file_at(int dirfd, const char *path, const void *buf, size_t len, mode_t mode,
                       brig_error *reterr);
/* Write tmp file + fsync-less rename: readers see the old or the new, never half. */
int brig_write_file_atomic_at(int dirfd, const char *path, const void *buf, size_t len, mode_t mode,
                              brig_error *reterr);
/* Make every fd >= from close-on-exec (close_range when the kernel has it). */
int brig_fds_cloexec_from(int from, brig_error *reterr);

/* Strict number parsing: whole string, no sign surprises, range-checked. */
int brig_parse_u64(const char *s, uint64_t *ret);
int brig_parse_i64(const char *s, int64_t *ret);

/* mkdir -p relative to dirfd, every component created with mode. */
int brig_mkdir_p_at(int dirfd, const char *path, mode_t mode, brig_error *reterr);

/* Open `path` as if `rootfd` were "/": absolute symlinks and ".." cannot
 * leave the root (openat2 RESOLVE_IN_ROOT).  This is how every path inside a
 * container rootfs is resolved; string joining is never safe there because
 * the container owns the rootfs and can plant symlinks (CVE-2021-30465). */
int brig_open_in_root(int rootfd, const char *path, int flags, mode_t mode, brig_error *reterr);
/* Like mkdir -p inside the root, each step resolved with RESOLVE_IN_ROOT;
 * returns an O_PATH fd on the final directory. */
int brig_mkdir_p_in_root(int rootfd, const char *path, mode_t mode, brig_error *reterr);
/* Open a host path that a container may be able to write (a bind source)
 * without following any symlink in it: openat2 RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS, from the working directory for a relative path.
 * The fd is then the only name of the source: nothing resolves the string
 * again, so a component swapped for a symlink after the check cannot
 * redirect the mount.  A symlink anywhere fails with ELOOP and the message
 * `"COMPONENT" is a symlink; bind sources are not followed through
 * symlinks (...)`, plus the path it resolves to today. */
int brig_open_host_nofollow(const char *path, int flags, brig_error *reterr);
/* "/proc/self/fd/N" for a fd, for mount(2) calls that need a path. */
#define BRIG_FD_PATH_MAX 32
void brig_fd_path(int fd, char buf[BRIG_FD_PATH_MAX]);

/* The current time as RFC 3339 in UTC with nanoseconds ("...T12:00:00.123456789Z"). */
char *brig_now_rfc3339(void);
/* Give every ignored signal its default action again (SIG_IGN survives
 * execve, so a container would inherit its caller's nohup or a CI's
 * ignored signals).  Raw rt_sigaction: glibc's refuses 32 and 33, which a
 * parent may have left ignored too.  Async-signal-safe. */
void brig_signals_reset_ignored(void);

/* Container ids: non-empty, [A-Za-z0-9_+.-], no "." or "..", at most 1024
 * bytes.  An id is used as a directory name, so '/' must never pass. */
int brig_validate_id(const char *id, brig_error *reterr);

#endif

/* In a LeakSanitizer build, check for leaks now rather than at exit.  LSan's
 * exit-time check stops the world from a helper it clones; once a process
 * has joined a container's pid namespace that helper is born inside it,
 * cannot see its parent to ptrace it, and the exit hangs spinning.  A
 * process about to join one calls this first (LSan checks only once, so
 * what it allocates afterwards goes unchecked).  A no-op in other builds. */
void brig_sanitizer_check_leaks_now(void);

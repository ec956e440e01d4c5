/* The MCS category allocator: one reservation file per level under
 * ROOT/@mcs/, created O_EXCL so that exactly one process ever holds a level.
 *
 * Security invariants kept here:
 *  - Two live containers never get the same level: creation is O_EXCL, and
 *    nothing but the holder (release) or the reconciler (holder gone)
 *    removes a reservation.
 *  - Every removal happens under ROOT/@mcs/.lock and re-reads the owner
 *    first.  Without that, a reconcile that read owner `a` could unlink the
 *    file after `a` released it and `b` re-took the same pair (ABA), and two
 *    containers would then share a level.  Creation needs no lock: O_EXCL
 *    alone decides who wins.
 *  - A random pair never contains a category that a live single-category
 *    level (`s0:cN`, given by a user) uses: `s0:cN,cM` dominates `s0:cN`, so
 *    its holder could read that container's files.  The pair is created
 *    first and the singles checked after, and a single is created first and
 *    the pairs checked after, so of two racing reservations at least one
 *    sees the other and backs off.
 *  - Owner ids are validated before they are used as a path under ROOT.
 *
 * Callers must create the container's state directory ROOT/<id> before
 * allocating: a reservation whose owner has no directory is what
 * brig_mcs_reconcile() frees. */
#include "selinux/mcs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/util.h"

/* "@" is not allowed in container ids, so no container can be called this
 * and `list` never takes it for one. */
#define MCS_DIR "@mcs"
#define MCS_LOCK ".lock"
#define MCS_PAIRS (BRIG_MCS_CATEGORIES * (BRIG_MCS_CATEGORIES - 1) / 2)
/* With 10,000 live pairs out of 523,776 a random try fails 2% of the time,
 * so 64 tries practically never all fail until the space is ~90% full;
 * after that the scan finds what is left. */
#define MCS_RANDOM_TRIES 64
/* "c1023,c1023" and a NUL. */
#define MCS_NAME_MAX 16
/* A reservation file is created empty and gets its owner right after; an
 * empty one older than this is left over from a crash in between. */
#define MCS_EMPTY_GRACE_SEC 60
/* brig_validate_id's limit, plus room to detect longer garbage. */
#define MCS_OWNER_MAX 1024

/* Parse "c<N>" with N in 0..1023, canonical decimal (no sign, no leading
 * zero: "c01" is not the category the policy calls c1). */
static int parse_category(const char **p, unsigned *ret)
{
    const char *s = *p;
    unsigned v = 0;
    int digits = 0;

    if (*s != 'c')
        return -1;
    s++;
    if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
        return -1;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (unsigned)(*s - '0');
        if (v >= BRIG_MCS_CATEGORIES)
            return -1;
        s++;
        digits++;
    }
    if (digits == 0)
        return -1;
    *p = s;
    *ret = v;
    return 0;
}

int brig_mcs_parse_pair(const char *level, unsigned *ret_x, unsigned *ret_y)
{
    const char *p = level;
    unsigned x, y;

    if (level == NULL || strncmp(p, "s0:", 3) != 0)
        return -1;
    p += 3;
    if (parse_category(&p, &x) < 0 || *p++ != ',' || parse_category(&p, &y) < 0 || *p != '\0')
        return -1;
    if (x >= y)
        return -1;
    *ret_x = x;
    *ret_y = y;
    return 0;
}

/* The reservation file name for a level: "cX,cY" (X<Y) for a level that is
 * exactly two categories, "cN" for one.  Spellings of the same level map to
 * the same name ("s0:c2,c1" and "s0:c1.c2" are "s0:c1,c2" to the kernel), so
 * no spelling can get around a reservation.  Returns 1 with a name, 0 when
 * the level takes no reservation. */
static int level_reservation_name(const char *level, char name[MCS_NAME_MAX])
{
    const char *p = level;
    unsigned cats[2], n = 0;

    if (level == NULL || strncmp(p, "s0:", 3) != 0)
        return 0;
    p += 3;
    for (;;) {
        unsigned a, b = 0;
        if (parse_category(&p, &a) < 0)
            return 0;
        if (*p == '.') {
            p++;
            if (parse_category(&p, &b) < 0 || b <= a)
                return 0;
        } else {
            b = a;
        }
        for (unsigned c = a; c <= b; c++) {
            bool dup = false;
            for (unsigned i = 0; i < n; i++)
                dup = dup || cats[i] == c;
            if (dup)
                continue;
            if (n == 2)
                return 0; /* three or more categories: not a pair */
            cats[n++] = c;
        }
        if (*p == '\0')
            break;
        if (*p++ != ',')
            return 0;
    }
    if (n == 1) {
        snprintf(name, MCS_NAME_MAX, "c%u", cats[0]);
    } else {
        unsigned x = cats[0] < cats[1] ? cats[0] : cats[1];
        unsigned y = cats[0] < cats[1] ? cats[1] : cats[0];
        snprintf(name, MCS_NAME_MAX, "c%u,c%u", x, y);
    }
    return 1;
}

/* A directory entry that is a reservation: "cX,cY" (X<Y) or "cN". */
static bool name_is_reservation(const char *name, unsigned *ret_x, unsigned *ret_y, bool *ret_pair)
{
    const char *p = name;
    unsigned x, y;

    if (parse_category(&p, &x) < 0)
        return false;
    if (*p == '\0') {
        *ret_x = *ret_y = x;
        *ret_pair = false;
        return true;
    }
    if (*p++ != ',' || parse_category(&p, &y) < 0 || *p != '\0' || x >= y)
        return false;
    *ret_x = x;
    *ret_y = y;
    *ret_pair = true;
    return true;
}

/* Open ROOT/@mcs.  With create it is made (0700: reservations name
 * containers) when missing; without, a missing directory gives fd -1 and
 * success, since then nothing is reserved. */
static int mcs_dir_open(int rootfd, bool create, int *ret_fd, brig_error *reterr)
{
    int fd;

    if (create && mkdirat(rootfd, MCS_DIR, 0700) < 0 && errno != EEXIST)
        return brig_error_errno(reterr, "create `%s`", MCS_DIR);
    fd = openat(rootfd, MCS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (!create && errno == ENOENT) {
            *ret_fd = -1;
            return 0;
        }
        return brig_error_errno(reterr, "open `%s`", MCS_DIR);
    }
    *ret_fd = fd;
    return 0;
}

/* Take the removal lock (see the invariants at the top); returns the fd
 * that holds it. */
static int mcs_lock(int dfd, brig_error *reterr)
{
    _cleanup_close_ int fd = -1;

    fd = openat(dfd, MCS_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return brig_error_errno(reterr, "open `%s/%s`", MCS_DIR, MCS_LOCK);
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return brig_error_errno(reterr, "lock `%s/%s`", MCS_DIR, MCS_LOCK);
    return TAKE_FD(fd);
}

/* Read a reservation's owner into buf (NUL-terminated, trailing newline
 * dropped).  Returns its length, or -errno (-ENOENT: not reserved). */
static ssize_t owner_read(int dfd, const char *name, char buf[MCS_OWNER_MAX + 2],
                          struct stat *ret_st)
{
    _cleanup_close_ int fd = -1;
    ssize_t n;

    fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (ret_st != NULL && fstat(fd, ret_st) < 0)
        return -errno;
    n = brig_read_all(fd, buf, MCS_OWNER_MAX + 1);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    return n;
}

/* Unlink `name` if `owner` holds it.  The caller holds the lock. */
static int remove_if_owner_locked(int dfd, const char *name, const char *owner, bool *ret_removed,
                                  brig_error *reterr)
{
    char buf[MCS_OWNER_MAX + 2];
    ssize_t n;

    *ret_removed = false;
    n = owner_read(dfd, name, buf, NULL);
    if (n == -ENOENT)
        return 0;
    if (n < 0)
        return brig_error_set(reterr, (int)-n, "read MCS reservation `%s`", name);
    if (strcmp(buf, owner) != 0)
        return 0;
    if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
        return brig_error_errno(reterr, "remove MCS reservation `%s`", name);
    *ret_removed = true;
    return 0;
}

static int remove_if_owner(int dfd, const char *name, const char *owner, brig_error *reterr)
{
    _cleanup_close_ int lockfd = -1;
    bool removed;

    lockfd = mcs_lock(dfd, reterr);
    if (lockfd < 0)
        return -1;
    return remove_if_owner_locked(dfd, name, owner, &removed, reterr);
}

/* Remove the file we created and still hold open as `fd`, but only if the
 * name still points at it: a partial owner may have looked stale to a
 * reconcile, which freed it, and the name may belong to someone else now. */
static void unlink_own_locked_unless_replaced(int dfd, const char *name, int fd)
{
    _cleanup_close_ int lockfd = -1;
    brig_error ignored = NULL;
    struct stat mine, now;

    lockfd = mcs_lock(dfd, &ignored);
    brig_error_free(&ignored);
    if (lockfd < 0 || fstat(fd, &mine) < 0 || fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0)
        return; /* left for reconcile, which frees what has no live owner */
    if (mine.st_dev == now.st_dev && mine.st_ino == now.st_ino)
        (void)unlinkat(dfd, name, 0);
}

/* Create the reservation `name` for `owner`.  Returns 0 when it is ours
 * now, 1 when someone holds it already, -1 on error. */
static int reservation_create(int dfd, const char *name, const char *owner, brig_error *reterr)
{
    _cleanup_close_ int fd = -1;
    size_t len = strlen(owner);

    fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return 1;
        return brig_error_errno(reterr, "create MCS reservation `%s`", name);
    }
    if (brig_write_all(fd, owner, len) != (ssize_t)len) {
        int saved = errno ? errno : EIO;

        /* Ours and unusable: give it back rather than leak the level. */
        unlink_own_locked_unless_replaced(dfd, name, fd);
        return brig_error_set(reterr, saved, "write MCS reservation `%s`", name);
    }
    return 0;
}

static bool single_reserved(int dfd, unsigned c)
{
    char name[MCS_NAME_MAX];
    struct stat st;

    snprintf(name, sizeof(name), "c%u", c);
    return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

/* Try to take the pair (x, y).  0: taken for owner, 1: not available,
 * -1: error. */
static int pair_try(int dfd, unsigned x, unsigned y, const char *owner, brig_error *reterr)
{
    char name[MCS_NAME_MAX];
    int r;

    snprintf(name, sizeof(name), "c%u,c%u", x, y);
    r = reservation_create(dfd, name, owner, reterr);
    if (r != 0)
        return r;
    /* After creating, so a racing single reservation sees us or we see it. */
    if (single_reserved(dfd, x) || single_reserved(dfd, y)) {
        if (remove_if_owner(dfd, name, owner, reterr) < 0)
            return -1;
        return 1;
    }
    return 0;
}

static int random_fill(void *buf, size_t len, brig_error *reterr)
{
    uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return brig_error_errno(reterr, "allocate MCS categories: getrandom");
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

#define BIT_INDEX(x, y) ((size_t)(x)*BRIG_MCS_CATEGORIES + (y))

/* A fresh directory stream on the reservations directory (its own fd, so
 * the caller's dfd stays usable). */
static DIR *mcs_opendir(int dfd, brig_error *reterr)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;

    if (fd < 0) {
        brig_error_errno(reterr, "open `%s`", MCS_DIR);
        return NULL;
    }
    d = fdopendir(fd);
    if (d == NULL) {
        brig_error_errno(reterr, "open `%s`", MCS_DIR);
        close(fd);
    }
    return d;
}

/* The slow path, for a nearly full space: read the taken set, then walk
 * all pairs from a random point and take the first free one.  Never fails
 * while a pair is free (a pair lost to a race is marked and skipped). */
static int pair_scan(int dfd, const char *owner, unsigned *ret_x, unsigned *ret_y,
                     brig_error *reterr)
{
    const size_t nbits = (size_t)BRIG_MCS_CATEGORIES * BRIG_MCS_CATEGORIES;
    _cleanup_free_ uint8_t *taken = NULL;
    bool single[BRIG_MCS_CATEGORIES] = {false};
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    uint32_t start;

    d = mcs_opendir(dfd, reterr);
    if (d == NULL)
        return -1;
    taken = brig_xmalloc0(nbits / 8);
    while ((errno = 0, de = readdir(d)) != NULL) {
        unsigned x, y;
        bool pair;
        if (!name_is_reservation(de->d_name, &x, &y, &pair))
            continue;
        if (pair)
            taken[BIT_INDEX(x, y) / 8] |= (uint8_t)(1u << (BIT_INDEX(x, y) % 8));
        else
            single[x] = true;
    }
    if (errno != 0)
        return brig_error_errno(reterr, "read `%s`", MCS_DIR);

    if (random_fill(&start, sizeof(start), reterr) < 0)
        return -1;
    for (size_t i = 0; i < nbits; i++) {
        size_t idx = (start + i) % nbits;
        unsigned x = (unsigned)(idx / BRIG_MCS_CATEGORIES),
                 y = (unsigned)(idx % BRIG_MCS_CATEGORIES);
        int r;

        if (x >= y || single[x] || single[y] || (taken[idx / 8] & (1u << (idx % 8))))
            continue;
        r = pair_try(dfd, x, y, owner, reterr);
        if (r < 0)
            return -1;
        if (r == 0) {
            *ret_x = x;
            *ret_y = y;
            return 0;
        }
    }
    return brig_error_set(reterr, 0, "allocate MCS categories: all %u pairs are in use",
                          (unsigned)MCS_PAIRS);
}

int brig_mcs_allocate(int rootfd, const char *owner, char **ret_level, brig_error *reterr)
{
    _cleanup_close_ int dfd = -1;
    uint32_t rnd[MCS_RANDOM_TRIES];
    unsigned x = 0, y = 0;
    bool found = false;

    if (brig_validate_id(owner, reterr) < 0)
        return brig_error_wrap(reterr, "allocate MCS categories");
    if (mcs_dir_open(rootfd, true, &dfd, reterr) < 0)
        return brig_error_wrap(reterr, "allocate MCS categories");
    if (random_fill(rnd, sizeof(rnd), reterr) < 0)
        return -1;
    for (size_t i = 0; i < MCS_RANDOM_TRIES && !found; i++) {
        /* Two independent uniform categories, unequal, sorted: every
         * unordered pair comes out with the same probability 2/(1024*1023). */
        unsigned a = rnd[i] & (BRIG_MCS_CATEGORIES - 1);
        unsigned b = (rnd[i] >> 10) & (BRIG_MCS_CATEGORIES - 1);
        int r;

        if (a == b)
            continue;
        x = a < b ? a : b;
        y = a < b ? b : a;
        r = pair_try(dfd, x, y, owner, reterr);
        if (r < 0)
            return brig_error_wrap(reterr, "allocate MCS categories");
        found = r == 0;
    }
    if (!found && pair_scan(dfd, owner, &x, &y, reterr) < 0)
        return -1;
    *ret_level = brig_xasprintf("s0:c%u,c%u", x, y);
    return 0;
}

/* After creating a single-category reservation: is a pair holding that
 * category in use by someone else?  Returns the holder's pair name. */
static int single_conflict(int dfd, unsigned c, const char *owner, char ret_name[MCS_NAME_MAX],
                           char ret_owner[MCS_OWNER_MAX + 2], brig_error *reterr)
{
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;

    d = mcs_opendir(dfd, reterr);
    if (d == NULL)
        return -1;
    while ((errno = 0, de = readdir(d)) != NULL) {
        unsigned x, y;
        bool pair;
        ssize_t n;
        if (!name_is_reservation(de->d_name, &x, &y, &pair) || !pair || (x != c && y != c))
            continue;
        n = owner_read(dfd, de->d_name, ret_owner, NULL);
        if (n == -ENOENT || (n >= 0 && strcmp(ret_owner, owner) == 0))
            continue;
        if (n < 0)
            ret_owner[0] = '\0'; /* unreadable: held, by nobody we can name */
        /* A reservation name always fits (name_is_reservation). */
        memcpy(ret_name, de->d_name, strlen(de->d_name) + 1);
        return 1;
    }
    if (errno != 0)
        return brig_error_errno(reterr, "read `%s`", MCS_DIR);
    return 0;
}

/* A holder as an error names it: only a container id is quoted, since the
 * file may hold anything (a newline would forge a line of the message). */
static const char *holder_shown(const char *holder, ssize_t n)
{
    return n > 0 && brig_validate_id(holder, NULL) == 0 ? holder : "?";
}

int brig_mcs_reserve(int rootfd, const char *owner, const char *level, brig_error *reterr)
{
    _cleanup_close_ int dfd = -1;
    char name[MCS_NAME_MAX], holder[MCS_OWNER_MAX + 2], pair[MCS_NAME_MAX];
    unsigned x, y;
    bool is_pair;
    ssize_t n;
    int r;

    if (brig_validate_id(owner, reterr) < 0)
        return brig_error_wrap(reterr, "reserve MCS level `%s`", level ? level : "");
    if (level_reservation_name(level, name) == 0)
        return 0;
    if (mcs_dir_open(rootfd, true, &dfd, reterr) < 0)
        return brig_error_wrap(reterr, "reserve MCS level `%s`", level);
    r = reservation_create(dfd, name, owner, reterr);
    if (r < 0)
        return brig_error_wrap(reterr, "reserve MCS level `%s`", level);
    if (r == 1) {
        n = owner_read(dfd, name, holder, NULL);
        if (n > 0 && strcmp(holder, owner) == 0)
            return 0; /* ours already: reserving again is a no-op */
        if (n > 0 && brig_validate_id(holder, NULL) == 0)
            return brig_error_set(reterr, 0, "MCS level `%s` is in use by container `%s`", level,
                                  holder);
        return brig_error_set(reterr, 0, "MCS level `%s` is in use by another container", level);
    }
    (void)name_is_reservation(name, &x, &y, &is_pair);
    if (is_pair) {
        /* The pair dominates the singles cX and cY: refuse it while another
         * container holds either (ours may be checked against us below). */
        for (int i = 0; i < 2; i++) {
            char single[MCS_NAME_MAX];
            snprintf(single, sizeof(single), "c%u", i == 0 ? x : y);
            n = owner_read(dfd, single, holder, NULL);
            if (n == -ENOENT || (n >= 0 && strcmp(holder, owner) == 0))
                continue;
            if (remove_if_owner(dfd, name, owner, reterr) < 0)
                return brig_error_wrap(reterr, "reserve MCS level `%s`", level);
            return brig_error_set(reterr, 0,
                                  "MCS level `%s` is in use: it dominates `s0:%s` of container "
                                  "`%s`",
                                  level, single, holder_shown(holder, n));
        }
        return 0;
    }
    r = single_conflict(dfd, x, owner, pair, holder, reterr);
    if (r != 0) {
        brig_error ignored = NULL;
        if (r < 0) {
            (void)remove_if_owner(dfd, name, owner, &ignored);
            brig_error_free(&ignored);
            return brig_error_wrap(reterr, "reserve MCS level `%s`", level);
        }
        if (remove_if_owner(dfd, name, owner, reterr) < 0)
            return brig_error_wrap(reterr, "reserve MCS level `%s`", level);
        return brig_error_set(reterr, 0,
                              "MCS level `%s` is in use: container `%s` holds `s0:%s`, which "
                              "dominates it",
                              level, holder_shown(holder, (ssize_t)strlen(holder)), pair);
    }
    return 0;
}

int brig_mcs_release(int rootfd, const char *owner, const char *level, brig_error *reterr)
{
    _cleanup_close_ int dfd = -1;
    char name[MCS_NAME_MAX];

    if (brig_validate_id(owner, reterr) < 0)
        return brig_error_wrap(reterr, "release MCS level `%s`", level ? level : "");
    if (level_reservation_name(level, name) == 0)
        return 0;
    if (mcs_dir_open(rootfd, false, &dfd, reterr) < 0)
        return brig_error_wrap(reterr, "release MCS level `%s`", level);
    if (dfd < 0)
        return 0;
    /* Only the holder's own reservation: a container must never free a
     * level another container runs at. */
    if (remove_if_owner(dfd, name, owner, reterr) < 0)
        return brig_error_wrap(reterr, "release MCS level `%s`", level);
    return 0;
}

int brig_mcs_release_owner(int rootfd, const char *owner, brig_error *reterr)
{
    _cleanup_close_ int dfd = -1;
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    int fd;

    if (brig_validate_id(owner, reterr) < 0)
        return brig_error_wrap(reterr, "release the MCS levels of `%s`", owner ? owner : "");
    if (mcs_dir_open(rootfd, false, &dfd, reterr) < 0)
        return brig_error_wrap(reterr, "release the MCS levels of `%s`", owner);
    if (dfd < 0)
        return 0;
    fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return brig_error_errno(reterr, "release the MCS levels of `%s`: list", owner);
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] != 'c')
            continue; /* reservations are named cX or cX,cY */
        if (remove_if_owner(dfd, de->d_name, owner, reterr) < 0)
            return brig_error_wrap(reterr, "release the MCS levels of `%s`", owner);
    }
    return 0;
}

/* Should the reconciler free this reservation?  The lock is held. */
static bool reservation_is_stale(int rootfd, int dfd, const char *name, char *owner_buf)
{
    struct stat st, ost;
    ssize_t n;

    n = owner_read(dfd, name, owner_buf, &st);
    if (n < 0)
        return false;
    if (n == 0) {
        /* Being created right now, or left by a crash mid-create. */
        return time(NULL) - st.st_mtime > MCS_EMPTY_GRACE_SEC;
    }
    /* Not an id: no container can own it, and it must not become a path. */
    if (brig_validate_id(owner_buf, NULL) < 0)
        return true;
    /* A state directory that cannot be checked (EACCES...) keeps it; an
     * id too long to be a directory name never had one (ids may be 1024
     * bytes, names 255), so its reservation would otherwise never go. */
    return fstatat(rootfd, owner_buf, &ost, AT_SYMLINK_NOFOLLOW) < 0 &&
           (errno == ENOENT || errno == ENAMETOOLONG);
}

int brig_mcs_reconcile(int rootfd, size_t *ret_freed, brig_error *reterr)
{
    _cleanup_close_ int dfd = -1, lockfd = -1;
    _cleanup_closedir_ DIR *d = NULL;
    _cleanup_strv_ char **names = NULL;
    size_t n = 0, cap = 0, freed = 0;
    struct dirent *de;

    if (ret_freed)
        *ret_freed = 0;
    if (mcs_dir_open(rootfd, false, &dfd, reterr) < 0)
        return brig_error_wrap(reterr, "reconcile MCS reservations");
    if (dfd < 0)
        return 0;
    lockfd = mcs_lock(dfd, reterr);
    if (lockfd < 0)
        return brig_error_wrap(reterr, "reconcile MCS reservations");

    d = mcs_opendir(dfd, reterr);
    if (d == NULL)
        return brig_error_wrap(reterr, "reconcile MCS reservations");
    /* Collect first: unlinking while readdir walks leaves it unspecified
     * which entries are seen. */
    names = brig_xmalloc0(sizeof(char *));
    while ((errno = 0, de = readdir(d)) != NULL) {
        unsigned x, y;
        bool pair;
        if (!name_is_reservation(de->d_name, &x, &y, &pair))
            continue;
        if (n + 1 >= cap) {
            cap = cap ? cap * 2 : 64;
            names = brig_xrealloc(names, (cap + 1) * sizeof(char *));
        }
        names[n++] = brig_xstrdup(de->d_name);
        names[n] = NULL;
    }
    if (errno != 0)
        return brig_error_errno(reterr, "reconcile MCS reservations: read `%s`", MCS_DIR);

    for (size_t i = 0; i < n; i++) {
        char owner[MCS_OWNER_MAX + 2];

        if (!reservation_is_stale(rootfd, dfd, names[i], owner))
            continue;
        if (unlinkat(dfd, names[i], 0) < 0) {
            if (errno == ENOENT)
                continue;
            return brig_error_errno(reterr, "reconcile MCS reservations: remove `%s`", names[i]);
        }
        freed++;
    }
    if (ret_freed)
        *ret_freed = freed;
    return 0;
}

int brig_mcs_count(int rootfd, size_t *ret_n, brig_error *reterr)
{
    _cleanup_close_ int dfd = -1;
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    size_t count = 0;
    int fd;

    *ret_n = 0;
    if (mcs_dir_open(rootfd, false, &dfd, reterr) < 0)
        return brig_error_wrap(reterr, "count MCS reservations");
    if (dfd < 0)
        return 0;
    fd = TAKE_FD(dfd);
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return brig_error_errno(reterr, "count MCS reservations: open `%s`", MCS_DIR);
    }
    while ((errno = 0, de = readdir(d)) != NULL) {
        unsigned x, y;
        bool pair;
        count += name_is_reservation(de->d_name, &x, &y, &pair);
    }
    if (errno != 0)
        return brig_error_errno(reterr, "count MCS reservations: read `%s`", MCS_DIR);
    *ret_n = count;
    return 0;
}

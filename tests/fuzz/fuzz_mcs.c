/* libFuzzer harness: the MCS reservation files (src/lib/selinux/mcs.c).
 * Input: line 1 is a level (as config.json or label=level: gives it),
 * line 2 the name of a file found in ROOT/@mcs, the rest that file's
 * contents (its owner).  mcs.c is included for its static readers.
 *
 * Oracles:
 *   - a parsed pair is s0:cX,cY with X < Y <= c1023, in exactly the
 *     spelling given (one level, one spelling, one file name);
 *   - a reservation name maps to one file name and back: no two spellings
 *     of a level get two files, so no spelling gets around a reservation;
 *   - reserving succeeds only when nobody else holds the level or a level
 *     that dominates it or is dominated by it: a file found there counts as
 *     ours only when it holds exactly our id;
 *   - the reconciler frees a file whose owner is no container that could
 *     exist, keeps the file of a live container, and count() sees exactly
 *     the reservation files. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fuzz_common.h"
#include "selinux/mcs.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OWNER "fuzz-owner"
#define LIVE "live-ctr"

static int rootfd = -1, dfd = -1;

static void clean_dir(void)
{
    DIR *d;
    struct dirent *de;
    int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);

    if (fd < 0 || (d = fdopendir(fd)) == NULL)
        abort();
    rewinddir(d);
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            if (unlinkat(dfd, de->d_name, 0) < 0)
                abort();
    closedir(d);
}

static void check_level(const char *level)
{
    unsigned x, y, x2, y2;
    char name[MCS_NAME_MAX], again[32];
    bool pair;

    if (brig_mcs_parse_pair(level, &x, &y) == 0) {
        if (!(x < y && y < BRIG_MCS_CATEGORIES))
            abort();
        snprintf(again, sizeof(again), "s0:c%u,c%u", x, y);
        if (strcmp(again, level) != 0)
            abort();
        if (level_reservation_name(level, name) != 1 ||
            !name_is_reservation(name, &x2, &y2, &pair) || !pair || x2 != x || y2 != y)
            abort();
    }
    if (level_reservation_name(level, name) == 1) {
        if (!name_is_reservation(name, &x2, &y2, &pair) || x2 > y2 || y2 >= BRIG_MCS_CATEGORIES ||
            pair != (x2 != y2))
            abort();
    }
}

static void check_name(const char *name)
{
    unsigned x, y;
    bool pair;
    char again[32];

    if (!name_is_reservation(name, &x, &y, &pair))
        return;
    if (pair)
        snprintf(again, sizeof(again), "c%u,c%u", x, y);
    else
        snprintf(again, sizeof(again), "c%u", x);
    if (strcmp(again, name) != 0 || (pair && !(x < y)) || y >= BRIG_MCS_CATEGORIES)
        abort();
}

static bool file_name_ok(const char *name)
{
    return name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0 && strlen(name) < 200;
}

static void put(const char *name, const char *c, size_t n)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (n && write(fd, c, n) != (ssize_t)n))
        abort();
    close(fd);
}

/* The owner a file names, as owner_read() reads it: at most
 * MCS_OWNER_MAX + 1 bytes, one trailing newline dropped, up to a NUL. */
static void owner_text(const char *c, size_t n, char buf[MCS_OWNER_MAX + 2])
{
    if (n > MCS_OWNER_MAX + 1)
        n = MCS_OWNER_MAX + 1;
    memcpy(buf, c, n);
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    buf[n] = '\0';
}

static bool owner_is(const char *c, size_t n, const char *id)
{
    char buf[MCS_OWNER_MAX + 2];
    owner_text(c, n, buf);
    return strcmp(buf, id) == 0;
}

/* Whether the owner is a container that could exist (an id that fits a
 * directory name); *empty when the file names nobody yet. */
static bool owner_could_exist(const char *c, size_t n, bool *empty)
{
    char buf[MCS_OWNER_MAX + 2];
    owner_text(c, n, buf);
    *empty = buf[0] == '\0';
    return !*empty && strlen(buf) <= NAME_MAX && brig_validate_id(buf, NULL) == 0;
}

/* Does a reservation named a conflict with one named b (same level, or
 * one dominates the other)? */
static bool conflicts(const char *a, const char *b)
{
    unsigned ax, ay, bx, by;
    bool ap, bp;
    if (!name_is_reservation(a, &ax, &ay, &ap) || !name_is_reservation(b, &bx, &by, &bp))
        return false;
    if (ap == bp)
        return ax == bx && ay == by;
    if (ap)
        return bx == ax || bx == ay;
    return ax == bx || ax == by;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    brig_error err = NULL;
    char *level, *name, *nl;
    const char *content = "";
    size_t clen = 0, count;

    if (rootfd < 0) {
        const char *top = fuzz_scratch_dir("mcs");
        rootfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0 || mkdirat(rootfd, LIVE, 0700) < 0 ||
            mcs_dir_open(rootfd, true, &dfd, &err) < 0)
            abort();
    }
    /* a copy as long as the input: the offsets below are the input's */
    level = malloc(size + 1);
    if (level == NULL)
        abort();
    memcpy(level, data, size);
    level[size] = '\0';
    name = "";
    if ((nl = memchr(data, '\n', size)) != NULL) {
        size_t off = (size_t)(nl - (const char *)data) + 1;
        level[off - 1] = '\0';
        name = level + off;
        const char *nl2 = memchr(data + off, '\n', size - off);
        if (nl2 != NULL) {
            level[nl2 - (const char *)data] = '\0';
            content = nl2 + 1;
            clen = size - (size_t)(nl2 + 1 - (const char *)data);
        }
    }
    check_level(level);
    check_name(name);
    if (!file_name_ok(name) || strlen(name) != strcspn(name, "\n")) {
        free(level);
        return 0;
    }
    unsigned x, y;
    bool pair;
    bool is_resv = name_is_reservation(name, &x, &y, &pair);

    /* count and reconcile see the file as the directory holds it */
    clean_dir();
    put(name, content, clen);
    if (brig_mcs_count(rootfd, &count, &err) < 0 || count != (is_resv ? 1 : 0))
        abort();
    if (brig_mcs_reconcile(rootfd, NULL, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
    } else if (is_resv) {
        struct stat st;
        bool left = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (owner_is(content, clen, LIVE) && !left)
            abort(); /* a live container's level freed */
        bool empty, could = owner_could_exist(content, clen, &empty);
        if (!empty && !could && left)
            abort(); /* garbage kept as if a container held it */
    }

    /* reserve against the file */
    char resv[MCS_NAME_MAX];
    bool takes = level_reservation_name(level, resv) == 1;
    clean_dir();
    put(name, content, clen);
    if (brig_mcs_reserve(rootfd, OWNER, level, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
    } else if (takes) {
        char buf[MCS_OWNER_MAX + 2];
        bool theirs = is_resv && !owner_is(content, clen, OWNER);
        if (theirs && conflicts(resv, name)) {
            fprintf(stderr, "level `%s` reserved over `%s` held by another\n", level, name);
            abort();
        }
        if (owner_read(dfd, resv, buf, NULL) < 0 || strcmp(buf, OWNER) != 0)
            abort();
        if (brig_mcs_release(rootfd, OWNER, level, &err) < 0)
            abort();
        struct stat st;
        bool gone = fstatat(dfd, resv, &st, AT_SYMLINK_NOFOLLOW) < 0;
        /* released, unless it was the file found there (then it was ours) */
        if (!gone && strcmp(resv, name) != 0)
            abort();
    }
    free(level);
    return 0;
}

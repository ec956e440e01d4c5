/* mcs: the category-pair allocator on a real directory tree: uniqueness
 * across processes, the exhausted space, owner-checked release, reconcile
 * against state directories, user-given levels and their dominance. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "selinux/mcs.h"

#define BRIG_N(a) (sizeof(a) / sizeof((a)[0]))
#define PAIRS 523776

struct root {
    char path[64];
    int fd;
    bool mounted;
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

static void root_make(struct root *r, bool tmpfs)
{
    strcpy(r->path, "/tmp/brig-mcs-XXXXXX");
    assert_non_null(mkdtemp(r->path));
    /* A private tmpfs holds half a million names cheaply and goes away in
     * one umount. */
    r->mounted = tmpfs && mount("tmpfs", r->path, "tmpfs", 0, "mode=0700") == 0;
    r->fd = open(r->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(r->fd >= 0);
}

static void root_free(struct root *r)
{
    close(r->fd);
    if (r->mounted)
        assert_int_equal(umount2(r->path, MNT_DETACH), 0);
    assert_int_equal(nftw(r->path, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static char *owner_of(struct root *r, const char *name)
{
    char path[128];
    char *buf = NULL;
    brig_error err = NULL;

    snprintf(path, sizeof(path), "@mcs/%s", name);
    if (brig_read_file_at(r->fd, path, 4096, &buf, NULL, &err) < 0) {
        brig_error_free(&err);
        return NULL;
    }
    return buf;
}

static bool reserved(struct root *r, const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "@mcs/%s", name);
    return faccessat(r->fd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static size_t count(struct root *r)
{
    brig_error err = NULL;
    size_t n = 12345;
    assert_int_equal(brig_mcs_count(r->fd, &n, &err), 0);
    return n;
}

static void test_parse_pair(void **state)
{
    static const struct {
        const char *level;
        int ok;
        unsigned x, y;
    } cases[] = {
        {"s0:c1,c2", 0, 1, 2},
        {"s0:c0,c1023", 0, 0, 1023},
        {"s0:c186,c641", 0, 186, 641},
        {"s0:c2,c1", -1, 0, 0},
        {"s0:c1,c1", -1, 0, 0},
        {"s0:c1,c1024", -1, 0, 0},
        {"s0:c01,c2", -1, 0, 0},
        {"s0:c1,c2,c3", -1, 0, 0},
        {"s0:c1.c2", -1, 0, 0},
        {"s0:c1", -1, 0, 0},
        {"s0", -1, 0, 0},
        {"s1:c1,c2", -1, 0, 0},
        {"s0:c1,c2 ", -1, 0, 0},
        {"s0:c-1,c2", -1, 0, 0},
        {"s0:c,c2", -1, 0, 0},
        {"s0:c99999999999,c2", -1, 0, 0},
        {"", -1, 0, 0},
        {NULL, -1, 0, 0},
    };
    for (size_t i = 0; i < BRIG_N(cases); i++) {
        unsigned x = 7777, y = 7777;
        int r = brig_mcs_parse_pair(cases[i].level, &x, &y);
        if (r != cases[i].ok)
            fail_msg("parse_pair(%s) = %d, want %d", cases[i].level ? cases[i].level : "NULL", r,
                     cases[i].ok);
        if (r == 0) {
            assert_int_equal(x, cases[i].x);
            assert_int_equal(y, cases[i].y);
        }
    }
}

static void test_allocate_basic(void **state)
{
    struct root r;
    brig_error err = NULL;
    char *level = NULL, name[32], *owner;
    unsigned x, y;
    struct stat st;

    root_make(&r, false);
    assert_int_equal(count(&r), 0); /* no mcs/ yet: nothing reserved */
    assert_int_equal(brig_mcs_allocate(r.fd, "c1", &level, &err), 0);
    assert_null(err);
    assert_int_equal(brig_mcs_parse_pair(level, &x, &y), 0);
    assert_true(x < y && y < 1024);
    snprintf(name, sizeof(name), "c%u,c%u", x, y);
    owner = owner_of(&r, name);
    assert_non_null(owner);
    assert_string_equal(owner, "c1");
    free(owner);
    assert_int_equal(fstatat(r.fd, "@mcs", &st, 0), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(count(&r), 1);
    free(level);

    /* An owner that is not an id never becomes a path and takes nothing. */
    level = NULL;
    assert_int_equal(brig_mcs_allocate(r.fd, "../x", &level, &err), -1);
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "allocate MCS categories"));
    brig_error_free(&err);
    assert_null(level);
    assert_int_equal(count(&r), 1);
    root_free(&r);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 4 processes race for 1,250 pairs each: every one of the 5,000 is
 * different, each reservation names its process, and the counts agree. */
static void test_allocate_concurrent_unique(void **state)
{
    enum { PROCS = 4, EACH = 1250 };
    struct root r;
    int pfd[2];
    pid_t pids[PROCS];
    char *levels[PROCS * EACH];
    size_t n = 0;
    FILE *in;
    char line[64];

    root_make(&r, true);
    assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            char owner[16];
            close(pfd[0]);
            snprintf(owner, sizeof(owner), "proc%d", p);
            for (int i = 0; i < EACH; i++) {
                brig_error err = NULL;
                char *level = NULL, buf[64];
                if (brig_mcs_allocate(r.fd, owner, &level, &err) < 0)
                    _exit(1);
                /* Short lines: each write is atomic on the shared pipe. */
                int len = snprintf(buf, sizeof(buf), "%s %s\n", owner, level);
                if (write(pfd[1], buf, (size_t)len) != len)
                    _exit(2);
                free(level);
            }
            _exit(0);
        }
    }
    close(pfd[1]);
    in = fdopen(pfd[0], "r");
    assert_non_null(in);
    while (fgets(line, sizeof(line), in) != NULL) {
        char owner[16], level[32], name[32], *holder;
        unsigned x, y;
        assert_true(n < BRIG_N(levels));
        assert_int_equal(sscanf(line, "%15s %31s", owner, level), 2);
        assert_int_equal(brig_mcs_parse_pair(level, &x, &y), 0);
        snprintf(name, sizeof(name), "c%u,c%u", x, y);
        holder = owner_of(&r, name);
        assert_non_null(holder);
        assert_string_equal(holder, owner);
        free(holder);
        levels[n++] = strdup(level);
    }
    fclose(in);
    for (int p = 0; p < PROCS; p++) {
        int st;
        assert_int_equal(waitpid(pids[p], &st, 0), pids[p]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    assert_int_equal(n, PROCS * EACH);
    qsort(levels, n, sizeof(char *), cmp_str);
    for (size_t i = 1; i < n; i++)
        if (strcmp(levels[i - 1], levels[i]) == 0)
            fail_msg("level %s handed out twice", levels[i]);
    for (size_t i = 0; i < n; i++)
        free(levels[i]);
    assert_int_equal(count(&r), PROCS * EACH);
    root_free(&r);
}

static void write_reservation(struct root *r, const char *name, const char *owner, time_t age)
{
    char path[64];
    struct timespec ts[2];
    int fd;

    mkdirat(r->fd, "@mcs", 0700);
    snprintf(path, sizeof(path), "@mcs/%s", name);
    fd = openat(r->fd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, owner, strlen(owner)), (ssize_t)strlen(owner));
    ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    assert_int_equal(futimens(fd, ts), 0);
    close(fd);
}

/* Reserve every pair (hard links to one file: one inode, 523,776 names). */
static void fill_all(struct root *r)
{
    int dfd, fd;

    assert_int_equal(mkdirat(r->fd, "@mcs", 0700), 0);
    dfd = openat(r->fd, "@mcs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dfd >= 0);
    fd = openat(dfd, "c0,c1", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "filler", 6), 6);
    close(fd);
    for (unsigned x = 0; x < 1024; x++)
        for (unsigned y = x + 1; y < 1024; y++) {
            char name[16];
            if (x == 0 && y == 1)
                continue;
            snprintf(name, sizeof(name), "c%u,c%u", x, y);
            if (linkat(dfd, "c0,c1", dfd, name, 0) < 0)
                fail_msg("link `%s`: %s", name, strerror(errno));
        }
    close(dfd);
}

static void expect_exhausted(struct root *r)
{
    brig_error err = NULL;
    char *level = NULL;

    assert_int_equal(brig_mcs_allocate(r->fd, "late", &level, &err), -1);
    assert_null(level);
    assert_non_null(err);
    assert_string_equal(err->msg, "allocate MCS categories: all 523776 pairs are in use");
    brig_error_free(&err);
}

static void test_allocate_exhausted_and_scan(void **state)
{
    struct root r;
    brig_error err = NULL;
    char *level = NULL, *owner;
    struct timespec t0, t1;

    root_make(&r, true);
    if (!r.mounted)
        printf("# note: no private tmpfs (mount failed), filling a plain directory\n");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fill_all(&r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("# filled %d reservations in %.2f s\n", PAIRS,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    assert_int_equal(count(&r), PAIRS);

    expect_exhausted(&r);
    /* Nothing half made: same names, none owned by the loser. */
    assert_int_equal(count(&r), PAIRS);

    /* One free pair: random tries all miss it, the scan must find it. */
    assert_int_equal(unlinkat(r.fd, "@mcs/c500,c900", 0), 0);
    assert_int_equal(brig_mcs_allocate(r.fd, "late", &level, &err), 0);
    assert_string_equal(level, "s0:c500,c900");
    free(level);
    owner = owner_of(&r, "c500,c900");
    assert_string_equal(owner, "late");
    free(owner);
    expect_exhausted(&r);

    /* The only free pair holds c7, which a user-given level s0:c7 uses:
     * s0:c7,c8 would dominate it, so it is not handed out.  (brig_mcs_reserve
     * would refuse s0:c7 here, every pair with c7 being taken, so the
     * reservation is planted as one made before the space filled.) */
    assert_int_equal(unlinkat(r.fd, "@mcs/c7,c8", 0), 0);
    write_reservation(&r, "c7", "single", 0);
    expect_exhausted(&r);
    assert_false(reserved(&r, "c7,c8"));
    /* Released, the pair is free again. */
    assert_int_equal(brig_mcs_release(r.fd, "single", "s0:c7", &err), 0);
    assert_int_equal(brig_mcs_allocate(r.fd, "late", &level, &err), 0);
    assert_string_equal(level, "s0:c7,c8");
    free(level);
    root_free(&r);
}

static void test_release_only_by_owner(void **state)
{
    struct root r;
    brig_error err = NULL;
    char *level = NULL, name[32];
    unsigned x, y;

    root_make(&r, false);
    /* No mcs/ at all: nothing to release, not an error. */
    assert_int_equal(brig_mcs_release(r.fd, "a", "s0:c1,c2", &err), 0);
    assert_int_equal(brig_mcs_allocate(r.fd, "a", &level, &err), 0);
    assert_int_equal(brig_mcs_parse_pair(level, &x, &y), 0);
    snprintf(name, sizeof(name), "c%u,c%u", x, y);

    assert_int_equal(brig_mcs_release(r.fd, "b", level, &err), 0);
    assert_true(reserved(&r, name)); /* b does not hold it: kept */
    assert_int_equal(brig_mcs_release(r.fd, "a", level, &err), 0);
    assert_false(reserved(&r, name));
    assert_int_equal(brig_mcs_release(r.fd, "a", level, &err), 0); /* missing is fine */
    /* Levels without a reservation release as no-ops. */
    assert_int_equal(brig_mcs_release(r.fd, "a", "s0", &err), 0);
    assert_int_equal(brig_mcs_release(r.fd, "a", "s0-s0:c0.c1023", &err), 0);
    assert_int_equal(brig_mcs_release(r.fd, "../a", level, &err), -1);
    assert_non_null(err);
    brig_error_free(&err);
    assert_null(err);
    free(level);
    root_free(&r);
}

/* release_owner frees every level one owner holds, and only those. */
static void test_release_owner(void **state)
{
    struct root r;
    brig_error err = NULL;
    char *l1 = NULL, *l2 = NULL, *l3 = NULL;
    size_t n = 0;

    root_make(&r, false);
    assert_int_equal(brig_mcs_release_owner(r.fd, "a", &err), 0); /* no mcs/ yet */
    assert_int_equal(brig_mcs_allocate(r.fd, "a", &l1, &err), 0);
    assert_int_equal(brig_mcs_allocate(r.fd, "a", &l2, &err), 0);
    assert_int_equal(brig_mcs_allocate(r.fd, "b", &l3, &err), 0);
    assert_int_equal(brig_mcs_reserve(r.fd, "a", "s0:c7", &err), 0);
    assert_int_equal(brig_mcs_release_owner(r.fd, "a", &err), 0);
    assert_int_equal(brig_mcs_count(r.fd, &n, &err), 0);
    assert_int_equal(n, 1); /* b's */
    assert_int_equal(brig_mcs_release_owner(r.fd, "../a", &err), -1);
    brig_error_free(&err);
    free(l1);
    free(l2);
    free(l3);
    root_free(&r);
}

static void test_reconcile(void **state)
{
    struct root r;
    brig_error err = NULL;
    size_t freed = 99;

    root_make(&r, false);
    assert_int_equal(brig_mcs_reconcile(r.fd, &freed, &err), 0); /* no mcs/ */
    assert_int_equal(freed, 0);

    assert_int_equal(mkdirat(r.fd, "live", 0700), 0);
    write_reservation(&r, "c1,c2", "live", 0);
    write_reservation(&r, "c3", "live", 0);
    write_reservation(&r, "c4,c5", "dead", 0);
    write_reservation(&r, "c6,c7", "dead\n", 0);
    write_reservation(&r, "c8,c9", "../etc", 0);      /* not an id: nobody's */
    write_reservation(&r, "c10,c11", "", 0);          /* being created now */
    write_reservation(&r, "c12,c13", "", 3600);       /* crash mid-create */
    write_reservation(&r, "notareservation", "x", 0); /* not ours to judge */
    assert_int_equal(symlinkat("/", r.fd, "link"), 0);
    write_reservation(&r, "c14,c15", "link", 0); /* a symlink is not a state dir... */

    assert_int_equal(brig_mcs_reconcile(r.fd, &freed, &err), 0);
    assert_null(err);
    assert_int_equal(freed, 4);
    assert_true(reserved(&r, "c1,c2"));
    assert_true(reserved(&r, "c3"));
    assert_false(reserved(&r, "c4,c5"));
    assert_false(reserved(&r, "c6,c7"));
    assert_false(reserved(&r, "c8,c9"));
    assert_true(reserved(&r, "c10,c11"));
    assert_false(reserved(&r, "c12,c13"));
    assert_true(reserved(&r, "notareservation"));
    /* ...but it exists, and reconcile frees only what has no entry at all. */
    assert_true(reserved(&r, "c14,c15"));
    assert_int_equal(count(&r), 4);

    /* The owner's directory goes: its pairs go at the next reconcile. */
    assert_int_equal(unlinkat(r.fd, "live", AT_REMOVEDIR), 0);
    assert_int_equal(brig_mcs_reconcile(r.fd, &freed, &err), 0);
    assert_int_equal(freed, 2);
    assert_int_equal(count(&r), 2);
    root_free(&r);
}

static void expect_reserve_error(struct root *r, const char *owner, const char *level,
                                 const char *want)
{
    brig_error err = NULL;
    assert_int_equal(brig_mcs_reserve(r->fd, owner, level, &err), -1);
    assert_non_null(err);
    assert_string_equal(err->msg, want);
    brig_error_free(&err);
}

static void test_reserve(void **state)
{
    struct root r;
    brig_error err = NULL;
    char *o;

    root_make(&r, false);
    assert_int_equal(brig_mcs_reserve(r.fd, "a", "s0:c1,c2", &err), 0);
    assert_null(err);
    o = owner_of(&r, "c1,c2");
    assert_string_equal(o, "a");
    free(o);
    assert_int_equal(brig_mcs_reserve(r.fd, "a", "s0:c1,c2", &err), 0); /* again: ours */
    expect_reserve_error(&r, "b", "s0:c1,c2", "MCS level `s0:c1,c2` is in use by container `a`");
    /* Other spellings of the same level hit the same reservation. */
    expect_reserve_error(&r, "b", "s0:c2,c1", "MCS level `s0:c2,c1` is in use by container `a`");
    expect_reserve_error(&r, "b", "s0:c1.c2", "MCS level `s0:c1.c2` is in use by container `a`");
    /* s0:c1 is dominated by a's s0:c1,c2: b's files there would be a's. */
    expect_reserve_error(&r, "b", "s0:c1",
                         "MCS level `s0:c1` is in use: container `a` holds `s0:c1,c2`, which "
                         "dominates it");
    assert_false(reserved(&r, "c1"));
    /* a may: it dominates itself. */
    assert_int_equal(brig_mcs_reserve(r.fd, "a", "s0:c1", &err), 0);
    /* A pair dominating another's single is refused the same way. */
    assert_int_equal(brig_mcs_reserve(r.fd, "c", "s0:c9", &err), 0);
    expect_reserve_error(&r, "b", "s0:c9,c20",
                         "MCS level `s0:c9,c20` is in use: it dominates `s0:c9` of container `c`");
    assert_false(reserved(&r, "c9,c20"));
    /* A single and a pair holding that category are different levels. */
    assert_int_equal(brig_mcs_reserve(r.fd, "b", "s0:c3,c4", &err), 0);
    assert_int_equal(brig_mcs_reserve(r.fd, "b", "s0:c3", &err), 0);
    assert_true(reserved(&r, "c3"));
    assert_true(reserved(&r, "c3,c4"));
    /* Levels that are no single or pair take nothing. */
    assert_int_equal(count(&r), 5);
    assert_int_equal(brig_mcs_reserve(r.fd, "b", "s0", &err), 0);
    assert_int_equal(brig_mcs_reserve(r.fd, "b", "s0:c1,c2,c3", &err), 0);
    assert_int_equal(brig_mcs_reserve(r.fd, "b", "s0-s0:c0.c1023", &err), 0);
    assert_int_equal(brig_mcs_reserve(r.fd, "b", "s0:c0.c1023", &err), 0);
    assert_int_equal(count(&r), 5);
    /* Once c releases s0:c9, b's pair no longer dominates anyone's level. */
    assert_int_equal(brig_mcs_release(r.fd, "c", "s0:c9", &err), 0);
    assert_int_equal(brig_mcs_reserve(r.fd, "b", "s0:c9,c20", &err), 0);
    assert_null(err);
    root_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_pair),
        cmocka_unit_test(test_allocate_basic),
        cmocka_unit_test(test_allocate_concurrent_unique),
        cmocka_unit_test(test_allocate_exhausted_and_scan),
        cmocka_unit_test(test_release_only_by_owner),
        cmocka_unit_test(test_release_owner),
        cmocka_unit_test(test_reconcile),
        cmocka_unit_test(test_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

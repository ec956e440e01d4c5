/* relabel: real trees on the real filesystem (security.* xattrs are stored
 * by ext4/tmpfs/xfs for root even without SELinux), read back entry by
 * entry; ctimes prove that a re-run writes nothing; mount namespaces prove
 * the walk stays on its mount; a seccomp filter forces the pre-6.13 path. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "selinux/relabel.h"

#define CTX_A "system_u:object_r:container_file_t:s0:c1,c2"
#define CTX_B "system_u:object_r:container_file_t:s0:c3,c4"
#define CTX_HOST "system_u:object_r:etc_t:s0"

/* ---- helpers ------------------------------------------------------------- */

static char *tmpdir(void)
{
    char *d = brig_xstrdup("/var/tmp/brig-relabel-test.XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

/* For the big trees: tmpfs when /dev/shm is one (it keeps security.*
 * xattrs like ext4 does, and creating 20,000 files there takes a fraction
 * of the time a journalled disk under load needs). */
static char *big_tmpdir(void)
{
    struct statfs sf;
    if (statfs("/dev/shm", &sf) == 0 && sf.f_type == TMPFS_MAGIC) {
        char *d = brig_xstrdup("/dev/shm/brig-relabel-test.XXXXXX");
        assert_non_null(mkdtemp(d));
        return d;
    }
    return tmpdir();
}

static void rm_rf(const char *d)
{
    char *cmd = brig_xasprintf("rm -rf '%s'", d);
    if (system(cmd) != 0)
        fprintf(stderr, "# could not remove %s\n", d);
    free(cmd);
}

static void write_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x", 1), 1);
    close(fd);
}

static void assert_label(const char *path, const char *want)
{
    char buf[512];
    ssize_t n = lgetxattr(path, "security.selinux", buf, sizeof(buf));
    if (n < 0) {
        fprintf(stderr, "# %s: no label (%s), want %s\n", path, strerror(errno), want);
        fail();
    }
    /* Written as libselinux does: context plus a trailing NUL. */
    assert_int_equal(n, strlen(want) + 1);
    assert_int_equal(buf[n - 1], '\0');
    if (strcmp(buf, want) != 0)
        fprintf(stderr, "# %s: label %s, want %s\n", path, buf, want);
    assert_string_equal(buf, want);
}

static void set_label(const char *path, const char *ctx, bool nul)
{
    assert_int_equal(lsetxattr(path, "security.selinux", ctx, strlen(ctx) + (nul ? 1 : 0), 0), 0);
}

static bool has_no_label(const char *path)
{
    char buf[512];
    return lgetxattr(path, "security.selinux", buf, sizeof(buf)) < 0 && errno == ENODATA;
}

/* Every entry below and including `dir`, by name (hard links twice),
 * without following symlinks. */
static void collect(const char *dir, char ***v)
{
    brig_strv_append(v, dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *p = brig_xasprintf("%s/%s", dir, de->d_name);
        struct stat st;
        assert_int_equal(lstat(p, &st), 0);
        if (S_ISDIR(st.st_mode))
            collect(p, v);
        else
            brig_strv_append(v, p);
        free(p);
    }
    closedir(d);
}

static struct statx_timestamp ctime_of(const char *path)
{
    struct statx stx;
    assert_int_equal(statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_CTIME, &stx), 0);
    return stx.stx_ctime;
}

/* A tree with every kind of entry: dirs (nested, empty), files, a FIFO, a
 * hard link, a symlink to a host file outside, a dangling symlink, a
 * symlink to a directory outside.  Returns the number of entries (by name)
 * including the top. */
struct tree {
    char *base;    /* holds top/ and outside/ */
    char *top;     /* what gets relabelled */
    char *outside; /* stands for host files a symlink may point at */
    char *host_file;
};

static void tree_make(struct tree *t)
{
    t->base = tmpdir();
    t->top = brig_xasprintf("%s/top", t->base);
    t->outside = brig_xasprintf("%s/outside", t->base);
    t->host_file = brig_xasprintf("%s/hostfile", t->outside);
    assert_int_equal(mkdir(t->top, 0755), 0);
    assert_int_equal(mkdir(t->outside, 0755), 0);
    write_file(t->host_file);
    set_label(t->host_file, CTX_HOST, true);
    set_label(t->outside, CTX_HOST, true);

    const char *dirs[] = {"d1", "d1/d2", "d1/d2/d3", "empty"};
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(dirs); i++) {
        char *p = brig_xasprintf("%s/%s", t->top, dirs[i]);
        assert_int_equal(mkdir(p, 0755), 0);
        free(p);
    }
    const char *files[] = {"f0", "d1/f1", "d1/d2/f2", "d1/d2/d3/f3"};
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(files); i++) {
        char *p = brig_xasprintf("%s/%s", t->top, files[i]);
        write_file(p);
        free(p);
    }
    char *p = brig_xasprintf("%s/d1/fifo", t->top);
    assert_int_equal(mkfifo(p, 0600), 0);
    free(p);
    char *a = brig_xasprintf("%s/d1/f1", t->top), *b = brig_xasprintf("%s/hardlink", t->top);
    assert_int_equal(link(a, b), 0);
    free(a);
    free(b);
    p = brig_xasprintf("%s/d1/to-host", t->top);
    assert_int_equal(symlink(t->host_file, p), 0);
    free(p);
    p = brig_xasprintf("%s/d1/d2/to-outside-dir", t->top);
    assert_int_equal(symlink(t->outside, p), 0);
    free(p);
    p = brig_xasprintf("%s/dangling", t->top);
    assert_int_equal(symlink("/nonexistent/brig", p), 0);
    free(p);
}

static void tree_free(struct tree *t)
{
    rm_rf(t->base);
    free(t->base);
    free(t->top);
    free(t->outside);
    free(t->host_file);
}

static void assert_tree_labelled(const char *top, const char *ctx)
{
    char **all = NULL;
    collect(top, &all);
    for (char **p = all; *p != NULL; p++)
        assert_label(*p, ctx);
    brig_strv_free(all);
}

static size_t tree_entries(const char *top)
{
    char **all = NULL;
    collect(top, &all);
    size_t n = brig_strv_len(all);
    brig_strv_free(all);
    return n;
}

static int relabel(const char *path, const char *ctx, int threads,
                   struct brig_relabel_progress *stats, char **ret_msg)
{
    struct brig_relabel_opts o = {.threads = threads};
    brig_error err = NULL;
    int r = brig_relabel(path, ctx, &o, stats, &err);
    if (r < 0) {
        assert_non_null(err);
        if (ret_msg != NULL)
            *ret_msg = brig_xstrdup(err->msg);
        else
            fprintf(stderr, "# relabel: %s\n", err->msg);
        brig_error_free(&err);
    } else {
        assert_null(err);
    }
    return r;
}

/* ---- the tree ------------------------------------------------------------ */

static void test_tree_labelled(void **state)
{
    struct tree t;
    struct brig_relabel_progress st;

    tree_make(&t);
    size_t n = tree_entries(t.top);
    assert_int_equal(relabel(t.top, CTX_A, 4, &st, NULL), 0);
    assert_tree_labelled(t.top, CTX_A);
    /* Every name visited; the hard link's second name was already right. */
    assert_int_equal(st.visited, n);
    assert_int_equal(st.changed, n - 1);

    /* Symlinks were labelled themselves, never what they point at. */
    assert_label(t.host_file, CTX_HOST);
    assert_label(t.outside, CTX_HOST);
    char *p = brig_xasprintf("%s/d1/to-host", t.top);
    assert_label(p, CTX_A);
    free(p);
    tree_free(&t);
}

static void test_second_run_writes_nothing(void **state)
{
    struct tree t;
    struct brig_relabel_progress st;
    char **all = NULL;

    tree_make(&t);
    assert_int_equal(relabel(t.top, CTX_A, 0, &st, NULL), 0);
    /* A label stored without the trailing NUL is the same label. */
    char *f0 = brig_xasprintf("%s/f0", t.top);
    set_label(f0, CTX_A, false);

    struct statx_timestamp f0_before = ctime_of(f0);
    collect(t.top, &all);
    size_t n = brig_strv_len(all);
    struct statx_timestamp *before = calloc(n, sizeof(*before));
    for (size_t i = 0; i < n; i++)
        before[i] = ctime_of(all[i]);
    /* Longer than the coarse clock's tick, so a write would show. */
    usleep(30 * 1000);

    assert_int_equal(relabel(t.top, CTX_A, 0, &st, NULL), 0);
    assert_int_equal(st.visited, n);
    assert_int_equal(st.changed, 0);
    for (size_t i = 0; i < n; i++) {
        struct statx_timestamp now = ctime_of(all[i]);
        if (now.tv_sec != before[i].tv_sec || now.tv_nsec != before[i].tv_nsec)
            fprintf(stderr, "# ctime changed: %s\n", all[i]);
        assert_int_equal(now.tv_sec, before[i].tv_sec);
        assert_int_equal(now.tv_nsec, before[i].tv_nsec);
    }

    /* The control: a different level does write, and ctimes move. */
    usleep(30 * 1000);
    assert_int_equal(relabel(t.top, CTX_B, 0, &st, NULL), 0);
    assert_int_equal(st.changed, n - 1);
    struct statx_timestamp now = ctime_of(f0);
    assert_true(now.tv_sec != f0_before.tv_sec || now.tv_nsec != f0_before.tv_nsec);
    assert_tree_labelled(t.top, CTX_B);

    free(before);
    free(f0);
    brig_strv_free(all);
    tree_free(&t);
}

static void test_single_file_top(void **state)
{
    struct tree t;
    struct brig_relabel_progress st;

    tree_make(&t);
    char *f = brig_xasprintf("%s/d1/f1", t.top);
    assert_int_equal(relabel(f, CTX_A, 0, &st, NULL), 0);
    assert_int_equal(st.visited, 1);
    assert_int_equal(st.changed, 1);
    assert_label(f, CTX_A);
    /* Nothing else: the parent is untouched. */
    char *d1 = brig_xasprintf("%s/d1", t.top);
    assert_true(has_no_label(d1));
    free(d1);
    free(f);
    tree_free(&t);
}

/* ---- progress and big trees --------------------------------------------- */

struct progress_log {
    pthread_t caller;
    int calls;
    bool other_thread;
    bool went_back;
    struct brig_relabel_progress last;
    struct timespec at[4096];
};

static void on_progress(const struct brig_relabel_progress *p, void *data)
{
    struct progress_log *l = data;
    if (!pthread_equal(pthread_self(), l->caller))
        l->other_thread = true;
    if (p->visited < l->last.visited || p->changed < l->last.changed)
        l->went_back = true;
    if (l->calls < (int)BRIG_ARRAY_SIZE(l->at))
        clock_gettime(CLOCK_MONOTONIC, &l->at[l->calls]);
    l->calls++;
    l->last = *p;
}

static void make_wide_tree(const char *top, int dirs, int files)
{
    for (int d = 0; d < dirs; d++) {
        char *dp = brig_xasprintf("%s/dir%04d", top, d);
        assert_int_equal(mkdir(dp, 0755), 0);
        for (int f = 0; f < files; f++) {
            char *fp = brig_xasprintf("%s/file%03d", dp, f);
            int fd = open(fp, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
            assert_true(fd >= 0);
            close(fd);
            free(fp);
        }
        free(dp);
    }
}

static double ms_between(struct timespec a, struct timespec b)
{
    return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}

static void test_big_tree_progress(void **state)
{
    char *top = big_tmpdir();
    struct progress_log *log = calloc(1, sizeof(*log));
    struct brig_relabel_opts o = {.threads = 0, .progress = on_progress, .progress_data = log};
    struct brig_relabel_progress st;
    brig_error err = NULL;

    make_wide_tree(top, 200, 100); /* 20,000 files in 200 dirs */
    log->caller = pthread_self();
    assert_int_equal(brig_relabel(top, CTX_A, &o, &st, &err), 0);
    assert_int_equal(st.visited, 20000 + 200 + 1);
    assert_int_equal(st.changed, 20000 + 200 + 1);
    /* Called, on the caller's thread only, never going backwards, ending
     * on the final totals. */
    assert_true(log->calls >= 1);
    assert_false(log->other_thread);
    assert_false(log->went_back);
    assert_int_equal(log->last.visited, st.visited);
    assert_int_equal(log->last.changed, st.changed);
    /* At most ~10 a second: every report but the final one is >= 100 ms
     * after the previous one. */
    for (int i = 1; i + 1 < log->calls && i < (int)BRIG_ARRAY_SIZE(log->at); i++)
        assert_true(ms_between(log->at[i - 1], log->at[i]) >= 99.0);
    printf("# 20k tree: %d progress report(s)\n", log->calls);
    assert_tree_labelled(top, CTX_A);

    /* Re-run: all visited, none changed. */
    memset(log, 0, sizeof(*log));
    log->caller = pthread_self();
    assert_int_equal(brig_relabel(top, CTX_A, &o, &st, &err), 0);
    assert_int_equal(st.visited, 20201);
    assert_int_equal(st.changed, 0);
    assert_int_equal(log->last.visited, 20201);

    free(log);
    rm_rf(top);
    free(top);
}

static void test_threads_same_result(void **state)
{
    struct tree t1, t8;
    struct brig_relabel_progress s1, s8;

    tree_make(&t1);
    tree_make(&t8);
    make_wide_tree(t1.top, 20, 40);
    make_wide_tree(t8.top, 20, 40);
    /* Partly labelled already, the same way in both. */
    char *a = brig_xasprintf("%s/dir0003", t1.top), *b = brig_xasprintf("%s/dir0003", t8.top);
    set_label(a, CTX_A, true);
    set_label(b, CTX_A, true);
    free(a);
    free(b);

    assert_int_equal(relabel(t1.top, CTX_A, 1, &s1, NULL), 0);
    assert_int_equal(relabel(t8.top, CTX_A, 8, &s8, NULL), 0);
    assert_int_equal(s1.visited, s8.visited);
    assert_int_equal(s1.changed, s8.changed);
    assert_int_equal(s1.visited, tree_entries(t1.top));
    assert_int_equal(s1.changed, s1.visited - 2); /* hard link, dir0003 */
    assert_tree_labelled(t1.top, CTX_A);
    assert_tree_labelled(t8.top, CTX_A);
    assert_label(t1.host_file, CTX_HOST);
    assert_label(t8.host_file, CTX_HOST);
    tree_free(&t1);
    tree_free(&t8);
}

/* ---- refusal list -------------------------------------------------------- */

static void assert_refused(const char *path, const char *shown)
{
    const char *why = brig_relabel_refused(path);
    if (why == NULL)
        fprintf(stderr, "# not refused: %s\n", path);
    assert_non_null(why);
    char *q = brig_xasprintf("`%s`", shown);
    assert_non_null(strstr(why, q));
    assert_non_null(strstr(why, "brig policy generate"));
    free(q);
}

static void test_refusal_list(void **state)
{
    char *saved_home = getenv("HOME") ? brig_xstrdup(getenv("HOME")) : NULL;
    char *saved_sudo = getenv("SUDO_USER") ? brig_xstrdup(getenv("SUDO_USER")) : NULL;
    char *base = tmpdir();
    unsetenv("SUDO_USER");
    setenv("HOME", "/nonexistent-home-for-test", 1);

    const char *list[] = {"/",    "/bin",  "/boot", "/dev",     "/etc",    "/home", "/lib",
                          "/opt", "/proc", "/root", "/run",     "/sbin",   "/srv",  "/sys",
                          "/tmp", "/usr",  "/var",  "/var/lib", "/var/log"};
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(list); i++) {
        char *real = realpath(list[i], NULL);
        if (real == NULL) /* e.g. no /srv here: still refused by name */
            real = brig_xstrdup(list[i]);
        assert_refused(list[i], real);
        free(real);
    }
    /* The seeds' logger: relabelling /var/log breaks logrotate. */
    const char *why = brig_relabel_refused("/var/log");
    assert_non_null(strstr(why, "logrotate"));
    assert_non_null(strstr(why, "custom type"));
    printf("# %s\n", why);

    /* Spelt differently, same directory. */
    assert_refused("/usr/", "/usr");
    assert_refused("/usr/.", "/usr");
    assert_refused("/var/log/../log", "/var/log");
    char *link = brig_xasprintf("%s/usr-link", base);
    assert_int_equal(symlink("/usr/", link), 0);
    assert_refused(link, "/usr");

    /* Below a refused directory is fine: only the directory itself breaks
     * the host. */
    assert_null(brig_relabel_refused("/var/log/brig-test-app"));
    assert_null(brig_relabel_refused(base));

    /* The invoking user's home. */
    char *home = brig_xasprintf("%s/home", base);
    assert_int_equal(mkdir(home, 0755), 0);
    assert_null(brig_relabel_refused(home));
    setenv("HOME", home, 1);
    assert_refused(home, home);
    char *slash = brig_xasprintf("%s/", home);
    assert_refused(slash, home);
    /* Under sudo, the real user's home (from the passwd database). */
    struct passwd *pw;
    char *user = NULL, *uhome = NULL;
    setpwent();
    while ((pw = getpwent()) != NULL)
        if (pw->pw_uid != 0 && pw->pw_dir[0] == '/' && brig_relabel_refused(pw->pw_dir) == NULL) {
            user = brig_xstrdup(pw->pw_name);
            uhome = brig_xstrdup(pw->pw_dir);
            break;
        }
    endpwent();
    if (user != NULL) {
        printf("# sudo case: SUDO_USER=%s, home %s\n", user, uhome);
        setenv("SUDO_USER", user, 1);
        char *real = realpath(uhome, NULL);
        assert_refused(uhome, real ? real : uhome);
        free(real);
        unsetenv("SUDO_USER");
        assert_null(brig_relabel_refused(uhome));
        free(user);
        free(uhome);
    } else {
        printf("# sudo case not checked: no user with a home off the list\n");
    }

    /* brig_relabel refuses, touching nothing; force bypasses (as the runtime
     * does for a container's own rootfs). */
    char *in_home = brig_xasprintf("%s/in-home", home);
    write_file(in_home);
    free(in_home);
    char *msg = NULL;
    struct brig_relabel_progress st;
    assert_int_equal(relabel(home, CTX_A, 0, &st, &msg), -1);
    assert_non_null(strstr(msg, "is your home directory"));
    assert_int_equal(st.visited, 0);
    assert_true(has_no_label(home));
    free(msg);
    msg = NULL;
    assert_int_equal(relabel(link, CTX_A, 0, &st, &msg), -1);
    assert_non_null(strstr(msg, "`/usr` is a host system directory"));
    free(msg);
    struct statx_timestamp vl = ctime_of("/var/log");
    assert_int_equal(relabel("/var/log", CTX_A, 0, &st, &msg), -1);
    free(msg);
    struct statx_timestamp vl2 = ctime_of("/var/log");
    assert_int_equal(vl.tv_nsec, vl2.tv_nsec);

    struct brig_relabel_opts force = {.force = true};
    brig_error err = NULL;
    assert_int_equal(brig_relabel(home, CTX_A, &force, &st, &err), 0);
    assert_int_equal(st.visited, 2);
    assert_label(home, CTX_A);

    if (saved_home)
        setenv("HOME", saved_home, 1);
    else
        unsetenv("HOME");
    if (saved_sudo)
        setenv("SUDO_USER", saved_sudo, 1);
    free(saved_home);
    free(saved_sudo);
    free(slash);
    free(home);
    free(link);
    rm_rf(base);
    free(base);
}

/* ---- mounts and filesystems (in a forked child's mount namespace) -------- */

/* Run fn in a child with a private mount namespace; it returns 0 or a
 * message.  77 = skip. */
static int in_mount_ns(int (*fn)(void *), void *arg)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
            printf("# no private mount namespace: %s\n", strerror(errno));
            _exit(77);
        }
        int r = fn(arg);
        fflush(stdout);
        fflush(stderr);
        _exit(r);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

#define CHILD_CHECK(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);             \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

static bool child_has_label(const char *path, const char *want)
{
    char buf[512];
    ssize_t n = lgetxattr(path, "security.selinux", buf, sizeof(buf) - 1);
    if (n < 0)
        return false;
    buf[n] = '\0';
    return strcmp(buf, want) == 0;
}

static bool child_no_label(const char *path)
{
    char buf[512];
    return lgetxattr(path, "security.selinux", buf, sizeof(buf)) < 0 && errno == ENODATA;
}

static int mounts_child(void *arg)
{
    struct tree *t = arg;
    char *mnt = brig_xasprintf("%s/d1/tmpfs", t->top);
    char *inner = brig_xasprintf("%s/inner", mnt);
    char *bind = brig_xasprintf("%s/d1/d2/bind", t->top);
    char *filemnt = brig_xasprintf("%s/f0", t->top);
    char *outfile = brig_xasprintf("%s/other", t->outside);

    CHILD_CHECK(mkdir(mnt, 0755) == 0 && mkdir(bind, 0755) == 0);
    CHILD_CHECK(mount("tmpfs", mnt, "tmpfs", 0, "size=1m") == 0);
    int fd = open(inner, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    CHILD_CHECK(fd >= 0);
    close(fd);
    /* Same filesystem, different mount: st_dev alone cannot tell. */
    CHILD_CHECK(mount(t->outside, bind, NULL, MS_BIND, NULL) == 0);
    /* A host file bind-mounted over a file of the tree. */
    fd = open(outfile, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    CHILD_CHECK(fd >= 0);
    close(fd);
    CHILD_CHECK(mount(outfile, filemnt, NULL, MS_BIND, NULL) == 0);

    struct brig_relabel_progress st;
    struct brig_relabel_opts o = {.threads = 4};
    brig_error err = NULL;
    if (brig_relabel(t->top, CTX_A, &o, &st, &err) < 0) {
        fprintf(stderr, "# %s\n", err->msg);
        return 1;
    }
    CHILD_CHECK(child_no_label(mnt));
    CHILD_CHECK(child_no_label(inner));
    CHILD_CHECK(child_has_label(t->outside, CTX_HOST));
    CHILD_CHECK(child_has_label(t->host_file, CTX_HOST));
    CHILD_CHECK(child_no_label(outfile));
    CHILD_CHECK(child_has_label(t->top, CTX_A));
    char *f1 = brig_xasprintf("%s/d1/f1", t->top), *d2 = brig_xasprintf("%s/d1/d2", t->top);
    CHILD_CHECK(child_has_label(f1, CTX_A));
    CHILD_CHECK(child_has_label(d2, CTX_A));
    return 0;
}

static void test_mounts_not_crossed(void **state)
{
    struct tree t;
    tree_make(&t);
    int r = in_mount_ns(mounts_child, &t);
    if (r == 77) {
        tree_free(&t);
        skip();
    }
    assert_int_equal(r, 0);
    tree_free(&t);
}

static int no_xattr_child(void *arg)
{
    const char *dir = arg;
    CHILD_CHECK(mount("none", dir, "ramfs", 0, NULL) == 0);
    char *sub = brig_xasprintf("%s/sub", dir), *f = brig_xasprintf("%s/sub/file", dir);
    CHILD_CHECK(mkdir(sub, 0755) == 0);
    int fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    CHILD_CHECK(fd >= 0);
    close(fd);
    if (lsetxattr(f, "security.selinux", CTX_A, sizeof(CTX_A), 0) == 0 ||
        (errno != ENOTSUP && errno != EOPNOTSUPP)) {
        /* With SELinux on, ramfs keeps labels in core. */
        printf("# skipped: ramfs accepts security.selinux here (SELinux keeps it in core)\n");
        return 77;
    }
    struct brig_relabel_progress st;
    brig_error err = NULL;
    CHILD_CHECK(brig_relabel(dir, CTX_A, NULL, &st, &err) == -1);
    printf("# %s\n", err->msg);
    char *want = brig_xasprintf("relabel `%s", dir);
    CHILD_CHECK(strncmp(err->msg, want, strlen(want)) == 0);
    CHILD_CHECK(strstr(err->msg, "the filesystem does not support extended attributes (mount it "
                                 "with context=... or use a volume on another fs)") != NULL);
    return 0;
}

static void test_fs_without_xattrs(void **state)
{
    char *base = tmpdir();
    int r = in_mount_ns(no_xattr_child, base);
    rm_rf(base);
    free(base);
    if (r == 77)
        skip();
    assert_int_equal(r, 0);
}

/* ---- errors -------------------------------------------------------------- */

static void test_error_names_path_top_stays_unlabelled(void **state)
{
    struct tree t;
    tree_make(&t);
    char *f = brig_xasprintf("%s/d1/d2/f2", t.top);
    int fd = open(f, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 ||
        (flags |= FS_IMMUTABLE_FL, ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)) {
        printf("# skipped: no immutable flag on this filesystem (%s)\n", strerror(errno));
        close(fd);
        tree_free(&t);
        skip();
    }
    char *msg = NULL;
    struct brig_relabel_progress st;
    int r = relabel(t.top, CTX_A, 2, &st, &msg);
    flags &= ~FS_IMMUTABLE_FL;
    assert_int_equal(ioctl(fd, FS_IOC_SETFLAGS, &flags), 0);
    close(fd);
    assert_int_equal(r, -1);
    char *want = brig_xasprintf("relabel `%s`: lsetxattr: %s", f, strerror(EPERM));
    assert_string_equal(msg, want);
    /* The top is the "done" marker: not labelled after a failed walk. */
    assert_true(has_no_label(t.top));
    free(want);
    free(msg);

    /* Arguments. */
    msg = NULL;
    assert_int_equal(relabel("/nonexistent/brig", CTX_A, 0, &st, &msg), -1);
    assert_non_null(strstr(msg, "`/nonexistent/brig`"));
    free(msg);
    free(f);
    tree_free(&t);
}

/* ---- kernels without getxattrat/setxattrat -------------------------------- */

static int fallback_child(void *arg)
{
    struct tree *t = arg;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    CHILD_CHECK(ctx != NULL);
    /* 463/464 on the common syscall table (x86_64, aarch64, ...). */
    CHILD_CHECK(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), 463, 0) == 0);
    CHILD_CHECK(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), 464, 0) == 0);
    CHILD_CHECK(seccomp_load(ctx) == 0);
    errno = 0;
    CHILD_CHECK(syscall(464, AT_FDCWD, "/", 0, "security.selinux", NULL, 0) < 0 && errno == ENOSYS);

    struct brig_relabel_progress st;
    struct brig_relabel_opts o = {.threads = 3};
    brig_error err = NULL;
    if (brig_relabel(t->top, CTX_A, &o, &st, &err) < 0) {
        fprintf(stderr, "# %s\n", err->msg);
        return 1;
    }
    CHILD_CHECK(st.changed + 1 == st.visited);
    char **all = NULL;
    collect(t->top, &all);
    for (char **p = all; *p; p++)
        if (!child_has_label(*p, CTX_A)) {
            fprintf(stderr, "# not labelled: %s\n", *p);
            return 1;
        }
    CHILD_CHECK(st.visited == brig_strv_len(all));
    /* The O_PATH + /proc/self/fd path labels symlinks, not their targets. */
    CHILD_CHECK(child_has_label(t->host_file, CTX_HOST));
    CHILD_CHECK(child_has_label(t->outside, CTX_HOST));
    CHILD_CHECK(brig_relabel(t->top, CTX_A, &o, &st, &err) == 0 && st.changed == 0);
    /* And a single file as the top. */
    char *f = brig_xasprintf("%s/d1/fifo", t->top);
    CHILD_CHECK(brig_relabel(f, CTX_B, &o, &st, &err) == 0 && st.changed == 1);
    CHILD_CHECK(child_has_label(f, CTX_B));
    return 0;
}

static void test_fallback_without_xattrat(void **state)
{
    struct tree t;
    tree_make(&t);
    int r = in_mount_ns(fallback_child, &t);
    tree_free(&t);
    if (r == 77)
        skip();
    assert_int_equal(r, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_labelled),
        cmocka_unit_test(test_second_run_writes_nothing),
        cmocka_unit_test(test_single_file_top),
        cmocka_unit_test(test_big_tree_progress),
        cmocka_unit_test(test_threads_same_result),
        cmocka_unit_test(test_refusal_list),
        cmocka_unit_test(test_mounts_not_crossed),
        cmocka_unit_test(test_fs_without_xattrs),
        cmocka_unit_test(test_error_names_path_top_stays_unlabelled),
        cmocka_unit_test(test_fallback_without_xattrat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

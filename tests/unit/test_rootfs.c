/* rootfs: every case runs in a forked child that has its own mount
 * namespace (unshare + "/" rprivate), builds a real rootfs in a temporary
 * directory and checks the kernel's view afterwards (/proc/self/mountinfo,
 * stat, write errors).  Children report through their exit status and say
 * why on stderr; cmocka asserts stay in the parent. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "sandbox/rootfs.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "# %s:%d: check failed: %s (errno: %s)\n", __FILE__, __LINE__, #cond,  \
                    strerror(errno));                                                              \
            _exit(1);                                                                              \
        }                                                                                          \
    } while (0)

#define CHECK_OK(call, err)                                                                        \
    do {                                                                                           \
        if ((call) < 0) {                                                                          \
            fprintf(stderr, "# %s:%d: %s failed: %s\n", __FILE__, __LINE__, #call,                 \
                    (err) ? (err)->msg : "(no error)");                                            \
            _exit(1);                                                                              \
        }                                                                                          \
    } while (0)

/* The call must fail with a message containing `want`. */
#define CHECK_FAILS(call, err, want)                                                               \
    do {                                                                                           \
        if ((call) >= 0) {                                                                         \
            fprintf(stderr, "# %s:%d: %s succeeded, expected failure\n", __FILE__, __LINE__,       \
                    #call);                                                                        \
            _exit(1);                                                                              \
        }                                                                                          \
        if ((err) == NULL || strstr((err)->msg, (want)) == NULL) {                                 \
            fprintf(stderr, "# %s:%d: error `%s` does not contain `%s`\n", __FILE__, __LINE__,     \
                    (err) ? (err)->msg : "(none)", (want));                                        \
            _exit(1);                                                                              \
        }                                                                                          \
    } while (0)

struct fixture {
    char root[64]; /* the container's rootfs */
    char host[64]; /* host-side directory: bind sources and escape targets */
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static void rm_rf(const char *path)
{
    /* FTW_MOUNT: never descend into anything still mounted. */
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static void write_file(const char *path, const char *content)
{
    brig_error err = NULL;
    if (brig_write_file_at(AT_FDCWD, path, content, strlen(content), 0644, &err) < 0) {
        fprintf(stderr, "# %s\n", err->msg);
        _exit(1);
    }
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
    char buf[65536];
    ssize_t n;
    int in = open(from, O_RDONLY | O_CLOEXEC), out;

    if (in < 0)
        return -1;
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (out < 0) {
        close(in);
        return -1;
    }
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (brig_write_all(out, buf, (size_t)n) < 0)
            break;
    close(in);
    close(out);
    return n == 0 ? 0 : -1;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char path[128];

    assert_non_null(fx);
    strcpy(fx->root, "/tmp/brig-rootfs-XXXXXX");
    strcpy(fx->host, "/tmp/brig-host-XXXXXX");
    assert_non_null(mkdtemp(fx->root));
    assert_non_null(mkdtemp(fx->host));
    chmod(fx->root, 0755);
    snprintf(path, sizeof(path), "%s/bin", fx->root);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/bin/busybox", fx->root);
    assert_int_equal(copy_file("/bin/busybox", path, 0755), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    rm_rf(fx->root);
    rm_rf(fx->host);
    free(fx);
    return 0;
}

static void run_child(void (*fn)(struct fixture *), struct fixture *fx)
{
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
            fprintf(stderr, "# new mount namespace: %s\n", strerror(errno));
            _exit(2);
        }
        fn(fx);
        fflush(stderr);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- building specs by hand ---- */

#define MAX_MOUNTS 16
struct test_spec {
    struct brig_spec spec;
    struct brig_spec_mount mounts[MAX_MOUNTS];
};

static struct brig_spec_mount *add_mount(struct test_spec *t, const char *dest, const char *type,
                                         const char *source, unsigned long flags, const char *data)
{
    struct brig_spec_mount *m = &t->mounts[t->spec.n_mounts++];

    CHECK(t->spec.n_mounts <= MAX_MOUNTS);
    memset(m, 0, sizeof(*m));
    m->destination = (char *)dest;
    m->type = (char *)type;
    m->source = (char *)source;
    m->opts.flags = flags;
    m->opts.data = (char *)data;
    t->spec.mounts = t->mounts;
    return m;
}

static void ctx_init(struct brig_rootfs_ctx *c, struct test_spec *t, const char *root)
{
    memset(c, 0, sizeof(*c));
    c->spec = &t->spec;
    c->rootfs = root;
    c->proc_fd = -1;
}

/* ---- kernel views ---- */

struct mnt {
    char mountpoint[512];
    char opts[256];
    char optional[128];
    char fstype[64];
    char super[512];
};

/* The last (topmost) mount at `mp`, from /proc/self/mountinfo. */
static bool find_mount(const char *mp, struct mnt *ret)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[2048];
    bool found = false;

    CHECK(f != NULL);
    while (fgets(line, sizeof(line), f) != NULL) {
        struct mnt m = {0};
        char *sep = strstr(line, " - ");
        char *save = NULL, *tok;
        int n = 0;

        if (sep == NULL)
            continue;
        *sep = '\0';
        for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save), n++) {
            if (n == 4)
                snprintf(m.mountpoint, sizeof(m.mountpoint), "%s", tok);
            else if (n == 5)
                snprintf(m.opts, sizeof(m.opts), "%s", tok);
            else if (n >= 6 && strlen(m.optional) + strlen(tok) + 2 < sizeof(m.optional)) {
                strcat(m.optional, tok);
                strcat(m.optional, " ");
            }
        }
        sscanf(sep + 3, "%63s %*s %511s", m.fstype, m.super);
        if (strcmp(m.mountpoint, mp) == 0) {
            *ret = m;
            found = true;
        }
    }
    fclose(f);
    return found;
}

/* `opt` is one of the comma-separated options in `list`. */
static bool has_opt(const char *list, const char *opt)
{
    size_t n = strlen(opt);
    for (const char *p = list; (p = strstr(p, opt)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return true;
    return false;
}

static void check_mount(const char *mp, const char *fstype, const char *const *opts)
{
    struct mnt m;

    if (!find_mount(mp, &m)) {
        fprintf(stderr, "# no mount at `%s`\n", mp);
        _exit(1);
    }
    if (fstype != NULL && strcmp(m.fstype, fstype) != 0) {
        fprintf(stderr, "# `%s`: type %s, want %s\n", mp, m.fstype, fstype);
        _exit(1);
    }
    for (; opts != NULL && *opts != NULL; opts++)
        if (!has_opt(m.opts, *opts) && !has_opt(m.super, *opts)) {
            fprintf(stderr, "# `%s`: options `%s` / `%s` lack `%s`\n", mp, m.opts, m.super, *opts);
            _exit(1);
        }
}

static char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *pathf(const char *fmt, ...)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(b, 512, fmt, ap);
    va_end(ap);
    return b;
}

static void check_chardev(const char *path, unsigned maj, unsigned min, mode_t perm)
{
    struct stat st;

    if (lstat(path, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != maj ||
        minor(st.st_rdev) != min || (perm != 0 && (st.st_mode & 07777) != perm)) {
        fprintf(stderr, "# `%s`: not char %u:%u mode %o\n", path, maj, min, perm);
        _exit(1);
    }
}

static void check_symlink(const char *path, const char *target)
{
    char buf[256];
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);

    CHECK(n > 0);
    buf[n] = '\0';
    if (strcmp(buf, target) != 0) {
        fprintf(stderr, "# `%s` -> `%s`, want `%s`\n", path, buf, target);
        _exit(1);
    }
}

static int write_errno(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

/* ---- cases ---- */

static void child_prepare_mounts(struct fixture *fx)
{
    struct test_spec t = {0};
    struct brig_rootfs_ctx c;
    brig_error err = NULL;
    const struct brig_spec_device *defs;
    size_t ndefs;

    CHECK(mkdir(pathf("%s/src", fx->host), 0755) == 0);
    write_file(pathf("%s/src/marker", fx->host), "from-host");
    write_file(pathf("%s/hostfile", fx->host), "single file");

    add_mount(&t, "/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    add_mount(&t, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
    add_mount(&t, "/run//", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m,mode=700");
    add_mount(&t, "/data", "bind", pathf("%s/src", fx->host), MS_BIND | MS_RDONLY | MS_NOSUID,
              NULL);
    add_mount(&t, "/etc/deep/hostfile", NULL, pathf("%s/hostfile", fx->host), MS_BIND, NULL);
    add_mount(&t, "/shm", "tmpfs", "shm", 0, NULL)->opts.propagation = MS_SHARED;
    ctx_init(&c, &t, fx->root);
    CHECK_OK(brig_rootfs_prepare(&c, &err), err);

    check_mount(pathf("%s/proc", fx->root), "proc",
                (const char *const[]){"nosuid", "nodev", "noexec", NULL});
    check_mount(pathf("%s/dev", fx->root), "tmpfs", (const char *const[]){"nosuid", "rw", NULL});
    check_mount(pathf("%s/run", fx->root), "tmpfs",
                (const char *const[]){"nosuid", "nodev", "noexec", "size=1024k", "mode=700", NULL});
    check_mount(pathf("%s/data", fx->root), NULL, (const char *const[]){"ro", "nosuid", NULL});
    CHECK(access(pathf("%s/data/marker", fx->root), F_OK) == 0);
    check_mount(pathf("%s/etc/deep/hostfile", fx->root), NULL, NULL);
    {
        char *buf = NULL;
        CHECK_OK(brig_read_file_at(AT_FDCWD, pathf("%s/etc/deep/hostfile", fx->root), 4096, &buf,
                                   NULL, &err),
                 err);
        CHECK(strcmp(buf, "single file") == 0);
        free(buf);
    }
    {
        struct mnt m;
        CHECK(find_mount(pathf("%s/shm", fx->root), &m));
        CHECK(strstr(m.optional, "shared:") != NULL);
    }

    /* /dev: default devices, the /proc/self/fd links, ptmx. */
    defs = brig_rootfs_default_devices(&ndefs);
    CHECK(ndefs == 6);
    for (size_t i = 0; i < ndefs; i++)
        check_chardev(pathf("%s%s", fx->root, defs[i].path), (unsigned)defs[i].major,
                      (unsigned)defs[i].minor, 0666);
    check_chardev(pathf("%s/dev/tty", fx->root), 5, 0, 0666);
    check_chardev(pathf("%s/dev/urandom", fx->root), 1, 9, 0666);
    check_symlink(pathf("%s/dev/ptmx", fx->root), "pts/ptmx");
    check_symlink(pathf("%s/dev/fd", fx->root), "/proc/self/fd");
    check_symlink(pathf("%s/dev/stdin", fx->root), "/proc/self/fd/0");
    check_symlink(pathf("%s/dev/stderr", fx->root), "/proc/self/fd/2");
}

static void test_prepare_mounts(void **state)
{
    run_child(child_prepare_mounts, *state);
}

/* Symlinks planted in the rootfs redirect a destination only within the
 * rootfs; the host paths they name are never touched. */
static void child_symlink_escape(struct fixture *fx)
{
    struct test_spec t = {0};
    struct brig_rootfs_ctx c;
    brig_error err = NULL;
    char target[64] = "/tmp/brig-host-target-XXXXXX";
    struct statfs sfs;

    CHECK(mkdtemp(target) != NULL);
    write_file(pathf("%s/host-marker", target), "host");
    CHECK(mkdir(pathf("%s/src", fx->host), 0755) == 0);
    write_file(pathf("%s/src/src-marker", fx->host), "src");

    /* Absolute symlink to the host's target path; dangling inside the
     * rootfs, so the target is created there. */
    CHECK(mkdir(pathf("%s/mnt", fx->root), 0755) == 0);
    CHECK(symlink(target, pathf("%s/mnt/link", fx->root)) == 0);
    /* Relative symlink climbing above the rootfs. */
    CHECK(brig_mkdir_p_at(AT_FDCWD, pathf("%s/a/b", fx->root), 0755, &err) == 0);
    CHECK(mkdir(pathf("%s/etc", fx->root), 0755) == 0);
    CHECK(symlink("../../../etc", pathf("%s/a/b/up", fx->root)) == 0);
    /* Absolute symlink to a host file, for a file bind. */
    CHECK(mkdir(pathf("%s/f", fx->root), 0755) == 0);
    CHECK(symlink("/etc/hostname-brig-test", pathf("%s/f/fileln", fx->root)) == 0);
    write_file(pathf("%s/src-file", fx->host), "file-src");

    add_mount(&t, "/mnt/link", "bind", pathf("%s/src", fx->host), MS_BIND, NULL);
    add_mount(&t, "/a/b/up", "tmpfs", "tmpfs", 0, NULL);
    add_mount(&t, "/f/fileln", "bind", pathf("%s/src-file", fx->host), MS_BIND, NULL);
    ctx_init(&c, &t, fx->root);
    CHECK_OK(brig_rootfs_prepare(&c, &err), err);

    /* Inside: the bind landed on ROOT/<target>, the tmpfs on ROOT/etc. */
    CHECK(access(pathf("%s%s/src-marker", fx->root, target), F_OK) == 0);
    CHECK(statfs(pathf("%s/etc", fx->root), &sfs) == 0 && sfs.f_type == TMPFS_MAGIC);
    /* The tmpfs covers the rootfs's /etc, so the file bind landed in it. */
    CHECK(access(pathf("%s/etc/hostname-brig-test", fx->root), F_OK) == 0);
    /* Host: untouched. */
    CHECK(access(pathf("%s/host-marker", target), F_OK) == 0);
    CHECK(access(pathf("%s/src-marker", target), F_OK) < 0 && errno == ENOENT);
    CHECK(statfs("/etc", &sfs) == 0 && sfs.f_type != TMPFS_MAGIC);
    CHECK(access("/etc/hostname-brig-test", F_OK) < 0 && errno == ENOENT);
    CHECK(!find_mount(target, &(struct mnt){0}));
    rm_rf(target);
}

static void test_symlink_escape(void **state)
{
    run_child(child_symlink_escape, *state);
}

static void child_unknown_fstype(struct fixture *fx)
{
    struct test_spec t = {0};
    struct brig_rootfs_ctx c;
    brig_error err = NULL;

    add_mount(&t, "/x", "brigfs-nosuch", NULL, 0, NULL);
    ctx_init(&c, &t, fx->root);
    CHECK_FAILS(brig_rootfs_prepare(&c, &err), err,
                "mount `brigfs-nosuch` on `/x` (type brigfs-nosuch): No such device");
    brig_error_free(&err);
}

static void test_unknown_fstype(void **state)
{
    run_child(child_unknown_fstype, *state);
}

static void child_refusals(struct fixture *fx)
{
    struct brig_rootfs_ctx c;
    brig_error err = NULL;

    write_file(pathf("%s/f", fx->host), "x");
    {
        /* proc through a symlink (CVE-2019-19921 class). */
        struct test_spec t = {0};
        CHECK(symlink("/tmp", pathf("%s/proc", fx->root)) == 0);
        add_mount(&t, "/proc", "proc", "proc", 0, NULL);
        ctx_init(&c, &t, fx->root);
        CHECK_FAILS(brig_rootfs_prepare(&c, &err), err, "must be an ordinary directory");
        CHECK(unlink(pathf("%s/proc", fx->root)) == 0);
    }
    {
        /* A bind over /proc/self/attr/current (CVE-2019-16884 class), also
         * when reached through a symlink. */
        struct test_spec t = {0};
        add_mount(&t, "/proc", "proc", "proc", 0, NULL);
        add_mount(&t, "/proc/self/attr/current", "bind", pathf("%s/f", fx->host), MS_BIND, NULL);
        ctx_init(&c, &t, fx->root);
        CHECK_FAILS(brig_rootfs_prepare(&c, &err), err, "inside /proc");
    }
    {
        struct test_spec t = {0};
        CHECK(symlink("/proc/keys", pathf("%s/sneaky", fx->root)) == 0);
        add_mount(&t, "/proc", "proc", "proc", 0, NULL);
        add_mount(&t, "/sneaky", "bind", pathf("%s/f", fx->host), MS_BIND, NULL);
        ctx_init(&c, &t, fx->root);
        CHECK_FAILS(brig_rootfs_prepare(&c, &err), err, "`/proc/keys` is inside /proc");
    }
    {
        /* Not only binds: a tmpfs over /proc/sys hides what readonlyPaths
         * protect. */
        struct test_spec t = {0};
        add_mount(&t, "/proc", "proc", "proc", 0, NULL);
        add_mount(&t, "/proc/sys", "tmpfs", "tmpfs", 0, NULL);
        ctx_init(&c, &t, fx->root);
        CHECK_FAILS(brig_rootfs_prepare(&c, &err), err,
                    "mount `tmpfs` on `/proc/sys` (type tmpfs): `/proc/sys` is inside /proc");
    }
    {
        struct test_spec t = {0};
        add_mount(&t, "/m", "bind", fx->host, MS_BIND, NULL)->opts.idmap = true;
        ctx_init(&c, &t, fx->root);
        CHECK_FAILS(brig_rootfs_prepare(&c, &err), err,
                    "mounts[0]: idmapped mounts are not supported");
    }
    {
        struct test_spec t = {0};
        add_mount(&t, "/sys/fs/cgroup", "cgroup", "cgroup", 0, NULL);
        ctx_init(&c, &t, fx->root);
        CHECK_FAILS(brig_rootfs_prepare(&c, &err), err, "the container has no cgroup");
    }
    {
        struct test_spec t = {0};
        add_mount(&t, "relative", "tmpfs", "tmpfs", 0, NULL);
        ctx_init(&c, &t, fx->root);
        CHECK_FAILS(brig_rootfs_prepare(&c, &err), err, "must be absolute");
    }
    {
        struct test_spec t = {0};
        struct brig_spec_device d = {
            .type = 'c', .path = (char *)"/etc/evil", .major = 1, .minor = 3};
        t.spec.linux_.devices = &d;
        t.spec.linux_.n_devices = 1;
        ctx_init(&c, &t, fx->root);
        CHECK_FAILS(brig_rootfs_prepare(&c, &err), err,
                    "device `/etc/evil`: path must be under /dev");
    }
    brig_error_free(&err);
}

static void test_refusals(void **state)
{
    run_child(child_refusals, *state);
}

static void child_devices(struct fixture *fx)
{
    struct test_spec t = {0};
    struct brig_rootfs_ctx c;
    brig_error err = NULL;
    struct brig_spec_device devs[] = {
        {.type = 'c',
         .path = (char *)"/dev/fuse",
         .major = 10,
         .minor = 229,
         .has_mode = true,
         .file_mode = 0600,
         .has_uid = true,
         .uid = 1000,
         .has_gid = true,
         .gid = 1001},
        {.type = 'c',
         .path = (char *)"/dev/null",
         .major = 1,
         .minor = 3,
         .has_mode = true,
         .file_mode = 0620},
        {.type = 'p', .path = (char *)"/dev/sub/fifo", .has_mode = true, .file_mode = 0640},
    };
    struct stat st;

    /* No /dev mount: the image's /dev is used, and what it ships under a
     * device's name is replaced. */
    CHECK(mkdir(pathf("%s/dev", fx->root), 0755) == 0);
    write_file(pathf("%s/dev/zero", fx->root), "not a device");
    write_file(pathf("%s/dev/ptmx", fx->root), "not a symlink");
    t.spec.linux_.devices = devs;
    t.spec.linux_.n_devices = BRIG_ARRAY_SIZE(devs);
    ctx_init(&c, &t, fx->root);
    CHECK_OK(brig_rootfs_prepare(&c, &err), err);

    check_chardev(pathf("%s/dev/fuse", fx->root), 10, 229, 0600);
    CHECK(stat(pathf("%s/dev/fuse", fx->root), &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001);
    check_chardev(pathf("%s/dev/null", fx->root), 1, 3, 0620); /* the spec's, not the default */
    check_chardev(pathf("%s/dev/zero", fx->root), 1, 5, 0666);
    CHECK(stat(pathf("%s/dev/sub/fifo", fx->root), &st) == 0 && S_ISFIFO(st.st_mode) &&
          (st.st_mode & 07777) == 0640);
    check_symlink(pathf("%s/dev/ptmx", fx->root), "pts/ptmx");
}

static void test_devices(void **state)
{
    run_child(child_devices, *state);
}

/* in_userns: mknod is not used; the host's nodes are bind-mounted. */
static void child_devices_bind(struct fixture *fx)
{
    struct test_spec t = {0};
    struct brig_rootfs_ctx c;
    brig_error err = NULL;

    add_mount(&t, "/dev", "tmpfs", "tmpfs", MS_NOSUID, "mode=755");
    ctx_init(&c, &t, fx->root);
    c.in_userns = true;
    CHECK_OK(brig_rootfs_prepare(&c, &err), err);
    check_mount(pathf("%s/dev/null", fx->root), "devtmpfs", NULL);
    check_chardev(pathf("%s/dev/null", fx->root), 1, 3, 0);
    check_chardev(pathf("%s/dev/tty", fx->root), 5, 0, 0);
}

static void test_devices_bind(void **state)
{
    struct stat st;
    if (stat("/dev/null", &st) < 0 || stat("/dev/tty", &st) < 0) {
        print_message("# skip: host lacks /dev/null or /dev/tty\n");
        skip();
    }
    run_child(child_devices_bind, *state);
}

/* /dev bound from the host: brig creates nothing there. */
static void child_dev_bind(struct fixture *fx)
{
    struct test_spec t = {0};
    struct brig_rootfs_ctx c;
    brig_error err = NULL;
    struct stat st;

    add_mount(&t, "/dev", "bind", "/dev", MS_BIND, NULL)->opts.recursive_bind = true;
    ctx_init(&c, &t, fx->root);
    CHECK_OK(brig_rootfs_prepare(&c, &err), err);
    CHECK(lstat(pathf("%s/dev/ptmx", fx->root), &st) == 0 && S_ISCHR(st.st_mode));
}

static void test_dev_bind(void **state)
{
    run_child(child_dev_bind, *state);
}

static void setup_pivot_spec(struct fixture *fx, struct test_spec *t, char **masked,
                             char **readonly)
{
    write_file(pathf("%s/secret", fx->root), "s3cret");
    CHECK(mkdir(pathf("%s/secretdir", fx->root), 0755) == 0);
    write_file(pathf("%s/secretdir/x", fx->root), "x");
    CHECK(mkdir(pathf("%s/rw", fx->root), 0755) == 0);
    write_file(pathf("%s/host-only", fx->host), "host");

    add_mount(t, "/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    add_mount(t, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_RDONLY, "mode=755");
    /* The rest of `runc spec`'s defaults, but cgroups. */
    add_mount(t, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=0620,gid=5");
    add_mount(t, "/dev/shm", "tmpfs", "shm", MS_NOSUID | MS_NOEXEC | MS_NODEV,
              "mode=1777,size=65536k");
    add_mount(t, "/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
    add_mount(t, "/sys", "sysfs", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);
    t->spec.linux_.masked_paths = masked;
    t->spec.linux_.readonly_paths = readonly;
    t->spec.root_readonly = true;
}

static void check_pivoted(struct fixture *fx)
{
    char buf[64], cwd[64];
    struct stat st;
    struct statfs sfs;
    DIR *d;
    struct dirent *de;
    int fd, n = 0, status;
    pid_t pid;

    CHECK(getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, "/") == 0);
    CHECK(stat("/bin/busybox", &st) == 0);
    CHECK(access(pathf("%s/host-only", fx->host), F_OK) < 0 && errno == ENOENT);
    /* Masked file reads empty; masked directory is empty and read-only. */
    fd = open("/secret", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 0);
    close(fd);
    /* A /proc/kcore-like file (this kernel has no kcore). */
    fd = open("/proc/timer_list", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 0);
    close(fd);
    d = opendir("/secretdir");
    CHECK(d != NULL);
    while ((de = readdir(d)) != NULL)
        n += de->d_name[0] != '.';
    closedir(d);
    CHECK(n == 0);
    CHECK(write_errno("/secretdir/y") == EROFS);
    /* Read-only path, read-only root, read-only /dev. */
    CHECK(write_errno("/rw/f") == EROFS);
    CHECK(write_errno("/newfile") == EROFS);
    CHECK(write_errno("/proc/sys/kernel/hostname") == EROFS);
    CHECK(write_errno("/dev/newfile") == EROFS);
    fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    CHECK(fd >= 0 && write(fd, "x", 1) == 1);
    close(fd);
    CHECK(statfs("/dev", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC);
    /* /dev/ptmx -> pts/ptmx opens the container's own devpts instance. */
    fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    CHECK(fd >= 0);
    close(fd);
    CHECK(write_errno("/dev/shm/f") == 0);
    CHECK(write_errno("/sys/kernel/f") == EROFS);
    /* The root is usable: exec a program from it. */
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execl("/bin/busybox", "busybox", "true", (char *)NULL);
        _exit(127);
    }
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void child_pivot(struct fixture *fx)
{
    struct test_spec t = {0};
    struct brig_rootfs_ctx c;
    brig_error err = NULL;
    char *masked[] = {"/secret",          "/secretdir",   "/proc/kcore",
                      "/proc/timer_list", "/nonexistent", NULL};
    char *readonly[] = {"/rw", "/proc/sys", "/missing", NULL};
    struct mnt m;

    setup_pivot_spec(fx, &t, masked, readonly);
    ctx_init(&c, &t, fx->root);
    CHECK_OK(brig_rootfs_prepare(&c, &err), err);
    CHECK_OK(brig_rootfs_pivot(&c, &err), err);
    CHECK_OK(brig_rootfs_finalize(&c, &err), err);
    check_pivoted(fx);
    /* The old root is gone: only the rootfs and what the spec mounted. */
    CHECK(find_mount("/", &m) && has_opt(m.opts, "ro"));
    CHECK(find_mount("/sys", &m) && has_opt(m.opts, "ro"));
    CHECK(find_mount("/dev/mqueue", &m) && strcmp(m.fstype, "mqueue") == 0);
    CHECK(!find_mount(fx->root, &m));
}

static void test_pivot_finalize(void **state)
{
    run_child(child_pivot, *state);
}

static void child_no_pivot(struct fixture *fx)
{
    struct test_spec t = {0};
    struct brig_rootfs_ctx c;
    brig_error err = NULL;
    char *masked[] = {"/secret", "/secretdir", "/proc/timer_list", NULL};
    char *readonly[] = {"/rw", "/proc/sys", NULL};

    setup_pivot_spec(fx, &t, masked, readonly);
    ctx_init(&c, &t, fx->root);
    c.no_pivot = true;
    CHECK_OK(brig_rootfs_prepare(&c, &err), err);
    CHECK_OK(brig_rootfs_pivot(&c, &err), err);
    CHECK_OK(brig_rootfs_finalize(&c, &err), err);
    check_pivoted(fx);
}

static void test_no_pivot(void **state)
{
    run_child(child_no_pivot, *state);
}

/* rro: submounts of the source are read-only too. */
static void child_rro(struct fixture *fx)
{
    struct test_spec t = {0};
    struct brig_rootfs_ctx c;
    brig_error err = NULL;
    struct brig_spec_mount *m;

    CHECK(mkdir(pathf("%s/tree", fx->host), 0755) == 0);
    CHECK(mkdir(pathf("%s/tree/sub", fx->host), 0755) == 0);
    CHECK(mount("tmpfs", pathf("%s/tree/sub", fx->host), "tmpfs", 0, NULL) == 0);
    m = add_mount(&t, "/tree", "bind", pathf("%s/tree", fx->host), MS_BIND | MS_REC, NULL);
    m->opts.recursive_bind = true;
    m->opts.recursive_ro = true;
    ctx_init(&c, &t, fx->root);
    CHECK_OK(brig_rootfs_prepare(&c, &err), err);
    check_mount(pathf("%s/tree", fx->root), NULL, (const char *const[]){"ro", NULL});
    check_mount(pathf("%s/tree/sub", fx->root), "tmpfs", (const char *const[]){"ro", NULL});
    CHECK(write_errno(pathf("%s/tree/sub/f", fx->root)) == EROFS);
    CHECK(write_errno(pathf("%s/tree/sub/f", fx->host)) == 0);
}

static void test_rro(void **state)
{
    run_child(child_rro, *state);
}

/* In a user namespace, flags inherited from the host's mount are locked:
 * a bind remount to "ro" must repeat nosuid/nodev/noexec or get EPERM. */
static void child_userns_locked(struct fixture *fx)
{
    struct test_spec t = {0};
    struct brig_rootfs_ctx c;
    brig_error err = NULL;
    char map[32];

    CHECK(mkdir(pathf("%s/locked", fx->host), 0755) == 0);
    CHECK(mount("tmpfs", pathf("%s/locked", fx->host), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                NULL) == 0);
    write_file(pathf("%s/locked/marker", fx->host), "x");
    CHECK(unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0);
    snprintf(map, sizeof(map), "0 %d 1\n", 0);
    CHECK(brig_write_file_at(AT_FDCWD, "/proc/self/setgroups", "deny", 4, 0, &err) == 0);
    CHECK(brig_write_file_at(AT_FDCWD, "/proc/self/uid_map", map, strlen(map), 0, &err) == 0);
    CHECK(brig_write_file_at(AT_FDCWD, "/proc/self/gid_map", map, strlen(map), 0, &err) == 0);

    add_mount(&t, "/dev", "tmpfs", "tmpfs", MS_NOSUID, "mode=755");
    add_mount(&t, "/data", "bind", pathf("%s/locked", fx->host), MS_BIND | MS_RDONLY, NULL);
    ctx_init(&c, &t, fx->root);
    c.in_userns = true;
    CHECK_OK(brig_rootfs_prepare(&c, &err), err);
    check_mount(pathf("%s/data", fx->root), "tmpfs",
                (const char *const[]){"ro", "nosuid", "nodev", "noexec", NULL});
    CHECK(access(pathf("%s/data/marker", fx->root), F_OK) == 0);
    check_chardev(pathf("%s/dev/null", fx->root), 1, 3, 0);
}

static void test_userns_locked(void **state)
{
    run_child(child_userns_locked, *state);
}

/* tmpcopyup: the image's files at the destination show up in the tmpfs,
 * symlinks stay symlinks, and "ro" applies after the copy. */
static void child_tmpcopyup(struct fixture *fx)
{
    struct test_spec t = {0};
    struct brig_rootfs_ctx c;
    brig_error err = NULL;
    struct brig_spec_mount *m;
    struct statfs sfs;
    struct stat st;
    char *buf = NULL;

    CHECK(brig_mkdir_p_at(AT_FDCWD, pathf("%s/etc/sub", fx->root), 0755, &err) == 0);
    write_file(pathf("%s/etc/sub/conf", fx->root), "image-conf");
    CHECK(chmod(pathf("%s/etc/sub/conf", fx->root), 0600) == 0);
    CHECK(symlink("/etc/passwd", pathf("%s/etc/pw", fx->root)) == 0);
    m = add_mount(&t, "/etc", "tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID, NULL);
    m->opts.tmpcopyup = true;
    ctx_init(&c, &t, fx->root);
    CHECK_OK(brig_rootfs_prepare(&c, &err), err);

    CHECK(statfs(pathf("%s/etc", fx->root), &sfs) == 0 && sfs.f_type == TMPFS_MAGIC);
    check_mount(pathf("%s/etc", fx->root), "tmpfs", (const char *const[]){"ro", "nosuid", NULL});
    CHECK_OK(brig_read_file_at(AT_FDCWD, pathf("%s/etc/sub/conf", fx->root), 64, &buf, NULL, &err),
             err);
    CHECK(strcmp(buf, "image-conf") == 0);
    free(buf);
    CHECK(stat(pathf("%s/etc/sub/conf", fx->root), &st) == 0 && (st.st_mode & 07777) == 0600);
    check_symlink(pathf("%s/etc/pw", fx->root), "/etc/passwd");
    CHECK(write_errno(pathf("%s/etc/new", fx->root)) == EROFS);
}

static void test_tmpcopyup(void **state)
{
    run_child(child_tmpcopyup, *state);
}

/* A relative bind source is relative to the working directory (the
 * runtime runs in the bundle). */
static void child_relative_source(struct fixture *fx)
{
    struct test_spec t = {0};
    struct brig_rootfs_ctx c;
    brig_error err = NULL;

    CHECK(mkdir(pathf("%s/vol", fx->host), 0755) == 0);
    write_file(pathf("%s/vol/m", fx->host), "m");
    CHECK(chdir(fx->host) == 0);
    add_mount(&t, "/vol", "bind", "vol", MS_BIND, NULL);
    ctx_init(&c, &t, fx->root);
    CHECK_OK(brig_rootfs_prepare(&c, &err), err);
    CHECK(access(pathf("%s/vol/m", fx->root), F_OK) == 0);
}

static void test_relative_source(void **state)
{
    run_child(child_relative_source, *state);
}

/* rootfsPropagation "rshared": pivot_root still works (the rootfs's parent
 * mount is made private first) and the container's "/" ends up shared. */
static void child_rshared(struct fixture *fx)
{
    struct test_spec t = {0};
    struct brig_rootfs_ctx c;
    brig_error err = NULL;
    struct mnt m;

    t.spec.linux_.rootfs_propagation = MS_SHARED | MS_REC;
    add_mount(&t, "/proc", "proc", "proc", 0, NULL);
    ctx_init(&c, &t, fx->root);
    CHECK_OK(brig_rootfs_prepare(&c, &err), err);
    CHECK_OK(brig_rootfs_pivot(&c, &err), err);
    CHECK(find_mount("/", &m));
    CHECK(strstr(m.optional, "shared:") != NULL);
    CHECK(access("/bin/busybox", X_OK) == 0);
}

static void test_rshared(void **state)
{
    run_child(child_rshared, *state);
}

/* sysfs in a user namespace that owns no network namespace: EPERM from
 * the kernel, so the host's /sys is bound instead, with the flags asked. */
static void child_userns_sysfs(struct fixture *fx)
{
    struct test_spec t = {0};
    struct brig_rootfs_ctx c;
    brig_error err = NULL;
    const char *map = "0 0 1\n";

    CHECK(unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0);
    CHECK(brig_write_file_at(AT_FDCWD, "/proc/self/setgroups", "deny", 4, 0, &err) == 0);
    CHECK(brig_write_file_at(AT_FDCWD, "/proc/self/uid_map", map, strlen(map), 0, &err) == 0);
    CHECK(brig_write_file_at(AT_FDCWD, "/proc/self/gid_map", map, strlen(map), 0, &err) == 0);
    add_mount(&t, "/sys", "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    ctx_init(&c, &t, fx->root);
    c.in_userns = true;
    CHECK_OK(brig_rootfs_prepare(&c, &err), err);
    check_mount(pathf("%s/sys", fx->root), "sysfs",
                (const char *const[]){"ro", "nosuid", "nodev", "noexec", NULL});
    CHECK(access(pathf("%s/sys/kernel", fx->root), F_OK) == 0);
}

static void test_userns_sysfs(void **state)
{
    run_child(child_userns_sysfs, *state);
}

static void test_default_devices(void **state)
{
    size_t n = 0;
    const struct brig_spec_device *d = brig_rootfs_default_devices(&n);
    const char *want[] = {"/dev/null",   "/dev/zero",    "/dev/full",
                          "/dev/random", "/dev/urandom", "/dev/tty"};

    (void)state;
    assert_int_equal(n, BRIG_ARRAY_SIZE(want));
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(d[i].path, want[i]);
        assert_int_equal(d[i].type, 'c');
        assert_int_equal(d[i].file_mode, 0666);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_devices),
        cmocka_unit_test_setup_teardown(test_prepare_mounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_fstype, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_devices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_devices_bind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dev_bind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pivot_finalize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_pivot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rro, setup, teardown),
        cmocka_unit_test_setup_teardown(test_userns_locked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tmpcopyup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rshared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_userns_sysfs, setup, teardown),
    };

    if (geteuid() != 0) {
        /* Mount namespaces and mknod need root; the suite runs as root. */
        fprintf(stderr, "# test_rootfs must run as root\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

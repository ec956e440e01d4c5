/* cgroup module against the real cgroupfs (needs root).  On a hybrid host
 * the v1 back end carries the limits; the v2 back end (freezer, kill,
 * controllers, device eBPF) runs against the unified tree, which has no
 * controllers of its own but all of cgroup2's core files. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup/cgroup.h"
#include "cgroup/cgroup_internal.h"
#include "core/util.h"

static int seq;

static char *test_id(void)
{
    return brig_xasprintf("brigtest-%d-%d", (int)getpid(), ++seq);
}

static void skip_unless_root(void)
{
    if (geteuid() != 0) {
        printf("# skip: cgroup tests need root\n");
        skip();
    }
}

static char *read_str(const char *dir, const char *file)
{
    char *v = NULL;
    _cleanup_error_ brig_error err = NULL;
    if (brig_cg_read(dir, file, &v, &err) < 0) {
        fail_msg("%s", err->msg);
    }
    v[strcspn(v, "\n")] = '\0';
    return v;
}

static void assert_file(const char *dir, const char *file, const char *want)
{
    _cleanup_free_ char *v = read_str(dir, file);
    if (strcmp(v, want) != 0)
        fail_msg("%s/%s = `%s`, want `%s`", dir, file, v, want);
}

static bool dir_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* A child that counts in shared memory until killed. */
struct spinner {
    pid_t pid;
    volatile uint64_t *counter;
};

static struct spinner spawn_spinner(void)
{
    struct spinner s;
    s.counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(s.counter != MAP_FAILED);
    s.pid = fork();
    assert_true(s.pid >= 0);
    if (s.pid == 0) {
        for (;;) {
            (*s.counter)++;
            if ((*s.counter & 0xfffff) == 0)
                usleep(100);
        }
    }
    return s;
}

static void reap(struct spinner *s, int want_sig)
{
    int st = 0;
    if (want_sig == 0) {
        kill(s->pid, SIGKILL);
        want_sig = SIGKILL;
    }
    assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), want_sig);
    munmap((void *)s->counter, 4096);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void assert_destroyed(struct brig_cgroup *cg)
{
    for (size_t i = 0; i < cg->n_hiers; i++)
        if (dir_exists(cg->hiers[i].dir))
            fail_msg("cgroup `%s` still exists", cg->hiers[i].dir);
}

/* ---- tests ------------------------------------------------------------- */

static void test_detect_mode(void **state)
{
    enum brig_cgroup_mode mode, want;
    struct statfs sfs;
    _cleanup_error_ brig_error err = NULL;

    assert_int_equal(statfs("/sys/fs/cgroup", &sfs), 0);
    if (sfs.f_type == CGROUP2_SUPER_MAGIC)
        want = BRIG_CGROUP_V2;
    else if (statfs("/sys/fs/cgroup/unified", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
        want = BRIG_CGROUP_HYBRID;
    else
        want = BRIG_CGROUP_V1;
    assert_int_equal(brig_cgroup_detect_mode(&mode, &err), 0);
    assert_int_equal(mode, want);
    printf("# host cgroup layout: %s\n", brig_cgroup_mode_name(mode));
    assert_string_equal(brig_cgroup_mode_name(BRIG_CGROUP_HYBRID), "hybrid");
    assert_string_equal(brig_cgroup_mode_name(BRIG_CGROUP_V1), "v1");
    assert_string_equal(brig_cgroup_mode_name(BRIG_CGROUP_V2), "v2");
}

/* Everything past this point assumes the v1 controllers this host has. */
static bool host_is_v1ish(void)
{
    enum brig_cgroup_mode mode;
    if (brig_cgroup_detect_mode(&mode, NULL) < 0)
        return false;
    return mode != BRIG_CGROUP_V2;
}

static void skip_unless_v1(void)
{
    skip_unless_root();
    if (!host_is_v1ish()) {
        printf("# skip: host is cgroup v2; the v2 tests cover it\n");
        skip();
    }
}

static struct brig_spec_resources limits(void)
{
    struct brig_spec_resources r = {0};
    r.has_memory_limit = true;
    r.memory_limit = 64 << 20;
    r.has_pids_limit = true;
    r.pids_limit = 10;
    r.has_cpu_quota = true;
    r.cpu_quota = 50000;
    r.has_cpu_period = true;
    r.cpu_period = 100000;
    r.has_cpu_shares = true;
    r.cpu_shares = 512;
    r.cpu_cpus = "0";
    r.cpu_mems = "0";
    return r;
}

static void test_create_limits_update_destroy(void **state)
{
    skip_unless_v1();
    _cleanup_free_ char *id = test_id();
    _cleanup_error_ brig_error err = NULL;
    struct brig_spec_resources r = limits();
    _cleanup_cgroup_ struct brig_cgroup *cg = brig_cgroup_create(NULL, id, &r, false, &err);

    if (cg == NULL)
        fail_msg("%s", err->msg);
    assert_int_equal(brig_cgroup_mode_of(cg), BRIG_CGROUP_HYBRID == brig_cgroup_mode_of(cg)
                                                  ? BRIG_CGROUP_HYBRID
                                                  : BRIG_CGROUP_V1);
    const struct brig_cg_hier *mem = brig_cg_find(cg, "memory");
    const struct brig_cg_hier *cpu = brig_cg_find(cg, "cpu");
    const struct brig_cg_hier *pids = brig_cg_find(cg, "pids");
    const struct brig_cg_hier *cpuset = brig_cg_find(cg, "cpuset");
    assert_non_null(mem);
    assert_non_null(cpu);
    assert_non_null(pids);
    assert_non_null(cpuset);
    assert_file(mem->dir, "memory.limit_in_bytes", "67108864");
    assert_file(pids->dir, "pids.max", "10");
    assert_file(cpu->dir, "cpu.cfs_quota_us", "50000");
    assert_file(cpu->dir, "cpu.cfs_period_us", "100000");
    assert_file(cpu->dir, "cpu.shares", "512");
    assert_file(cpuset->dir, "cpuset.cpus", "0");
    assert_file(cpuset->dir, "cpuset.mems", "0");
    /* Every hierarchy, including name=systemd and the unified tree. */
    for (size_t i = 0; i < cg->n_hiers; i++)
        assert_true(dir_exists(cg->hiers[i].dir));
    if (brig_cgroup_mode_of(cg) == BRIG_CGROUP_HYBRID)
        assert_non_null(brig_cg_find(cg, NULL));

    /* The relative default lands below our own cgroup in each hierarchy. */
    {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
        char line[4096];
        _cleanup_free_ char *suffix = brig_xasprintf("/brig/%s", id);
        while (fgets(line, sizeof(line), f)) {
            char *p = strchr(strchr(line, ':') + 1, ':') + 1;
            p[strcspn(p, "\n")] = '\0';
            if (strstr(line, ":memory:") != NULL) {
                _cleanup_free_ char *want =
                    brig_xasprintf("%s%s", strcmp(p, "/") == 0 ? "" : p, suffix);
                assert_string_equal(mem->path, want);
            }
        }
    }

    /* update changes only what is present. */
    struct brig_spec_resources u = {0};
    u.has_memory_limit = true;
    u.memory_limit = 128 << 20;
    u.has_pids_limit = true;
    u.pids_limit = 20;
    u.has_cpu_quota = true;
    u.cpu_quota = -1;
    if (brig_cgroup_update(cg, &u, &err) < 0)
        fail_msg("%s", err->msg);
    assert_file(mem->dir, "memory.limit_in_bytes", "134217728");
    assert_file(pids->dir, "pids.max", "20");
    assert_file(cpu->dir, "cpu.cfs_quota_us", "-1");
    assert_file(cpu->dir, "cpu.shares", "512");
    u = (struct brig_spec_resources){0};
    u.has_pids_limit = true;
    u.pids_limit = 0;
    assert_int_equal(brig_cgroup_update(cg, &u, &err), 0);
    assert_file(pids->dir, "pids.max", "max");

    assert_int_equal(brig_cgroup_destroy(cg, &err), 0);
    assert_destroyed(cg);
    /* Destroying again is fine: missing directories are not an error. */
    assert_int_equal(brig_cgroup_destroy(cg, &err), 0);
}

static void test_enter_pids_freeze_kill(void **state)
{
    skip_unless_v1();
    _cleanup_free_ char *id = test_id();
    _cleanup_error_ brig_error err = NULL;
    _cleanup_cgroup_ struct brig_cgroup *cg = brig_cgroup_create(NULL, id, NULL, false, &err);
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    bool frozen = true;

    if (cg == NULL)
        fail_msg("%s", err->msg);
    struct spinner a = spawn_spinner(), b = spawn_spinner();
    assert_int_equal(brig_cgroup_enter(cg, a.pid, &err), 0);
    assert_int_equal(brig_cgroup_enter(cg, b.pid, &err), 0);
    for (size_t i = 0; i < cg->n_hiers; i++) {
        _cleanup_free_ char *procs = read_str(cg->hiers[i].dir, "cgroup.procs");
        char want[32];
        snprintf(want, sizeof(want), "%d", (int)a.pid);
        assert_non_null(strstr(procs, want));
    }
    assert_int_equal(brig_cgroup_pids(cg, &pids, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_true((pids[0] == a.pid && pids[1] == b.pid) || (pids[0] == b.pid && pids[1] == a.pid));

    /* A second create of a cgroup in use is refused, and leaves it alone. */
    {
        _cleanup_error_ brig_error e2 = NULL;
        struct brig_cgroup *dup = brig_cgroup_create(NULL, id, NULL, false, &e2);
        assert_null(dup);
        assert_non_null(strstr(e2->msg, "already exists and is in use"));
        assert_true(dir_exists(cg->hiers[0].dir));
    }

    /* freeze: the freezer says so and the child stops counting. */
    assert_int_equal(brig_cgroup_freeze(cg, true, &err), 0);
    const struct brig_cg_hier *fz = brig_cg_find(cg, "freezer");
    if (fz != NULL)
        assert_file(fz->dir, "freezer.state", "FROZEN");
    assert_int_equal(brig_cgroup_is_frozen(cg, &frozen, &err), 0);
    assert_true(frozen);
    uint64_t c1 = *a.counter;
    sleep_ms(100);
    assert_true(*a.counter == c1);
    assert_int_equal(brig_cgroup_freeze(cg, false, &err), 0);
    assert_int_equal(brig_cgroup_is_frozen(cg, &frozen, &err), 0);
    assert_false(frozen);
    sleep_ms(100);
    assert_true(*a.counter != c1);

    /* A signal other than SIGKILL goes through freeze / signal / thaw. */
    assert_int_equal(brig_cgroup_kill_all(cg, SIGTERM, &err), 0);
    reap(&a, SIGTERM);
    reap(&b, SIGTERM);

    struct spinner c = spawn_spinner();
    assert_int_equal(brig_cgroup_enter(cg, c.pid, &err), 0);
    assert_int_equal(brig_cgroup_kill_all(cg, SIGKILL, &err), 0);
    reap(&c, SIGKILL);
    if (brig_cgroup_destroy(cg, &err) < 0)
        fail_msg("%s", err->msg);
    assert_destroyed(cg);
}

static void test_bad_values_leave_nothing(void **state)
{
    skip_unless_v1();
    _cleanup_error_ brig_error err = NULL;
    struct brig_spec_kv kv = {.key = "../cgroup.procs", .value = "1"};
    struct brig_spec_resources r = {0};
    _cleanup_free_ char *id = test_id();
    _cleanup_free_ char *path = brig_xasprintf("/brigtest-bad-%d", (int)getpid());
    _cleanup_free_ char *memdir = brig_xasprintf("/sys/fs/cgroup/memory%s", path);

    r.unified = &kv;
    r.n_unified = 1;
    assert_null(brig_cgroup_create(path, id, &r, false, &err));
    assert_non_null(strstr(err->msg, "`..`"));
    assert_false(dir_exists(memdir));

    r = (struct brig_spec_resources){0};
    r.has_memory_limit = true;
    r.memory_limit = 64 << 20;
    r.has_memory_swap = true;
    r.memory_swap = 32 << 20;
    assert_null(brig_cgroup_create(path, id, &r, false, &err));
    assert_non_null(strstr(err->msg, "memory.swap"));
    assert_false(dir_exists(memdir));

    /* Refused by the kernel after the directories exist: all removed. */
    r = (struct brig_spec_resources){0};
    r.has_memory_limit = true;
    r.memory_limit = 64 << 20;
    r.cpu_cpus = "4000";
    assert_null(brig_cgroup_create(path, id, &r, false, &err));
    assert_non_null(strstr(err->msg, "cpuset.cpus"));
    assert_false(dir_exists(memdir));

    /* ".." in cgroupsPath never escapes the hierarchy. */
    assert_null(brig_cgroup_create("/a/../../etc", id, NULL, false, &err));
    assert_non_null(strstr(err->msg, "`..`"));
    /* v1 has no unified files at all. */
    kv.key = "memory.high";
    r = (struct brig_spec_resources){0};
    r.unified = &kv;
    r.n_unified = 1;
    enum brig_cgroup_mode mode;
    assert_int_equal(brig_cgroup_detect_mode(&mode, NULL), 0);
    assert_null(brig_cgroup_create(path, id, &r, false, &err));
    assert_false(dir_exists(memdir));
}

static void test_swap_and_memory_order(void **state)
{
    skip_unless_v1();
    _cleanup_free_ char *id = test_id();
    _cleanup_error_ brig_error err = NULL;
    struct brig_spec_resources r = {0};

    r.has_memory_limit = true;
    r.memory_limit = 64 << 20;
    r.has_memory_swap = true;
    r.memory_swap = 96 << 20;
    r.has_memory_reservation = true;
    r.memory_reservation = 32 << 20;
    r.has_memory_swappiness = true;
    r.memory_swappiness = 10;
    _cleanup_cgroup_ struct brig_cgroup *cg = brig_cgroup_create(NULL, id, &r, false, &err);
    if (cg == NULL)
        fail_msg("%s", err->msg);
    const struct brig_cg_hier *mem = brig_cg_find(cg, "memory");
    assert_file(mem->dir, "memory.soft_limit_in_bytes", "33554432");
    assert_file(mem->dir, "memory.swappiness", "10");
    if (brig_cg_exists(mem->dir, "memory.memsw.limit_in_bytes")) {
        assert_file(mem->dir, "memory.memsw.limit_in_bytes", "100663296");
        /* Growing both needs memsw raised first, shrinking the reverse. */
        r.memory_limit = 256 << 20;
        r.memory_swap = 512 << 20;
        if (brig_cgroup_update(cg, &r, &err) < 0)
            fail_msg("%s", err->msg);
        assert_file(mem->dir, "memory.limit_in_bytes", "268435456");
        assert_file(mem->dir, "memory.memsw.limit_in_bytes", "536870912");
        r.memory_limit = 32 << 20;
        r.memory_swap = 48 << 20;
        if (brig_cgroup_update(cg, &r, &err) < 0)
            fail_msg("%s", err->msg);
        assert_file(mem->dir, "memory.memsw.limit_in_bytes", "50331648");
        assert_file(mem->dir, "memory.limit_in_bytes", "33554432");
    } else {
        printf("# swap accounting off: memsw checks skipped\n");
    }
    assert_int_equal(brig_cgroup_destroy(cg, &err), 0);
    assert_destroyed(cg);
}

static void test_serialize_roundtrip(void **state)
{
    skip_unless_root();
    _cleanup_free_ char *id = test_id();
    _cleanup_error_ brig_error err = NULL;
    _cleanup_cgroup_ struct brig_cgroup *cg = brig_cgroup_create(NULL, id, NULL, false, &err);
    if (cg == NULL)
        fail_msg("%s", err->msg);
    _cleanup_free_ char *s = brig_cgroup_serialize(cg);
    _cleanup_cgroup_ struct brig_cgroup *back = brig_cgroup_deserialize(s, &err);
    if (back == NULL)
        fail_msg("%s", err->msg);
    _cleanup_free_ char *s2 = brig_cgroup_serialize(back);
    assert_string_equal(s, s2);
    assert_string_equal(brig_cgroup_path(cg), brig_cgroup_path(back));
    assert_int_equal(brig_cgroup_mode_of(cg), brig_cgroup_mode_of(back));
    assert_int_equal(cg->n_hiers, back->n_hiers);

    /* The loaded handle works on its own: enter, list, destroy. */
    struct spinner a = spawn_spinner();
    assert_int_equal(brig_cgroup_enter(back, a.pid, &err), 0);
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    assert_int_equal(brig_cgroup_pids(cg, &pids, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(pids[0], a.pid);
    reap(&a, 0);
    if (brig_cgroup_destroy(back, &err) < 0)
        fail_msg("%s", err->msg);
    assert_destroyed(cg);

    assert_null(brig_cgroup_deserialize("garbage", &err));
    assert_null(brig_cgroup_deserialize("brig-cgroup 1\nmode v2\nh\tunified\t1\t-\t/sys/fs/"
                                        "cgroup\t/../x\n",
                                        &err));
    assert_null(brig_cgroup_deserialize("", &err));
}

static void test_systemd_path(void **state)
{
    skip_unless_root();
    _cleanup_error_ brig_error err = NULL;
    _cleanup_free_ char *name = brig_xasprintf("t%d", (int)getpid());
    _cleanup_free_ char *spec = brig_xasprintf("brigtest-x.slice:brig:%s", name);
    _cleanup_free_ char *want =
        brig_xasprintf("/brigtest.slice/brigtest-x.slice/brig-%s.scope", name);
    _cleanup_cgroup_ struct brig_cgroup *cg = brig_cgroup_create(spec, "c1", NULL, true, &err);
    if (cg == NULL)
        fail_msg("%s", err->msg);
    assert_string_equal(brig_cgroup_path(cg), want);
    assert_true(dir_exists(cg->hiers[0].dir));
    assert_int_equal(brig_cgroup_destroy(cg, &err), 0);
    assert_destroyed(cg);
    /* The slices were created by us and are empty: gone too. */
    for (size_t i = 0; i < cg->n_hiers; i++) {
        _cleanup_free_ char *slice = brig_xasprintf("%s/brigtest.slice", cg->hiers[i].mountpoint);
        assert_false(dir_exists(slice));
    }
    assert_null(brig_cgroup_create("no-colons", "c1", NULL, true, &err));
    assert_non_null(strstr(err->msg, "slice:prefix:name"));
}

/* The v2 back end on the unified tree: freezer, kill, controllers. */
static bool have_unified(void)
{
    struct statfs sfs;
    if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
        return true;
    return statfs("/sys/fs/cgroup/unified", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

static void skip_unless_unified(void)
{
    skip_unless_root();
    if (!have_unified()) {
        printf("# skip: no cgroup2 mount on this host\n");
        skip();
    }
}

static void test_v2_backend(void **state)
{
    skip_unless_unified();
    _cleanup_error_ brig_error err = NULL;
    _cleanup_free_ char *path = brig_xasprintf("/brigtest-v2-%d/c", (int)getpid());
    _cleanup_cgroup_ struct brig_cgroup *cg =
        brig_cg_create_in(BRIG_CGROUP_V2, path, "c", NULL, false, &err);
    bool frozen;

    if (cg == NULL)
        fail_msg("%s", err->msg);
    assert_int_equal(cg->n_hiers, 1);
    assert_string_equal(brig_cgroup_path(cg), path);
    struct spinner a = spawn_spinner();
    assert_int_equal(brig_cgroup_enter(cg, a.pid, &err), 0);
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    assert_int_equal(brig_cgroup_pids(cg, &pids, &n, &err), 0);
    assert_int_equal(n, 1);

    if (brig_cgroup_freeze(cg, true, &err) < 0)
        fail_msg("%s", err->msg);
    assert_int_equal(brig_cgroup_is_frozen(cg, &frozen, &err), 0);
    assert_true(frozen);
    _cleanup_free_ char *ev = read_str(cg->hiers[0].dir, "cgroup.freeze");
    assert_string_equal(ev, "1");
    uint64_t c1 = *a.counter;
    sleep_ms(100);
    assert_true(*a.counter == c1);
    assert_int_equal(brig_cgroup_freeze(cg, false, &err), 0);
    sleep_ms(50);
    assert_true(*a.counter != c1);
    assert_int_equal(brig_cgroup_kill_all(cg, SIGKILL, &err), 0);
    reap(&a, SIGKILL);

    /* Unified keys are written verbatim, into the container's directory. */
    struct brig_spec_kv kv = {.key = "cgroup.max.descendants", .value = "5"};
    struct brig_spec_resources r = {.unified = &kv, .n_unified = 1};
    assert_int_equal(brig_cgroup_update(cg, &r, &err), 0);
    assert_file(cg->hiers[0].dir, "cgroup.max.descendants", "5");

    assert_int_equal(brig_cgroup_destroy(cg, &err), 0);
    assert_destroyed(cg);
    _cleanup_free_ char *parent =
        brig_xasprintf("%s/brigtest-v2-%d", cg->hiers[0].mountpoint, (int)getpid());
    assert_false(dir_exists(parent));

    /* A limit whose controller the tree lacks is refused by name, cleanly. */
    _cleanup_free_ char *ctrls = read_str(cg->hiers[0].mountpoint, "cgroup.controllers");
    if (strstr(ctrls, "pids") == NULL) {
        r = (struct brig_spec_resources){.has_pids_limit = true, .pids_limit = 5};
        assert_null(brig_cg_create_in(BRIG_CGROUP_V2, path, "c", &r, false, &err));
        assert_non_null(strstr(err->msg, "`pids` controller is not available"));
        assert_false(dir_exists(parent));
    }
}

static void test_conversions(void **state)
{
    assert_int_equal(brig_cg_shares_to_weight(2), 1);
    assert_int_equal(brig_cg_shares_to_weight(1024), 39);
    assert_int_equal(brig_cg_shares_to_weight(262144), 10000);
    assert_int_equal(brig_cg_blkio_to_io_weight(10), 1);
    assert_int_equal(brig_cg_blkio_to_io_weight(1000), 10000);
    assert_int_equal(brig_cg_blkio_to_io_weight(500), 1 + (490 * 9999) / 990);
}

/* Open /dev/kmsg (1:11, not in the default list) from inside `cg`:
 * returns 0 on success or the errno. */
static int try_open_in(struct brig_cgroup *cg, int flags)
{
    int pfd[2];
    pid_t pid;
    int st, e = -1;

    assert_int_equal(pipe(pfd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        close(pfd[1]);
        if (read(pfd[0], &c, 1) != 1)
            _exit(99);
        int fd = open("/dev/kmsg", flags | O_CLOEXEC);
        _exit(fd >= 0 ? 0 : errno);
    }
    close(pfd[0]);
    assert_int_equal(brig_cgroup_enter(cg, pid, NULL), 0);
    assert_int_equal(write(pfd[1], "x", 1), 1);
    close(pfd[1]);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    e = WEXITSTATUS(st);
    return e;
}

static void check_device_rules(enum brig_cgroup_mode mode)
{
    _cleanup_error_ brig_error err = NULL;
    _cleanup_free_ char *path = brig_xasprintf("/brigtest-dev-%d", (int)getpid());
    struct brig_spec_device_rule rules[3] = {
        {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
        {.allow = true, .type = 'c', .major = 1, .minor = 11, .access = "rw"},
        {.allow = false, .type = 'c', .major = 1, .minor = 11, .access = "w"},
    };
    struct brig_spec_resources r = {.devices = rules, .n_devices = 3};
    _cleanup_cgroup_ struct brig_cgroup *cg = brig_cg_create_in(mode, path, "c", &r, false, &err);

    if (cg == NULL)
        fail_msg("%s", err->msg);
    /* Allowed for read, the later rule takes write back. */
    assert_int_equal(try_open_in(cg, O_RDONLY), 0);
    assert_int_equal(try_open_in(cg, O_WRONLY), EPERM);
    assert_int_equal(try_open_in(cg, O_RDWR), EPERM);
    /* Only deny-all: kmsg is gone, the defaults (/dev/null) stay. */
    r.n_devices = 1;
    if (brig_cgroup_update(cg, &r, &err) < 0)
        fail_msg("%s", err->msg);
    assert_int_equal(try_open_in(cg, O_RDONLY), EPERM);
    {
        pid_t pid = fork();
        int st;
        if (pid == 0) {
            usleep(20000);
            _exit(open("/dev/null", O_WRONLY) >= 0 ? 0 : 1);
        }
        assert_int_equal(brig_cgroup_enter(cg, pid, NULL), 0);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    /* "a" allow then a type-specific deny: last match wins per bit. */
    rules[0] = (struct brig_spec_device_rule){
        .allow = true, .type = 'a', .major = -1, .minor = -1, .access = "rwm"};
    rules[1] = (struct brig_spec_device_rule){
        .allow = false, .type = 'c', .major = 1, .minor = -1, .access = "r"};
    r.n_devices = 2;
    if (brig_cgroup_update(cg, &r, &err) < 0)
        fail_msg("%s", err->msg);
    assert_int_equal(try_open_in(cg, O_RDONLY), EPERM);
    assert_int_equal(try_open_in(cg, O_WRONLY), 0);
    assert_int_equal(brig_cgroup_destroy(cg, &err), 0);
    assert_destroyed(cg);
}

static void test_devices_v1(void **state)
{
    skip_unless_v1();
    enum brig_cgroup_mode mode;
    assert_int_equal(brig_cgroup_detect_mode(&mode, NULL), 0);
    check_device_rules(mode);
}

static void test_devices_bpf(void **state)
{
    skip_unless_unified();
    check_device_rules(BRIG_CGROUP_V2);
}

/* Child: enter the cgroup, new mount + cgroup namespaces, mount the view
 * into a temp rootfs and check what the container would see. */
static int mount_child(struct brig_cgroup *cg, const char *root, bool new_cgroupns)
{
    _cleanup_error_ brig_error err = NULL;
    int rootfd;
    char p[4096];
    struct stat st;

    if (brig_cgroup_enter(cg, getpid(), &err) < 0)
        return 10;
    if (unshare(CLONE_NEWNS | (new_cgroupns ? CLONE_NEWCGROUP : 0)) < 0)
        return 11;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return 12;
    rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (brig_cgroup_mount(cg, rootfd, "/sys/fs/cgroup",
                          MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, new_cgroupns, &err) < 0) {
        fprintf(stderr, "# %s\n", err->msg);
        return 13;
    }
    for (size_t i = 0; i < cg->n_hiers; i++) {
        const struct brig_cg_hier *h = &cg->hiers[i];
        const char *name = cg->mode == BRIG_CGROUP_V2        ? ""
                           : h->kind == BRIG_CG_KIND_UNIFIED ? "/unified"
                           : h->kind == BRIG_CG_KIND_NAMED   ? h->controllers + 5
                                                             : h->controllers;
        char procs[4096], want[32];
        snprintf(p, sizeof(p), "%s/sys/fs/cgroup%s%s/cgroup.procs", root,
                 *name && name[0] != '/' ? "/" : "", name);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "# open %s: %s\n", p, strerror(errno));
            return 20;
        }
        ssize_t k = read(fd, procs, sizeof(procs) - 1);
        close(fd);
        procs[k > 0 ? k : 0] = '\0';
        /* The container sees itself (and only its cgroup) at the root. */
        snprintf(want, sizeof(want), "%d\n", (int)getpid());
        if (strstr(procs, want) == NULL) {
            fprintf(stderr, "# %s lacks %d: %s\n", p, (int)getpid(), procs);
            return 21;
        }
        if (open(p, O_WRONLY | O_CLOEXEC) >= 0 || errno != EROFS) {
            fprintf(stderr, "# %s is writable\n", p);
            return 22;
        }
    }
    if (cg->mode != BRIG_CGROUP_V2) {
        snprintf(p, sizeof(p), "%s/sys/fs/cgroup/memory/memory.limit_in_bytes", root);
        char buf[64] = {0};
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0 || strcmp(buf, "67108864\n") != 0)
            return 23;
        close(fd);
        snprintf(p, sizeof(p), "%s/sys/fs/cgroup/x", root);
        if (mkdir(p, 0755) == 0 || errno != EROFS)
            return 24;
    }
    if (lstat(root, &st) < 0)
        return 25;
    return 0;
}

static void check_mount(enum brig_cgroup_mode mode, bool new_cgroupns)
{
    _cleanup_error_ brig_error err = NULL;
    char root[] = "/tmp/brigtest-root-XXXXXX";
    struct brig_spec_resources r = {.has_memory_limit = true, .memory_limit = 64 << 20};
    _cleanup_free_ char *path = brig_xasprintf("/brigtest-mnt-%d", (int)getpid());
    _cleanup_cgroup_ struct brig_cgroup *cg =
        brig_cg_create_in(mode, path, "c", mode == BRIG_CGROUP_V2 ? NULL : &r, false, &err);
    pid_t pid;
    int st;

    if (cg == NULL)
        fail_msg("%s", err->msg);
    assert_non_null(mkdtemp(root));
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(mount_child(cg, root, new_cgroupns));
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(brig_cgroup_destroy(cg, &err), 0);
    /* The mounts lived in the child's namespace; only empty dirs remain. */
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -r '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static void test_mount_v1_cgroupns(void **state)
{
    skip_unless_v1();
    enum brig_cgroup_mode mode;
    assert_int_equal(brig_cgroup_detect_mode(&mode, NULL), 0);
    check_mount(mode, true);
}

static void test_mount_v1_bind(void **state)
{
    skip_unless_v1();
    enum brig_cgroup_mode mode;
    assert_int_equal(brig_cgroup_detect_mode(&mode, NULL), 0);
    check_mount(mode, false);
}

static void test_mount_v2(void **state)
{
    skip_unless_unified();
    check_mount(BRIG_CGROUP_V2, true);
    check_mount(BRIG_CGROUP_V2, false);
}

/* The v2 tests enable controllers on the unified root (as create does on a
 * v2 host); put the host's root back the way it was. */
static char *unified_root_before;

static int save_unified_root(void **state)
{
    if (have_unified() && geteuid() == 0) {
        const char *root = brig_cg_exists("/sys/fs/cgroup/unified", "cgroup.subtree_control")
                               ? "/sys/fs/cgroup/unified"
                               : "/sys/fs/cgroup";
        if (brig_cg_read(root, "cgroup.subtree_control", &unified_root_before, NULL) < 0)
            unified_root_before = NULL;
    }
    return 0;
}

static int restore_unified_root(void **state)
{
    const char *root = brig_cg_exists("/sys/fs/cgroup/unified", "cgroup.subtree_control")
                           ? "/sys/fs/cgroup/unified"
                           : "/sys/fs/cgroup";
    _cleanup_free_ char *now = NULL;

    if (unified_root_before == NULL || brig_cg_read(root, "cgroup.subtree_control", &now, NULL) < 0)
        return 0;
    for (char *save = NULL, *c = strtok_r(now, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
        char buf[64];
        if (strstr(unified_root_before, c) != NULL)
            continue;
        snprintf(buf, sizeof(buf), "-%s", c);
        (void)brig_cg_write(root, "cgroup.subtree_control", buf, NULL);
    }
    free(unified_root_before);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_detect_mode),
        cmocka_unit_test(test_create_limits_update_destroy),
        cmocka_unit_test(test_enter_pids_freeze_kill),
        cmocka_unit_test(test_bad_values_leave_nothing),
        cmocka_unit_test(test_swap_and_memory_order),
        cmocka_unit_test(test_serialize_roundtrip),
        cmocka_unit_test(test_systemd_path),
        cmocka_unit_test(test_v2_backend),
        cmocka_unit_test(test_devices_v1),
        cmocka_unit_test(test_devices_bpf),
        cmocka_unit_test(test_mount_v1_cgroupns),
        cmocka_unit_test(test_mount_v1_bind),
        cmocka_unit_test(test_mount_v2),
    };
    return cmocka_run_group_tests(tests, save_unified_root, restore_unified_root);
}

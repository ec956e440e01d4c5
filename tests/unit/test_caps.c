/* caps: every case runs in a forked child (credentials changes are one-way)
 * and checks the kernel's own view, /proc/self/status, afterwards.  Children
 * report through their exit status and print why on stderr; cmocka asserts
 * stay in the parent. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox/caps.h"

#define BIT(c) (1ULL << (c))

static uint64_t status_mask(const char *key)
{
    char line[256];
    uint64_t v = UINT64_MAX;
    FILE *f = fopen("/proc/self/status", "re");
    size_t klen = strlen(key);

    if (f == NULL)
        return v;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, key, klen) == 0 && line[klen] == ':')
            v = strtoull(line + klen + 1, NULL, 16);
    fclose(f);
    return v;
}

static int expect_masks(const struct brig_spec_caps *want)
{
    const struct {
        const char *key;
        uint64_t want;
    } checks[] = {
        {"CapBnd", want->bounding},    {"CapEff", want->effective}, {"CapPrm", want->permitted},
        {"CapInh", want->inheritable}, {"CapAmb", want->ambient},
    };
    int bad = 0;

    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        uint64_t got = status_mask(checks[i].key);

        if (got != checks[i].want) {
            fprintf(stderr, "# %s: got %016llx, want %016llx\n", checks[i].key,
                    (unsigned long long)got, (unsigned long long)checks[i].want);
            bad = 1;
        }
    }
    return bad;
}

static int run_child(int (*fn)(void *), void *arg)
{
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        fflush(stderr);
        _exit(fn(arg));
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int apply_or_report(const struct brig_spec_caps *caps, const struct brig_spec_user *user)
{
    brig_error err = NULL;

    if (brig_caps_apply(caps, user, false, &err) < 0) {
        fprintf(stderr, "# apply: %s\n", err->msg);
        return -1;
    }
    return 0;
}

static void skip_unless_root(void)
{
    if (geteuid() != 0) {
        printf("# skipped: needs root to change capabilities and ids\n");
        skip();
    }
}

static int child_small_set(void *arg)
{
    struct brig_spec_caps caps = {
        .bounding = BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE),
        .permitted = BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE),
        .effective = BIT(CAP_CHOWN) | BIT(CAP_KILL),
        .inheritable = BIT(CAP_KILL),
        .ambient = BIT(CAP_KILL),
    };

    if (apply_or_report(&caps, NULL) < 0)
        return 10;
    return expect_masks(&caps);
}

static void test_small_set(void **state)
{
    skip_unless_root();
    assert_int_equal(run_child(child_small_set, NULL), 0);
}

static int child_user_switch(void *arg)
{
    uint32_t gids[] = {10, 20};
    struct brig_spec_user user = {
        .uid = 1000, .gid = 1000, .additional_gids = gids, .n_additional_gids = 2};
    struct brig_spec_caps caps = {
        .bounding = BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_NET_RAW),
        .permitted = BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE),
        .effective = BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE),
    };
    uid_t r, e, s;
    gid_t rg, eg, sg, groups[8];
    int n;

    if (apply_or_report(&caps, &user) < 0)
        return 10;
    if (getresuid(&r, &e, &s) < 0 || r != 1000 || e != 1000 || s != 1000)
        return 11;
    if (getresgid(&rg, &eg, &sg) < 0 || rg != 1000 || eg != 1000 || sg != 1000)
        return 12;
    n = getgroups(8, groups);
    if (n != 2 || groups[0] != 10 || groups[1] != 20)
        return 13;
    /* KEEPCAPS is a transient for the switch only. */
    if (prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) != 0)
        return 14;
    return expect_masks(&caps);
}

static void test_user_switch_keeps_caps(void **state)
{
    skip_unless_root();
    assert_int_equal(run_child(child_user_switch, NULL), 0);
}

/* Switching to a user with no capabilities leaves none, and no
 * supplementary group of the runtime (root has some) survives. */
static int child_user_no_caps(void *arg)
{
    struct brig_spec_user user = {.uid = 1000, .gid = 1000};
    struct brig_spec_caps caps = {0};
    gid_t groups[8];

    if (setgroups(1, (gid_t[]){4}) < 0)
        return 20;
    if (apply_or_report(&caps, &user) < 0)
        return 10;
    if (getgroups(8, groups) != 0)
        return 11;
    if (getuid() != 1000 || getgid() != 1000)
        return 12;
    return expect_masks(&caps);
}

static void test_user_no_caps(void **state)
{
    skip_unless_root();
    assert_int_equal(run_child(child_user_no_caps, NULL), 0);
}

/* Start with CAP_NET_RAW inheritable and ambient, as a runtime started by
 * a careless parent would; the spec names neither, so both must go. */
static int child_no_leak(void *arg)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct data[2];
    struct brig_spec_caps caps = {
        .bounding = BIT(CAP_CHOWN) | BIT(CAP_NET_RAW) | BIT(CAP_SETUID),
        .permitted = BIT(CAP_CHOWN) | BIT(CAP_NET_RAW),
        .effective = BIT(CAP_CHOWN) | BIT(CAP_NET_RAW),
    };

    if (syscall(SYS_capget, &hdr, data) < 0)
        return 20;
    data[0].inheritable |= 1u << CAP_NET_RAW;
    if (syscall(SYS_capset, &hdr, data) < 0)
        return 21;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) < 0)
        return 22;
    if (status_mask("CapInh") != BIT(CAP_NET_RAW) || status_mask("CapAmb") != BIT(CAP_NET_RAW))
        return 23;
    if (apply_or_report(&caps, NULL) < 0)
        return 10;
    return expect_masks(&caps);
}

static void test_no_inheritable_or_ambient_leak(void **state)
{
    skip_unless_root();
    assert_int_equal(run_child(child_no_leak, NULL), 0);
}

/* Bits the kernel does not know are ignored, not errors. */
static int child_unknown_bits(void *arg)
{
    int last = brig_caps_last_cap();
    uint64_t known = last >= 63 ? ~0ULL : BIT(last + 1) - 1;
    /* What this process holds (the test may run with a reduced set), plus
     * every bit above the kernel's last capability. */
    uint64_t held = status_mask("CapPrm");
    struct brig_spec_caps caps = {
        .bounding = ~0ULL, .permitted = held | ~known, .effective = held | ~known};
    struct brig_spec_caps want = {
        .bounding = status_mask("CapBnd"), .permitted = held, .effective = held};

    if (apply_or_report(&caps, NULL) < 0)
        return 10;
    return expect_masks(&want);
}

static void test_unknown_bits_ignored(void **state)
{
    skip_unless_root();
    assert_int_equal(run_child(child_unknown_bits, NULL), 0);
}

/* Ambient needs the cap in inheritable: the error names the capability. */
static int child_ambient_error(void *arg)
{
    struct brig_spec_caps caps = {
        .bounding = BIT(CAP_NET_RAW),
        .permitted = BIT(CAP_NET_RAW),
        .effective = BIT(CAP_NET_RAW),
        .ambient = BIT(CAP_NET_RAW),
    };
    brig_error err = NULL;

    /* Not inheritable: not raised, and not an error (runc's behaviour for
     * the ambient list `runc spec` writes). */
    if (brig_caps_apply(&caps, NULL, false, &err) < 0) {
        fprintf(stderr, "# unexpected error: %s\n", err->msg);
        brig_error_free(&err);
        return 10;
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0) != 0)
        return 11;
    return 0;
}

static void test_ambient_needs_inheritable(void **state)
{
    skip_unless_root();
    assert_int_equal(run_child(child_ambient_error, NULL), 0);
}

/* Effective beyond permitted is the kernel's EPERM, reported. */
static int child_effective_error(void *arg)
{
    struct brig_spec_caps caps = {
        .bounding = BIT(CAP_CHOWN) | BIT(CAP_KILL),
        .permitted = BIT(CAP_CHOWN),
        .effective = BIT(CAP_CHOWN) | BIT(CAP_KILL),
    };
    brig_error err = NULL;

    if (brig_caps_apply(&caps, NULL, false, &err) == 0)
        return 10;
    if (strstr(err->msg, "set capabilities") == NULL || err->errnum != EPERM)
        return 11;
    brig_error_free(&err);
    return 0;
}

static void test_effective_beyond_permitted(void **state)
{
    skip_unless_root();
    assert_int_equal(run_child(child_effective_error, NULL), 0);
}

static void test_last_cap(void **state)
{
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
    int want = -1;
    int last = brig_caps_last_cap();

    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d", &want), 1);
    fclose(f);
    assert_int_equal(last, want);
    assert_true(prctl(PR_CAPBSET_READ, (unsigned long)last, 0, 0, 0) >= 0);
    assert_int_equal(prctl(PR_CAPBSET_READ, (unsigned long)last + 1, 0, 0, 0), -1);
    assert_int_equal(errno, EINVAL);
}

/* set_user alone, with setgroups skipped as in a user namespace that
 * denies it: the groups stay what they were. */
static int child_set_user_deny_setgroups(void *arg)
{
    struct brig_spec_user user = {.uid = 1001, .gid = 1002};
    brig_error err = NULL;
    gid_t groups[8];

    if (setgroups(1, (gid_t[]){7}) < 0)
        return 20;
    if (brig_caps_set_user(&user, true, &err) < 0) {
        fprintf(stderr, "# set_user: %s\n", err->msg);
        return 10;
    }
    if (getuid() != 1001 || geteuid() != 1001 || getgid() != 1002 || getegid() != 1002)
        return 11;
    if (getgroups(8, groups) != 1 || groups[0] != 7)
        return 12;
    return 0;
}

static void test_set_user_deny_setgroups(void **state)
{
    skip_unless_root();
    assert_int_equal(run_child(child_set_user_deny_setgroups, NULL), 0);
}

static int write_proc(const char *path, const char *s)
{
    FILE *f = fopen(path, "we");
    int r;

    if (f == NULL)
        return -1;
    r = fputs(s, f) < 0 ? -1 : 0;
    if (fclose(f) != 0)
        r = -1;
    return r;
}

/* In a user namespace whose setgroups is "deny", apply still switches ids
 * and skips the additional gids, as runc and crun do. */
static int child_userns_setgroups_denied(void *arg)
{
    uint32_t gids[] = {10};
    struct brig_spec_user user = {
        .uid = 0, .gid = 0, .additional_gids = gids, .n_additional_gids = 1};
    struct brig_spec_caps caps = {
        .bounding = BIT(CAP_CHOWN), .permitted = BIT(CAP_CHOWN), .effective = BIT(CAP_CHOWN)};
    brig_error err = NULL;
    int procfd;

    if (unshare(CLONE_NEWUSER) < 0)
        return 30;
    if (write_proc("/proc/self/setgroups", "deny") < 0)
        return 31;
    if (write_proc("/proc/self/uid_map", "0 0 1") < 0 ||
        write_proc("/proc/self/gid_map", "0 0 1") < 0)
        return 32;
    /* The caller decides from the host's /proc (here the test's own). */
    procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (procfd < 0 || !brig_caps_setgroups_denied(procfd, 0))
        return 33;
    close(procfd);
    if (brig_caps_apply(&caps, &user, true, &err) < 0) {
        fprintf(stderr, "# apply: %s\n", err->msg);
        return 10;
    }
    if (getuid() != 0 || getgid() != 0)
        return 11;
    return expect_masks(&caps);
}

static void test_userns_setgroups_denied(void **state)
{
    skip_unless_root();
    assert_int_equal(run_child(child_userns_setgroups_denied, NULL), 0);
}

/* A container with CAP_SYS_ADMIN can put its own cap_last_cap over
 * /proc/sys/kernel; an exec'd process asks in that mount namespace.  The
 * last capability must come from the kernel all the same.  Runs first, in
 * a child, so no earlier call has cached the answer. */
static int child_fake_cap_last_cap(void *arg)
{
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
    char buf[8] = {0};
    int real = -1, fd;

    if (f == NULL || fscanf(f, "%d", &real) != 1)
        return 20;
    fclose(f);
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return 21;
    if (mount("tmpfs", "/proc/sys/kernel", "tmpfs", 0, "mode=755") < 0)
        return 22;
    if (write_proc("/proc/sys/kernel/cap_last_cap", "5\n") < 0)
        return 23;
    /* The attack reached its target: the file now says 5. */
    fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0 || strcmp(buf, "5\n") != 0)
        return 24;
    close(fd);
    if (brig_caps_last_cap() != real) {
        fprintf(stderr, "# last cap %d, the kernel's is %d\n", brig_caps_last_cap(), real);
        return 10;
    }
    return 0;
}

static void test_last_cap_not_from_proc(void **state)
{
    skip_unless_root();
    assert_int_equal(run_child(child_fake_cap_last_cap, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_last_cap_not_from_proc),
        cmocka_unit_test(test_last_cap),
        cmocka_unit_test(test_small_set),
        cmocka_unit_test(test_user_switch_keeps_caps),
        cmocka_unit_test(test_user_no_caps),
        cmocka_unit_test(test_no_inheritable_or_ambient_leak),
        cmocka_unit_test(test_unknown_bits_ignored),
        cmocka_unit_test(test_ambient_needs_inheritable),
        cmocka_unit_test(test_effective_beyond_permitted),
        cmocka_unit_test(test_set_user_deny_setgroups),
        cmocka_unit_test(test_userns_setgroups_denied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

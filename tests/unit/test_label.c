/* label: mount data strings everywhere; the no-op contract where SELinux
 * is off (this host); the real writes where it is on (the SELinux VM);
 * the session keyring on both. */
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <selinux/selinux.h>
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "selinux/label.h"

#define BRIG_N(a) (sizeof(a) / sizeof((a)[0]))

static void check_mount_data(const char *data, const char *label, const char *want)
{
    char *got = brig_label_mount_data(data, label);

    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_mount_data(void **state)
{
    const char *l = "system_u:object_r:container_file_t:s0:c1,c2";

    check_mount_data(NULL, NULL, NULL);
    check_mount_data("mode=755", NULL, "mode=755");
    check_mount_data("mode=755", "", "mode=755");
    check_mount_data("", NULL, "");
    check_mount_data(NULL, l, "context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
    check_mount_data("", l, "context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
    check_mount_data(
        "mode=755,size=65536k", l,
        "mode=755,size=65536k,context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
}

static void test_enabled_matches_libselinux(void **state)
{
    assert_int_equal(brig_selinux_enabled(), is_selinux_enabled() == 1);
    /* cached: same answer again */
    assert_int_equal(brig_selinux_enabled(), is_selinux_enabled() == 1);
}

static void skip_if_enabled(void)
{
    if (brig_selinux_enabled()) {
        printf("# skipped: SELinux is enabled here; this checks the disabled-host no-ops\n");
        skip();
    }
}

static void skip_if_disabled(void)
{
    if (!brig_selinux_enabled()) {
        printf("# skipped: SELinux is not enabled on this host (runs in the SELinux VM)\n");
        skip();
    }
}

static void test_disabled_noops(void **state)
{
    brig_error err = NULL;

    skip_if_enabled();
    assert_int_equal(brig_label_validate("not-a-context", &err), 0);
    assert_int_equal(brig_label_validate("system_u:system_r:container_t:s0:c1,c2", &err), 0);
    assert_int_equal(brig_label_set_exec("system_u:system_r:container_t:s0:c1,c2", &err), 0);
    assert_null(err);
    assert_null(brig_label_of_pid(getpid()));
    assert_null(brig_label_of_pid(1));
}

static bool in_userns(void)
{
    unsigned long a = 1, b = 1, c = 0;
    FILE *f = fopen("/proc/self/uid_map", "re");

    if (f == NULL)
        return false;
    if (fscanf(f, "%lu %lu %lu", &a, &b, &c) != 3)
        a = 1;
    fclose(f);
    return !(a == 0 && b == 0 && c == 4294967295UL);
}

static long session_keyring_id(void)
{
    return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
}

static int keyring_desc(long id, char *buf, size_t len)
{
    long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, buf, len);

    return n < 0 || (size_t)n > len ? -1 : 0;
}

/* Joining leaves the inherited keyring for a new one of that name, with
 * the search bit for its owner added. */
static int child_join(void)
{
    char name[64], desc[512], want_suffix[80];
    brig_error err = NULL;
    long before, after;
    unsigned long perm;
    char *p;

    snprintf(name, sizeof(name), "_ses.brig-test-%d", getpid());
    before = session_keyring_id();
    if (brig_keyring_join_new(name, &err) < 0) {
        fprintf(stderr, "# join: %s\n", err->msg);
        return 10;
    }
    after = session_keyring_id();
    if (after < 0 || after == before)
        return 11;
    if (keyring_desc(after, desc, sizeof(desc)) < 0)
        return 12;
    snprintf(want_suffix, sizeof(want_suffix), ";%s", name);
    if (strncmp(desc, "keyring;", 8) != 0 || strlen(desc) < strlen(want_suffix) ||
        strcmp(desc + strlen(desc) - strlen(want_suffix), want_suffix) != 0) {
        fprintf(stderr, "# describe: %s\n", desc);
        return 13;
    }
    p = desc;
    for (int i = 0; i < 3; i++)
        p = strchr(p, ';') + 1;
    perm = strtoul(p, NULL, 16);
    /* search for the owner uid, or for "other" inside a user namespace */
    if (!(perm & (in_userns() ? 0x8UL : 0x00080000UL)))
        return 14;
    /* The possessor (this process) keeps full access. */
    if ((perm & 0x3f000000UL) != 0x3f000000UL)
        return 15;
    return 0;
}

/* set_keyring with no label (or SELinux off) still gives a fresh,
 * anonymous session keyring. */
static int child_set_keyring(void)
{
    brig_error err = NULL;
    long before = session_keyring_id(), after;
    char desc[512];

    if (brig_label_set_keyring(NULL, &err) < 0) {
        fprintf(stderr, "# set_keyring: %s\n", err->msg);
        return 10;
    }
    after = session_keyring_id();
    if (after < 0 || after == before)
        return 11;
    if (keyring_desc(after, desc, sizeof(desc)) < 0)
        return 12;
    if (strstr(desc, ";_ses") == NULL) {
        fprintf(stderr, "# describe: %s\n", desc);
        return 13;
    }
    return 0;
}

static int run_child(int (*fn)(void))
{
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        int r = fn();

        fflush(stderr);
        _exit(r);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void skip_without_keyrings(void)
{
    if (session_keyring_id() < 0 && errno == ENOSYS) {
        printf("# skipped: kernel without keyrings (CONFIG_KEYS)\n");
        skip();
    }
}

static void test_keyring_join(void **state)
{
    skip_without_keyrings();
    assert_int_equal(run_child(child_join), 0);
}

static void test_set_keyring(void **state)
{
    skip_without_keyrings();
    assert_int_equal(run_child(child_set_keyring), 0);
}

/* --- SELinux enabled (VM) --- */

static void test_enabled_validate(void **state)
{
    brig_error err = NULL;
    char *con = NULL;

    skip_if_disabled();
    assert_int_equal(brig_label_validate("brig_u:brig_r:no_such_type_t:s0", &err), -1);
    assert_string_equal(err->msg, "SELinux label `brig_u:brig_r:no_such_type_t:s0`: invalid "
                                  "context (not defined by the loaded policy)");
    brig_error_free(&err);
    assert_int_equal(getcon(&con), 0);
    assert_int_equal(brig_label_validate(con, &err), 0);
    freecon(con);
}

static void test_enabled_label_of_pid(void **state)
{
    char *con = NULL, *got;

    skip_if_disabled();
    assert_int_equal(getcon(&con), 0);
    got = brig_label_of_pid(getpid());
    assert_non_null(got);
    assert_string_equal(got, con);
    free(got);
    freecon(con);
}

/* Setting our own context as the exec label must be accepted and read
 * back through attr/exec. */
static int child_set_exec(void)
{
    brig_error err = NULL;
    char *con = NULL, *exec_con = NULL;

    if (getcon(&con) < 0)
        return 20;
    if (brig_label_set_exec(con, &err) < 0) {
        fprintf(stderr, "# set_exec: %s\n", err->msg);
        return 10;
    }
    if (getexeccon(&exec_con) < 0 || exec_con == NULL || strcmp(exec_con, con) != 0)
        return 11;
    return 0;
}

static void test_enabled_set_exec(void **state)
{
    skip_if_disabled();
    assert_int_equal(run_child(child_set_exec), 0);
}

/* A tmpfs over /proc holding a plain attr/exec file is refused. */
static int child_fake_proc(void)
{
    brig_error err = NULL;
    int fd;

    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return 20;
    if (mount("tmpfs", "/proc", "tmpfs", 0, NULL) < 0)
        return 21;
    if (mkdir("/proc/thread-self", 0755) < 0 || mkdir("/proc/thread-self/attr", 0755) < 0)
        return 22;
    fd = open("/proc/thread-self/attr/exec", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return 23;
    close(fd);
    if (brig_label_set_exec("system_u:system_r:container_t:s0:c1,c2", &err) == 0)
        return 10;
    if (strcmp(err->msg, "open `/proc/thread-self/attr/exec`: is not on procfs") != 0) {
        fprintf(stderr, "# error: %s\n", err->msg);
        return 11;
    }
    return 0;
}

static void test_enabled_set_exec_refuses_fake_proc(void **state)
{
    skip_if_disabled();
    assert_int_equal(run_child(child_fake_proc), 0);
}

/* Every test is in the plan: one this host cannot run is a counted skip
 * that prints why (tests/run-all.sh counts cmocka's "not ok N # SKIP" as a
 * skip), so none vanishes from the tally. */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mount_data),
        cmocka_unit_test(test_enabled_matches_libselinux),
        cmocka_unit_test(test_keyring_join),
        cmocka_unit_test(test_set_keyring),
        cmocka_unit_test(test_disabled_noops),
        cmocka_unit_test(test_enabled_validate),
        cmocka_unit_test(test_enabled_label_of_pid),
        cmocka_unit_test(test_enabled_set_exec),
        cmocka_unit_test(test_enabled_set_exec_refuses_fake_proc),
    };
    return cmocka_run_group_tests_name("label", tests, NULL, NULL);
}

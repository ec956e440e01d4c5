/* seccomp: profiles are compiled to BPF, then loaded in a forked child
 * that proves the filter does what the profile says.  cmocka asserts run in
 * the parent only: a failing assert in a child would carry on the test run
 * there, so children report through their exit status. */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox/seccomp.h"

static struct brig_seccomp_filter *compile_ok(const struct brig_spec_seccomp *sc)
{
    struct brig_seccomp_filter *f = NULL;
    brig_error err = NULL;

    if (brig_seccomp_compile(sc, &f, &err) < 0)
        fail_msg("compile: %s", err->msg);
    assert_non_null(f);
    assert_true(brig_seccomp_instructions(f) > 0);
    return f;
}

static char *compile_err(const struct brig_spec_seccomp *sc)
{
    struct brig_seccomp_filter *f = NULL;
    brig_error err = NULL;
    char *msg;

    assert_int_equal(brig_seccomp_compile(sc, &f, &err), -1);
    assert_null(f);
    assert_non_null(err);
    msg = strdup(err->msg);
    brig_error_free(&err);
    return msg;
}

/* Load `f` in a child (with no_new_privs, as the container process has it),
 * run `check`, return its exit status.  100 = the load itself failed. */
static int in_filtered_child(const struct brig_seccomp_filter *f, int (*check)(void))
{
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        brig_error err = NULL;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            _exit(101);
        if (brig_seccomp_load(f, &err) < 0)
            _exit(100);
        /* exit_group directly: ASan's _exit interceptor would run the leak
         * checker, whose ptrace/clone the filter may deny, and spin. */
        syscall(SYS_exit_group, check());
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static char *mkdirat_names[] = {"mkdirat", NULL};
static char *personality_names[] = {"personality", NULL};

/* mkdirat fails with the profile's errno; other syscalls still work. */
static int check_mkdirat_denied(void)
{
    errno = 0;
    if (syscall(SYS_mkdirat, AT_FDCWD, "/tmp/brig-seccomp-never", 0700) != -1)
        return 1;
    if (errno != 42)
        return 2;
    if (syscall(SYS_getpid) != getpid())
        return 3;
    if (syscall(SYS_getppid) <= 0)
        return 4;
    return 0;
}

static void test_errno_rule(void **state)
{
    struct brig_seccomp_rule rule = {.names = mkdirat_names, .action = SCMP_ACT_ERRNO(42)};
    struct brig_spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .rules = &rule, .n_rules = 1};
    struct brig_seccomp_filter *f = compile_ok(&sc);

    assert_int_equal(in_filtered_child(f, check_mkdirat_denied), 0);
    brig_seccomp_free(f);
}

static int check_eperm(void)
{
    errno = 0;
    if (syscall(SYS_mkdirat, AT_FDCWD, "/tmp/brig-seccomp-never", 0700) != -1 || errno != EPERM)
        return 1;
    return 0;
}

static void test_errno_eperm(void **state)
{
    struct brig_seccomp_rule rule = {.names = mkdirat_names, .action = SCMP_ACT_ERRNO(EPERM)};
    struct brig_spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .rules = &rule, .n_rules = 1};
    struct brig_seccomp_filter *f = compile_ok(&sc);

    assert_int_equal(in_filtered_child(f, check_eperm), 0);
    brig_seccomp_free(f);
}

/* personality(0xffffffff) only queries, so it is safe to deny and to call. */
static int check_personality_query_denied(void)
{
    errno = 0;
    if (syscall(SYS_personality, 0xffffffffUL) != -1 || errno != EPERM)
        return 1;
    if (syscall(SYS_personality, (unsigned long)PER_LINUX) < 0)
        return 2;
    return 0;
}

static void test_argument_condition(void **state)
{
    struct brig_seccomp_arg arg = {.index = 0, .value = 0xffffffffULL, .op = BRIG_SCMP_CMP_EQ};
    struct brig_seccomp_rule rule = {
        .names = personality_names, .action = SCMP_ACT_ERRNO(EPERM), .args = &arg, .n_args = 1};
    struct brig_spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .rules = &rule, .n_rules = 1};
    struct brig_seccomp_filter *f = compile_ok(&sc);

    assert_int_equal(in_filtered_child(f, check_personality_query_denied), 0);
    brig_seccomp_free(f);
}

/* Two conditions on the same argument: each is its own rule, so either one
 * matching denies (a single rule would need arg0 to equal both values). */
static int check_either_value_denied(void)
{
    errno = 0;
    if (syscall(SYS_personality, 0xffffffffUL) != -1 || errno != EPERM)
        return 1;
    errno = 0;
    if (syscall(SYS_personality, (unsigned long)PER_LINUX32) != -1 || errno != EPERM)
        return 2;
    if (syscall(SYS_personality, (unsigned long)PER_LINUX) < 0)
        return 3;
    return 0;
}

static void test_same_index_args_or(void **state)
{
    struct brig_seccomp_arg args[] = {
        {.index = 0, .value = 0xffffffffULL, .op = BRIG_SCMP_CMP_EQ},
        {.index = 0, .value = PER_LINUX32, .op = BRIG_SCMP_CMP_EQ},
    };
    struct brig_seccomp_rule rule = {
        .names = personality_names, .action = SCMP_ACT_ERRNO(EPERM), .args = args, .n_args = 2};
    struct brig_spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .rules = &rule, .n_rules = 1};
    struct brig_seccomp_filter *f = compile_ok(&sc);

    assert_int_equal(in_filtered_child(f, check_either_value_denied), 0);
    brig_seccomp_free(f);
}

/* MASKED_EQ: value is the mask, valueTwo the expected result. */
static int check_masked(void)
{
    errno = 0;
    if (syscall(SYS_personality, (unsigned long)PER_LINUX32) != -1 || errno != EPERM)
        return 1;
    if (syscall(SYS_personality, (unsigned long)PER_LINUX) < 0)
        return 2;
    return 0;
}

static void test_masked_eq(void **state)
{
    struct brig_seccomp_arg arg = {
        .index = 0, .value = 0xff, .value_two = PER_LINUX32, .op = BRIG_SCMP_CMP_MASKED_EQ};
    struct brig_seccomp_rule rule = {
        .names = personality_names, .action = SCMP_ACT_ERRNO(EPERM), .args = &arg, .n_args = 1};
    struct brig_spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .rules = &rule, .n_rules = 1};
    struct brig_seccomp_filter *f = compile_ok(&sc);

    assert_int_equal(in_filtered_child(f, check_masked), 0);
    brig_seccomp_free(f);
}

/* Only what the allowlist names works; the child touches nothing else
 * before _exit (exit_group). */
static int check_allowlist(void)
{
    errno = 0;
    if (syscall(SYS_getppid) != -1 || errno != EPERM)
        return 1;
    if (syscall(SYS_getpid) <= 0)
        return 2;
    return 0;
}

static void test_default_errno_allowlist(void **state)
{
    static char *allowed[] = {"getpid", "exit_group", "exit", "rt_sigreturn", NULL};
    struct brig_seccomp_rule rule = {.names = allowed, .action = SCMP_ACT_ALLOW};
    struct brig_spec_seccomp sc = {
        .default_action = SCMP_ACT_ERRNO(EPERM), .rules = &rule, .n_rules = 1};
    struct brig_seccomp_filter *f = compile_ok(&sc);

    assert_int_equal(in_filtered_child(f, check_allowlist), 0);
    brig_seccomp_free(f);
}

/* The cache: a second compile of the same profile is read back and equal;
 * a different profile (one more errno) is not taken for it; a damaged
 * cache file costs a compile, never a wrong program. */
static void test_compile_cache(void **state)
{
    static char *names[] = {"mkdirat", NULL};
    struct brig_seccomp_rule rule = {.names = names, .action = SCMP_ACT_ERRNO(42)};
    struct brig_spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .rules = &rule, .n_rules = 1};
    struct brig_seccomp_filter *a = NULL, *b = NULL, *c = NULL;
    char dir[] = "/tmp/brig-test-seccomp-XXXXXX";
    brig_error err = NULL;
    int rootfd;

    assert_non_null(mkdtemp(dir));
    rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(rootfd >= 0);
    assert_int_equal(brig_seccomp_compile_cached(rootfd, &sc, &a, &err), 0);
    assert_int_equal(brig_seccomp_compile_cached(rootfd, &sc, &b, &err), 0);
    assert_int_equal(brig_seccomp_instructions(a), brig_seccomp_instructions(b));
    assert_int_equal(in_filtered_child(b, check_mkdirat_denied), 0);

    rule.action = SCMP_ACT_ERRNO(43);
    assert_int_equal(brig_seccomp_compile_cached(rootfd, &sc, &c, &err), 0);
    assert_int_not_equal(in_filtered_child(c, check_mkdirat_denied), 0);
    brig_seccomp_free(c);
    c = NULL;

    /* damage every cache file (its key intact, its program one instruction
     * short): the next compile still gives errno 42 */
    rule.action = SCMP_ACT_ERRNO(42);
    {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "for f in %s/@seccomp/*; do truncate -s -8 $f; done", dir);
        assert_int_equal(system(cmd), 0);
    }
    assert_int_equal(brig_seccomp_compile_cached(rootfd, &sc, &c, &err), 0);
    assert_int_equal(in_filtered_child(c, check_mkdirat_denied), 0);
    brig_seccomp_free(a);
    brig_seccomp_free(b);
    brig_seccomp_free(c);
    close(rootfd);
    {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
}

static void test_unknown_syscall_skipped(void **state)
{
    static char *names[] = {"brig_no_such_syscall", "mkdirat", NULL};
    struct brig_seccomp_rule rule = {.names = names, .action = SCMP_ACT_ERRNO(42)};
    struct brig_spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .rules = &rule, .n_rules = 1};
    struct brig_seccomp_filter *f = compile_ok(&sc);

    assert_int_equal(in_filtered_child(f, check_mkdirat_denied), 0);
    brig_seccomp_free(f);
}

/* A rule with the default action would be refused by libseccomp; it means
 * nothing, so it is dropped.  socketcall does not exist on x86_64 (a
 * libseccomp pseudo-syscall there) and must not break the profile either. */
static void test_default_action_rule_and_pseudo_syscall(void **state)
{
    static char *names[] = {"socketcall", "ipc", NULL};
    struct brig_seccomp_rule rules[] = {
        {.names = mkdirat_names, .action = SCMP_ACT_ALLOW},
        {.names = names, .action = SCMP_ACT_ERRNO(EPERM)},
    };
    struct brig_spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .rules = rules, .n_rules = 2};
    struct brig_seccomp_filter *f = compile_ok(&sc);

    brig_seccomp_free(f);
}

static void test_bad_flag(void **state)
{
    static char *flags[] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS", NULL};
    struct brig_spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .flags = flags};
    char *msg = compile_err(&sc);

    assert_string_equal(msg, "linux.seccomp.flags[1]: unknown flag `SECCOMP_FILTER_FLAG_BOGUS`");
    free(msg);
}

static void test_bad_arch(void **state)
{
    static char *arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX", NULL};
    struct brig_spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .architectures = arches};
    char *msg = compile_err(&sc);

    assert_string_equal(msg,
                        "linux.seccomp.architectures[1]: unknown architecture `SCMP_ARCH_VAX`");
    free(msg);
}

static void test_bad_arg_index(void **state)
{
    struct brig_seccomp_arg arg = {.index = 6, .value = 1, .op = BRIG_SCMP_CMP_EQ};
    struct brig_seccomp_rule rule = {
        .names = personality_names, .action = SCMP_ACT_ERRNO(EPERM), .args = &arg, .n_args = 1};
    struct brig_spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .rules = &rule, .n_rules = 1};
    char *msg = compile_err(&sc);

    assert_non_null(strstr(msg, "linux.seccomp.syscalls[0].args[0].index"));
    free(msg);
}

static void test_listener_refused(void **state)
{
    struct brig_spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW,
                                   .listener_path = (char *)"/run/l.sock"};
    char *msg = compile_err(&sc);

    assert_non_null(strstr(msg, "linux.seccomp.listenerPath"));
    free(msg);
}

static void test_bad_default_action(void **state)
{
    struct brig_spec_seccomp sc = {.default_action = 0x12345678};
    char *msg = compile_err(&sc);

    assert_non_null(strstr(msg, "linux.seccomp.defaultAction"));
    free(msg);
}

/* Extra architectures add their own branch to the program; with the
 * filter flags the kernel accepts it too. */
static int check_nothing(void)
{
    return 0;
}

static void test_arches_and_flags(void **state)
{
    static char *arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL};
    static char *flags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                            "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL};
    struct brig_seccomp_rule rule = {.names = mkdirat_names, .action = SCMP_ACT_ERRNO(42)};
    struct brig_spec_seccomp native = {
        .default_action = SCMP_ACT_ALLOW, .rules = &rule, .n_rules = 1};
    struct brig_spec_seccomp multi = {.default_action = SCMP_ACT_ALLOW,
                                      .architectures = arches,
                                      .flags = flags,
                                      .rules = &rule,
                                      .n_rules = 1};
    struct brig_seccomp_filter *f1 = compile_ok(&native);
    struct brig_seccomp_filter *f2 = compile_ok(&multi);

#if defined(__x86_64__)
    assert_true(brig_seccomp_instructions(f2) > brig_seccomp_instructions(f1));
#endif
    assert_int_equal(in_filtered_child(f2, check_nothing), 0);
    assert_int_equal(in_filtered_child(f2, check_mkdirat_denied), 0);
    brig_seccomp_free(f1);
    brig_seccomp_free(f2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errno_rule),
        cmocka_unit_test(test_errno_eperm),
        cmocka_unit_test(test_argument_condition),
        cmocka_unit_test(test_same_index_args_or),
        cmocka_unit_test(test_masked_eq),
        cmocka_unit_test(test_default_errno_allowlist),
        cmocka_unit_test(test_unknown_syscall_skipped),
        cmocka_unit_test(test_compile_cache),
        cmocka_unit_test(test_default_action_rule_and_pseudo_syscall),
        cmocka_unit_test(test_bad_flag),
        cmocka_unit_test(test_bad_arch),
        cmocka_unit_test(test_bad_arg_index),
        cmocka_unit_test(test_listener_refused),
        cmocka_unit_test(test_bad_default_action),
        cmocka_unit_test(test_arches_and_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

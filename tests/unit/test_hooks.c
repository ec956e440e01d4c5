/* hooks: real hooks (/bin/sh scripts, /bin/sleep) run through
 * brig_hooks_run; what they saw is written to files in a temp dir. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "sandbox/hooks.h"

static char tmpdir[] = "/tmp/brig-test-hooks-XXXXXX";

static int setup(void **state)
{
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    char *cmd = brig_xasprintf("rm -rf '%s'", tmpdir);
    int r = system(cmd);

    free(cmd);
    return r == 0 ? 0 : -1;
}

static char *tmp_path(const char *name)
{
    return brig_xasprintf("%s/%s", tmpdir, name);
}

static char *slurp(const char *path)
{
    char *buf = NULL;
    size_t len;
    brig_error err = NULL;

    if (brig_read_file_at(AT_FDCWD, path, 1 << 20, &buf, &len, &err) < 0) {
        brig_error_free(&err);
        return NULL;
    }
    return buf;
}

static char *run_err(enum brig_hook_kind kind, const struct brig_spec_hook *hooks, size_t n,
                     const char *state_json)
{
    brig_error err = NULL;
    char *msg;

    assert_int_equal(brig_hooks_run(kind, hooks, n, state_json, &err), -1);
    assert_non_null(err);
    msg = strdup(err->msg);
    brig_error_free(&err);
    return msg;
}

static void run_ok(enum brig_hook_kind kind, const struct brig_spec_hook *hooks, size_t n,
                   const char *state_json)
{
    brig_error err = NULL;

    if (brig_hooks_run(kind, hooks, n, state_json, &err) < 0)
        fail_msg("hooks: %s", err->msg);
}

static void test_kind_names(void **state)
{
    assert_string_equal(brig_hook_kind_name(BRIG_HOOK_PRESTART), "prestart");
    assert_string_equal(brig_hook_kind_name(BRIG_HOOK_CREATE_RUNTIME), "createRuntime");
    assert_string_equal(brig_hook_kind_name(BRIG_HOOK_CREATE_CONTAINER), "createContainer");
    assert_string_equal(brig_hook_kind_name(BRIG_HOOK_START_CONTAINER), "startContainer");
    assert_string_equal(brig_hook_kind_name(BRIG_HOOK_POSTSTART), "poststart");
    assert_string_equal(brig_hook_kind_name(BRIG_HOOK_POSTSTOP), "poststop");
}

static void test_state_on_stdin(void **state)
{
    const char *json = "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"created\"}";
    char *out = tmp_path("stdin");
    char *script = brig_xasprintf("cat > '%s'", out);
    char *args[] = {"sh", "-c", script, NULL};
    struct brig_spec_hook hook = {.path = "/bin/sh", .args = args};
    char *got;

    run_ok(BRIG_HOOK_CREATE_RUNTIME, &hook, 1, json);
    got = slurp(out);
    assert_non_null(got);
    assert_string_equal(got, json);
    free(got);
    free(script);
    free(out);
}

/* args[0] is argv[0]; env is exactly the hook's (nothing of ours). */
static void test_args_and_env(void **state)
{
    char *out = tmp_path("argsenv");
    char *script = brig_xasprintf("{ printf '%%s|%%s|%%s\\n' \"$0\" \"$1\" \"$FOO\"; tr '\\0' "
                                  "'\\n' < /proc/$$/environ; } > '%s'",
                                  out);
    /* sh -c SCRIPT NAME ARG: $0 = NAME, $1 = ARG */
    char *args2[] = {"hookname", "-c", script, "zero", "one", NULL};
    char *env[] = {"FOO=bar", "BAZ=qux", NULL};
    struct brig_spec_hook hook = {.path = "/bin/sh", .args = args2, .env = env};
    char *got;

    setenv("BRIG_TEST_MUST_NOT_LEAK", "1", 1);
    run_ok(BRIG_HOOK_PRESTART, &hook, 1, "{}");
    got = slurp(out);
    assert_non_null(got);
    assert_string_equal(got, "zero|one|bar\nFOO=bar\nBAZ=qux\n");
    free(got);
    free(script);
    free(out);
}

/* Without args, argv is just [path]; without env, the environment is
 * empty.  sh with no arguments reads its script from stdin: the state. */
static void test_no_args_no_env(void **state)
{
    char *out = tmp_path("noargs");
    char *script = brig_xasprintf("printf '%%s|%%s|' \"$0\" \"$#\" > '%s'; "
                                  "tr '\\0' '\\n' < /proc/$$/environ | wc -c >> '%s'\n",
                                  out, out);
    struct brig_spec_hook hook = {.path = "/bin/sh"};
    char *got;

    run_ok(BRIG_HOOK_POSTSTOP, &hook, 1, script);
    got = slurp(out);
    assert_non_null(got);
    assert_string_equal(got, "/bin/sh|0|0\n");
    free(got);
    free(script);
    free(out);
}

/* The hook's stdout and stderr both land on the runtime's stderr. */
static void test_output_to_stderr(void **state)
{
    char *out = tmp_path("stderr");
    char *args[] = {"sh", "-c", "echo to-stdout; echo to-stderr >&2", NULL};
    struct brig_spec_hook hook = {.path = "/bin/sh", .args = args};
    int saved = dup(2), fd;
    char *got;

    fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0 && saved >= 0);
    dup2(fd, 2);
    close(fd);
    run_ok(BRIG_HOOK_POSTSTART, &hook, 1, "{}");
    dup2(saved, 2);
    close(saved);
    got = slurp(out);
    assert_non_null(got);
    assert_string_equal(got, "to-stdout\nto-stderr\n");
    free(got);
    free(out);
}

/* The first failure stops the chain and names kind, path and status. */
static void test_failure_stops_chain(void **state)
{
    char *marker = tmp_path("second-ran");
    char *script = brig_xasprintf("touch '%s'", marker);
    char *fail_args[] = {"sh", "-c", "exit 3", NULL};
    char *touch_args[] = {"sh", "-c", script, NULL};
    struct brig_spec_hook hooks[] = {
        {.path = "/bin/sh", .args = fail_args},
        {.path = "/bin/sh", .args = touch_args},
    };
    char *msg = run_err(BRIG_HOOK_PRESTART, hooks, 2, "{}");

    assert_string_equal(msg, "prestart hook `/bin/sh`: exited with status 3");
    assert_int_equal(access(marker, F_OK), -1);
    free(msg);
    free(script);
    free(marker);
}

static void test_chain_runs_in_order(void **state)
{
    char *out = tmp_path("order");
    char *s1 = brig_xasprintf("echo first >> '%s'", out);
    char *s2 = brig_xasprintf("echo second >> '%s'", out);
    char *a1[] = {"sh", "-c", s1, NULL};
    char *a2[] = {"sh", "-c", s2, NULL};
    struct brig_spec_hook hooks[] = {{.path = "/bin/sh", .args = a1},
                                     {.path = "/bin/sh", .args = a2}};
    char *got;

    run_ok(BRIG_HOOK_START_CONTAINER, hooks, 2, "{}");
    got = slurp(out);
    assert_non_null(got);
    assert_string_equal(got, "first\nsecond\n");
    free(got);
    free(s1);
    free(s2);
    free(out);
}

static void test_killed_by_signal(void **state)
{
    char *args[] = {"sh", "-c", "kill -TERM $$", NULL};
    struct brig_spec_hook hook = {.path = "/bin/sh", .args = args};
    char *msg = run_err(BRIG_HOOK_CREATE_CONTAINER, &hook, 1, "{}");

    assert_string_equal(msg, "createContainer hook `/bin/sh`: killed by signal SIGTERM");
    free(msg);
}

static void test_timeout(void **state)
{
    char *args[] = {"sleep", "10", NULL};
    struct brig_spec_hook hook = {.path = "/bin/sleep", .args = args, .timeout = 1};
    struct timespec t0, t1;
    double elapsed;
    char *msg;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    msg = run_err(BRIG_HOOK_PRESTART, &hook, 1, "{}");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_string_equal(msg, "prestart hook `/bin/sleep`: timed out after 1 s");
    assert_true(elapsed >= 0.9 && elapsed < 3.0);
    free(msg);
}

static void test_missing_path(void **state)
{
    struct brig_spec_hook hook = {.path = "/nonexistent/brig-hook"};
    brig_error err = NULL;

    assert_int_equal(brig_hooks_run(BRIG_HOOK_PRESTART, &hook, 1, "{}", &err), -1);
    assert_string_equal(err->msg,
                        "prestart hook `/nonexistent/brig-hook`: exec: No such file or directory");
    assert_int_equal(err->errnum, ENOENT);
    brig_error_free(&err);
}

/* A hook that never reads a state larger than the pipe buffer: no hang,
 * no SIGPIPE death of the runtime, success. */
static void test_hook_ignores_big_state(void **state)
{
    size_t len = 1 << 20;
    char *big = malloc(len + 1);
    char *args[] = {"sh", "-c", "sleep 0.2", NULL};
    struct brig_spec_hook hook = {.path = "/bin/sh", .args = args, .timeout = 5};
    struct brig_spec_hook quick = {.path = "/bin/true"};
    sigset_t pending;

    assert_non_null(big);
    memset(big, 'x', len);
    big[len] = '\0';
    run_ok(BRIG_HOOK_POSTSTOP, &hook, 1, big);
    run_ok(BRIG_HOOK_POSTSTOP, &quick, 1, big);
    /* The SIGPIPE we provoked was swallowed, not left pending. */
    sigpending(&pending);
    assert_false(sigismember(&pending, SIGPIPE));
    free(big);
}

/* A runtime fd without O_CLOEXEC still does not reach the hook. */
static void test_fds_closed(void **state)
{
    char *out = tmp_path("fds");
    int leak = open("/dev/null", O_RDONLY); /* deliberately not CLOEXEC */
    char *script;
    char *args[] = {"sh", "-c", NULL, NULL};
    struct brig_spec_hook hook = {.path = "/bin/sh", .args = args};
    char *got;

    assert_true(leak >= 3);
    script = brig_xasprintf("if [ -e /proc/$$/fd/%d ]; then echo open; else echo closed; fi > '%s'",
                            leak, out);
    args[2] = script;
    run_ok(BRIG_HOOK_PRESTART, &hook, 1, "{}");
    close(leak);
    got = slurp(out);
    assert_non_null(got);
    assert_string_equal(got, "closed\n");
    free(got);
    free(script);
    free(out);
}

static void test_no_hooks(void **state)
{
    run_ok(BRIG_HOOK_PRESTART, NULL, 0, "{}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_state_on_stdin),
        cmocka_unit_test(test_args_and_env),
        cmocka_unit_test(test_no_args_no_env),
        cmocka_unit_test(test_output_to_stderr),
        cmocka_unit_test(test_failure_stops_chain),
        cmocka_unit_test(test_chain_runs_in_order),
        cmocka_unit_test(test_killed_by_signal),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_missing_path),
        cmocka_unit_test(test_hook_ignores_big_state),
        cmocka_unit_test(test_fds_closed),
        cmocka_unit_test(test_no_hooks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

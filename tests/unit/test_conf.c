/* brig.conf: defaults, the TOML subset, environment overrides, and one
 * clear "FILE:LINE: KEY: reason" line for every kind of mistake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "engine.h"

static char conf_path[] = "/tmp/brig-test-conf-XXXXXX";

static const char *const env_names[] = {
    "BRIG_CONFIG",
    "BRIG_STORAGE_ROOT",
    "BRIG_RUN_ROOT",
    "BRIG_SECCOMP_PROFILE",
    "BRIG_LABEL",
    "BRIG_STORAGE_DRIVER",
    "BRIG_LOG_MAX_SIZE",
    "BRIG_LOG_MAX_FILES",
    "BRIG_DEFAULT_ULIMITS",
    "BRIG_DEFAULT_CAPABILITIES",
    "BRIG_LABEL_PROCESS_TYPE",
    "BRIG_LABEL_FILE_TYPE",
};

static int setup(void **state)
{
    int fd = mkstemp(conf_path);

    if (fd < 0)
        return -1;
    close(fd);
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(env_names); i++)
        unsetenv(env_names[i]);
    setenv("BRIG_CONFIG", conf_path, 1);
    return 0;
}

static int teardown(void **state)
{
    unlink(conf_path);
    strcpy(conf_path, "/tmp/brig-test-conf-XXXXXX");
    return 0;
}

static void write_conf(const char *text)
{
    FILE *f = fopen(conf_path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void load_ok(struct engine_conf *c)
{
    brig_error err = NULL;

    if (engine_conf_load(c, &err) < 0)
        fail_msg("load: %s", err->msg);
}

/* The conf text's error with the temporary file's name replaced by "F". */
static void assert_conf_err(const char *text, const char *expected)
{
    struct engine_conf c;
    brig_error err = NULL;
    _cleanup_free_ char *want = NULL;

    write_conf(text);
    assert_int_equal(engine_conf_load(&c, &err), -1);
    assert_non_null(err);
    want = brig_xasprintf("%s%s", conf_path, expected);
    assert_string_equal(err->msg, want);
    /* Nothing half-made: the struct is empty after a failure. */
    assert_null(c.storage_root);
    assert_null(c.conf_path);
    brig_error_free(&err);
}

static void assert_env_err(const char *name, const char *value, const char *expected)
{
    struct engine_conf c;
    brig_error err = NULL;

    setenv(name, value, 1);
    assert_int_equal(engine_conf_load(&c, &err), -1);
    assert_string_equal(err->msg, expected);
    brig_error_free(&err);
    unsetenv(name);
}

static void test_defaults(void **state)
{
    struct engine_conf c;

    setenv("BRIG_CONFIG", "", 1); /* no file at all */
    load_ok(&c);
    assert_null(c.conf_path);
    assert_string_equal(c.storage_root, "/var/lib/brig");
    assert_string_equal(c.run_root, "/run/brig");
    assert_null(c.default_ulimits);
    assert_null(c.default_caps);
    assert_null(c.seccomp_profile);
    assert_true(c.label);
    assert_null(c.label_process_type);
    assert_null(c.label_file_type);
    assert_int_equal(c.log_max_size, 10 << 20);
    assert_int_equal(c.log_max_files, 3);
    assert_string_equal(c.storage_driver, "overlay");
    engine_conf_clear(&c);
}

static void test_empty_file(void **state)
{
    struct engine_conf c;

    write_conf("# nothing but a comment\n\n   \n");
    load_ok(&c);
    assert_string_equal(c.conf_path, conf_path);
    assert_string_equal(c.storage_root, "/var/lib/brig");
    engine_conf_clear(&c);
}

static void test_every_key(void **state)
{
    struct engine_conf c;

    write_conf("# brig.conf\n"
               "[brig]\n"
               "storage_root = \"/srv/brig\"   # trailing comment\n"
               "run_root='/run/brig2'\n"
               "default_ulimits = [\"nofile=1024:4096\",\n"
               "                   # a comment inside the array\n"
               "                   \"nproc=512\", \"core=-1\",]\n"
               "default_capabilities = [\"CAP_CHOWN\", \"kill\", \"cap_setuid\"]\n"
               "seccomp_profile = \"/etc/brig/seccomp.json\"\n"
               "label = false\n"
               "label_process_type = \"container_logger_t\"\n"
               "label_file_type = \"container_file_t\"\n"
               "log_max_size = \"64m\"\n"
               "log_max_files = 1_0\n"
               "storage_driver = \"vfs\"\r\n");
    load_ok(&c);
    assert_string_equal(c.storage_root, "/srv/brig");
    assert_string_equal(c.run_root, "/run/brig2");
    assert_int_equal(brig_strv_len(c.default_ulimits), 3);
    assert_string_equal(c.default_ulimits[0], "nofile=1024:4096");
    assert_string_equal(c.default_ulimits[2], "core=-1");
    assert_int_equal(brig_strv_len(c.default_caps), 3);
    assert_string_equal(c.default_caps[0], "CAP_CHOWN");
    assert_string_equal(c.default_caps[1], "CAP_KILL");
    assert_string_equal(c.default_caps[2], "CAP_SETUID");
    assert_string_equal(c.seccomp_profile, "/etc/brig/seccomp.json");
    assert_false(c.label);
    assert_string_equal(c.label_process_type, "container_logger_t");
    assert_string_equal(c.label_file_type, "container_file_t");
    assert_int_equal(c.log_max_size, 64 << 20);
    assert_int_equal(c.log_max_files, 10);
    assert_string_equal(c.storage_driver, "vfs");
    engine_conf_clear(&c);
}

static void test_values(void **state)
{
    struct engine_conf c;

    write_conf("log_max_size = 2048\nseccomp_profile = \"unconfined\"\ndefault_capabilities = []\n"
               "storage_root = \"/a \\\"quoted\\\" \\\\ dir\"\n");
    load_ok(&c);
    assert_int_equal(c.log_max_size, 2048);
    assert_string_equal(c.seccomp_profile, "unconfined");
    /* An empty list is "no capabilities", not "the default set". */
    assert_non_null(c.default_caps);
    assert_null(c.default_caps[0]);
    assert_string_equal(c.storage_root, "/a \"quoted\" \\ dir");
    engine_conf_clear(&c);

    write_conf("seccomp_profile = \"default\"\n");
    load_ok(&c);
    assert_null(c.seccomp_profile); /* NULL is brig's built-in profile */
    engine_conf_clear(&c);
}

static void test_env_overrides(void **state)
{
    struct engine_conf c;

    write_conf("storage_root = \"/srv/a\"\nlabel = true\nlog_max_files = 5\n");
    setenv("BRIG_STORAGE_ROOT", "/srv/b", 1);
    setenv("BRIG_RUN_ROOT", "/run/b", 1);
    setenv("BRIG_LABEL", "0", 1);
    setenv("BRIG_LOG_MAX_SIZE", "1m", 1);
    setenv("BRIG_LOG_MAX_FILES", "7", 1);
    setenv("BRIG_DEFAULT_ULIMITS", "nofile=100:200, nproc=10", 1);
    setenv("BRIG_DEFAULT_CAPABILITIES", "CHOWN,CAP_KILL", 1);
    setenv("BRIG_SECCOMP_PROFILE", "unconfined", 1);
    setenv("BRIG_STORAGE_DRIVER", "vfs", 1);
    load_ok(&c);
    assert_string_equal(c.storage_root, "/srv/b");
    assert_string_equal(c.run_root, "/run/b");
    assert_false(c.label);
    assert_int_equal(c.log_max_size, 1 << 20);
    assert_int_equal(c.log_max_files, 7);
    assert_int_equal(brig_strv_len(c.default_ulimits), 2);
    assert_string_equal(c.default_ulimits[1], "nproc=10");
    assert_string_equal(c.default_caps[0], "CAP_CHOWN");
    assert_string_equal(c.default_caps[1], "CAP_KILL");
    assert_string_equal(c.seccomp_profile, "unconfined");
    assert_string_equal(c.storage_driver, "vfs");
    engine_conf_clear(&c);

    setenv("BRIG_DEFAULT_ULIMITS", "", 1); /* set but empty: no ulimits */
    load_ok(&c);
    assert_non_null(c.default_ulimits);
    assert_null(c.default_ulimits[0]);
    engine_conf_clear(&c);
}

static void test_missing_files(void **state)
{
    struct engine_conf c;
    brig_error err = NULL;

    /* A file named in BRIG_CONFIG must exist. */
    setenv("BRIG_CONFIG", "/nonexistent/brig.conf", 1);
    assert_int_equal(engine_conf_load(&c, &err), -1);
    assert_string_equal(err->msg, "read configuration: open `/nonexistent/brig.conf`: No such "
                                  "file or directory");
    brig_error_free(&err);
}

static void test_file_errors(void **state)
{
    assert_conf_err("storage_rot = \"/x\"\n", ":1: storage_rot: unknown key");
    assert_conf_err("\n\nlog_max_size = \"ten\"\n",
                    ":3: log_max_size: `ten` is not a size (like \"10m\")");
    assert_conf_err("log_max_size = 10m\n",
                    ":1: log_max_size: a size with a unit must be quoted (\"10m\")");
    assert_conf_err("log_max_size = \"10\"\n",
                    ":1: log_max_size: 10 bytes is too small (at least 1k)");
    assert_conf_err("log_max_files = 0\n", ":1: log_max_files: 0 is out of range (1..1000)");
    assert_conf_err("log_max_files = \"3\"\n", ":1: log_max_files: must be an integer");
    assert_conf_err("label = yes\n",
                    ":1: label: values are \"strings\", numbers, true/false or [arrays]");
    assert_conf_err("label = \"true\"\n", ":1: label: must be true or false");
    assert_conf_err("storage_root = \"var/lib\"\n",
                    ":1: storage_root: `var/lib` is not an absolute path");
    assert_conf_err("run_root = \"/x\"\nrun_root = \"/y\"\n", ":2: run_root: set twice");
    assert_conf_err("run_root = \"/x\n", ":1: run_root: unterminated string");
    assert_conf_err("run_root = \"/x\" junk\n", ":1: run_root: unexpected `j` after the value");
    assert_conf_err("run_root =\n", ":1: run_root: missing value");
    assert_conf_err("run_root \"/x\"\n", ":1: run_root: expected `=` after the key");
    assert_conf_err("= 1\n", ":1: expected `key = value`, found `=`");
    assert_conf_err("run_root = \"a\\qb\"\n", ":1: run_root: unsupported escape `\\q` in a string");
    assert_conf_err("run_root = \"a\x01\"\n", ":1: run_root: control character in a string");
    assert_conf_err("[engine]\n",
                    ":1: unknown section `[engine]` (keys go at the top or under [brig])");
    assert_conf_err("[brig\n", ":1: unterminated section header");
    assert_conf_err("default_capabilities = [\"CAP_CHOWN\", \"CAP_SYS_ADMNI\"]\n",
                    ":1: default_capabilities: unknown capability `CAP_SYS_ADMNI`");
    assert_conf_err("default_capabilities = [\"CAP_CHOWN\" \"CAP_KILL\"]\n",
                    ":1: default_capabilities: expected `,` or `]` in the array");
    assert_conf_err("default_capabilities = [1]\n",
                    ":1: default_capabilities: array elements must be strings");
    assert_conf_err("\ndefault_ulimits = [\"nofile=1024\",\n\"nofile=1\"", /* no ']' */
                    ":2: default_ulimits: unterminated array");
    assert_conf_err("default_ulimits = [\"nofile\"]\n",
                    ":1: default_ulimits: `nofile`: expected NAME=SOFT[:HARD]");
    assert_conf_err("default_ulimits = [\"files=1\"]\n",
                    ":1: default_ulimits: `files=1`: unknown limit `files`");
    assert_conf_err("default_ulimits = [\"nofile=a:b\"]\n",
                    ":1: default_ulimits: `nofile=a:b`: limits must be numbers, -1 or `unlimited`");
    assert_conf_err("default_ulimits = [\"nofile=10:5\"]\n",
                    ":1: default_ulimits: `nofile=10:5`: soft limit is above the hard limit");
    assert_conf_err("default_ulimits = [\"nofile=1\", \"nofile=2\"]\n",
                    ":1: default_ulimits: `nofile=2`: `nofile` is set twice");
    assert_conf_err("default_ulimits = \"nofile=1\"\n",
                    ":1: default_ulimits: must be an array of strings");
    assert_conf_err("seccomp_profile = \"seccomp.json\"\n",
                    ":1: seccomp_profile: `seccomp.json`: expected \"default\", \"unconfined\" "
                    "or an absolute path");
    assert_conf_err("label_process_type = \"container_t:s0\"\n",
                    ":1: label_process_type: `container_t:s0` is not an SELinux type (like "
                    "container_t)");
    assert_conf_err("storage_driver = \"btrfs\"\n",
                    ":1: storage_driver: `btrfs`: expected \"overlay\" or \"vfs\"");
    assert_conf_err("log_max_files = 99999999999999999999\n", ":1: log_max_files: not a number");
}

static void test_nul_byte(void **state)
{
    struct engine_conf c;
    brig_error err = NULL;
    FILE *f = fopen(conf_path, "w");
    _cleanup_free_ char *want = NULL;

    assert_non_null(f);
    fwrite("label = true\n\0", 1, 14, f);
    fclose(f);
    assert_int_equal(engine_conf_load(&c, &err), -1);
    want = brig_xasprintf("%s: contains a NUL byte (not a text file)", conf_path);
    assert_string_equal(err->msg, want);
    brig_error_free(&err);
}

static void test_env_errors(void **state)
{
    setenv("BRIG_CONFIG", "", 1);
    assert_env_err("BRIG_LOG_MAX_SIZE", "ten",
                   "environment BRIG_LOG_MAX_SIZE: `ten` is not a size (like \"10m\")");
    assert_env_err("BRIG_LOG_MAX_FILES", "-1",
                   "environment BRIG_LOG_MAX_FILES: `-1` is not a number");
    assert_env_err("BRIG_LABEL", "maybe",
                   "environment BRIG_LABEL: `maybe`: expected true or false");
    assert_env_err("BRIG_STORAGE_ROOT", "",
                   "environment BRIG_STORAGE_ROOT: `` is not an absolute path");
    assert_env_err("BRIG_DEFAULT_CAPABILITIES", "CHOWN,,KILL",
                   "environment BRIG_DEFAULT_CAPABILITIES: `CHOWN,,KILL`: empty element");
    assert_env_err("BRIG_DEFAULT_CAPABILITIES", "CHOWN,NOPE",
                   "environment BRIG_DEFAULT_CAPABILITIES: unknown capability `NOPE`");
    assert_env_err("BRIG_DEFAULT_ULIMITS", "nofile=1:x",
                   "environment BRIG_DEFAULT_ULIMITS: `nofile=1:x`: limits must be numbers, -1 "
                   "or `unlimited`");
    assert_env_err("BRIG_STORAGE_DRIVER", "zfs",
                   "environment BRIG_STORAGE_DRIVER: `zfs`: expected \"overlay\" or \"vfs\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

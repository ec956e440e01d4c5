/* core: errors, number parsing, ids, safe resolution inside a root. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/cache.h"
#include "core/util.h"

static void test_error_wrap(void **state)
{
    _cleanup_error_ brig_error err = NULL;
    assert_int_equal(brig_error_set(&err, ENOENT, "open `%s`", "/x"), -1);
    assert_string_equal(err->msg, "open `/x`: No such file or directory");
    assert_int_equal(err->errnum, ENOENT);
    brig_error_wrap(&err, "create container `%s`", "c1");
    assert_string_equal(err->msg, "create container `c1`: open `/x`: No such file or directory");
    /* setting again replaces, never leaks */
    brig_error_set(&err, 0, "plain");
    assert_string_equal(err->msg, "plain");
}

static void test_parse_numbers(void **state)
{
    uint64_t u;
    int64_t i;
    assert_int_equal(brig_parse_u64("18446744073709551615", &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(brig_parse_u64("18446744073709551616", &u), -ERANGE);
    assert_int_equal(brig_parse_u64("-1", &u), -EINVAL);
    assert_int_equal(brig_parse_u64("12x", &u), -EINVAL);
    assert_int_equal(brig_parse_u64("", &u), -EINVAL);
    assert_int_equal(brig_parse_u64(" 1", &u), -EINVAL);
    assert_int_equal(brig_parse_i64("-42", &i), 0);
    assert_true(i == -42);
    assert_int_equal(brig_parse_i64("--1", &i), -EINVAL);
}

static void test_validate_id(void **state)
{
    _cleanup_error_ brig_error err = NULL;
    assert_int_equal(brig_validate_id("web-1_a.b+c", &err), 0);
    assert_int_equal(brig_validate_id("a/b", &err), -1);
    assert_non_null(strstr(err->msg, "invalid character `/`"));
    assert_int_equal(brig_validate_id("..", &err), -1);
    assert_non_null(strstr(err->msg, "`..`"));
    assert_int_equal(brig_validate_id("a..b", &err), -1);
    assert_int_equal(brig_validate_id("", &err), -1);
    assert_int_equal(brig_validate_id("x y", &err), -1);
}

/* A symlink inside the root that points at an absolute host path or climbs
 * with ".." must resolve inside the root. */
static void test_open_in_root(void **state)
{
    char tmpl[] = "/tmp/brig-core-XXXXXX";
    char *dir = mkdtemp(tmpl);
    _cleanup_free_ char *p = NULL;
    _cleanup_close_ int root = -1, fd = -1;
    _cleanup_error_ brig_error err = NULL;
    struct stat a, b;

    assert_non_null(dir);
    p = brig_xasprintf("%s/etc", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
    p = brig_xasprintf("%s/etc/passwd", dir);
    assert_int_equal(brig_write_file_at(AT_FDCWD, p, "inside", 6, 0644, &err), 0);
    free(p);
    p = brig_xasprintf("%s/abs", dir);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    free(p);
    p = brig_xasprintf("%s/up", dir);
    assert_int_equal(symlink("../../../../etc/passwd", p), 0);

    root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(root >= 0);
    for (int i = 0; i < 2; i++) {
        char buf[16] = {0};
        fd = brig_open_in_root(root, i == 0 ? "/abs" : "up", O_RDONLY, 0, &err);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &a), 0);
        assert_int_equal(stat("/etc/passwd", &b), 0);
        assert_false(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
        assert_int_equal(read(fd, buf, sizeof(buf) - 1), 6);
        assert_string_equal(buf, "inside");
        close(fd);
        fd = -1;
    }
    /* mkdir -p through a symlink to an absolute path stays inside too */
    fd = brig_mkdir_p_in_root(root, "/abs2/x/y", 0755, &err);
    assert_true(fd >= 0);
    close(fd);
    fd = -1;
    free(p);
    p = brig_xasprintf("%s/abs2/x/y", dir);
    assert_int_equal(stat(p, &a), 0);
    free(p);
    p = brig_xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(p), 0);
}

static void test_atomic_write(void **state)
{
    char tmpl[] = "/tmp/brig-core-XXXXXX";
    char *dir = mkdtemp(tmpl);
    _cleanup_close_ int dfd = open(dir, O_DIRECTORY | O_CLOEXEC);
    _cleanup_error_ brig_error err = NULL;
    _cleanup_free_ char *buf = NULL, *cmd = NULL;
    size_t len;

    assert_int_equal(brig_write_file_atomic_at(dfd, "f", "one", 3, 0600, &err), 0);
    assert_int_equal(brig_write_file_atomic_at(dfd, "f", "two!", 4, 0600, &err), 0);
    assert_int_equal(brig_read_file_at(dfd, "f", 100, &buf, &len, &err), 0);
    assert_int_equal(len, 4);
    assert_string_equal(buf, "two!");
    assert_int_equal(brig_read_file_at(dfd, "missing", 100, &buf, &len, &err), -1);
    assert_string_equal(err->msg, "open `missing`: No such file or directory");
    cmd = brig_xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_cache(void **state)
{
    char tmpl[] = "/tmp/brig-core-XXXXXX";
    char *dir = mkdtemp(tmpl);
    _cleanup_close_ int dfd = open(dir, O_DIRECTORY | O_CLOEXEC);
    _cleanup_free_ char *got = NULL, *cmd = NULL;
    size_t len;

    (void)state;
    assert_int_equal(brig_cache_get(dfd, "c", "k", "key", 3, &got, &len), -1);
    brig_cache_put(dfd, "c", "k", "key", 3, "da\0ta", 5); /* the directory is made */
    assert_int_equal(brig_cache_get(dfd, "c", "k", "key", 3, &got, &len), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(got, "da\0ta", 6); /* NUL-terminated too */
    free(TAKE_PTR(got));
    /* another key, another kind: misses */
    assert_int_equal(brig_cache_get(dfd, "c", "k", "kez", 3, &got, &len), -1);
    assert_int_equal(brig_cache_get(dfd, "c", "j", "key", 3, &got, &len), -1);
    /* A file at the key's name holding another key (a collision) or a
     * truncated entry is a miss, never the wrong data. */
    cmd = brig_xasprintf("cd '%s/c' && f=$(ls) && printf 'brig-cache 1 3\nkez!' >\"$f\"", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(brig_cache_get(dfd, "c", "k", "key", 3, &got, &len), -1);
    free(cmd);
    cmd = brig_xasprintf("cd '%s/c' && f=$(ls) && printf 'brig-cache 1 3\nke' >\"$f\"", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(brig_cache_get(dfd, "c", "k", "key", 3, &got, &len), -1);
    /* No directory fd: nothing cached, nothing fails. */
    brig_cache_put(-1, "c", "k", "key", 3, "x", 1);
    assert_int_equal(brig_cache_get(-1, "c", "k", "key", 3, &got, &len), -1);
    free(cmd);
    cmd = brig_xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Control characters in user strings never reach an error raw: one error,
 * one line, and no ESC sequence for the reader's terminal. */
static void test_escape(void **state)
{
    brig_error err = NULL;
    char *e, *e2;

    (void)state;
    e = brig_str_escape("plain `text` \\ ok");
    assert_string_equal(e, "plain `text` \\ ok");
    free(e);
    e = brig_str_escape("a\nb\rc\td\x1b[31me\x7f\x01");
    assert_string_equal(e, "a\\nb\\rc\\td\\x1b[31me\\x7f\\x01");
    /* Escaping twice changes nothing (errors cross the sync socket). */
    e2 = brig_str_escape(e);
    assert_string_equal(e2, e);
    free(e2);
    free(e);
    e = brig_str_escape("");
    assert_string_equal(e, "");
    free(e);
    /* Bytes >= 0x80 (UTF-8) are text, not control characters. */
    e = brig_str_escape("caf\xc3\xa9");
    assert_string_equal(e, "caf\xc3\xa9");
    free(e);

    /* Where it is used: every error and every wrap is one line. */
    brig_error_set(&err, 0, "open `%s`", "/tmp/x\ny");
    brig_error_wrap(&err, "container `%s`", "id\n\x1b[2Jforged");
    assert_null(strchr(err->msg, '\n'));
    assert_null(strchr(err->msg, '\x1b'));
    assert_string_equal(err->msg, "container `id\\n\\x1b[2Jforged`: open `/tmp/x\\ny`");
    brig_error_free(&err);
    assert_int_equal(brig_validate_id("a\nb", &err), -1);
    assert_null(strchr(err->msg, '\n'));
    brig_error_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_wrap),   cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_validate_id),  cmocka_unit_test(test_open_in_root),
        cmocka_unit_test(test_atomic_write), cmocka_unit_test(test_cache),
        cmocka_unit_test(test_escape),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}

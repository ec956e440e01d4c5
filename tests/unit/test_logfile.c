/* logfile: docker's json-file format written and read back: escaping,
 * partial and long lines, rotation, --tail/--since/--until/-t, -f across a
 * rotation.  Real files in a temp directory; the reader's output goes to
 * pipes read back here. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "logfile.h"

struct fixture {
    char dir[64];
};

static int setup(void **state)
{
    struct fixture *f = brig_xmalloc0(sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/brig-test-logfile-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    _cleanup_free_ char *cmd = brig_xasprintf("rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static struct logfile *open_ok(const char *dir, uint64_t max, unsigned files)
{
    brig_error err = NULL;
    struct logfile *l = NULL;
    assert_int_equal(logfile_open(dir, max, files, &l, &err), 0);
    assert_null(err);
    return l;
}

static void write_ok(struct logfile *l, enum log_stream s, const char *p, size_t n)
{
    brig_error err = NULL;
    assert_int_equal(logfile_write(l, s, p, n, &err), 0);
    assert_null(err);
}

static void write_str(struct logfile *l, enum log_stream s, const char *p)
{
    write_ok(l, s, p, strlen(p));
}

static char *slurp(const char *dir, const char *name)
{
    _cleanup_free_ char *path = brig_xasprintf("%s/%s", dir, name);
    char *buf = NULL;
    size_t len = 0;
    brig_error err = NULL;
    if (brig_read_file_at(AT_FDCWD, path, 64 << 20, &buf, &len, &err) < 0) {
        brig_error_free(&err);
        return NULL;
    }
    return buf;
}

/* Lines of a file, each parsed as JSON. */
static size_t parse_lines(const char *text, json_object **ret, size_t max)
{
    size_t n = 0;
    const char *p = text;
    while (p && *p && n < max) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl); /* every entry ends with "\n" */
        _cleanup_free_ char *line = strndup(p, (size_t)(nl - p));
        ret[n] = json_tokener_parse(line);
        assert_non_null(ret[n]);
        n++;
        p = nl + 1;
    }
    return n;
}

static const char *field(json_object *o, const char *k)
{
    json_object *v;
    assert_true(json_object_object_get_ex(o, k, &v));
    return json_object_get_string(v);
}

/* Run logfile_read with output to one pipe for stdout and one for stderr. */
struct read_result {
    char *out, *err;
    int ret;
};

static char *drain_fd(int fd)
{
    struct {
        char *p;
        size_t len, cap;
    } b = {brig_xmalloc0(4096), 0, 4096};
    for (;;) {
        if (b.len + 4096 > b.cap)
            b.p = brig_xrealloc(b.p, b.cap *= 2);
        ssize_t n = read(fd, b.p + b.len, 4096);
        if (n <= 0)
            break;
        b.len += (size_t)n;
    }
    b.p[b.len] = 0;
    return b.p;
}

/* Bytes the last read_log's child read (/proc/self/io rchar), shared with
 * the parent through an anonymous MAP_SHARED page. */
static unsigned long long *child_rchar;

static unsigned long long self_rchar(void)
{
    unsigned long long v = 0;
    char line[128];
    FILE *io = fopen("/proc/self/io", "re");
    if (io == NULL)
        return 0;
    while (fgets(line, sizeof(line), io) != NULL)
        if (sscanf(line, "rchar: %llu", &v) == 1)
            break;
    fclose(io);
    return v;
}

static struct read_result read_log(const char *dir, const struct log_read_opts *o)
{
    int po[2], pe[2];
    struct read_result r = {0};
    assert_int_equal(pipe(po), 0);
    assert_int_equal(pipe(pe), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        brig_error err = NULL;
        close(po[0]);
        close(pe[0]);
        unsigned long long before = self_rchar();
        int x = logfile_read(dir, o, po[1], pe[1], &err);
        if (child_rchar != NULL)
            *child_rchar = self_rchar() - before;
        if (x < 0)
            fprintf(stderr, "%s\n", err->msg);
        _exit(x < 0 ? 1 : 0);
    }
    close(po[1]);
    close(pe[1]);
    /* stderr output is small in these tests: read stdout first. */
    r.out = drain_fd(po[0]);
    r.err = drain_fd(pe[0]);
    close(po[0]);
    close(pe[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    r.ret = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

static void result_free(struct read_result *r)
{
    free(r->out);
    free(r->err);
}

static void test_format(void **state)
{
    struct fixture *f = *state;
    struct logfile *l = open_ok(f->dir, 0, 1);
    json_object *o[4] = {0};

    write_str(l, LOG_STDOUT, "hello\nworld\n");
    write_str(l, LOG_STDERR, "oops\n");
    logfile_close(l);
    _cleanup_free_ char *text = slurp(f->dir, "ctr.log");
    assert_non_null(text);
    assert_int_equal(parse_lines(text, o, 4), 3);
    assert_string_equal(field(o[0], "log"), "hello\n");
    assert_string_equal(field(o[0], "stream"), "stdout");
    assert_string_equal(field(o[1], "log"), "world\n");
    assert_string_equal(field(o[2], "log"), "oops\n");
    assert_string_equal(field(o[2], "stream"), "stderr");
    /* Docker's fixed RFC 3339 with nanoseconds: 2026-11-23T09:30:00.123456789Z */
    const char *t = field(o[0], "time");
    assert_int_equal(strlen(t), 30);
    assert_int_equal(t[10], 'T');
    assert_int_equal(t[19], '.');
    assert_int_equal(t[29], 'Z');
    /* The exact key order docker writes. */
    assert_true(
        brig_str_has_prefix(text, "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\""));
    for (int i = 0; i < 3; i++)
        json_object_put(o[i]);
}

static void test_escaping(void **state)
{
    struct fixture *f = *state;
    struct logfile *l = open_ok(f->dir, 0, 1);
    /* Control characters, quotes, backslash, HTML characters, valid UTF-8,
     * U+2028, invalid bytes (a lone continuation byte, a truncated sequence,
     * an overlong '/', a UTF-16 surrogate encoded in UTF-8). */
    const char in[] = "a\"b\\c\td\re\x01\x1f<>&\xc3\xa9\xe2\x80\xa8|\x80|\xe2\x82|\xc0\xaf|"
                      "\xed\xa0\x80|\x7f\n";
    write_ok(l, LOG_STDOUT, in, sizeof(in) - 1);
    logfile_close(l);
    _cleanup_free_ char *text = slurp(f->dir, "ctr.log");
    assert_true(brig_str_has_prefix(text, "{\"log\":\"a\\\"b\\\\c\\td\\re\\u0001\\u001f"
                                          "\\u003c\\u003e\\u0026\xc3\xa9\\u2028|\\ufffd|"
                                          "\\ufffd\\ufffd|\\ufffd\\ufffd|"
                                          "\\ufffd\\ufffd\\ufffd|\x7f\\n\","));
    /* json-c reads it back to the valid parts. */
    json_object *o[1];
    assert_int_equal(parse_lines(text, o, 1), 1);
    assert_string_equal(field(o[0], "log"), "a\"b\\c\td\re\x01\x1f<>&\xc3\xa9\xe2\x80\xa8|"
                                            "\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
                                            "\xef\xbf\xbd\xef\xbf\xbd|"
                                            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\x7f\n");
    json_object_put(o[0]);

    /* And our reader gives the same bytes back. */
    struct log_read_opts ro = {.tail = -1};
    struct read_result r = read_log(f->dir, &ro);
    assert_int_equal(r.ret, 0);
    assert_string_equal(r.out, "a\"b\\c\td\re\x01\x1f<>&\xc3\xa9\xe2\x80\xa8|"
                               "\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
                               "\xef\xbf\xbd\xef\xbf\xbd|"
                               "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\x7f\n");
    result_free(&r);
}

static void test_partial_lines(void **state)
{
    struct fixture *f = *state;
    struct logfile *l = open_ok(f->dir, 0, 1);
    json_object *o[4];

    write_str(l, LOG_STDOUT, "par");
    write_str(l, LOG_STDERR, "err-part");
    write_str(l, LOG_STDOUT, "tial\nnext");
    /* Nothing of "next" or "err-part" yet: held until their line ends. */
    _cleanup_free_ char *mid = slurp(f->dir, "ctr.log");
    assert_int_equal(parse_lines(mid, o, 4), 1);
    assert_string_equal(field(o[0], "log"), "partial\n");
    json_object_put(o[0]);
    logfile_close(l); /* flushes both, without "\n" */
    _cleanup_free_ char *text = slurp(f->dir, "ctr.log");
    assert_int_equal(parse_lines(text, o, 4), 3);
    assert_string_equal(field(o[1], "log"), "next");
    assert_string_equal(field(o[1], "stream"), "stdout");
    assert_string_equal(field(o[2], "log"), "err-part");
    assert_string_equal(field(o[2], "stream"), "stderr");
    for (int i = 0; i < 3; i++)
        json_object_put(o[i]);
}

static void test_long_line_split(void **state)
{
    struct fixture *f = *state;
    struct logfile *l = open_ok(f->dir, 0, 1);
    size_t n = 40000;
    _cleanup_free_ char *big = brig_xmalloc0(n + 2);
    json_object *o[8];

    memset(big, 'x', n);
    big[n] = '\n';
    /* In pieces, as a pipe delivers it. */
    write_ok(l, LOG_STDOUT, big, 1000);
    write_ok(l, LOG_STDOUT, big + 1000, n + 1 - 1000);
    /* A line of exactly 16 KiB plus its newline: the newline goes alone. */
    memset(big, 'y', 16384);
    big[16384] = '\n';
    write_ok(l, LOG_STDOUT, big, 16385);
    logfile_close(l);
    _cleanup_free_ char *text = slurp(f->dir, "ctr.log");
    assert_int_equal(parse_lines(text, o, 8), 5);
    assert_int_equal(strlen(field(o[0], "log")), 16384);
    assert_int_equal(strlen(field(o[1], "log")), 16384);
    assert_int_equal(strlen(field(o[2], "log")), 40000 - 2 * 16384 + 1);
    assert_int_equal(field(o[2], "log")[40000 - 2 * 16384], '\n');
    assert_int_equal(strlen(field(o[3], "log")), 16384);
    assert_string_equal(field(o[4], "log"), "\n");
    for (int i = 0; i < 5; i++)
        json_object_put(o[i]);

    /* Read back, the pieces join into the original lines. */
    struct log_read_opts ro = {.tail = -1};
    struct read_result r = read_log(f->dir, &ro);
    assert_int_equal(strlen(r.out), 40001 + 16385);
    result_free(&r);
}

static void test_rotation(void **state)
{
    struct fixture *f = *state;
    /* One entry is ~70 bytes: 200 bytes hold two. */
    struct logfile *l = open_ok(f->dir, 200, 3);
    char line[32];
    for (int i = 0; i < 10; i++) {
        snprintf(line, sizeof(line), "line %d\n", i);
        write_str(l, LOG_STDOUT, line);
    }
    logfile_close(l);
    struct stat sb;
    _cleanup_free_ char *p0 = brig_xasprintf("%s/ctr.log", f->dir);
    _cleanup_free_ char *p3 = brig_xasprintf("%s/ctr.log.3", f->dir);
    assert_int_equal(stat(p0, &sb), 0);
    assert_true(sb.st_size <= 200);
    assert_int_equal(stat(p3, &sb), -1); /* three files, the live one included */
    _cleanup_free_ char *l1 = slurp(f->dir, "ctr.log.1");
    _cleanup_free_ char *l2 = slurp(f->dir, "ctr.log.2");
    assert_non_null(l1);
    assert_non_null(l2);
    /* No entry is split between files. */
    json_object *o[4];
    size_t n2 = parse_lines(l2, o, 4);
    assert_int_equal(n2, 2);
    assert_string_equal(field(o[0], "log"), "line 4\n");
    for (size_t i = 0; i < n2; i++)
        json_object_put(o[i]);

    /* Read back across the files, oldest first: lines 4..9 survive. */
    struct log_read_opts ro = {.tail = -1};
    struct read_result r = read_log(f->dir, &ro);
    assert_string_equal(r.out, "line 4\nline 5\nline 6\nline 7\nline 8\nline 9\n");
    result_free(&r);
    /* --tail crossing a file boundary. */
    ro.tail = 3;
    r = read_log(f->dir, &ro);
    assert_string_equal(r.out, "line 7\nline 8\nline 9\n");
    result_free(&r);
    ro.tail = 5;
    r = read_log(f->dir, &ro);
    assert_string_equal(r.out, "line 5\nline 6\nline 7\nline 8\nline 9\n");
    result_free(&r);
    ro.tail = 100;
    r = read_log(f->dir, &ro);
    assert_string_equal(r.out, "line 4\nline 5\nline 6\nline 7\nline 8\nline 9\n");
    result_free(&r);
    ro.tail = 0;
    r = read_log(f->dir, &ro);
    assert_string_equal(r.out, "");
    result_free(&r);

    /* Reopened with fewer files: the extra one is dropped. */
    l = open_ok(f->dir, 200, 2);
    logfile_close(l);
    _cleanup_free_ char *p2 = brig_xasprintf("%s/ctr.log.2", f->dir);
    assert_int_equal(stat(p2, &sb), -1);
}

static void test_rotation_single_file(void **state)
{
    struct fixture *f = *state;
    struct logfile *l = open_ok(f->dir, 150, 1);
    write_str(l, LOG_STDOUT, "one\n");
    write_str(l, LOG_STDOUT, "two\n");
    write_str(l, LOG_STDOUT, "three\n");
    /* An entry bigger than max_size still lands (alone) in the live file. */
    char big[400];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\n';
    write_ok(l, LOG_STDOUT, big, sizeof(big));
    write_str(l, LOG_STDOUT, "after\n");
    logfile_close(l);
    struct log_read_opts ro = {.tail = -1};
    struct read_result r = read_log(f->dir, &ro);
    assert_string_equal(r.out, "after\n");
    result_free(&r);
}

static void test_streams_and_timestamps(void **state)
{
    struct fixture *f = *state;
    struct logfile *l = open_ok(f->dir, 0, 1);
    write_str(l, LOG_STDOUT, "out1\n");
    write_str(l, LOG_STDERR, "err1\n");
    write_str(l, LOG_STDOUT, "out2\n");
    logfile_close(l);
    struct log_read_opts ro = {.tail = -1, .timestamps = true};
    struct read_result r = read_log(f->dir, &ro);
    assert_int_equal(r.ret, 0);
    /* "2026-...Z out1\n2026-...Z out2\n" */
    assert_int_equal(strlen(r.out), 2 * (30 + 1 + 5));
    assert_int_equal(r.out[30], ' ');
    assert_memory_equal(r.out + 31, "out1\n", 5);
    assert_memory_equal(r.out + 36 + 31, "out2\n", 5);
    assert_memory_equal(r.err + 31, "err1\n", 5);
    result_free(&r);
}

/* Entries written by hand with known times. */
static void write_raw(const char *dir, const char *text)
{
    _cleanup_free_ char *path = brig_xasprintf("%s/ctr.log", dir);
    brig_error err = NULL;
    assert_int_equal(brig_write_file_at(AT_FDCWD, path, text, strlen(text), 0644, &err), 0);
}

static void test_since_until(void **state)
{
    struct fixture *f = *state;
    write_raw(
        f->dir,
        "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:00.5Z\"}\n"
        "{\"log\":\"b\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:01.000000000Z\"}\n"
        "not json at all\n"
        "{\"stream\":\"stderr\",\"log\":\"c\\u00e9\\ud83d\\ude00\\n\",\"attrs\":{\"x\":[1,\"}\"]},"
        "\"time\":\"2024-01-01T01:00:02+01:00\"}\n"
        "{\"log\":\"d\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:03Z\"}\n"
        "{\"log\":\"trunc");
    double t0 = 1704067200.0; /* 2024-01-01T00:00:00Z */
    struct log_read_opts ro = {.tail = -1, .since = t0 + 0.9};
    struct read_result r = read_log(f->dir, &ro);
    assert_string_equal(r.out, "b\nd\n");
    assert_string_equal(r.err, "c\xc3\xa9\xf0\x9f\x98\x80\n");
    result_free(&r);
    ro.until = t0 + 2.5;
    r = read_log(f->dir, &ro);
    assert_string_equal(r.out, "b\n");
    result_free(&r);
    /* --tail first, then --since (docker's order); the malformed line and
     * the cut-short last line count as lines but print nothing. */
    ro = (struct log_read_opts){.tail = 3, .since = t0 + 0.9};
    r = read_log(f->dir, &ro);
    assert_string_equal(r.out, "d\n");
    assert_string_equal(r.err, "c\xc3\xa9\xf0\x9f\x98\x80\n");
    result_free(&r);
}

static void test_missing_log(void **state)
{
    struct fixture *f = *state;
    struct log_read_opts ro = {.tail = -1};
    struct read_result r = read_log(f->dir, &ro);
    assert_int_equal(r.ret, 0);
    assert_string_equal(r.out, "");
    result_free(&r);
    /* A container directory that does not exist is an error. */
    brig_error err = NULL;
    _cleanup_free_ char *nodir = brig_xasprintf("%s/nope", f->dir);
    assert_int_equal(logfile_read(nodir, &ro, 1, 2, &err), -1);
    assert_non_null(strstr(err->msg, "nope"));
    brig_error_free(&err);
    assert_int_equal(logfile_open(nodir, 0, 1, &(struct logfile *){NULL}, &err), -1);
    assert_non_null(strstr(err->msg, "No such file"));
    brig_error_free(&err);
}

/* --tail on a big log seeks from the end: it must not read the whole file.
 * 12 MB of entries, --tail 2: what the reader read is counted (rchar), not
 * timed, so a loaded host cannot fail it. */
static void test_tail_big(void **state)
{
    struct fixture *f = *state;
    struct logfile *l = open_ok(f->dir, 0, 1);
    char chunk[8192];
    size_t k = 0;
    for (int i = 0; k + 64 < sizeof(chunk); i++)
        k += (size_t)snprintf(chunk + k, sizeof(chunk) - k, "some log line number %d\n", i);
    for (int i = 0; i < 1500; i++)
        write_ok(l, LOG_STDOUT, chunk, k);
    write_str(l, LOG_STDOUT, "penultimate\nlast\n");
    logfile_close(l);
    struct log_read_opts ro = {.tail = 2};
    child_rchar =
        mmap(NULL, sizeof(*child_rchar), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(child_rchar != MAP_FAILED);
    *child_rchar = ~0ULL;
    struct read_result r = read_log(f->dir, &ro);
    unsigned long long got = *child_rchar;
    munmap(child_rchar, sizeof(*child_rchar));
    child_rchar = NULL;
    assert_string_equal(r.out, "penultimate\nlast\n");
    result_free(&r);
    /* The whole file is 1500 chunks of ~8 KB; seeking from the end reads a
     * few blocks of it. */
    assert_true(got < 1024 * 1024);
}

/* -f sees lines written later, across a rotation, and ends when the
 * `running` callback says the container stopped. */
static int running_file_exists(void *data)
{
    return access((const char *)data, F_OK) == 0;
}
static bool running_cb(void *data)
{
    return running_file_exists(data);
}

static void test_follow_rotation(void **state)
{
    struct fixture *f = *state;
    _cleanup_free_ char *flag = brig_xasprintf("%s/running", f->dir);
    assert_int_equal(close(open(flag, O_CREAT | O_WRONLY, 0644)), 0);
    struct logfile *l = open_ok(f->dir, 200, 3);
    write_str(l, LOG_STDOUT, "before\n");

    int po[2];
    assert_int_equal(pipe(po), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        brig_error err = NULL;
        struct log_read_opts ro = {
            .tail = -1, .follow = true, .running = running_cb, .running_data = flag};
        close(po[0]);
        _exit(logfile_read(f->dir, &ro, po[1], po[1], &err) < 0 ? 1 : 0);
    }
    close(po[1]);
    usleep(100 * 1000);
    char line[32];
    for (int i = 0; i < 8; i++) { /* several rotations */
        snprintf(line, sizeof(line), "l%d\n", i);
        write_str(l, i % 2 ? LOG_STDERR : LOG_STDOUT, line);
        usleep(i == 3 ? 300 * 1000 : 50 * 1000);
    }
    logfile_close(l);
    unlink(flag);
    _cleanup_free_ char *out = drain_fd(po[0]);
    close(po[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_string_equal(out, "before\nl0\nl1\nl2\nl3\nl4\nl5\nl6\nl7\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_line_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_single_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streams_and_timestamps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_since_until, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_big, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_rotation, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

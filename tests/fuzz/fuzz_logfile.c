/* libFuzzer harness: the json-file log reader behind `brig logs`
 * (src/engine/logfile_read.c).  The input is ctr.log as found on disk: a
 * container controls every byte of what it logs, and a crash can leave any
 * line cut short.  logfile.c and logfile_read.c are included for their
 * encoder and decoder.
 *
 * Oracles:
 *   - the reader prints exactly the entries of the complete lines, each on
 *     the stream it names, in order; with --tail N exactly those of the
 *     last N lines (an unfinished last line counts, but is not printed);
 *   - the decoder inverts the writer's encoder: a valid UTF-8 log comes
 *     back byte for byte, any other as valid UTF-8 that then round trips. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "fuzz_common.h"
#include "logfile.c"
#include "logfile_read.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static int dirfd_ = -1;

static bool utf8_all_valid(const char *s, size_t n)
{
    unsigned cp;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_valid((const unsigned char *)s + i, n - i, &cp);
        if (l == 0)
            return false;
        i += l;
    }
    return true;
}

/* The writer's encoding of log as an entry, decoded by the reader. */
static struct buf decode_encoded(const char *log, size_t n)
{
    struct buf enc = {0}, line = {0};
    struct entry e = {0};

    json_escape(&enc, log, n);
    buf_add(&line, "{\"log\":\"", 8);
    buf_add(&line, enc.p, enc.len);
    buf_add(&line, "\",\"stream\":\"stderr\",\"time\":\"2026-11-23T09:30:00.5Z\"}", 52);
    if (entry_parse(line.p, line.len, &e) < 0 || e.stream != LOG_STDERR ||
        strcmp(e.time, "2026-11-23T09:30:00.5Z") != 0)
        abort();
    free(enc.p);
    free(line.p);
    return e.log;
}

/* decode(encode(x)) is x when x is valid UTF-8, valid UTF-8 always (an
 * invalid byte becomes U+FFFD), and a fixed point of decode(encode()). */
static void check_round_trip(const char *log, size_t n)
{
    struct buf once = decode_encoded(log, n), twice;

    if (utf8_all_valid(log, n) && (once.len != n || (n && memcmp(once.p, log, n) != 0)))
        abort();
    if (!utf8_all_valid(once.p, once.len))
        abort();
    twice = decode_encoded(once.p, once.len);
    if (twice.len != once.len || (once.len && memcmp(twice.p, once.p, once.len) != 0))
        abort();
    free(once.p);
    free(twice.p);
}

static void expect_line(struct buf out[2], const char *p, size_t n, bool timestamps)
{
    struct entry e = {0};

    if (entry_parse(p, n, &e) == 0) {
        struct buf *b = &out[e.stream == LOG_STDERR];
        if (e.stream != LOG_STDOUT && e.stream != LOG_STDERR)
            abort();
        if (memchr(e.time, '\0', sizeof(e.time)) == NULL)
            abort();
        if (timestamps) {
            buf_add(b, e.time, strlen(e.time));
            buf_addc(b, ' ');
        }
        buf_add(b, e.log.p, e.log.len);
        check_round_trip(e.log.p, e.log.len);
    }
    free(e.log.p);
}

static void check_fd(int fd, const struct buf *want)
{
    off_t len = lseek(fd, 0, SEEK_END);
    char *got = malloc((size_t)len + 1);

    if (len < 0 || got == NULL || pread(fd, got, (size_t)len, 0) != len)
        abort();
    if ((size_t)len != want->len || (len > 0 && memcmp(got, want->p, want->len) != 0)) {
        fprintf(stderr, "printed %lld bytes, expected %zu\n", (long long)len, want->len);
        abort();
    }
    free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct log_read_opts o = {.tail = (long)(size % 8) - 1, .timestamps = (size / 8) % 2};
    struct buf want[2] = {{0}, {0}};
    brig_error err = NULL;
    size_t nlines = 0, first;

    if (dirfd_ < 0) {
        snprintf(dir, sizeof(dir), "%s", fuzz_scratch_dir("log"));
        dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    int fd = openat(dirfd_, LOG_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
        abort();
    close(fd);

    /* Lines: split on "\n"; a final "\n" ends the last line. */
    for (size_t i = 0; i < size; i++)
        nlines += text[i] == '\n';
    bool unfinished = size > 0 && text[size - 1] != '\n';
    nlines += unfinished;
    first = o.tail < 0 || (size_t)o.tail >= nlines ? 0 : nlines - (size_t)o.tail;
    for (size_t i = 0, line = 0, start = 0; i < size; i++) {
        if (text[i] != '\n')
            continue;
        if (line++ >= first)
            expect_line(want, text + start, i - start, o.timestamps);
        start = i + 1;
    }

    int out = memfd_create("out", MFD_CLOEXEC), errfd = memfd_create("err", MFD_CLOEXEC);
    if (out < 0 || errfd < 0)
        abort();
    if (logfile_read(dir, &o, out, errfd, &err) < 0) {
        fprintf(stderr, "logfile_read: %s\n", err->msg);
        abort();
    }
    check_fd(out, &want[0]);
    check_fd(errfd, &want[1]);
    close(out);
    close(errfd);
    free(want[0].p);
    free(want[1].p);

    /* The raw bytes as a container would have printed them. */
    check_round_trip(text, size);
    return 0;
}

/* `brig logs`: reading docker's json-file logs back (see logfile.c for the
 * writer).  --tail scans the files backwards for newlines, so `--tail 10`
 * on a 10 MB log reads a few KiB; -f follows the live file across
 * rotations. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "logfile.h"
#include "logfile_internal.h"

struct entry {
    int stream; /* LOG_STDOUT / LOG_STDERR, 0 when absent */
    char time[64];
    struct buf log;
};

static const char *json_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static int hex4(const char *p, const char *end, unsigned *ret)
{
    unsigned v = 0;
    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *ret = v;
    return 0;
}

static void add_utf8(struct buf *b, unsigned cp)
{
    char o[4];
    size_t n;
    if (cp < 0x80) {
        o[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        o[0] = (char)(0xf0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    buf_add(b, o, n);
}

/* Decode the JSON string starting at p (just after its opening quote) into
 * out (may be NULL to skip it); returns the position after the closing
 * quote, or NULL when malformed. */
static const char *json_string(const char *p, const char *end, struct buf *out)
{
    while (p < end) {
        const char *q = p;
        while (q < end && *q != '"' && *q != '\\')
            q++;
        if (out)
            buf_add(out, p, (size_t)(q - p));
        if (q >= end)
            return NULL;
        if (*q == '"')
            return q + 1;
        if (++q >= end)
            return NULL;
        char c = *q++, e = 0;
        switch (c) {
        case '"':
            e = '"';
            break;
        case '\\':
            e = '\\';
            break;
        case '/':
            e = '/';
            break;
        case 'b':
            e = '\b';
            break;
        case 'f':
            e = '\f';
            break;
        case 'n':
            e = '\n';
            break;
        case 'r':
            e = '\r';
            break;
        case 't':
            e = '\t';
            break;
        case 'u': {
            unsigned cp, lo;
            if (hex4(q, end, &cp) < 0)
                return NULL;
            q += 4;
            if (cp >= 0xd800 && cp <= 0xdbff && end - q >= 6 && q[0] == '\\' && q[1] == 'u' &&
                hex4(q + 2, end, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                q += 6;
            } else if (cp >= 0xd800 && cp <= 0xdfff)
                cp = 0xfffd; /* a lone surrogate, as Go decodes it */
            if (out)
                add_utf8(out, cp);
            break;
        }
        default:
            return NULL;
        }
        if (e && out)
            buf_addc(out, e);
        p = q;
    }
    return NULL;
}

/* Skip any JSON value other than a string (numbers, literals, arrays and
 * objects, strings inside them honoured). */
static const char *json_skip(const char *p, const char *end)
{
    int depth = 0;
    while (p < end) {
        char c = *p;
        if (c == '"') {
            p = json_string(p + 1, end, NULL);
            if (p == NULL)
                return NULL;
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']') {
            if (depth == 0)
                return p;
            depth--;
        } else if (c == ',' && depth == 0)
            return p;
        p++;
    }
    return NULL;
}

/* One log line -> entry.  Returns -1 for a line that is not an entry (a
 * write cut short by a crash, or foreign text). */
static int entry_parse(const char *p, size_t n, struct entry *e)
{
    const char *end = p + n;
    struct buf key = {0}, tmp = {0};
    int r = -1;

    e->stream = 0;
    e->time[0] = 0;
    e->log.len = 0;
    p = json_ws(p, end);
    if (p >= end || *p++ != '{')
        goto out;
    for (;;) {
        p = json_ws(p, end);
        if (p < end && *p == '}') {
            r = 0;
            goto out;
        }
        if (p >= end || *p++ != '"')
            goto out;
        key.len = 0;
        if ((p = json_string(p, end, &key)) == NULL)
            goto out;
        p = json_ws(p, end);
        if (p >= end || *p++ != ':')
            goto out;
        p = json_ws(p, end);
        if (p >= end)
            goto out;
        bool is_log = key.len == 3 && memcmp(key.p, "log", 3) == 0;
        bool is_stream = key.len == 6 && memcmp(key.p, "stream", 6) == 0;
        bool is_time = key.len == 4 && memcmp(key.p, "time", 4) == 0;
        if (*p == '"') {
            tmp.len = 0;
            p = json_string(p + 1, end, is_log ? &e->log : &tmp);
            if (p == NULL)
                goto out;
            if (is_stream)
                e->stream =
                    tmp.len == 6 && memcmp(tmp.p, "stderr", 6) == 0 ? LOG_STDERR : LOG_STDOUT;
            else if (is_time && tmp.len < sizeof(e->time)) {
                memcpy(e->time, tmp.p, tmp.len);
                e->time[tmp.len] = 0;
            }
        } else if ((p = json_skip(p, end)) == NULL)
            goto out;
        p = json_ws(p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '}') {
            r = 0;
            goto out;
        }
        goto out;
    }
out:
    free(key.p);
    free(tmp.p);
    if (r == 0 && e->stream == 0)
        e->stream = LOG_STDOUT;
    return r;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* RFC 3339 "2026-11-23T09:30:00.123456789Z" (or +HH:MM) -> unix seconds. */
static int parse_rfc3339(const char *s, double *ret)
{
    struct tm tm = {0};
    double frac = 0, scale = 0.1;
    size_t n = strlen(s), i = 19;
    int off = 0;

    if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return -1;
    tm.tm_year = digits(s, 4) - 1900;
    tm.tm_mon = digits(s + 5, 2) - 1;
    tm.tm_mday = digits(s + 8, 2);
    tm.tm_hour = digits(s + 11, 2);
    tm.tm_min = digits(s + 14, 2);
    tm.tm_sec = digits(s + 17, 2);
    if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mday < 0 || tm.tm_hour < 0 || tm.tm_min < 0 ||
        tm.tm_sec < 0)
        return -1;
    if (s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
            frac += (s[i] - '0') * scale;
    }
    if (i < n && (s[i] == 'Z' || s[i] == 'z'))
        i++;
    else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int h = digits(s + i + 1, 2), m = digits(s + i + 4, 2);
        if (h < 0 || m < 0)
            return -1;
        off = (h * 60 + m) * 60 * (s[i] == '-' ? -1 : 1);
        i += 6;
    }
    if (i != n)
        return -1;
    *ret = (double)timegm(&tm) - off + frac;
    return 0;
}

struct reader {
    const struct log_read_opts *o;
    int fds[2]; /* out, err */
    struct buf outb;
    int outb_fd;
    struct entry e;
    struct buf line; /* a line split across reads */
    bool done;       /* --until passed */
};

static int reader_flush(struct reader *r, brig_error *reterr)
{
    if (r->outb.len > 0 && brig_write_all(r->outb_fd, r->outb.p, r->outb.len) < 0) {
        r->outb.len = 0;
        return brig_error_errno(reterr, "write log output");
    }
    r->outb.len = 0;
    return 0;
}

static int reader_line(struct reader *r, const char *p, size_t n, brig_error *reterr)
{
    double t = 0;
    int fd;

    if (r->done || entry_parse(p, n, &r->e) < 0)
        return 0;
    if ((r->o->since > 0 || r->o->until > 0) && parse_rfc3339(r->e.time, &t) == 0) {
        if (r->o->since > 0 && t < r->o->since)
            return 0;
        if (r->o->until > 0 && t > r->o->until) {
            r->done = true;
            return 0;
        }
    }
    fd = r->fds[r->e.stream == LOG_STDERR ? 1 : 0];
    /* Keep the order of stdout and stderr when both reach one terminal. */
    if (fd != r->outb_fd && reader_flush(r, reterr) < 0)
        return -1;
    r->outb_fd = fd;
    if (r->o->timestamps) {
        buf_add(&r->outb, r->e.time, strlen(r->e.time));
        buf_addc(&r->outb, ' ');
    }
    buf_add(&r->outb, r->e.log.p, r->e.log.len);
    if (r->outb.len >= LOG_FLUSH_AT)
        return reader_flush(r, reterr);
    return 0;
}

/* Print every complete line from fd's position to its end; an unfinished
 * last line is kept in r->line for the next call (follow). */
static int reader_drain(struct reader *r, int fd, brig_error *reterr)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return brig_error_errno(reterr, "read log");
        if (n == 0)
            return 0;
        const char *p = buf, *end = buf + n;
        while (p < end && !r->done) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (nl == NULL) {
                buf_add(&r->line, p, (size_t)(end - p));
                break;
            }
            if (r->line.len > 0) {
                buf_add(&r->line, p, (size_t)(nl - p));
                if (reader_line(r, r->line.p, r->line.len, reterr) < 0)
                    return -1;
                r->line.len = 0;
            } else if (reader_line(r, p, (size_t)(nl - p), reterr) < 0)
                return -1;
            p = nl + 1;
        }
        if (r->done)
            return 0;
    }
}

/* Where the last `*need` lines of fd begin.  Returns true with *ret_start
 * set when they begin in this file; else subtracts its lines from *need. */
static bool tail_scan(int fd, off_t size, long *need, off_t *ret_start)
{
    char buf[65536];
    off_t pos = size;
    char c;

    if (size == 0)
        return false;
    /* The final "\n" ends the last line; it does not start one. */
    if (pread(fd, &c, 1, size - 1) == 1 && c == '\n')
        pos = size - 1;
    while (pos > 0) {
        size_t chunk = pos < (off_t)sizeof(buf) ? (size_t)pos : sizeof(buf);
        ssize_t n = pread(fd, buf, chunk, pos - (off_t)chunk);
        if (n != (ssize_t)chunk)
            break;
        for (size_t i = chunk; i-- > 0;)
            if (buf[i] == '\n' && --*need == 0) {
                *ret_start = pos - (off_t)chunk + (off_t)i + 1;
                return true;
            }
        pos -= (off_t)chunk;
    }
    if (--*need == 0) {
        *ret_start = 0;
        return true;
    }
    return false;
}

#define LOG_FILES_MAX 64

/* Open the log files, oldest first; the live file is last (or absent).
 * Files are opened newest first and deduplicated by inode, so a rotation
 * in between shows a file at most once. */
static size_t open_logs(int dirfd, int *fds, bool *live_present)
{
    size_t n = 0;
    ino_t seen[LOG_FILES_MAX];
    char name[32];

    *live_present = false;
    for (unsigned i = 0; n < LOG_FILES_MAX; i++) {
        struct stat sb;
        bool dup = false;
        if (i == 0)
            snprintf(name, sizeof(name), LOG_NAME);
        else
            snprintf(name, sizeof(name), LOG_NAME ".%u", i);
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            if (i == 0)
                continue;
            break;
        }
        if (fstat(fd, &sb) < 0) {
            close(fd);
            continue;
        }
        for (size_t k = 0; k < n; k++)
            dup |= seen[k] == sb.st_ino;
        if (dup) {
            close(fd);
            continue;
        }
        if (i == 0)
            *live_present = true;
        seen[n] = sb.st_ino;
        fds[n++] = fd;
    }
    /* Newest first -> oldest first. */
    for (size_t i = 0; i < n / 2; i++) {
        int t = fds[i];
        fds[i] = fds[n - 1 - i];
        fds[n - 1 - i] = t;
    }
    return n;
}

static int wait_change(int ino_fd, int timeout_ms)
{
    char evbuf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    if (ino_fd < 0) {
        poll(NULL, 0, timeout_ms);
        return 0;
    }
    struct pollfd p = {.fd = ino_fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) > 0)
        while (read(ino_fd, evbuf, sizeof(evbuf)) > 0)
            ;
    return 0;
}

static bool same_file(int dirfd, int fd)
{
    struct stat a, b;
    if (fstatat(dirfd, LOG_NAME, &a, 0) < 0)
        return true; /* gone for a moment between two renames: keep ours */
    return fstat(fd, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* -f: keep reading the live file; after a rotation, finish the file we
 * hold (its last writes went there before the rename), then read the
 * rotated file we never saw (when ctr.log.1 is not ours) and the new live
 * one. */
static int follow(struct reader *r, int dirfd, int live, brig_error *reterr)
{
    _cleanup_close_ int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), cur = live;

    if (ino >= 0) {
        char path[BRIG_FD_PATH_MAX];
        brig_fd_path(dirfd, path);
        if (inotify_add_watch(ino, path, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF) <
            0) {
            close(ino);
            ino = -1;
        }
    }
    while (!r->done) {
        bool running = r->o->running ? r->o->running(r->o->running_data) : true;
        if (cur >= 0 && reader_drain(r, cur, reterr) < 0)
            return -1;
        if (cur < 0 || !same_file(dirfd, cur)) {
            int next = openat(dirfd, LOG_NAME, O_RDONLY | O_CLOEXEC | O_NOCTTY);
            if (cur >= 0 && next >= 0) {
                int prev = openat(dirfd, LOG_NAME ".1", O_RDONLY | O_CLOEXEC | O_NOCTTY);
                struct stat a, b;
                if (prev >= 0 && fstat(prev, &a) == 0 && fstat(cur, &b) == 0 &&
                    a.st_ino != b.st_ino) {
                    r->line.len = 0;
                    if (reader_drain(r, prev, reterr) < 0) {
                        close(prev);
                        close(next);
                        return -1;
                    }
                }
                if (prev >= 0)
                    close(prev);
            }
            if (next >= 0) {
                if (cur >= 0)
                    close(cur);
                cur = next;
                r->line.len = 0;
                continue;
            }
        }
        if (reader_flush(r, reterr) < 0)
            return -1;
        if (!running)
            break;
        wait_change(ino, 250);
    }
    return reader_flush(r, reterr);
}

int logfile_read(const char *ctr_dir, const struct log_read_opts *o, int out_fd, int err_fd,
                 brig_error *reterr)
{
    _cleanup_close_ int dirfd = open(ctr_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fds[LOG_FILES_MAX];
    size_t n, first = 0;
    off_t start = 0;
    bool live;
    int ret = -1;
    struct reader r = {.o = o, .fds = {out_fd, err_fd}, .outb_fd = out_fd};

    if (dirfd < 0)
        return brig_error_errno(reterr, "open log directory `%s`", ctr_dir);
    n = open_logs(dirfd, fds, &live);

    if (o->tail == 0) {
        first = n;
    } else if (o->tail > 0) {
        long need = o->tail;
        bool found = false;
        for (size_t i = n; i-- > 0;) {
            struct stat sb;
            if (fstat(fds[i], &sb) < 0)
                continue;
            if (tail_scan(fds[i], sb.st_size, &need, &start)) {
                first = i;
                found = true;
                break;
            }
        }
        if (!found)
            start = 0;
    }
    for (size_t i = first; i < n; i++) {
        if (i == first && start > 0 && lseek(fds[i], start, SEEK_SET) < 0) {
            brig_error_errno(reterr, "seek in log");
            goto out;
        }
        r.line.len = 0;
        if (reader_drain(&r, fds[i], reterr) < 0)
            goto out;
    }
    /* --tail 0 with -f: only what comes next. */
    if (o->tail == 0 && live && lseek(fds[n - 1], 0, SEEK_END) < 0) {
        brig_error_errno(reterr, "seek in log");
        goto out;
    }
    if (reader_flush(&r, reterr) < 0)
        goto out;
    if (o->follow && !r.done) {
        int cur = live ? fds[n - 1] : -1;
        if (live)
            n--; /* follow() owns it now */
        if (follow(&r, dirfd, cur, reterr) < 0)
            goto out;
    }
    ret = 0;
out:
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
    free(r.outb.p);
    free(r.line.p);
    free(r.e.log.p);
    return ret;
}

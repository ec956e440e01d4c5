/* Container logs in docker's json-file format: the writer the monitor uses
 * and the reader behind `brig logs`.
 *
 * Writer: each logfile_write() encodes every complete line of its buffer and
 * appends them with one write(2) on an O_APPEND fd, so a reader (or a crash)
 * never sees half an entry except at a crash in the middle of that write;
 * the reader skips a line it cannot parse.  Rotation renames ctr.log to
 * ctr.log.1 (and .1 to .2 ...) before an entry would take the live file past
 * max_size.
 *
 * Reader: --tail scans the files backwards from the end for newlines, so
 * `--tail 10` on a 10 MB log reads a few KiB; -f keeps the live file open
 * and follows it across rotations (inotify on the directory, the inode of
 * ctr.log compared with the fd it holds). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

struct logfile {
    int dirfd;
    int fd;
    uint64_t size; /* of the live file, as written by us */
    uint64_t max_size;
    unsigned max_files;
    struct buf part[3]; /* held partial line, by stream */
    struct buf out;     /* encoded entries not yet written */
    char now[40];       /* the time of the current logfile_write */
};

/* ---- writer -------------------------------------------------------------- */

static const char hexdig[] = "0123456789abcdef";

static void add_u(struct buf *b, unsigned cp)
{
    char e[6] = {'\\',
                 'u',
                 hexdig[(cp >> 12) & 15],
                 hexdig[(cp >> 8) & 15],
                 hexdig[(cp >> 4) & 15],
                 hexdig[cp & 15]};
    buf_add(b, e, 6);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid
 * (overlong forms, surrogates and code points past U+10FFFF are invalid, as
 * in Go's encoder, which docker uses). */
static size_t utf8_valid(const unsigned char *s, size_t n, unsigned *ret_cp)
{
    unsigned cp;
    size_t len;
    if (s[0] < 0x80) {
        *ret_cp = s[0];
        return 1;
    } else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07;
    } else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *ret_cp = cp;
    return len;
}

/* JSON string body as Go's encoding/json writes it: control characters,
 * `"` and `\` escaped, `<>&` and U+2028/U+2029 as \u escapes, every invalid
 * UTF-8 byte as U+FFFD. */
static void json_escape(struct buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    buf_reserve(b, n + 16);
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
            /* The common case: a run of plain ASCII. */
            size_t j = i + 1;
            while (j < n && s[j] >= 0x20 && s[j] < 0x80 && s[j] != '"' && s[j] != '\\' &&
                   s[j] != '<' && s[j] != '>' && s[j] != '&')
                j++;
            buf_add(b, s + i, j - i);
            i = j;
            continue;
        }
        if (c < 0x80) {
            switch (c) {
            case '"':
                buf_add(b, "\\\"", 2);
                break;
            case '\\':
                buf_add(b, "\\\\", 2);
                break;
            case '\n':
                buf_add(b, "\\n", 2);
                break;
            case '\r':
                buf_add(b, "\\r", 2);
                break;
            case '\t':
                buf_add(b, "\\t", 2);
                break;
            default:
                add_u(b, c);
                break;
            }
            i++;
            continue;
        }
        unsigned cp;
        size_t len = utf8_valid(s + i, n - i, &cp);
        if (len == 0) {
            buf_add(b, "\\ufffd", 6);
            i++;
        } else if (cp == 0x2028 || cp == 0x2029) {
            add_u(b, cp);
            i += len;
        } else {
            buf_add(b, s + i, len);
            i += len;
        }
    }
}

static void logfile_set_now(struct logfile *l)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(l->now, sizeof(l->now), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(l->now + n, sizeof(l->now) - n, ".%09ldZ", ts.tv_nsec);
}

static int logfile_flush(struct logfile *l, brig_error *reterr)
{
    if (l->out.len == 0)
        return 0;
    if (brig_write_all(l->fd, l->out.p, l->out.len) < 0) {
        l->out.len = 0;
        return brig_error_errno(reterr, "write `" LOG_NAME "`");
    }
    l->size += l->out.len;
    l->out.len = 0;
    return 0;
}

static int logfile_reopen(struct logfile *l, bool truncate, brig_error *reterr)
{
    struct stat sb;
    if (l->fd >= 0)
        close(l->fd);
    l->fd = openat(l->dirfd, LOG_NAME,
                   O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | (truncate ? O_TRUNC : 0),
                   0640);
    if (l->fd < 0)
        return brig_error_errno(reterr, "open `" LOG_NAME "`");
    if (fstat(l->fd, &sb) < 0)
        return brig_error_errno(reterr, "stat `" LOG_NAME "`");
    l->size = (uint64_t)sb.st_size;
    return 0;
}

static int logfile_rotate(struct logfile *l, brig_error *reterr)
{
    char from[32], to[32];
    if (logfile_flush(l, reterr) < 0)
        return -1;
    if (l->max_files <= 1)
        return logfile_reopen(l, true, reterr);
    /* Oldest first, so each rename drops only the file past max_files. */
    for (unsigned i = l->max_files - 1; i >= 1; i--) {
        if (i == 1)
            snprintf(from, sizeof(from), LOG_NAME);
        else
            snprintf(from, sizeof(from), LOG_NAME ".%u", i - 1);
        snprintf(to, sizeof(to), LOG_NAME ".%u", i);
        if (renameat(l->dirfd, from, l->dirfd, to) < 0 && errno != ENOENT)
            return brig_error_errno(reterr, "rotate `%s` to `%s`", from, to);
    }
    return logfile_reopen(l, true, reterr);
}

/* One entry: {"log":"...","stream":"stdout","time":"..."}\n */
static int logfile_emit(struct logfile *l, enum log_stream s, const char *p, size_t n,
                        brig_error *reterr)
{
    size_t before = l->out.len;
    buf_add(&l->out, "{\"log\":\"", 8);
    json_escape(&l->out, p, n);
    if (s == LOG_STDERR)
        buf_add(&l->out, "\",\"stream\":\"stderr\",\"time\":\"", 28);
    else
        buf_add(&l->out, "\",\"stream\":\"stdout\",\"time\":\"", 28);
    buf_add(&l->out, l->now, strlen(l->now));
    buf_add(&l->out, "\"}\n", 3);

    /* Would this entry take the live file past max_size?  Rotate first
     * (unless the file is empty: an entry larger than max_size still goes
     * somewhere). */
    size_t entry = l->out.len - before;
    if (l->max_size > 0 && l->size + l->out.len > l->max_size && l->size + before > 0) {
        _cleanup_free_ char *copy = brig_xmalloc0(entry);
        memcpy(copy, l->out.p + before, entry);
        l->out.len = before;
        if (logfile_rotate(l, reterr) < 0)
            return -1;
        buf_add(&l->out, copy, entry);
    }
    if (l->out.len >= LOG_FLUSH_AT)
        return logfile_flush(l, reterr);
    return 0;
}

int logfile_open(const char *ctr_dir, uint64_t max_size, unsigned max_files, struct logfile **ret,
                 brig_error *reterr)
{
    struct logfile *l = brig_xmalloc0(sizeof(*l));
    char name[32];

    l->fd = -1;
    l->max_size = max_size;
    l->max_files = max_files ? max_files : 1;
    l->dirfd = open(ctr_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (l->dirfd < 0) {
        brig_error_errno(reterr, "open log directory `%s`", ctr_dir);
        free(l);
        return -1;
    }
    if (logfile_reopen(l, false, reterr) < 0) {
        brig_error_wrap(reterr, "open log in `%s`", ctr_dir);
        logfile_close(l);
        return -1;
    }
    /* Files past max_files (a smaller setting than last time) would be read
     * as the oldest part of the log forever: drop them. */
    for (unsigned i = l->max_files;; i++) {
        snprintf(name, sizeof(name), LOG_NAME ".%u", i);
        if (unlinkat(l->dirfd, name, 0) < 0)
            break;
    }
    *ret = l;
    return 0;
}

int logfile_write(struct logfile *l, enum log_stream s, const char *buf, size_t len,
                  brig_error *reterr)
{
    struct buf *part = &l->part[s == LOG_STDERR ? 2 : 1];

    logfile_set_now(l);
    while (len > 0) {
        const char *nl = memchr(buf, '\n', len);
        size_t n = nl ? (size_t)(nl - buf) + 1 : len;
        size_t room = LOG_LINE_MAX - part->len;
        if (n > room) {
            /* A line longer than 16 KiB: its first 16 KiB is an entry
             * of its own, without "\n" (docker splits the same way). */
            buf_add(part, buf, room);
            if (logfile_emit(l, s, part->p, part->len, reterr) < 0)
                return -1;
            part->len = 0;
            buf += room;
            len -= room;
            continue;
        }
        if (nl == NULL) {
            buf_add(part, buf, n);
        } else if (part->len == 0) {
            if (logfile_emit(l, s, buf, n, reterr) < 0)
                return -1;
        } else {
            buf_add(part, buf, n);
            if (logfile_emit(l, s, part->p, part->len, reterr) < 0)
                return -1;
            part->len = 0;
        }
        buf += n;
        len -= n;
    }
    return logfile_flush(l, reterr);
}

void logfile_close(struct logfile *l)
{
    if (l == NULL)
        return;
    if (l->fd >= 0) {
        _cleanup_error_ brig_error err = NULL;
        logfile_set_now(l);
        for (int s = 1; s <= 2; s++)
            if (l->part[s].len > 0 &&
                logfile_emit(l, (enum log_stream)s, l->part[s].p, l->part[s].len, &err) < 0)
                break;
        if (err == NULL)
            logfile_flush(l, &err);
        close(l->fd);
    }
    for (int s = 0; s < 3; s++)
        free(l->part[s].p);
    free(l->out.p);
    if (l->dirfd >= 0)
        close(l->dirfd);
    free(l);
}

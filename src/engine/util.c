/* What every verb shares: the stores, the one-line error, docker's units. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "engine.h"
#include "image/image.h"
#include "selinux/context.h"
#include "selinux/label.h"
#include "spec/spec.h"

static int open_dir_at(int dirfd, const char *path, brig_error *reterr)
{
    int fd;
    if (brig_mkdir_p_at(dirfd, path, 0700, reterr) < 0)
        return -1;
    fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return brig_error_errno(reterr, "open `%s`", path);
    return fd;
}

int engine_open(struct engine *e, brig_error *reterr)
{
    _cleanup_free_ char *store = brig_store_context(BRIG_STORE_META);

    /* The store's root carries the store type whatever its path (the
     * policy's file contexts say the same for /var/lib/brig), before
     * anything is made in it: what brig creates below inherits it, so
     * logs, state and records stay out of every container's reach, and
     * only layers (labelled as they are unpacked) and each container's
     * own dirs get container types. */
    if ((e->storage_fd = open_dir_at(AT_FDCWD, e->conf.storage_root, reterr)) < 0 ||
        brig_label_dir_ensure(e->storage_fd, store, reterr) < 0 ||
        (e->containers_fd = open_dir_at(e->storage_fd, "containers", reterr)) < 0 ||
        (e->names_fd = open_dir_at(e->storage_fd, "names", reterr)) < 0 ||
        (e->run_fd = open_dir_at(AT_FDCWD, e->conf.run_root, reterr)) < 0) {
        brig_error_wrap(reterr, "open storage `%s`", e->conf.storage_root);
        engine_close(e);
        return -1;
    }
    return 0;
}

void engine_close(struct engine *e)
{
    int *fds[] = {&e->storage_fd, &e->containers_fd, &e->names_fd, &e->run_fd};
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(fds); i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
    if (e->images)
        brig_image_store_free(e->images);
    e->images = NULL;
    engine_conf_clear(&e->conf);
}

int engine_images(struct engine *e, struct brig_image_store **ret, brig_error *reterr)
{
    if (e->images == NULL) {
        _cleanup_free_ char *root = brig_xasprintf("%s/image", e->conf.storage_root);
        if (brig_image_store_open(root, &e->images, reterr) < 0)
            return -1;
    }
    *ret = e->images;
    return 0;
}

uint64_t engine_caps_all(void)
{
    uint64_t all = 0;
    for (int i = 0; i <= brig_cap_last_cap(); i++)
        if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1)
            all |= 1ULL << i;
    return all;
}

int engine_signal_parse(const char *s)
{
    const char *n = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
    uint64_t v;
    if (brig_parse_u64(n, &v) == 0)
        return v > 0 && v < 65 ? (int)v : -1;
    for (int i = 1; i < NSIG; i++) {
        const char *abbrev = sigabbrev_np(i);
        if (abbrev && strcasecmp(abbrev, n) == 0)
            return i;
    }
    return -1;
}

int engine_fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", ENGINE_NAME);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int engine_fail_status(int status, brig_error *err)
{
    fprintf(stderr, "%s: %s\n", ENGINE_NAME, (*err && (*err)->msg) ? (*err)->msg : "failed");
    brig_error_free(err);
    return status;
}

int engine_fail_error(brig_error *err)
{
    return engine_fail_status(1, err);
}

int engine_parse_bytes(const char *s, int64_t *ret)
{
    char *end;
    double v;
    int64_t mult = 1;

    if (s == NULL || *s == '\0' || *s == '-')
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    switch (*end) {
    case '\0':
        break;
    case 'b':
    case 'B':
        mult = 1;
        end++;
        break;
    case 'k':
    case 'K':
        mult = 1LL << 10;
        end++;
        break;
    case 'm':
    case 'M':
        mult = 1LL << 20;
        end++;
        break;
    case 'g':
    case 'G':
        mult = 1LL << 30;
        end++;
        break;
    case 't':
    case 'T':
        mult = 1LL << 40;
        end++;
        break;
    default:
        return -1;
    }
    /* "64mb", "1GiB" are docker's too */
    if (mult > 1 && (*end == 'i' || *end == 'I'))
        end++;
    if (mult > 1 && (*end == 'b' || *end == 'B'))
        end++;
    if (*end != '\0' || v * (double)mult > 9.2e18)
        return -1;
    *ret = (int64_t)(v * (double)mult);
    return 0;
}

int engine_parse_time(const char *s, double *ret)
{
    struct tm tm = {0};
    char *end;
    double v;

    if (s == NULL || *s == '\0')
        return -1;
    /* A duration before now: "10s", "5m", "2h", "1h30m". */
    if (strchr("0123456789.", s[0]) && s[strlen(s) - 1] != 'Z' && strpbrk(s, "smh") &&
        !strchr(s, '-')) {
        double total = 0;
        const char *p = s;
        while (*p) {
            errno = 0;
            v = strtod(p, &end);
            if (errno || end == p)
                return -1;
            if (*end == 'h')
                total += v * 3600;
            else if (*end == 'm' && end[1] == 's')
                total += v / 1000, end++;
            else if (*end == 'm')
                total += v * 60;
            else if (*end == 's')
                total += v;
            else
                return -1;
            p = end + 1;
        }
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        *ret = (double)now.tv_sec + now.tv_nsec / 1e9 - total;
        return 0;
    }
    /* A unix time "1700000000" or "1700000000.5". */
    errno = 0;
    v = strtod(s, &end);
    if (errno == 0 && end != s && *end == '\0') {
        *ret = v;
        return 0;
    }
    /* RFC 3339: 2026-11-23T09:30:00[.frac](Z|+hh:mm), or a date alone. */
    end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == NULL) {
        memset(&tm, 0, sizeof(tm));
        end = strptime(s, "%Y-%m-%d", &tm);
        if (end == NULL || *end != '\0')
            return -1;
    }
    v = (double)timegm(&tm);
    if (*end == '.') {
        char *fe;
        double frac = strtod(end, &fe);
        v += frac;
        end = fe;
    }
    if (*end == 'Z') {
        end++;
    } else if (*end == '+' || *end == '-') {
        int hh, mm;
        if (sscanf(end + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        v -= (*end == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
        end += 6;
    }
    if (*end != '\0')
        return -1;
    *ret = v;
    return 0;
}

char *engine_human_ago(const char *rfc3339)
{
    double t, d;
    if (rfc3339 == NULL || engine_parse_time(rfc3339, &t) < 0)
        return brig_xstrdup("");
    d = (double)time(NULL) - t;
    if (d < 1)
        return brig_xstrdup("Less than a second ago");
    if (d < 60)
        return brig_xasprintf("%d seconds ago", (int)d);
    if (d < 120)
        return brig_xstrdup("About a minute ago");
    if (d < 3600)
        return brig_xasprintf("%d minutes ago", (int)(d / 60));
    if (d < 7200)
        return brig_xstrdup("About an hour ago");
    if (d < 86400 * 2)
        return brig_xasprintf("%d hours ago", (int)(d / 3600));
    if (d < 86400 * 14)
        return brig_xasprintf("%d days ago", (int)(d / 86400));
    if (d < 86400 * 60)
        return brig_xasprintf("%d weeks ago", (int)(d / (86400 * 7)));
    if (d < 86400 * 365 * 2)
        return brig_xasprintf("%d months ago", (int)(d / (86400 * 30)));
    return brig_xasprintf("%d years ago", (int)(d / (86400 * 365)));
}

char *engine_human_size(uint64_t bytes)
{
    /* docker prints decimal units with 3 significant digits: "4.26MB". */
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1000 && u + 1 < BRIG_ARRAY_SIZE(units)) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        return brig_xasprintf("%.0f%s", v, units[u]);
    return brig_xasprintf("%.3g%s", v, units[u]);
}

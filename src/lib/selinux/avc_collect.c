/* Collecting a container's avc records from where the kernel sent them:
 * auditd's log when auditd runs (the kernel then hands records to auditd
 * instead of printk), the kernel log otherwise.
 *
 * A container's records are told apart by the level of their scontext:
 * brig gives every container a category pair no other live container has,
 * so "scontext level == the container's level" selects exactly the
 * processes of that container (and any process it started). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/util.h"
#include "selinux/avc.h"
#include "selinux/context.h"

#define AUDITD_PID "/var/run/auditd.pid"
#define AUDIT_LOG "/var/log/audit/audit.log"
#define KMSG "/dev/kmsg"

struct acc {
    const char *level;
    struct brig_avc *v;
    size_t n, cap;
    size_t malformed;
};

static void take_line(struct acc *acc, const char *line)
{
    struct brig_avc a;
    int r = brig_avc_parse(line, &a);
    if (r < 0)
        acc->malformed++;
    if (r != 0)
        return;
    if (acc->level) {
        const char *l = brig_context_level(a.scontext);
        if (!l || strcmp(l, acc->level) != 0) {
            brig_avc_clear(&a);
            return;
        }
    }
    if (acc->n == acc->cap) {
        acc->cap = acc->cap ? acc->cap * 2 : 32;
        acc->v = brig_xrealloc(acc->v, acc->cap * sizeof(*acc->v));
    }
    acc->v[acc->n++] = a;
}

static bool auditd_running(void)
{
    _cleanup_free_ char *buf = NULL;
    size_t len;
    uint64_t pid;
    _cleanup_error_ brig_error err = NULL;

    if (brig_read_file_at(AT_FDCWD, AUDITD_PID, 64, &buf, &len, &err) < 0)
        return false;
    buf[strcspn(buf, " \n")] = '\0';
    if (brig_parse_u64(buf, &pid) < 0 || pid == 0 || pid > INT32_MAX)
        return false;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

int brig_avc_read(FILE *f, const char *level, struct brig_avc **ret, size_t *ret_n,
                  size_t *ret_malformed, brig_error *reterr)
{
    struct acc acc = {.level = level, .v = *ret, .n = *ret_n, .cap = *ret_n};
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;

    while (getline(&line, &cap, f) >= 0)
        take_line(&acc, line);
    *ret = acc.v;
    *ret_n = acc.n;
    if (ret_malformed)
        *ret_malformed += acc.malformed;
    if (ferror(f))
        return brig_error_errno(reterr, "read avc records");
    return 0;
}

static int collect_file(struct acc *acc, const char *path, bool optional, brig_error *reterr)
{
    _cleanup_fclose_ FILE *f = fopen(path, "re");

    if (!f) {
        if (optional && errno == ENOENT)
            return 0;
        return brig_error_errno(reterr, "read `%s`", path);
    }
    if (brig_avc_read(f, acc->level, &acc->v, &acc->n, &acc->malformed, reterr) < 0)
        return brig_error_wrap(reterr, "read `%s`", path);
    acc->cap = acc->n;
    return 0;
}

/* /dev/kmsg gives one record per read(): "pri,seq,usec,flags;message\n"
 * then continuation lines (" KEY=value").  Non-blocking: EAGAIN is the
 * end; EPIPE means records were overwritten under us, and reading on
 * continues from the oldest still there. */
static int collect_kmsg(struct acc *acc, brig_error *reterr)
{
    _cleanup_close_ int fd = open(KMSG, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    char buf[8192];

    if (fd < 0)
        return brig_error_errno(reterr, "read the kernel log `%s`", KMSG);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0) {
            if (errno == EINTR || errno == EPIPE)
                continue;
            if (errno == EAGAIN)
                break;
            return brig_error_errno(reterr, "read the kernel log `%s`", KMSG);
        }
        if (n == 0)
            break;
        buf[n] = '\0';
        char *msg = strchr(buf, ';');
        if (!msg)
            continue;
        msg++;
        msg[strcspn(msg, "\n")] = '\0';
        take_line(acc, msg);
    }
    return 0;
}

int brig_avc_collect(const char *level, struct brig_avc **ret, size_t *ret_n, size_t *ret_malformed,
                     const char **ret_source, brig_error *reterr)
{
    struct acc acc = {.level = level};
    const char *source;
    int r;

    if (auditd_running()) {
        source = AUDIT_LOG;
        r = collect_file(&acc, AUDIT_LOG ".1", true, reterr);
        if (r == 0)
            r = collect_file(&acc, AUDIT_LOG, false, reterr);
    } else {
        source = KMSG;
        r = collect_kmsg(&acc, reterr);
    }
    if (r < 0) {
        brig_avc_list_free(acc.v, acc.n);
        return brig_error_wrap(reterr, "collect avc records");
    }
    *ret = acc.v;
    *ret_n = acc.n;
    if (ret_malformed)
        *ret_malformed = acc.malformed;
    if (ret_source)
        *ret_source = source;
    return 0;
}

/* top, stats --no-stream, port. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "core/util.h"
#include "ctr.h"
#include "sandbox/container.h"

static int running_ctr(struct engine *e, const char *ref, struct ctr **ret, brig_error *reterr)
{
    struct ctr_state st;
    if (ctr_open(e, ref, ret, reterr) < 0 || ctr_state_get(e, *ret, &st, reterr) < 0)
        return -1;
    bool live = strcmp(st.status, "running") == 0 || strcmp(st.status, "paused") == 0;
    ctr_state_clear(&st);
    if (!live)
        return brig_error_set(reterr, 0, "container `%s` is not running", ctr_name(*ret));
    return 0;
}

/* /proc/PID/stat fields: comm, state, ppid, utime, stime, starttime. */
static int proc_line(pid_t pid, char *out, size_t n)
{
    char path[64], buf[1024], cmd[512] = "";
    int fd;
    ssize_t k;
    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        k = read(fd, cmd, sizeof(cmd) - 1);
        close(fd);
        if (k > 0) {
            cmd[k] = '\0';
            for (ssize_t i = 0; i < k - 1; i++)
                if (cmd[i] == '\0')
                    cmd[i] = ' ';
        }
    }
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    k = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (k <= 0)
        return -1;
    buf[k] = '\0';
    char *rp = strrchr(buf, ')');
    if (!rp)
        return -1;
    int ppid = 0;
    unsigned long ut = 0, stt = 0;
    if (sscanf(rp + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ppid, &ut, &stt) < 3)
        return -1;
    struct stat st;
    snprintf(path, sizeof(path), "/proc/%d", pid);
    uid_t uid = stat(path, &st) == 0 ? st.st_uid : 0;
    long hz = sysconf(_SC_CLK_TCK);
    unsigned long secs = (ut + stt) / (unsigned long)hz;
    snprintf(out, n, "%-8u %-8d %-8d %02lu:%02lu:%02lu %s", uid, pid, ppid, secs / 3600,
             (secs / 60) % 60, secs % 60, cmd);
    return 0;
}

int cmd_top(struct engine *e, int argc, char **argv)
{
    _cleanup_ctr_ struct ctr *c = NULL;
    _cleanup_free_ pid_t *pids = NULL;
    brig_error err = NULL;
    size_t n = 0;

    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        printf("Usage:  brig top CONTAINER\n\nDisplay the running processes of a container\n");
        return 0;
    }
    if (argc < 2)
        return engine_fail("\"brig top\" requires at least 1 argument");
    if (argc > 2)
        return engine_fail("top: ps options are not supported (`%s`)", argv[2]);
    if (running_ctr(e, argv[1], &c, &err) < 0 ||
        brig_container_ps(e->conf.run_root, c->id, &pids, &n, &err) < 0)
        return engine_fail_error(&err);
    printf("%-8s %-8s %-8s %-8s %s\n", "UID", "PID", "PPID", "TIME", "CMD");
    for (size_t i = 0; i < n; i++) {
        char line[700];
        if (proc_line(pids[i], line, sizeof(line)) == 0)
            printf("%s\n", line);
    }
    return 0;
}

/* cgroup numbers through /proc/PID/cgroup of the init: v2 unified or v1. */
static int cg_read(pid_t pid, const char *ctrl, const char *file, char *out, size_t n)
{
    char path[128], buf[4096];
    int fd;
    ssize_t k;
    snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    k = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (k <= 0)
        return -1;
    buf[k] = '\0';
    for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1, *cpath = c2 + 1;
        _cleanup_free_ char *full = NULL;
        if (*ctrls == '\0' && ctrl == NULL)
            full = brig_xasprintf("/sys/fs/cgroup%s/%s", cpath, file);
        else if (ctrl && strstr(ctrls, ctrl))
            full = brig_xasprintf("/sys/fs/cgroup/%s%s/%s", ctrls, cpath, file);
        if (!full)
            continue;
        fd = open(full, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        k = read(fd, out, n - 1);
        close(fd);
        if (k < 0)
            continue;
        out[k] = '\0';
        return 0;
    }
    return -1;
}

static uint64_t cg_u64(pid_t pid, const char *v1ctrl, const char *v1file, const char *v2file,
                       const char *key)
{
    char buf[4096];
    if (cg_read(pid, NULL, v2file, buf, sizeof(buf)) != 0 &&
        cg_read(pid, v1ctrl, v1file, buf, sizeof(buf)) != 0)
        return 0;
    if (key) {
        char *p = strstr(buf, key);
        return p ? strtoull(p + strlen(key), NULL, 10) : 0;
    }
    return strtoull(buf, NULL, 10);
}

int cmd_stats(struct engine *e, int argc, char **argv)
{
    _cleanup_strv_ char **ids = NULL;
    brig_error err = NULL;
    int first = 1, status = 0;

    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "--no-stream") == 0 || strcmp(argv[first], "-a") == 0 ||
            strcmp(argv[first], "--all") == 0)
            continue;
        if (strcmp(argv[first], "--help") == 0) {
            printf("Usage:  brig stats --no-stream [CONTAINER...]\n\n"
                   "Display a snapshot of containers' resource usage\n");
            return 0;
        }
        return engine_fail("stats: unknown flag: %s (brig prints one snapshot: --no-stream)",
                           argv[first]);
    }
    if (first >= argc) {
        if (ctr_list(e, &ids, &err) < 0)
            return engine_fail_error(&err);
    } else {
        for (int i = first; i < argc; i++)
            brig_strv_append(&ids, argv[i]);
    }
    printf("%-12s   %-20s %-8s %-22s %-6s %s\n", "CONTAINER ID", "NAME", "CPU %",
           "MEM USAGE / LIMIT", "MEM %", "PIDS");
    for (char **id = ids; *id; id++) {
        _cleanup_ctr_ struct ctr *c = NULL;
        struct ctr_state st;
        if (ctr_open(e, *id, &c, &err) < 0 || ctr_state_get(e, c, &st, &err) < 0) {
            status = first < argc ? engine_fail_error(&err) : (brig_error_free(&err), status);
            continue;
        }
        pid_t pid = st.pid;
        bool live = pid > 0;
        ctr_state_clear(&st);
        if (!live) {
            if (first < argc)
                printf("%-12.12s   %-20s %-8s %-22s %-6s %s\n", c->id, ctr_name(c), "--", "-- / --",
                       "--", "--");
            continue;
        }
        /* CPU: usage over a 100 ms window, as a share of one CPU */
        uint64_t u0 = cg_u64(pid, "cpuacct", "cpuacct.usage", "cpu.stat", "usage_usec ");
        usleep(100000);
        uint64_t u1 = cg_u64(pid, "cpuacct", "cpuacct.usage", "cpu.stat", "usage_usec ");
        char tmp[64];
        bool v2 = cg_read(pid, NULL, "cpu.stat", tmp, sizeof(tmp)) == 0;
        /* microseconds used in 100 ms, so percent = us / 1000 */
        double cpu = v2 ? (double)(u1 - u0) : (double)(u1 - u0) / 1000.0;
        uint64_t mem = cg_u64(pid, "memory", "memory.usage_in_bytes", "memory.current", NULL);
        char lim[64] = "";
        uint64_t limit = 0;
        if (cg_read(pid, NULL, "memory.max", lim, sizeof(lim)) == 0 ||
            cg_read(pid, "memory", "memory.limit_in_bytes", lim, sizeof(lim)) == 0)
            limit = strncmp(lim, "max", 3) == 0 ? 0 : strtoull(lim, NULL, 10);
        struct sysinfo si;
        if ((limit == 0 || limit > (1ULL << 60)) && sysinfo(&si) == 0)
            limit = (uint64_t)si.totalram * si.mem_unit;
        uint64_t pids = cg_u64(pid, "pids", "pids.current", "pids.current", NULL);
        _cleanup_free_ char *m = engine_human_size(mem), *l = engine_human_size(limit);
        _cleanup_free_ char *ml = brig_xasprintf("%s / %s", m, l);
        _cleanup_free_ char *cpus = brig_xasprintf("%.2f%%", cpu / 1000.0);
        _cleanup_free_ char *memp =
            brig_xasprintf("%.2f%%", limit ? 100.0 * (double)mem / (double)limit : 0.0);
        printf("%-12.12s   %-20s %-8s %-22s %-6s %lu\n", c->id, ctr_name(c), cpus, ml, memp,
               (unsigned long)pids);
    }
    return status;
}

int cmd_port(struct engine *e, int argc, char **argv)
{
    _cleanup_ctr_ struct ctr *c = NULL;
    brig_error err = NULL;
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        printf("Usage:  brig port CONTAINER [PRIVATE_PORT[/PROTO]]\n\n"
               "List port mappings of a container\n");
        return 0;
    }
    if (argc < 2)
        return engine_fail("\"brig port\" requires at least 1 argument");
    if (ctr_open(e, argv[1], &c, &err) < 0)
        return engine_fail_error(&err);
    /* brig publishes no ports yet (no bridged network): -p is refused at
     * create, so a container has no mappings to list. */
    if (argc > 2)
        return engine_fail("port: no public port `%s` published for `%s`", argv[2], ctr_name(c));
    return 0;
}

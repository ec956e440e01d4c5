/* cgroup v1 back end: one hierarchy per controller (or co-mounted group).
 * Also carries the limits on hybrid hosts, whose cgroup2 tree holds no
 * useful controller. */
#include "cgroup/cgroup_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"

static int need(const struct brig_cgroup *cg, const char *controller,
                const struct brig_cg_hier **ret, brig_error *reterr)
{
    *ret = brig_cg_find(cg, controller);
    if (*ret == NULL)
        return brig_error_set(reterr, 0,
                              "set %s limits: the `%s` controller is not mounted on this host",
                              controller, controller);
    return 0;
}

static bool is_blank(const char *s)
{
    return s[strspn(s, " \t\n")] == '\0';
}

/* A cpuset cgroup starts with empty cpus/mems, and the kernel refuses to
 * add a task to it until both are set: copy each empty level's values from
 * its parent, top-down, before anything enters. */
int brig_cg_v1_prepare_cpuset(const struct brig_cg_hier *h, brig_error *reterr)
{
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    _cleanup_free_ char *p = brig_xstrdup(h->dir);
    size_t mlen = strlen(h->mountpoint);

    for (char *s = p + mlen + 1;; s++) {
        bool end = *s == '\0';
        if (*s != '/' && !end)
            continue;
        *s = '\0';
        for (size_t i = 0; i < BRIG_ARRAY_SIZE(files); i++) {
            _cleanup_free_ char *cur = NULL, *parent_val = NULL, *parent = brig_xstrdup(p);
            *strrchr(parent, '/') = '\0';
            if (brig_cg_read(p, files[i], &cur, reterr) < 0)
                return -1;
            if (!is_blank(cur))
                continue;
            if (brig_cg_read(parent, files[i], &parent_val, reterr) < 0)
                return -1;
            if (brig_cg_write(p, files[i], parent_val, reterr) < 0)
                return brig_error_wrap(reterr, "populate cpuset from parent");
        }
        if (end)
            break;
        *s = '/';
    }
    return 0;
}

static int apply_cpu(const struct brig_cgroup *cg, const struct brig_spec_resources *res,
                     brig_error *reterr)
{
    const struct brig_cg_hier *h;

    if (!(res->has_cpu_shares && res->cpu_shares) && !res->has_cpu_quota &&
        !(res->has_cpu_period && res->cpu_period) && !res->has_cpu_burst && !res->has_cpu_idle)
        return 0;
    if (need(cg, "cpu", &h, reterr) < 0)
        return -1;
    if (res->has_cpu_shares && res->cpu_shares &&
        brig_cg_writef(h->dir, "cpu.shares", reterr, "%" PRIu64, res->cpu_shares) < 0)
        return -1;
    if (res->has_cpu_period && res->cpu_period) {
        /* A new period can conflict with the old quota (or the reverse):
         * when the period is refused, set the quota first and retry. */
        if (brig_cg_writef(h->dir, "cpu.cfs_period_us", reterr, "%" PRIu64, res->cpu_period) < 0) {
            if (!res->has_cpu_quota ||
                brig_cg_writef(h->dir, "cpu.cfs_quota_us", reterr, "%" PRId64, res->cpu_quota) <
                    0 ||
                brig_cg_writef(h->dir, "cpu.cfs_period_us", reterr, "%" PRIu64, res->cpu_period) <
                    0)
                return -1;
            brig_error_free(reterr);
        }
    }
    if (res->has_cpu_quota &&
        brig_cg_writef(h->dir, "cpu.cfs_quota_us", reterr, "%" PRId64, res->cpu_quota) < 0)
        return -1;
    if (res->has_cpu_burst &&
        brig_cg_writef(h->dir, "cpu.cfs_burst_us", reterr, "%" PRIu64, res->cpu_burst) < 0)
        return -1;
    if (res->has_cpu_idle &&
        brig_cg_writef(h->dir, "cpu.idle", reterr, "%" PRId64, res->cpu_idle) < 0)
        return -1;
    return 0;
}

static int apply_cpuset(const struct brig_cgroup *cg, const struct brig_spec_resources *res,
                        brig_error *reterr)
{
    const struct brig_cg_hier *h;
    bool cpus = res->cpu_cpus && *res->cpu_cpus, mems = res->cpu_mems && *res->cpu_mems;

    if (!cpus && !mems)
        return 0;
    if (need(cg, "cpuset", &h, reterr) < 0)
        return -1;
    if (cpus && brig_cg_write(h->dir, "cpuset.cpus", res->cpu_cpus, reterr) < 0)
        return -1;
    if (mems && brig_cg_write(h->dir, "cpuset.mems", res->cpu_mems, reterr) < 0)
        return -1;
    return 0;
}

static int write_mem(const char *dir, const char *file, int64_t v, brig_error *reterr)
{
    return brig_cg_writef(dir, file, reterr, "%" PRId64, v < 0 ? (int64_t)-1 : v);
}

static int apply_memory(const struct brig_cgroup *cg, const struct brig_spec_resources *res,
                        brig_error *reterr)
{
    const struct brig_cg_hier *h;
    bool set_limit = res->has_memory_limit;
    /* swap 0 means "not set", as runc reads it. */
    bool set_swap = res->has_memory_swap && res->memory_swap != 0;

    if (!set_limit && !set_swap && !res->has_memory_reservation && !res->has_memory_swappiness &&
        !res->disable_oom_killer)
        return 0;
    if (need(cg, "memory", &h, reterr) < 0)
        return -1;

    /* Swap accounting may be off (no memsw files): an unlimited swap, or
     * one equal to the limit, means "no extra swap" and needs no file. */
    if (set_swap && !brig_cg_exists(h->dir, "memory.memsw.limit_in_bytes")) {
        if (res->memory_swap == -1 || (set_limit && res->memory_swap == res->memory_limit))
            set_swap = false;
        else
            return brig_error_set(reterr, 0,
                                  "set memory.swap: swap accounting is not enabled in this "
                                  "kernel (no `memory.memsw.limit_in_bytes`)");
    }
    if (set_limit && set_swap) {
        /* memsw must stay >= memory at every step: raise memsw first when
         * growing, shrink memory first when shrinking. */
        _cleanup_free_ char *cur = NULL;
        uint64_t cur_limit = UINT64_MAX;
        if (brig_cg_read(h->dir, "memory.limit_in_bytes", &cur, reterr) < 0)
            return -1;
        cur[strcspn(cur, "\n")] = '\0';
        (void)brig_parse_u64(cur, &cur_limit);
        if (res->memory_swap == -1 || res->memory_limit < 0 ||
            (uint64_t)res->memory_limit > cur_limit) {
            if (write_mem(h->dir, "memory.memsw.limit_in_bytes", res->memory_swap, reterr) < 0 ||
                write_mem(h->dir, "memory.limit_in_bytes", res->memory_limit, reterr) < 0)
                return -1;
        } else {
            if (write_mem(h->dir, "memory.limit_in_bytes", res->memory_limit, reterr) < 0 ||
                write_mem(h->dir, "memory.memsw.limit_in_bytes", res->memory_swap, reterr) < 0)
                return -1;
        }
    } else if (set_limit) {
        if (write_mem(h->dir, "memory.limit_in_bytes", res->memory_limit, reterr) < 0) {
            if (reterr != NULL && *reterr != NULL &&
                ((*reterr)->errnum == EINVAL || (*reterr)->errnum == EBUSY))
                return brig_error_wrap(reterr, "set memory.limit (above the current memory+swap "
                                               "limit, or below current usage?)");
            return -1;
        }
    } else if (set_swap) {
        if (write_mem(h->dir, "memory.memsw.limit_in_bytes", res->memory_swap, reterr) < 0)
            return -1;
    }
    if (res->has_memory_reservation &&
        write_mem(h->dir, "memory.soft_limit_in_bytes", res->memory_reservation, reterr) < 0)
        return -1;
    if (res->has_memory_swappiness &&
        brig_cg_writef(h->dir, "memory.swappiness", reterr, "%" PRIu64, res->memory_swappiness) < 0)
        return -1;
    if (res->disable_oom_killer && brig_cg_write(h->dir, "memory.oom_control", "1", reterr) < 0)
        return -1;
    return 0;
}

static int apply_pids(const struct brig_cgroup *cg, const struct brig_spec_resources *res,
                      brig_error *reterr)
{
    const struct brig_cg_hier *h;

    if (!res->has_pids_limit)
        return 0;
    if (need(cg, "pids", &h, reterr) < 0)
        return -1;
    if (res->pids_limit <= 0)
        return brig_cg_write(h->dir, "pids.max", "max", reterr);
    return brig_cg_writef(h->dir, "pids.max", reterr, "%" PRId64, res->pids_limit);
}

static int apply_blkio(const struct brig_cgroup *cg, const struct brig_spec_resources *res,
                       brig_error *reterr)
{
    const struct brig_cg_hier *h;

    if (!res->has_blkio_weight || res->blkio_weight == 0)
        return 0;
    if (need(cg, "blkio", &h, reterr) < 0)
        return -1;
    /* CFQ's blkio.weight is gone from modern kernels; BFQ has its own. */
    if (brig_cg_exists(h->dir, "blkio.bfq.weight"))
        return brig_cg_writef(h->dir, "blkio.bfq.weight", reterr, "%u", res->blkio_weight);
    if (brig_cg_exists(h->dir, "blkio.weight"))
        return brig_cg_writef(h->dir, "blkio.weight", reterr, "%u", res->blkio_weight);
    return brig_error_set(reterr, 0,
                          "set blockIO.weight: this kernel has neither `blkio.bfq.weight` nor "
                          "`blkio.weight` (no proportional I/O scheduler)");
}

static void format_rule(const struct brig_spec_device_rule *r, char buf[64])
{
    char maj[24], min[24];

    if (r->type == 'a') {
        /* "a" covers every type and number. */
        snprintf(buf, 64, "a *:* %s", r->access);
        return;
    }
    if (r->major < 0)
        strcpy(maj, "*");
    else
        snprintf(maj, sizeof(maj), "%" PRId64, r->major);
    if (r->minor < 0)
        strcpy(min, "*");
    else
        snprintf(min, sizeof(min), "%" PRId64, r->minor);
    snprintf(buf, 64, "%c %s:%s %s", r->type, maj, min, r->access);
}

static int write_rule(const char *dir, const struct brig_spec_device_rule *r, brig_error *reterr)
{
    char buf[64];
    format_rule(r, buf);
    return brig_cg_write(dir, r->allow ? "devices.allow" : "devices.deny", buf, reterr);
}

static int apply_devices(const struct brig_cgroup *cg, const struct brig_spec_resources *res,
                         brig_error *reterr)
{
    const struct brig_cg_hier *h;

    if (res->n_devices == 0)
        return 0;
    if (need(cg, "devices", &h, reterr) < 0)
        return -1;
    /* Start from nothing so the result is exactly the rule list, whatever
     * the parent allowed; later rules override earlier ones, as written. */
    if (brig_cg_write(h->dir, "devices.deny", "a", reterr) < 0)
        return -1;
    for (size_t i = 0; i < res->n_devices; i++)
        if (write_rule(h->dir, &res->devices[i], reterr) < 0)
            return brig_error_wrap(reterr, "linux.resources.devices[%zu]", i);
    for (size_t i = 0; i < brig_cg_n_default_device_rules; i++)
        if (write_rule(h->dir, &brig_cg_default_device_rules[i], reterr) < 0)
            return -1;
    return 0;
}

int brig_cg_v1_apply(const struct brig_cgroup *cg, const struct brig_spec_resources *res,
                     bool creating, brig_error *reterr)
{
    (void)creating;
    if (apply_cpuset(cg, res, reterr) < 0 || apply_cpu(cg, res, reterr) < 0 ||
        apply_memory(cg, res, reterr) < 0 || apply_pids(cg, res, reterr) < 0 ||
        apply_blkio(cg, res, reterr) < 0 || apply_devices(cg, res, reterr) < 0)
        return -1;
    return 0;
}

int brig_cg_v1_is_frozen(const struct brig_cg_hier *h, bool *ret, brig_error *reterr)
{
    _cleanup_free_ char *v = NULL;
    if (brig_cg_read(h->dir, "freezer.state", &v, reterr) < 0)
        return -1;
    *ret = strncmp(v, "FROZEN", 6) == 0;
    return 0;
}

int brig_cg_v1_freeze(const struct brig_cg_hier *h, bool frozen, brig_error *reterr)
{
    const char *want = frozen ? "FROZEN" : "THAWED";

    /* FREEZING can linger while a task is in an uninterruptible sleep;
     * writing the state again retries the freeze, so keep at it for a
     * while, then give up rather than leave the cgroup half frozen. */
    for (int i = 0; i < 1000; i++) {
        _cleanup_free_ char *v = NULL;
        if (brig_cg_write(h->dir, "freezer.state", want, reterr) < 0)
            return -1;
        if (brig_cg_read(h->dir, "freezer.state", &v, reterr) < 0)
            return -1;
        if (strncmp(v, want, strlen(want)) == 0)
            return 0;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = i < 10 ? 1000000L : 10000000L};
        nanosleep(&ts, NULL);
    }
    if (frozen)
        (void)brig_cg_write(h->dir, "freezer.state", "THAWED", NULL);
    return brig_error_set(reterr, ETIMEDOUT, "wait for `%s` in `%s/freezer.state`", want, h->dir);
}

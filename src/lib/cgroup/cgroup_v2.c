/* cgroup v2 back end: one hierarchy, controllers enabled top-down through
 * cgroup.subtree_control, limits in the container's own directory, the
 * freezer in cgroup.freeze/cgroup.events and devices through eBPF
 * (devices_bpf.c).  See the kernel's cgroup-v2 admin guide for each file. */
#include "cgroup/cgroup_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* Is `word` one of the space-separated words in `list`? */
static bool has_word(const char *list, const char *word, size_t wlen)
{
    for (const char *p = list; *p;) {
        p += strspn(p, " \n");
        size_t l = strcspn(p, " \n");
        if (l == wlen && strncmp(p, word, l) == 0)
            return true;
        p += l;
    }
    return false;
}

/* Enable every controller the parent offers on each level from the mount
 * down to the container's parent, as crun does, so the container's
 * directory has all interface files (limits now, `update` and statistics
 * later).  The container's own directory is left alone: a cgroup with
 * controllers in its subtree_control may not hold processes.  A level that
 * refuses (EBUSY: it has processes of its own) is skipped; a limit needing
 * the missing controller then fails with a message that names it. */
int brig_cg_v2_enable_controllers(const struct brig_cg_hier *h, brig_error *reterr)
{
    _cleanup_free_ char *p = brig_xstrdup(h->dir);

    /* Each '/' after the mountpoint ends a level that has a child below. */
    for (char *s = p + strlen(h->mountpoint); s != NULL && *s == '/'; s = strchr(s + 1, '/')) {
        _cleanup_free_ char *avail = NULL, *enabled = NULL;
        const char *level = p;

        *s = '\0';
        if (brig_cg_read(level, "cgroup.controllers", &avail, reterr) < 0 ||
            brig_cg_read(level, "cgroup.subtree_control", &enabled, reterr) < 0)
            return -1;
        for (const char *c = avail; *c;) {
            c += strspn(c, " \n");
            size_t l = strcspn(c, " \n");
            if (l > 0 && !has_word(enabled, c, l)) {
                char buf[64];
                snprintf(buf, sizeof(buf), "+%.*s", (int)(l < 60 ? l : 60), c);
                (void)brig_cg_write(level, "cgroup.subtree_control", buf, NULL);
            }
            c += l;
        }
        *s = '/';
    }
    return 0;
}

/* Write one interface file, naming the controller when it is absent. */
static int set(const char *dir, const char *file, const char *value, brig_error *reterr)
{
    if (brig_cg_write(dir, file, value, reterr) == 0)
        return 0;
    if (reterr != NULL && *reterr != NULL && (*reterr)->errnum == ENOENT) {
        size_t l = strcspn(file, ".");
        return brig_error_set(reterr, 0,
                              "set `%s`: the `%.*s` controller is not available in `%s` (not in "
                              "the parent's cgroup.subtree_control)",
                              file, (int)l, file, dir);
    }
    return -1;
}

static int setf(const char *dir, const char *file, brig_error *reterr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int setf(const char *dir, const char *file, brig_error *reterr, const char *fmt, ...)
{
    _cleanup_free_ char *v = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&v, fmt, ap) < 0)
        abort();
    va_end(ap);
    return set(dir, file, v, reterr);
}

static int apply_cpu(const char *dir, const struct brig_spec_resources *res, brig_error *reterr)
{
    if (res->has_cpu_shares && res->cpu_shares &&
        setf(dir, "cpu.weight", reterr, "%" PRIu64, brig_cg_shares_to_weight(res->cpu_shares)) < 0)
        return -1;
    if (res->has_cpu_quota || (res->has_cpu_period && res->cpu_period)) {
        /* cpu.max is "$MAX $PERIOD" in one write; keep whichever half the
         * spec leaves out as it is now. */
        _cleanup_free_ char *cur = NULL, *quota = NULL;
        uint64_t period = 100000;
        if (brig_cg_read(dir, "cpu.max", &cur, NULL) == 0) {
            char *sp = strchr(cur, ' ');
            if (sp != NULL) {
                *sp = '\0';
                sp[1 + strcspn(sp + 1, "\n")] = '\0';
                (void)brig_parse_u64(sp + 1, &period);
            }
            quota = brig_xstrdup(cur);
        }
        if (res->has_cpu_quota) {
            free(quota);
            quota = res->cpu_quota < 0 ? brig_xstrdup("max")
                                       : brig_xasprintf("%" PRId64, res->cpu_quota);
        }
        if (res->has_cpu_period && res->cpu_period)
            period = res->cpu_period;
        if (setf(dir, "cpu.max", reterr, "%s %" PRIu64, quota ? quota : "max", period) < 0)
            return -1;
    }
    if (res->has_cpu_burst && setf(dir, "cpu.max.burst", reterr, "%" PRIu64, res->cpu_burst) < 0)
        return -1;
    if (res->has_cpu_idle && setf(dir, "cpu.idle", reterr, "%" PRId64, res->cpu_idle) < 0)
        return -1;
    if (res->cpu_cpus && *res->cpu_cpus && set(dir, "cpuset.cpus", res->cpu_cpus, reterr) < 0)
        return -1;
    if (res->cpu_mems && *res->cpu_mems && set(dir, "cpuset.mems", res->cpu_mems, reterr) < 0)
        return -1;
    return 0;
}

static int set_mem(const char *dir, const char *file, int64_t v, brig_error *reterr)
{
    if (v < 0)
        return set(dir, file, "max", reterr);
    return setf(dir, file, reterr, "%" PRId64, v);
}

static int apply_memory(const char *dir, const struct brig_spec_resources *res, brig_error *reterr)
{
    bool set_swap = res->has_memory_swap && res->memory_swap != 0; /* 0 = unset */

    if (res->has_memory_limit && set_mem(dir, "memory.max", res->memory_limit, reterr) < 0)
        return -1;
    if (res->has_memory_reservation &&
        set_mem(dir, "memory.low", res->memory_reservation, reterr) < 0)
        return -1;
    if (set_swap) {
        /* OCI swap is memory+swap (v1's memsw); memory.swap.max counts swap
         * alone, so subtract the memory limit. */
        int64_t limit;
        if (res->memory_swap == -1)
            return set(dir, "memory.swap.max", "max", reterr);
        if (res->has_memory_limit) {
            limit = res->memory_limit;
        } else {
            _cleanup_free_ char *cur = NULL;
            if (brig_cg_read(dir, "memory.max", &cur, reterr) < 0)
                return -1;
            cur[strcspn(cur, "\n")] = '\0';
            if (brig_parse_i64(cur, &limit) < 0)
                limit = -1;
        }
        if (limit < 0)
            return brig_error_set(reterr, 0,
                                  "set memory.swap: cannot limit swap without a memory limit");
        if (res->memory_swap < limit)
            return brig_error_set(reterr, 0,
                                  "set memory.swap: %" PRId64 " is below the memory limit %" PRId64
                                  " (swap counts memory+swap)",
                                  res->memory_swap, limit);
        if (setf(dir, "memory.swap.max", reterr, "%" PRId64, res->memory_swap - limit) < 0)
            return -1;
    } else if (res->has_memory_limit && res->memory_limit == -1 &&
               brig_cg_exists(dir, "memory.swap.max")) {
        /* Unlimited memory with swap unset means both unlimited, as on v1. */
        if (set(dir, "memory.swap.max", "max", reterr) < 0)
            return -1;
    }
    /* memory.swappiness has no v2 file and the OOM killer cannot be turned
     * off per cgroup in v2; runc and crun ignore both there too. */
    return 0;
}

int brig_cg_v2_apply(const struct brig_cg_hier *h, const struct brig_spec_resources *res,
                     brig_error *reterr)
{
    const char *dir = h->dir;

    /* `update` may ask for a controller create did not need. */
    if (brig_cg_v2_enable_controllers(h, reterr) < 0)
        return -1;
    if (apply_cpu(dir, res, reterr) < 0 || apply_memory(dir, res, reterr) < 0)
        return -1;
    if (res->has_pids_limit) {
        if (res->pids_limit <= 0 ? set(dir, "pids.max", "max", reterr) < 0
                                 : setf(dir, "pids.max", reterr, "%" PRId64, res->pids_limit) < 0)
            return -1;
    }
    if (res->has_blkio_weight && res->blkio_weight) {
        /* io.weight (1..10000) where the io controller has it, else BFQ's
         * io.bfq.weight which takes the blkio range (1..1000) as is. */
        if (brig_cg_exists(dir, "io.weight")) {
            if (setf(dir, "io.weight", reterr, "default %" PRIu64,
                     brig_cg_blkio_to_io_weight(res->blkio_weight)) < 0)
                return -1;
        } else if (setf(dir, "io.bfq.weight", reterr, "%u", res->blkio_weight) < 0) {
            return -1;
        }
    }
    if (res->n_devices > 0 &&
        brig_cg_devices_bpf_apply(dir, res->devices, res->n_devices, reterr) < 0)
        return -1;
    for (size_t i = 0; i < res->n_unified; i++)
        if (set(dir, res->unified[i].key, res->unified[i].value, reterr) < 0)
            return brig_error_wrap(reterr, "linux.resources.unified.%s", res->unified[i].key);
    return 0;
}

int brig_cg_v2_is_frozen(const struct brig_cg_hier *h, bool *ret, brig_error *reterr)
{
    _cleanup_free_ char *v = NULL;
    if (brig_cg_read(h->dir, "cgroup.events", &v, reterr) < 0)
        return -1;
    *ret = strstr(v, "frozen 1") != NULL;
    return 0;
}

int brig_cg_v2_freeze(const struct brig_cg_hier *h, bool frozen, brig_error *reterr)
{
    /* cgroup.freeze asks; cgroup.events' "frozen" reports when every task
     * has actually stopped (or resumed). */
    if (brig_cg_write(h->dir, "cgroup.freeze", frozen ? "1" : "0", reterr) < 0)
        return -1;
    if (brig_cg_wait_for(h->dir, "cgroup.events", frozen ? "frozen 1" : "frozen 0", 10000, reterr) <
        0) {
        if (frozen)
            (void)brig_cg_write(h->dir, "cgroup.freeze", "0", NULL);
        return -1;
    }
    return 0;
}

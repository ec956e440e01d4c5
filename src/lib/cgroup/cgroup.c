/* Container cgroups: layout detection, paths, create/enter/destroy, process
 * listing, signals and the state-file form.  The per-version resource code
 * lives in cgroup_v1.c and cgroup_v2.c.
 *
 * Paths.  linux.cgroupsPath absolute is taken from each hierarchy's root;
 * relative, below the calling process's own cgroup in that hierarchy (read
 * from /proc/self/cgroup, so on a host where the memory hierarchy puts us in
 * "/process_api/x" the memory cgroup lands in "/process_api/x/brig/c1" while
 * cpu's is "/brig/c1"); unset, it is "brig/<id>" relative.
 *
 * systemd ("--systemd-cgroup", "slice:prefix:name").  brig does not talk to
 * systemd over D-Bus.  It maps the triple to the directory systemd would
 * use, "/<expanded slice>/<prefix>-<name>.scope" (a slice "a-b.slice" is
 * "a.slice/a-b.slice"), and manages it through cgroupfs like any other path.
 * systemd does not know about that scope; that is the trade-off of running
 * without its manager, and what runc's cgroupfs driver does with such a path
 * too. */
#include "cgroup/cgroup_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_UNIFIED "/sys/fs/cgroup/unified"

/* ---- small file helpers ------------------------------------------------ */

int brig_cg_write(const char *dir, const char *file, const char *value, brig_error *reterr)
{
    _cleanup_free_ char *p = brig_xasprintf("%s/%s", dir, file);
    _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return brig_error_errno(reterr, "open `%s`", p);
    /* cgroupfs takes one value per write(2); a short write is an error. */
    if (write(fd, value, strlen(value)) < 0)
        return brig_error_errno(reterr, "write `%s` to `%s`", value, p);
    return 0;
}

int brig_cg_writef(const char *dir, const char *file, brig_error *reterr, const char *fmt, ...)
{
    _cleanup_free_ char *v = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&v, fmt, ap) < 0)
        abort();
    va_end(ap);
    return brig_cg_write(dir, file, v, reterr);
}

int brig_cg_read(const char *dir, const char *file, char **ret, brig_error *reterr)
{
    _cleanup_free_ char *p = brig_xasprintf("%s/%s", dir, file);
    return brig_read_file_at(AT_FDCWD, p, 16 << 20, ret, NULL, reterr);
}

bool brig_cg_exists(const char *dir, const char *file)
{
    _cleanup_free_ char *p = brig_xasprintf("%s/%s", dir, file);
    return access(p, F_OK) == 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int brig_cg_wait_for(const char *dir, const char *file, const char *want, int timeout_ms,
                     brig_error *reterr)
{
    int waited = 0, step = 1;

    for (;;) {
        _cleanup_free_ char *v = NULL;
        if (brig_cg_read(dir, file, &v, reterr) < 0)
            return -1;
        if (strstr(v, want) != NULL)
            return 0;
        if (waited >= timeout_ms) {
            v[strcspn(v, "\n")] = '\0';
            return brig_error_set(reterr, ETIMEDOUT, "wait for `%s` in `%s/%s` (still `%s`)", want,
                                  dir, file, v);
        }
        sleep_ms(step);
        waited += step;
        if (step < 50)
            step *= 2;
    }
}

/* ---- validation and conversions ---------------------------------------- */

uint64_t brig_cg_shares_to_weight(uint64_t shares)
{
    /* Linear map of [2, 262144] onto [1, 10000], the same conversion crun
     * and runc use, so `update --cpu-share` gives the same weight whichever
     * runtime set it. */
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t brig_cg_blkio_to_io_weight(uint64_t weight)
{
    if (weight < 10)
        weight = 10;
    if (weight > 1000)
        weight = 1000;
    return 1 + ((weight - 10) * 9999) / 990;
}

/* A unified key names a file in the container's cgroup directory; it must
 * not be able to name anything else. */
static int validate_unified_key(const char *key, brig_error *reterr)
{
    if (key == NULL || *key == '\0')
        return brig_error_set(reterr, 0, "linux.resources.unified: empty key");
    if (strchr(key, '/') != NULL || strstr(key, "..") != NULL || strcmp(key, ".") == 0)
        return brig_error_set(reterr, 0,
                              "linux.resources.unified: key `%s` must be a plain file name "
                              "(no `/` or `..`)",
                              key);
    return 0;
}

int brig_cg_validate_resources(const struct brig_spec_resources *res, brig_error *reterr)
{
    if (res == NULL)
        return 0;
    for (size_t i = 0; i < res->n_unified; i++) {
        if (validate_unified_key(res->unified[i].key, reterr) < 0)
            return -1;
        if (res->unified[i].value == NULL)
            return brig_error_set(reterr, 0, "linux.resources.unified.%s: missing value",
                                  res->unified[i].key);
    }
    if (res->has_memory_limit && res->memory_limit < -1)
        return brig_error_set(reterr, 0, "linux.resources.memory.limit: invalid value %lld",
                              (long long)res->memory_limit);
    if (res->has_memory_reservation && res->memory_reservation < -1)
        return brig_error_set(reterr, 0, "linux.resources.memory.reservation: invalid value %lld",
                              (long long)res->memory_reservation);
    if (res->has_memory_swap) {
        if (res->memory_swap < -1)
            return brig_error_set(reterr, 0, "linux.resources.memory.swap: invalid value %lld",
                                  (long long)res->memory_swap);
        /* OCI swap is memory+swap, so it can never be below the limit. */
        if (res->memory_swap > 0 && res->has_memory_limit && res->memory_limit > 0 &&
            res->memory_swap < res->memory_limit)
            return brig_error_set(reterr, 0,
                                  "linux.resources.memory.swap: %lld is below memory.limit "
                                  "%lld (swap counts memory+swap and must be >= limit)",
                                  (long long)res->memory_swap, (long long)res->memory_limit);
        if (res->memory_swap > 0 && res->has_memory_limit && res->memory_limit == -1)
            return brig_error_set(reterr, 0,
                                  "linux.resources.memory.swap: cannot limit swap when "
                                  "memory.limit is unlimited");
    }
    if (res->has_memory_swappiness && res->memory_swappiness > 100)
        return brig_error_set(reterr, 0, "linux.resources.memory.swappiness: %llu is not in 0..100",
                              (unsigned long long)res->memory_swappiness);
    if (res->has_cpu_idle && res->cpu_idle != 0 && res->cpu_idle != 1)
        return brig_error_set(reterr, 0, "linux.resources.cpu.idle: %lld is not 0 or 1",
                              (long long)res->cpu_idle);
    if (res->has_cpu_quota && res->cpu_quota < -1)
        return brig_error_set(reterr, 0, "linux.resources.cpu.quota: invalid value %lld",
                              (long long)res->cpu_quota);
    if (res->has_blkio_weight && res->blkio_weight != 0 &&
        (res->blkio_weight < 10 || res->blkio_weight > 1000))
        return brig_error_set(reterr, 0, "linux.resources.blockIO.weight: %u is not in 10..1000",
                              (unsigned)res->blkio_weight);
    for (size_t i = 0; i < res->n_devices; i++) {
        const struct brig_spec_device_rule *d = &res->devices[i];
        if (d->type != 'a' && d->type != 'b' && d->type != 'c')
            return brig_error_set(reterr, 0,
                                  "linux.resources.devices[%zu].type: `%c` is not "
                                  "one of a, b, c",
                                  i, d->type);
        if (d->access[0] == '\0' || strspn(d->access, "rwm") != strlen(d->access))
            return brig_error_set(reterr, 0,
                                  "linux.resources.devices[%zu].access: `%s` is "
                                  "not a subset of rwm",
                                  i, d->access);
        if (d->major < -1 || d->minor < -1 || d->major > UINT32_MAX || d->minor > UINT32_MAX)
            return brig_error_set(reterr, 0,
                                  "linux.resources.devices[%zu]: invalid major or "
                                  "minor",
                                  i);
    }
    return 0;
}

/* ---- detection --------------------------------------------------------- */

int brig_cgroup_detect_mode(enum brig_cgroup_mode *ret, brig_error *reterr)
{
    struct statfs sfs;

    if (statfs(CGROUP_ROOT, &sfs) < 0)
        return brig_error_errno(reterr, "detect cgroup layout: statfs `%s`", CGROUP_ROOT);
    if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
        *ret = BRIG_CGROUP_V2;
        return 0;
    }
    if (sfs.f_type != TMPFS_MAGIC)
        return brig_error_set(reterr, 0,
                              "detect cgroup layout: `%s` is neither cgroup2 nor a tmpfs of "
                              "v1 hierarchies (f_type 0x%llx)",
                              CGROUP_ROOT, (unsigned long long)sfs.f_type);
    if (statfs(CGROUP_UNIFIED, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
        *ret = BRIG_CGROUP_HYBRID;
    else
        *ret = BRIG_CGROUP_V1;
    return 0;
}

const char *brig_cgroup_mode_name(enum brig_cgroup_mode mode)
{
    switch (mode) {
    case BRIG_CGROUP_V1:
        return "v1";
    case BRIG_CGROUP_V2:
        return "v2";
    case BRIG_CGROUP_HYBRID:
        return "hybrid";
    }
    return "unknown";
}

static int mode_from_name(const char *s, enum brig_cgroup_mode *ret)
{
    for (int m = BRIG_CGROUP_V1; m <= BRIG_CGROUP_HYBRID; m++)
        if (strcmp(s, brig_cgroup_mode_name((enum brig_cgroup_mode)m)) == 0) {
            *ret = (enum brig_cgroup_mode)m;
            return 0;
        }
    return -1;
}

/* ---- hierarchies from /proc/self/mountinfo ----------------------------- */

static void hier_clear(struct brig_cg_hier *h)
{
    free(h->controllers);
    free(h->mountpoint);
    free(h->path);
    free(h->dir);
    free(h->mnt_root);
    memset(h, 0, sizeof(*h));
}

void brig_cgroup_free(struct brig_cgroup *cg)
{
    if (cg == NULL)
        return;
    for (size_t i = 0; i < cg->n_hiers; i++)
        hier_clear(&cg->hiers[i]);
    free(cg->hiers);
    free(cg);
}

static struct brig_cg_hier *hier_add(struct brig_cgroup *cg)
{
    cg->hiers = brig_xrealloc(cg->hiers, (cg->n_hiers + 1) * sizeof(*cg->hiers));
    memset(&cg->hiers[cg->n_hiers], 0, sizeof(*cg->hiers));
    return &cg->hiers[cg->n_hiers++];
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static bool is_v1_controller(const char *opt)
{
    static const char *const known[] = {"cpu",     "cpuacct", "cpuset",   "memory", "devices",
                                        "freezer", "net_cls", "net_prio", "blkio",  "perf_event",
                                        "hugetlb", "pids",    "rdma",     "misc",   "debug"};
    if (brig_str_has_prefix(opt, "name="))
        return true;
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(known); i++)
        if (strcmp(opt, known[i]) == 0)
            return true;
    return false;
}

/* "rw,nosuid,cpu,cpuacct" -> "cpu,cpuacct" (NULL when no controller). */
static char *v1_controllers_of(const char *superopts)
{
    _cleanup_free_ char *copy = brig_xstrdup(superopts);
    char *out = NULL, *save = NULL;
    size_t len = 0;

    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!is_v1_controller(t))
            continue;
        out = brig_xrealloc(out, len + strlen(t) + 2);
        len += (size_t)sprintf(out + len, "%s%s", len ? "," : "", t);
    }
    return out;
}

/* Same comma-separated set, in any order. */
static bool same_set(const char *a, const char *b)
{
    _cleanup_free_ char *ca = brig_xstrdup(a);
    size_t na = 0, nb = 1;
    char *save = NULL;

    for (const char *p = b; *p; p++)
        nb += *p == ',';
    if (*b == '\0')
        nb = 0;
    for (char *t = strtok_r(ca, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t tl = strlen(t);
        bool found = false;
        for (const char *p = b; *p;) {
            size_t l = strcspn(p, ",");
            if (l == tl && strncmp(p, t, l) == 0)
                found = true;
            p += l;
            if (*p == ',')
                p++;
        }
        if (!found)
            return false;
        na++;
    }
    return na == nb;
}

/* Fill cg->hiers for `mode` from /proc/self/mountinfo.  In v2 the cgroup2
 * mount at /sys/fs/cgroup is the one; otherwise every distinct v1
 * hierarchy (first mount of each) plus, in hybrid, the cgroup2 mount. */
static int discover_hierarchies(struct brig_cgroup *cg, brig_error *reterr)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    bool have_unified = false;

    if (f == NULL)
        return brig_error_errno(reterr, "open `/proc/self/mountinfo`");
    while (getline(&line, &cap, f) > 0) {
        char *fields[64], *save = NULL, *fstype = NULL, *superopts = NULL;
        size_t n = 0;

        line[strcspn(line, "\n")] = '\0';
        for (char *t = strtok_r(line, " ", &save); t && n < BRIG_ARRAY_SIZE(fields);
             t = strtok_r(NULL, " ", &save))
            fields[n++] = t;
        for (size_t i = 6; i + 3 <= n; i++)
            if (strcmp(fields[i], "-") == 0) {
                fstype = fields[i + 1];
                superopts = fields[i + 3];
                break;
            }
        if (n < 6 || fstype == NULL)
            continue;
        unescape_octal(fields[3]);
        unescape_octal(fields[4]);
        if (strcmp(fstype, "cgroup2") == 0) {
            if (have_unified || cg->mode == BRIG_CGROUP_V1)
                continue;
            /* Only the mounts the layout was detected from count; other
             * cgroup2 mounts (a container's bind mounts, a test's) are
             * views, not the host's tree. */
            if (strcmp(fields[4], CGROUP_ROOT) != 0 && strcmp(fields[4], CGROUP_UNIFIED) != 0)
                continue;
            struct brig_cg_hier *h = hier_add(cg);
            h->kind = BRIG_CG_KIND_UNIFIED;
            h->controllers = brig_xstrdup("");
            h->mountpoint = brig_xstrdup(fields[4]);
            h->mnt_root = brig_xstrdup(fields[3]);
            have_unified = true;
        } else if (strcmp(fstype, "cgroup") == 0 && cg->mode != BRIG_CGROUP_V2) {
            _cleanup_free_ char *ctrls = v1_controllers_of(superopts);
            bool dup = false;
            if (ctrls == NULL)
                continue;
            for (size_t i = 0; i < cg->n_hiers; i++)
                if (same_set(cg->hiers[i].controllers, ctrls))
                    dup = true;
            if (dup)
                continue;
            struct brig_cg_hier *h = hier_add(cg);
            h->kind = brig_str_has_prefix(ctrls, "name=") ? BRIG_CG_KIND_NAMED : BRIG_CG_KIND_V1;
            h->controllers = TAKE_PTR(ctrls);
            h->mountpoint = brig_xstrdup(fields[4]);
            h->mnt_root = brig_xstrdup(fields[3]);
        }
    }
    if (cg->mode != BRIG_CGROUP_V1 && !have_unified)
        return brig_error_set(reterr, 0, "find cgroup2 mount: none in `/proc/self/mountinfo`");
    if (cg->mode != BRIG_CGROUP_V2) {
        bool any_v1 = false;
        for (size_t i = 0; i < cg->n_hiers; i++)
            any_v1 |= cg->hiers[i].kind == BRIG_CG_KIND_V1;
        if (!any_v1)
            return brig_error_set(reterr, 0, "find cgroup v1 hierarchies: no controller mounted");
    }
    return 0;
}

const struct brig_cg_hier *brig_cg_find(const struct brig_cgroup *cg, const char *controller)
{
    for (size_t i = 0; i < cg->n_hiers; i++) {
        const struct brig_cg_hier *h = &cg->hiers[i];
        if (controller == NULL) {
            if (h->kind == BRIG_CG_KIND_UNIFIED)
                return h;
            continue;
        }
        if (h->kind == BRIG_CG_KIND_UNIFIED)
            continue;
        for (const char *p = h->controllers; *p;) {
            size_t l = strcspn(p, ",");
            if (l == strlen(controller) && strncmp(p, controller, l) == 0)
                return h;
            p += l;
            if (*p == ',')
                p++;
        }
    }
    return NULL;
}

/* The hierarchy whose cgroup.procs lists every container process. */
static const struct brig_cg_hier *primary_hier(const struct brig_cgroup *cg)
{
    const struct brig_cg_hier *h = brig_cg_find(cg, NULL);
    if (h == NULL)
        h = brig_cg_find(cg, "pids");
    if (h == NULL)
        h = brig_cg_find(cg, "freezer");
    if (h == NULL && cg->n_hiers > 0)
        h = &cg->hiers[0];
    return h;
}

/* ---- paths ------------------------------------------------------------- */

/* Join and normalise: no "//", no "." components, no trailing '/', always
 * a leading '/'.  ".." never reaches here (refused earlier). */
static char *path_join_norm(const char *a, const char *b)
{
    _cleanup_free_ char *all = brig_xasprintf("%s/%s", a ? a : "", b ? b : "");
    char *out = brig_xmalloc0(strlen(all) + 2), *save = NULL;
    size_t len = 0;

    for (char *t = strtok_r(all, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (strcmp(t, ".") == 0)
            continue;
        len += (size_t)sprintf(out + len, "/%s", t);
    }
    if (len == 0)
        strcpy(out, "/");
    return out;
}

static int validate_cgroups_path(const char *p, brig_error *reterr)
{
    _cleanup_free_ char *copy = brig_xstrdup(p);
    char *save = NULL;

    /* Tabs and newlines would corrupt the state-file form. */
    if (strpbrk(p, "\t\n") != NULL)
        return brig_error_set(reterr, 0, "linux.cgroupsPath `%s`: contains a tab or newline", p);
    for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save))
        if (strcmp(t, "..") == 0)
            return brig_error_set(reterr, 0, "linux.cgroupsPath `%s`: must not contain `..`", p);
    return 0;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" is the root. */
static int expand_slice(const char *slice, char **ret, brig_error *reterr)
{
    size_t n = strlen(slice);
    char *out;
    size_t len = 0;

    if (strcmp(slice, "-.slice") == 0) {
        *ret = brig_xstrdup("");
        return 0;
    }
    if (n < 7 || strcmp(slice + n - 6, ".slice") != 0 || strchr(slice, '/') != NULL ||
        slice[0] == '-' || strstr(slice, "--") != NULL || slice[n - 7] == '-')
        return brig_error_set(reterr, 0, "linux.cgroupsPath: invalid systemd slice `%s`", slice);
    out = brig_xmalloc0(n * n + 8);
    for (size_t i = 0; i < n - 6; i++)
        if (slice[i] == '-')
            len += (size_t)sprintf(out + len, "/%.*s.slice", (int)i, slice);
    sprintf(out + len, "/%s", slice);
    *ret = out;
    return 0;
}

/* Decide the path relative to a hierarchy ("/brig/c1") or, if relative,
 * relative to our own cgroup ("brig/c1").  *ret_absolute says which. */
static int resolve_spec_path(const char *cgroups_path, const char *id, bool systemd, char **ret,
                             bool *ret_absolute, brig_error *reterr)
{
    if (systemd) {
        _cleanup_free_ char *copy = NULL, *slice_dir = NULL;
        char *slice, *prefix, *name, *c1, *c2;

        if (cgroups_path == NULL || *cgroups_path == '\0') {
            if (brig_validate_id(id, reterr) < 0)
                return -1;
            copy = brig_xasprintf("system.slice:brig:%s", id);
        } else {
            copy = brig_xstrdup(cgroups_path);
        }
        c1 = strchr(copy, ':');
        c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c1 == NULL || c2 == NULL || strchr(c2 + 1, ':') != NULL)
            return brig_error_set(reterr, 0,
                                  "linux.cgroupsPath `%s`: with --systemd-cgroup it must read "
                                  "`slice:prefix:name`",
                                  copy);
        *c1 = *c2 = '\0';
        slice = copy;
        prefix = c1 + 1;
        name = c2 + 1;
        if (*name == '\0' || strchr(prefix, '/') || strchr(name, '/') || strcmp(name, "..") == 0 ||
            strcmp(prefix, "..") == 0)
            return brig_error_set(reterr, 0, "linux.cgroupsPath: invalid systemd unit `%s-%s`",
                                  prefix, name);
        if (expand_slice(*slice ? slice : "system.slice", &slice_dir, reterr) < 0)
            return -1;
        if (strlen(name) > 6 && strcmp(name + strlen(name) - 6, ".scope") == 0)
            *ret = brig_xasprintf("%s/%s", slice_dir, name);
        else if (*prefix)
            *ret = brig_xasprintf("%s/%s-%s.scope", slice_dir, prefix, name);
        else
            *ret = brig_xasprintf("%s/%s.scope", slice_dir, name);
        *ret_absolute = true;
        return validate_cgroups_path(*ret, reterr);
    }
    if (cgroups_path == NULL || *cgroups_path == '\0') {
        if (brig_validate_id(id, reterr) < 0)
            return -1;
        *ret = brig_xasprintf("brig/%s", id);
        *ret_absolute = false;
        return 0;
    }
    if (validate_cgroups_path(cgroups_path, reterr) < 0)
        return -1;
    *ret = brig_xstrdup(cgroups_path);
    *ret_absolute = cgroups_path[0] == '/';
    return 0;
}

/* Our own cgroup in hierarchy `h`, relative to its mount, from
 * /proc/self/cgroup ("4:memory:/process_api/x" -> "/process_api/x"). */
/* `self` is the text of /proc/self/cgroup, read once by the caller: the
 * kernel rebuilds the whole file on every read, for every hierarchy. */
static int own_cgroup(const struct brig_cg_hier *h, const char *self, char **ret,
                      brig_error *reterr)
{
    _cleanup_free_ char *copy = brig_xstrdup(self);
    char *save = NULL, *line;

    for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ':'), *c2, *path;
        bool match;

        if (c1 == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
            continue;
        *c2 = '\0';
        path = c2 + 1;
        path[strcspn(path, "\n")] = '\0';
        if (h->kind == BRIG_CG_KIND_UNIFIED)
            match = strncmp(line, "0:", 2) == 0 && c1[1] == '\0';
        else
            match = c1[1] != '\0' && same_set(c1 + 1, h->controllers);
        if (!match)
            continue;
        /* The mount may show only a subtree (a bind mount of our own
         * cgroup, or a mount made in another cgroup namespace): the part of
         * our path below that subtree is what exists under the mountpoint. */
        if (strcmp(h->mnt_root, "/") != 0 && brig_str_has_prefix(path, h->mnt_root) &&
            (path[strlen(h->mnt_root)] == '/' || path[strlen(h->mnt_root)] == '\0'))
            path += strlen(h->mnt_root);
        *ret = path_join_norm(path, NULL);
        return 0;
    }
    return brig_error_set(reterr, 0, "find own cgroup for `%s` in `/proc/self/cgroup`: absent",
                          h->kind == BRIG_CG_KIND_UNIFIED ? "cgroup2" : h->controllers);
}

/* ---- create / destroy -------------------------------------------------- */

static bool cgroup_has_procs(const char *dir)
{
    _cleanup_free_ char *v = NULL;
    if (brig_cg_read(dir, "cgroup.procs", &v, NULL) < 0)
        return false;
    return v[strspn(v, " \n")] != '\0';
}

/* mkdir every level of h->path below the mountpoint, counting how many
 * trailing levels were ours.  A parent removed under us by a concurrent
 * destroy (ENOENT) restarts the walk. */
static int hier_mkdir(struct brig_cg_hier *h, brig_error *reterr)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        _cleanup_free_ char *p = brig_xstrdup(h->dir);
        char *s = p + strlen(h->mountpoint) + 1;
        unsigned created = 0;
        bool raced = false;

        for (;;) {
            char *slash = strchr(s, '/');
            if (slash != NULL)
                *slash = '\0';
            if (mkdir(p, 0755) == 0)
                created++;
            else if (errno == ENOENT) {
                raced = true;
                break;
            } else if (errno == EEXIST)
                created = 0; /* only the trailing run of levels we made is ours */
            else
                return brig_error_errno(reterr, "create cgroup `%s`", p);
            if (slash == NULL)
                break;
            *slash = '/';
            s = slash + 1;
        }
        if (raced)
            continue;
        h->created = created;
        return 0;
    }
    return brig_error_set(reterr, EAGAIN, "create cgroup `%s`: parent keeps disappearing", h->dir);
}

static int rmdir_retry(const char *dir, bool wait_busy)
{
    for (int i = 0;; i++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY || !wait_busy || i >= 100)
            return -1;
        /* Tasks that were killed may still be exiting. */
        sleep_ms(i < 10 ? 2 : 20);
    }
}

/* Child cgroups the container made inside its own (with a writable cgroupns
 * mount) hold only kernel control files, so rmdir suffices; nothing of
 * anyone else's is ever unlinked. */
static int rmdir_tree(const char *dir, brig_error *reterr)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    struct dirent *de;

    if (d == NULL)
        return errno == ENOENT ? 0 : brig_error_errno(reterr, "open cgroup `%s`", dir);
    while ((de = readdir(d)) != NULL) {
        if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        _cleanup_free_ char *sub = brig_xasprintf("%s/%s", dir, de->d_name);
        if (rmdir_tree(sub, reterr) < 0)
            return -1;
    }
    if (rmdir_retry(dir, true) < 0)
        return brig_error_errno(reterr, "remove cgroup `%s`", dir);
    return 0;
}

static int hier_destroy(const struct brig_cg_hier *h, brig_error *reterr)
{
    _cleanup_free_ char *p = brig_xstrdup(h->dir);

    if (strcmp(h->path, "/") == 0)
        return 0; /* never the hierarchy root */
    if (rmdir_tree(p, reterr) < 0)
        return -1;
    /* Parent levels this handle created ("brig"): remove them if now
     * empty; busy means another container lives there, which is fine. */
    for (unsigned i = 1; i < h->created; i++) {
        char *slash = strrchr(p, '/');
        if (slash == NULL || (size_t)(slash - p) <= strlen(h->mountpoint))
            break;
        *slash = '\0';
        if (rmdir(p) < 0) {
            if (errno == EBUSY || errno == ENOTEMPTY)
                break;
            if (errno != ENOENT)
                return brig_error_errno(reterr, "remove cgroup `%s`", p);
        }
    }
    return 0;
}

int brig_cgroup_destroy(const struct brig_cgroup *cg, brig_error *reterr)
{
    int ret = 0;
    for (size_t i = 0; i < cg->n_hiers; i++) {
        /* Keep going: a busy memory cgroup must not leak the cpu one. */
        brig_error err = NULL;
        if (hier_destroy(&cg->hiers[i], &err) < 0) {
            if (ret == 0 && reterr != NULL) {
                brig_error_free(reterr);
                *reterr = err;
                err = NULL;
            }
            ret = -1;
        }
        brig_error_free(&err);
    }
    return ret;
}

static int apply_resources(const struct brig_cgroup *cg, const struct brig_spec_resources *res,
                           bool creating, brig_error *reterr)
{
    const struct brig_cg_hier *u = brig_cg_find(cg, NULL);

    if (brig_cg_validate_resources(res, reterr) < 0)
        return -1;
    if (res == NULL)
        return 0;
    if (cg->mode == BRIG_CGROUP_V2)
        return brig_cg_v2_apply(u, res, reterr);
    if (brig_cg_v1_apply(cg, res, creating, reterr) < 0)
        return -1;
    if (res->n_unified > 0) {
        if (cg->mode == BRIG_CGROUP_V1)
            return brig_error_set(reterr, 0,
                                  "linux.resources.unified: needs cgroup v2 (host uses v1)");
        /* Hybrid: the keys name files of the unified tree (e.g. hugetlb.*). */
        for (size_t i = 0; i < res->n_unified; i++)
            if (brig_cg_write(u->dir, res->unified[i].key, res->unified[i].value, reterr) < 0)
                return brig_error_wrap(reterr, "set linux.resources.unified.%s",
                                       res->unified[i].key);
    }
    return 0;
}

/* The trailing levels of h->dir that do not exist yet: what hier_mkdir is
 * about to create, so that a record written before the mkdir names exactly
 * the directories a leftover-removal may rmdir. */
static unsigned hier_missing_levels(const struct brig_cg_hier *h)
{
    _cleanup_free_ char *p = brig_xstrdup(h->dir);
    size_t root = strlen(h->mountpoint);
    unsigned missing = 0;
    struct stat sb;

    while (strlen(p) > root && stat(p, &sb) < 0 && errno == ENOENT) {
        char *slash = strrchr(p, '/');
        missing++;
        if (slash == NULL)
            break;
        *slash = '\0';
    }
    return missing;
}

static struct brig_cgroup *cg_create(enum brig_cgroup_mode mode, const char *cgroups_path,
                                     const char *id, const struct brig_spec_resources *res,
                                     bool systemd, brig_cgroup_record_fn record, void *record_arg,
                                     brig_error *reterr)
{
    _cleanup_cgroup_ struct brig_cgroup *cg = brig_xmalloc0(sizeof(*cg));
    _cleanup_free_ char *spec_path = NULL, *self = NULL;
    bool absolute = false;
    const struct brig_cg_hier *main_h;

    cg->mode = mode;
    /* Everything that can be refused is refused before the first mkdir. */
    if (brig_cg_validate_resources(res, reterr) < 0)
        return NULL;
    if (resolve_spec_path(cgroups_path, id, systemd, &spec_path, &absolute, reterr) < 0)
        return NULL;
    if (discover_hierarchies(cg, reterr) < 0)
        return NULL;
    if (!absolute &&
        brig_read_file_at(AT_FDCWD, "/proc/self/cgroup", 1 << 20, &self, NULL, reterr) < 0)
        return NULL;
    for (size_t i = 0; i < cg->n_hiers; i++) {
        struct brig_cg_hier *h = &cg->hiers[i];
        _cleanup_free_ char *own = NULL;
        if (absolute) {
            h->path = path_join_norm(spec_path, NULL);
        } else {
            if (own_cgroup(h, self, &own, reterr) < 0)
                return NULL;
            h->path = path_join_norm(own, spec_path);
        }
        if (strcmp(h->path, "/") == 0) {
            brig_error_set(reterr, 0, "create cgroup: `%s` resolves to the root of `%s`", spec_path,
                           h->mountpoint);
            return NULL;
        }
        h->dir = brig_xasprintf("%s%s", h->mountpoint, h->path);
        free(h->mnt_root);
        h->mnt_root = NULL;
    }

    main_h = primary_hier(cg);
    if (main_h != NULL && cgroup_has_procs(main_h->dir)) {
        brig_error_set(reterr, EBUSY, "create cgroup: cgroup `%s` already exists and is in use",
                       main_h->path);
        return NULL;
    }
    /* The caller writes down what is about to exist before it does: a
     * creator killed between two mkdirs must leave a record that names
     * every directory it may have made, or nothing ever removes them. */
    if (record != NULL) {
        for (size_t i = 0; i < cg->n_hiers; i++)
            cg->hiers[i].created = hier_missing_levels(&cg->hiers[i]);
        if (record(cg, record_arg, reterr) < 0)
            return NULL;
    }
    for (size_t i = 0; i < cg->n_hiers; i++) {
        struct brig_cg_hier *h = &cg->hiers[i];
        if (hier_mkdir(h, reterr) < 0)
            goto fail;
        if (h->created == 0 && cgroup_has_procs(h->dir)) {
            brig_error_set(reterr, EBUSY, "create cgroup: cgroup `%s` already exists and is in use",
                           h->dir);
            goto fail;
        }
        if (h->kind == BRIG_CG_KIND_V1 && brig_cg_find(cg, "cpuset") == h &&
            brig_cg_v1_prepare_cpuset(h, reterr) < 0)
            goto fail;
        if (h->kind == BRIG_CG_KIND_UNIFIED && mode == BRIG_CGROUP_V2 &&
            brig_cg_v2_enable_controllers(h, reterr) < 0)
            goto fail;
    }
    if (apply_resources(cg, res, true, reterr) < 0)
        goto fail;
    return TAKE_PTR(cg);

fail:
    brig_cgroup_destroy(cg, NULL);
    return brig_error_wrap(reterr, "create cgroup"), NULL;
}

struct brig_cgroup *brig_cg_create_in(enum brig_cgroup_mode mode, const char *cgroups_path,
                                      const char *id, const struct brig_spec_resources *res,
                                      bool systemd, brig_error *reterr)
{
    return cg_create(mode, cgroups_path, id, res, systemd, NULL, NULL, reterr);
}

struct brig_cgroup *brig_cgroup_create_recorded(const char *cgroups_path, const char *id,
                                                const struct brig_spec_resources *res, bool systemd,
                                                brig_cgroup_record_fn record, void *record_arg,
                                                brig_error *reterr)
{
    enum brig_cgroup_mode mode;
    if (brig_cgroup_detect_mode(&mode, reterr) < 0)
        return NULL;
    return cg_create(mode, cgroups_path, id, res, systemd, record, record_arg, reterr);
}

struct brig_cgroup *brig_cgroup_create(const char *cgroups_path, const char *id,
                                       const struct brig_spec_resources *res, bool systemd,
                                       brig_error *reterr)
{
    return brig_cgroup_create_recorded(cgroups_path, id, res, systemd, NULL, NULL, reterr);
}

int brig_cgroup_update(const struct brig_cgroup *cg, const struct brig_spec_resources *res,
                       brig_error *reterr)
{
    if (apply_resources(cg, res, false, reterr) < 0)
        return brig_error_wrap(reterr, "update cgroup `%s`", brig_cgroup_path(cg));
    return 0;
}

/* ---- freezer ----------------------------------------------------------- */

int brig_cgroup_freeze(const struct brig_cgroup *cg, bool frozen, brig_error *reterr)
{
    const struct brig_cg_hier *h = brig_cg_find(cg, "freezer");
    int r;

    /* v1 freezer when mounted; otherwise cgroup2's core freezer, which
     * exists on a hybrid host's unified tree too. */
    if (cg->mode != BRIG_CGROUP_V2 && h != NULL)
        r = brig_cg_v1_freeze(h, frozen, reterr);
    else if ((h = brig_cg_find(cg, NULL)) != NULL)
        r = brig_cg_v2_freeze(h, frozen, reterr);
    else
        r = brig_error_set(reterr, 0, "no freezer: neither v1 `freezer` nor cgroup2 mounted");
    if (r < 0)
        return brig_error_wrap(reterr, "%s cgroup `%s`", frozen ? "freeze" : "thaw",
                               brig_cgroup_path(cg));
    return 0;
}

int brig_cgroup_is_frozen(const struct brig_cgroup *cg, bool *ret, brig_error *reterr)
{
    const struct brig_cg_hier *h = brig_cg_find(cg, "freezer");
    if (cg->mode != BRIG_CGROUP_V2 && h != NULL)
        return brig_cg_v1_is_frozen(h, ret, reterr);
    if ((h = brig_cg_find(cg, NULL)) != NULL)
        return brig_cg_v2_is_frozen(h, ret, reterr);
    *ret = false;
    return 0;
}

/* ---- processes --------------------------------------------------------- */

static int collect_pids(const char *dir, pid_t **pids, size_t *n, brig_error *reterr)
{
    _cleanup_free_ char *buf = NULL;
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    char *save = NULL;

    if (brig_cg_read(dir, "cgroup.procs", &buf, reterr) < 0)
        return -1;
    for (char *t = strtok_r(buf, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
        int64_t v;
        bool dup = false;
        if (brig_parse_i64(t, &v) < 0 || v <= 0)
            continue;
        for (size_t i = 0; i < *n; i++)
            dup |= (*pids)[i] == (pid_t)v;
        if (dup)
            continue;
        *pids = brig_xrealloc(*pids, (*n + 1) * sizeof(pid_t));
        (*pids)[(*n)++] = (pid_t)v;
    }
    d = opendir(dir);
    if (d == NULL)
        return brig_error_errno(reterr, "open cgroup `%s`", dir);
    while ((de = readdir(d)) != NULL) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *sub = brig_xasprintf("%s/%s", dir, de->d_name);
        brig_error sub_err = NULL;
        /* A child cgroup removed while we walk is not an error. */
        if (collect_pids(sub, pids, n, &sub_err) < 0 && sub_err->errnum != ENOENT) {
            if (reterr != NULL) {
                brig_error_free(reterr);
                *reterr = sub_err;
            } else {
                brig_error_free(&sub_err);
            }
            return -1;
        }
        brig_error_free(&sub_err);
    }
    return 0;
}

int brig_cgroup_pids(const struct brig_cgroup *cg, pid_t **ret_pids, size_t *ret_n,
                     brig_error *reterr)
{
    const struct brig_cg_hier *h = primary_hier(cg);
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;

    if (h == NULL)
        return brig_error_set(reterr, 0, "list cgroup processes: no hierarchy");
    if (collect_pids(h->dir, &pids, &n, reterr) < 0)
        return brig_error_wrap(reterr, "list processes of cgroup `%s`", h->path);
    *ret_pids = TAKE_PTR(pids);
    *ret_n = n;
    return 0;
}

int brig_cgroup_kill_all(const struct brig_cgroup *cg, int sig, brig_error *reterr)
{
    const struct brig_cg_hier *u = brig_cg_find(cg, NULL);
    _cleanup_free_ pid_t *pids = NULL;
    bool was_frozen = false, froze = false;
    size_t n = 0;
    int ret = 0;

    /* cgroup.kill (Linux 5.14) kills the whole subtree atomically, forks
     * included; on hybrid hosts the unified tree has every process too. */
    if (sig == SIGKILL && u != NULL && brig_cg_exists(u->dir, "cgroup.kill")) {
        if (brig_cg_write(u->dir, "cgroup.kill", "1", reterr) < 0)
            return brig_error_wrap(reterr, "kill cgroup `%s`", u->path);
        return 0;
    }
    /* Otherwise freeze first so nothing forks between listing and
     * signalling, then thaw so the signals are handled.  A container that
     * was already paused stays paused, unless it is being killed. */
    if (brig_cgroup_is_frozen(cg, &was_frozen, NULL) < 0)
        was_frozen = false;
    if (!was_frozen && brig_cgroup_freeze(cg, true, NULL) == 0)
        froze = true;
    if (brig_cgroup_pids(cg, &pids, &n, reterr) < 0) {
        ret = -1;
    } else {
        for (size_t i = 0; i < n; i++)
            if (kill(pids[i], sig) < 0 && errno != ESRCH && ret == 0)
                ret = brig_error_errno(reterr, "kill process %d with signal %d", (int)pids[i], sig);
    }
    if (froze || (was_frozen && sig == SIGKILL))
        brig_cgroup_freeze(cg, false, NULL);
    return ret;
}

/* ---- state-file form --------------------------------------------------- */

static const char *kind_name(enum brig_cg_kind k)
{
    return k == BRIG_CG_KIND_V1 ? "v1" : k == BRIG_CG_KIND_NAMED ? "named" : "unified";
}

/* brig-cgroup 1
 * mode hybrid
 * h<TAB>kind<TAB>created<TAB>controllers|-<TAB>mountpoint<TAB>path   (one a hierarchy) */
char *brig_cgroup_serialize(const struct brig_cgroup *cg)
{
    char *out = brig_xasprintf("brig-cgroup 1\nmode %s\n", brig_cgroup_mode_name(cg->mode));
    for (size_t i = 0; i < cg->n_hiers; i++) {
        const struct brig_cg_hier *h = &cg->hiers[i];
        char *line =
            brig_xasprintf("%sh\t%s\t%u\t%s\t%s\t%s\n", out, kind_name(h->kind), h->created,
                           *h->controllers ? h->controllers : "-", h->mountpoint, h->path);
        free(out);
        out = line;
    }
    return out;
}

struct brig_cgroup *brig_cgroup_deserialize(const char *s, brig_error *reterr)
{
    _cleanup_cgroup_ struct brig_cgroup *cg = brig_xmalloc0(sizeof(*cg));
    _cleanup_free_ char *copy = brig_xstrdup(s ? s : "");
    char *save = NULL, *line;
    int n = 0;

    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
        if (n == 0) {
            if (strcmp(line, "brig-cgroup 1") != 0)
                goto bad;
        } else if (n == 1) {
            if (!brig_str_has_prefix(line, "mode ") || mode_from_name(line + 5, &cg->mode) < 0)
                goto bad;
        } else {
            char *f[6], *fs = NULL;
            size_t k = 0;
            uint64_t created;
            for (char *t = strtok_r(line, "\t", &fs); t && k < 6; t = strtok_r(NULL, "\t", &fs))
                f[k++] = t;
            if (k != 6 || strcmp(f[0], "h") != 0 || brig_parse_u64(f[2], &created) < 0 ||
                f[4][0] != '/' || f[5][0] != '/' || validate_cgroups_path(f[5], NULL) < 0)
                goto bad;
            struct brig_cg_hier *h = hier_add(cg);
            if (strcmp(f[1], "v1") == 0)
                h->kind = BRIG_CG_KIND_V1;
            else if (strcmp(f[1], "named") == 0)
                h->kind = BRIG_CG_KIND_NAMED;
            else if (strcmp(f[1], "unified") == 0)
                h->kind = BRIG_CG_KIND_UNIFIED;
            else
                goto bad;
            h->created = (unsigned)created;
            h->controllers = brig_xstrdup(strcmp(f[3], "-") == 0 ? "" : f[3]);
            h->mountpoint = brig_xstrdup(f[4]);
            h->path = brig_xstrdup(f[5]);
            h->dir = brig_xasprintf("%s%s", h->mountpoint, h->path);
        }
    }
    if (n < 2 || cg->n_hiers == 0)
        goto bad;
    return TAKE_PTR(cg);
bad:
    brig_error_set(reterr, 0, "load cgroup state: malformed (line %d)", n + 1);
    return NULL;
}

const char *brig_cgroup_path(const struct brig_cgroup *cg)
{
    /* The unified tree where there is one (v2, hybrid), else the first v1
     * hierarchy.  With a relative cgroupsPath v1 hierarchies can differ
     * (each is below our own cgroup there); the handle keeps them all. */
    const struct brig_cg_hier *h = brig_cg_find(cg, NULL);
    if (h == NULL && cg->n_hiers > 0)
        h = &cg->hiers[0];
    return h ? h->path : "/";
}

enum brig_cgroup_mode brig_cgroup_mode_of(const struct brig_cgroup *cg)
{
    return cg->mode;
}

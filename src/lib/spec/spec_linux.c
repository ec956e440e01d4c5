/* The "linux" object of config.json: namespaces, id mappings, devices,
 * cgroup resources, seccomp, sysctls, masked paths and personality. */
#include <inttypes.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>

#include "core/util.h"
#include "sandbox/seccomp.h"
#include "spec/spec_internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Fetch element i of an array that must be an object. */
static int array_object(json_object *arr, size_t i, const char *path, json_object **ret,
                        brig_error *reterr)
{
    json_object *e = json_object_array_get_idx(arr, i);

    if (e == NULL)
        return spec_error(reterr, path, "must be an object");
    if (spec_expect(e, json_type_object, path, reterr) < 0)
        return -1;
    *ret = e;
    return 0;
}

/* ---- namespaces, id mappings ------------------------------------------- */

static const struct {
    const char *name;
    int flag;
} ns_types[] = {
    {"pid", CLONE_NEWPID},       {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

static int parse_namespaces(json_object *arr, struct brig_spec_linux *l, brig_error *reterr)
{
    size_t n = json_object_array_length(arr);

    l->namespaces = brig_xmalloc0(n * sizeof(*l->namespaces));
    l->n_namespaces = n;
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *pi = spec_path_index("linux.namespaces", i), *type = NULL, *pt = NULL;
        struct brig_spec_namespace *ns = &l->namespaces[i];
        json_object *e = NULL;
        size_t k;

        if (array_object(arr, i, pi, &e, reterr) < 0 ||
            spec_field_string(e, pi, "type", true, &type, reterr) < 0)
            return -1;
        pt = spec_path_key(pi, "type");
        for (k = 0; k < BRIG_ARRAY_SIZE(ns_types); k++)
            if (strcmp(ns_types[k].name, type) == 0)
                break;
        if (k == BRIG_ARRAY_SIZE(ns_types))
            return spec_error(reterr, pt, "unknown namespace type \"%s\"", type);
        ns->type = ns_types[k].flag;
        for (size_t j = 0; j < i; j++)
            if (l->namespaces[j].type == ns->type)
                return spec_error(reterr, pt, "duplicate namespace type \"%s\"", type);
        if (spec_field_abspath(e, pi, "path", false, &ns->path, reterr) < 0)
            return -1;
    }
    return 0;
}

static int parse_idmaps(json_object *arr, const char *path, struct brig_spec_idmap **ret,
                        size_t *ret_n, brig_error *reterr)
{
    size_t n = json_object_array_length(arr);

    *ret = brig_xmalloc0(n * sizeof(**ret));
    *ret_n = n;
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *pi = spec_path_index(path, i);
        struct brig_spec_idmap *m = &(*ret)[i];
        json_object *e = NULL;

        if (array_object(arr, i, pi, &e, reterr) < 0 ||
            spec_field_u32(e, pi, "containerID", true, &m->container_id, reterr) < 0 ||
            spec_field_u32(e, pi, "hostID", true, &m->host_id, reterr) < 0 ||
            spec_field_u32(e, pi, "size", true, &m->size, reterr) < 0)
            return -1;
    }
    return 0;
}

/* ---- devices ----------------------------------------------------------- */

static int parse_devices(json_object *arr, struct brig_spec_linux *l, brig_error *reterr)
{
    size_t n = json_object_array_length(arr);

    l->devices = brig_xmalloc0(n * sizeof(*l->devices));
    l->n_devices = n;
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *pi = spec_path_index("linux.devices", i), *type = NULL;
        struct brig_spec_device *d = &l->devices[i];
        bool needs_numbers;
        uint64_t mode;
        json_object *e = NULL;
        int r;

        if (array_object(arr, i, pi, &e, reterr) < 0 ||
            spec_field_string(e, pi, "type", true, &type, reterr) < 0)
            return -1;
        if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL) {
            _cleanup_free_ char *pt = spec_path_key(pi, "type");
            return spec_error(reterr, pt, "unknown device type \"%s\"", type);
        }
        d->type = type[0];
        if (spec_field_abspath(e, pi, "path", true, &d->path, reterr) < 0)
            return -1;
        /* A fifo has no device numbers; character and block devices do. */
        needs_numbers = d->type != 'p';
        if (spec_field_i64(e, pi, "major", needs_numbers, 0, UINT32_MAX, &d->major, reterr) < 0 ||
            spec_field_i64(e, pi, "minor", needs_numbers, 0, UINT32_MAX, &d->minor, reterr) < 0)
            return -1;
        r = spec_field_u64(e, pi, "fileMode", false, 07777, &mode, reterr);
        if (r < 0)
            return -1;
        d->has_mode = r > 0;
        d->file_mode = (mode_t)(r > 0 ? mode : 0);
        r = spec_field_u32(e, pi, "uid", false, &d->uid, reterr);
        if (r < 0)
            return -1;
        d->has_uid = r > 0;
        r = spec_field_u32(e, pi, "gid", false, &d->gid, reterr);
        if (r < 0)
            return -1;
        d->has_gid = r > 0;
    }
    return 0;
}

/* ---- resources --------------------------------------------------------- */

static int parse_device_rules(json_object *arr, const char *path, struct brig_spec_resources *res,
                              brig_error *reterr)
{
    size_t n = json_object_array_length(arr);

    res->devices = brig_xmalloc0(n * sizeof(*res->devices));
    res->n_devices = n;
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *pi = spec_path_index(path, i), *type = NULL, *access = NULL;
        struct brig_spec_device_rule *d = &res->devices[i];
        json_object *e = NULL, *v = NULL;
        int r;

        d->type = 'a';
        d->major = d->minor = -1;
        strcpy(d->access, "rwm");
        if (array_object(arr, i, pi, &e, reterr) < 0 ||
            spec_field(e, pi, "allow", json_type_boolean, true, &v, reterr) < 0)
            return -1;
        d->allow = json_object_get_boolean(v);
        r = spec_field_string(e, pi, "type", false, &type, reterr);
        if (r < 0)
            return -1;
        if (r > 0) {
            if (strlen(type) != 1 || strchr("acb", type[0]) == NULL) {
                _cleanup_free_ char *pt = spec_path_key(pi, "type");
                return spec_error(reterr, pt, "unknown device type \"%s\"", type);
            }
            d->type = type[0];
        }
        if (spec_field_i64(e, pi, "major", false, -1, UINT32_MAX, &d->major, reterr) < 0 ||
            spec_field_i64(e, pi, "minor", false, -1, UINT32_MAX, &d->minor, reterr) < 0)
            return -1;
        r = spec_field_string(e, pi, "access", false, &access, reterr);
        if (r < 0)
            return -1;
        if (r > 0) {
            /* Written verbatim to devices.allow/deny: only r, w, m, once each. */
            bool seen[3] = {false, false, false};
            _cleanup_free_ char *pa = spec_path_key(pi, "access");
            for (const char *c = access; *c; c++) {
                const char *at = strchr("rwm", *c);
                if (at == NULL || seen[at - "rwm"])
                    return spec_error(reterr, pa, "must be a combination of \"r\", \"w\", \"m\"");
                seen[at - "rwm"] = true;
            }
            strcpy(d->access, access);
        }
    }
    return 0;
}

static int parse_memory(json_object *o, const char *p, struct brig_spec_resources *res,
                        brig_error *reterr)
{
    int r;

    if ((r = spec_field_i64(o, p, "limit", false, -1, INT64_MAX, &res->memory_limit, reterr)) < 0)
        return -1;
    res->has_memory_limit = r > 0;
    if ((r = spec_field_i64(o, p, "reservation", false, -1, INT64_MAX, &res->memory_reservation,
                            reterr)) < 0)
        return -1;
    res->has_memory_reservation = r > 0;
    if ((r = spec_field_i64(o, p, "swap", false, -1, INT64_MAX, &res->memory_swap, reterr)) < 0)
        return -1;
    res->has_memory_swap = r > 0;
    if ((r = spec_field_u64(o, p, "swappiness", false, 100, &res->memory_swappiness, reterr)) < 0)
        return -1;
    res->has_memory_swappiness = r > 0;
    return spec_field_bool(o, p, "disableOOMKiller", &res->disable_oom_killer, reterr) < 0 ? -1 : 0;
}

static int parse_cpu(json_object *o, const char *p, struct brig_spec_resources *res,
                     brig_error *reterr)
{
    int r;

    if ((r = spec_field_u64(o, p, "shares", false, UINT64_MAX, &res->cpu_shares, reterr)) < 0)
        return -1;
    res->has_cpu_shares = r > 0;
    if ((r = spec_field_i64(o, p, "quota", false, -1, INT64_MAX, &res->cpu_quota, reterr)) < 0)
        return -1;
    res->has_cpu_quota = r > 0;
    if ((r = spec_field_u64(o, p, "period", false, UINT64_MAX, &res->cpu_period, reterr)) < 0)
        return -1;
    res->has_cpu_period = r > 0;
    if ((r = spec_field_u64(o, p, "burst", false, UINT64_MAX, &res->cpu_burst, reterr)) < 0)
        return -1;
    res->has_cpu_burst = r > 0;
    /* cpu.idle takes 0 or 1. */
    if ((r = spec_field_i64(o, p, "idle", false, 0, 1, &res->cpu_idle, reterr)) < 0)
        return -1;
    res->has_cpu_idle = r > 0;
    /* realtimeRuntime/realtimePeriod are ignored: brig does no RT groups. */
    if (spec_field_string(o, p, "cpus", false, &res->cpu_cpus, reterr) < 0 ||
        spec_field_string(o, p, "mems", false, &res->cpu_mems, reterr) < 0)
        return -1;
    return 0;
}

static int parse_resources(json_object *o, struct brig_spec_resources *res, brig_error *reterr)
{
    static const char P[] = "linux.resources";
    json_object *v = NULL;
    int r;

    r = spec_field(o, P, "memory", json_type_object, false, &v, reterr);
    if (r < 0 || (r > 0 && parse_memory(v, "linux.resources.memory", res, reterr) < 0))
        return -1;
    r = spec_field(o, P, "cpu", json_type_object, false, &v, reterr);
    if (r < 0 || (r > 0 && parse_cpu(v, "linux.resources.cpu", res, reterr) < 0))
        return -1;
    r = spec_field(o, P, "pids", json_type_object, false, &v, reterr);
    if (r < 0)
        return -1;
    if (r > 0) {
        if (spec_field_i64(v, "linux.resources.pids", "limit", true, INT64_MIN, INT64_MAX,
                           &res->pids_limit, reterr) < 0)
            return -1;
        res->has_pids_limit = true;
    }
    r = spec_field(o, P, "blockIO", json_type_object, false, &v, reterr);
    if (r < 0)
        return -1;
    if (r > 0) {
        uint64_t w;
        r = spec_field_u64(v, "linux.resources.blockIO", "weight", false, UINT16_MAX, &w, reterr);
        if (r < 0)
            return -1;
        /* 0 means "unset" in runc; the kernel takes 10..1000. */
        if (r > 0 && w != 0 && (w < 10 || w > 1000))
            return spec_error(reterr, "linux.resources.blockIO.weight",
                              "%" PRIu64 " is out of range (10..1000)", w);
        if (r > 0 && w != 0) {
            res->has_blkio_weight = true;
            res->blkio_weight = (uint16_t)w;
        }
    }
    r = spec_field(o, P, "devices", json_type_array, false, &v, reterr);
    if (r < 0 || (r > 0 && parse_device_rules(v, "linux.resources.devices", res, reterr) < 0))
        return -1;
    r = spec_field(o, P, "unified", json_type_object, false, &v, reterr);
    if (r < 0 || (r > 0 && spec_as_kv(v, "linux.resources.unified", &res->unified, &res->n_unified,
                                      reterr) < 0))
        return -1;
    return 0;
}

static void resources_clear(struct brig_spec_resources *res)
{
    free(res->cpu_cpus);
    free(res->cpu_mems);
    free(res->devices);
    spec_kv_free(res->unified, res->n_unified);
}

/* ---- seccomp ----------------------------------------------------------- */

/* errnoRet is folded into the low 16 bits of the action. */
static int parse_action(json_object *o, const char *path, const char *action_key,
                        const char *errno_key, uint32_t *ret, brig_error *reterr)
{
    _cleanup_free_ char *name = NULL, *pa = NULL, *pe = NULL;
    uint64_t errno_ret = 0;
    uint32_t dummy;
    int has_errno;

    if (spec_field_string(o, path, action_key, true, &name, reterr) < 0)
        return -1;
    pa = spec_path_key(path, action_key);
    if (brig_seccomp_action_from_name(name, 0, false, &dummy) < 0) {
        if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
            return spec_error(reterr, pa, "SCMP_ACT_NOTIFY is not supported");
        return spec_error(reterr, pa, "unknown action \"%s\"", name);
    }
    has_errno = spec_field_u64(o, path, errno_key, false, 0xffff, &errno_ret, reterr);
    if (has_errno < 0)
        return -1;
    if (brig_seccomp_action_from_name(name, (unsigned)errno_ret, has_errno > 0, ret) < 0) {
        pe = spec_path_key(path, errno_key);
        return spec_error(reterr, pe, "not supported by action \"%s\"", name);
    }
    return 0;
}

static int parse_seccomp_args(json_object *arr, const char *path, struct brig_seccomp_rule *rule,
                              brig_error *reterr)
{
    size_t n = json_object_array_length(arr);

    rule->args = brig_xmalloc0(n * sizeof(*rule->args));
    rule->n_args = n;
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *pi = spec_path_index(path, i), *op = NULL;
        struct brig_seccomp_arg *a = &rule->args[i];
        uint64_t index;
        json_object *e = NULL;

        if (array_object(arr, i, pi, &e, reterr) < 0 ||
            spec_field_u64(e, pi, "index", true, 5, &index, reterr) < 0 ||
            spec_field_u64(e, pi, "value", true, UINT64_MAX, &a->value, reterr) < 0 ||
            spec_field_u64(e, pi, "valueTwo", false, UINT64_MAX, &a->value_two, reterr) < 0 ||
            spec_field_string(e, pi, "op", true, &op, reterr) < 0)
            return -1;
        a->index = (unsigned)index;
        if (brig_seccomp_op_from_name(op, &a->op) < 0) {
            _cleanup_free_ char *po = spec_path_key(pi, "op");
            return spec_error(reterr, po, "unknown operator \"%s\"", op);
        }
    }
    return 0;
}

static int parse_seccomp_rules(json_object *arr, const char *path, struct brig_spec_seccomp *sc,
                               brig_error *reterr)
{
    size_t n = json_object_array_length(arr);

    sc->rules = brig_xmalloc0(n * sizeof(*sc->rules));
    sc->n_rules = n;
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *pi = spec_path_index(path, i), *pn = NULL;
        struct brig_seccomp_rule *rule = &sc->rules[i];
        json_object *e = NULL, *v = NULL;
        int r;

        if (array_object(arr, i, pi, &e, reterr) < 0)
            return -1;
        pn = spec_path_key(pi, "names");
        if (!spec_get(e, "names", &v) || !json_object_is_type(v, json_type_array) ||
            json_object_array_length(v) == 0)
            return spec_error(reterr, pn, "must be a non-empty array of strings");
        if (spec_as_strv(v, pn, &rule->names, reterr) < 0 ||
            parse_action(e, pi, "action", "errnoRet", &rule->action, reterr) < 0)
            return -1;
        r = spec_field(e, pi, "args", json_type_array, false, &v, reterr);
        if (r < 0)
            return -1;
        if (r > 0) {
            _cleanup_free_ char *pa = spec_path_key(pi, "args");
            if (parse_seccomp_args(v, pa, rule, reterr) < 0)
                return -1;
        }
    }
    return 0;
}

static void seccomp_free(struct brig_spec_seccomp *sc)
{
    if (sc == NULL)
        return;
    brig_strv_free(sc->architectures);
    brig_strv_free(sc->flags);
    free(sc->listener_path);
    for (size_t i = 0; sc->rules != NULL && i < sc->n_rules; i++) {
        brig_strv_free(sc->rules[i].names);
        free(sc->rules[i].args);
    }
    free(sc->rules);
    free(sc);
}

static int parse_seccomp(json_object *o, struct brig_spec_seccomp *sc, brig_error *reterr)
{
    static const char P[] = "linux.seccomp";
    json_object *v = NULL;
    int r;

    if (parse_action(o, P, "defaultAction", "defaultErrnoRet", &sc->default_action, reterr) < 0 ||
        spec_field_strv(o, P, "architectures", &sc->architectures, reterr) < 0 ||
        spec_field_strv(o, P, "flags", &sc->flags, reterr) < 0 ||
        spec_field_string(o, P, "listenerPath", false, &sc->listener_path, reterr) < 0)
        return -1;
    /* A listener needs a seccomp agent brig does not have: without one every
     * notified syscall would block forever, so refuse up front. */
    if (sc->listener_path != NULL)
        return spec_error(reterr, "linux.seccomp.listenerPath", "seccomp notify is not supported");
    r = spec_field(o, P, "syscalls", json_type_array, false, &v, reterr);
    if (r < 0 || (r > 0 && parse_seccomp_rules(v, "linux.seccomp.syscalls", sc, reterr) < 0))
        return -1;
    return 0;
}

/* ---- the rest ---------------------------------------------------------- */

static const struct {
    const char *name;
    unsigned long flags;
} propagations[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

static int parse_abspaths(json_object *o, const char *key, char ***ret, brig_error *reterr)
{
    _cleanup_free_ char *p = spec_path_key("linux", key);

    if (spec_field_strv(o, "linux", key, ret, reterr) < 0)
        return -1;
    for (size_t i = 0; *ret != NULL && (*ret)[i] != NULL; i++) {
        if ((*ret)[i][0] != '/') {
            _cleanup_free_ char *pi = spec_path_index(p, i);
            return spec_error(reterr, pi, "must be an absolute path, not \"%s\"", (*ret)[i]);
        }
    }
    return 0;
}

static int parse_personality(json_object *o, struct brig_spec_linux *l, brig_error *reterr)
{
    static const char P[] = "linux.personality";
    _cleanup_free_ char *domain = NULL;
    _cleanup_strv_ char **flags = NULL;

    if (spec_field_string(o, P, "domain", true, &domain, reterr) < 0)
        return -1;
    if (strcmp(domain, "LINUX") == 0)
        l->personality = PER_LINUX;
    else if (strcmp(domain, "LINUX32") == 0)
        l->personality = PER_LINUX32;
    else
        return spec_error(reterr, "linux.personality.domain", "unknown domain \"%s\"", domain);
    /* The spec defines no flag names yet; runc ignores them, and so do we
     * after checking the type. */
    if (spec_field_strv(o, P, "flags", &flags, reterr) < 0)
        return -1;
    l->has_personality = true;
    return 0;
}

int spec_parse_linux(json_object *o, struct brig_spec_linux *l, brig_error *reterr)
{
    json_object *v = NULL;
    int r;

    r = spec_field(o, "linux", "namespaces", json_type_array, false, &v, reterr);
    if (r < 0 || (r > 0 && parse_namespaces(v, l, reterr) < 0))
        return -1;
    r = spec_field(o, "linux", "uidMappings", json_type_array, false, &v, reterr);
    if (r < 0 || (r > 0 && parse_idmaps(v, "linux.uidMappings", &l->uid_mappings,
                                        &l->n_uid_mappings, reterr) < 0))
        return -1;
    r = spec_field(o, "linux", "gidMappings", json_type_array, false, &v, reterr);
    if (r < 0 || (r > 0 && parse_idmaps(v, "linux.gidMappings", &l->gid_mappings,
                                        &l->n_gid_mappings, reterr) < 0))
        return -1;
    r = spec_field(o, "linux", "devices", json_type_array, false, &v, reterr);
    if (r < 0 || (r > 0 && parse_devices(v, l, reterr) < 0))
        return -1;
    if (spec_field_string(o, "linux", "cgroupsPath", false, &l->cgroups_path, reterr) < 0)
        return -1;
    r = spec_field(o, "linux", "resources", json_type_object, false, &v, reterr);
    if (r < 0 || (r > 0 && parse_resources(v, &l->resources, reterr) < 0))
        return -1;
    l->has_resources = r > 0;

    {
        _cleanup_free_ char *prop = NULL;
        r = spec_field_string(o, "linux", "rootfsPropagation", false, &prop, reterr);
        if (r < 0)
            return -1;
        if (r > 0) {
            size_t k;
            for (k = 0; k < BRIG_ARRAY_SIZE(propagations); k++)
                if (strcmp(propagations[k].name, prop) == 0)
                    break;
            if (k == BRIG_ARRAY_SIZE(propagations))
                return spec_error(reterr, "linux.rootfsPropagation", "unknown propagation \"%s\"",
                                  prop);
            l->rootfs_propagation = propagations[k].flags;
        }
    }

    r = spec_field(o, "linux", "seccomp", json_type_object, false, &v, reterr);
    if (r < 0)
        return -1;
    if (r > 0) {
        l->seccomp = brig_xmalloc0(sizeof(*l->seccomp));
        if (parse_seccomp(v, l->seccomp, reterr) < 0)
            return -1;
    }
    r = spec_field(o, "linux", "sysctl", json_type_object, false, &v, reterr);
    if (r < 0 || (r > 0 && spec_as_kv(v, "linux.sysctl", &l->sysctl, &l->n_sysctl, reterr) < 0))
        return -1;
    if (parse_abspaths(o, "maskedPaths", &l->masked_paths, reterr) < 0 ||
        parse_abspaths(o, "readonlyPaths", &l->readonly_paths, reterr) < 0 ||
        spec_field_string(o, "linux", "mountLabel", false, &l->mount_label, reterr) < 0)
        return -1;
    r = spec_field(o, "linux", "personality", json_type_object, false, &v, reterr);
    if (r < 0 || (r > 0 && parse_personality(v, l, reterr) < 0))
        return -1;
    return 0;
}

void spec_linux_clear(struct brig_spec_linux *l)
{
    for (size_t i = 0; l->namespaces != NULL && i < l->n_namespaces; i++)
        free(l->namespaces[i].path);
    free(l->namespaces);
    free(l->uid_mappings);
    free(l->gid_mappings);
    for (size_t i = 0; l->devices != NULL && i < l->n_devices; i++)
        free(l->devices[i].path);
    free(l->devices);
    free(l->cgroups_path);
    resources_clear(&l->resources);
    seccomp_free(l->seccomp);
    spec_kv_free(l->sysctl, l->n_sysctl);
    brig_strv_free(l->masked_paths);
    brig_strv_free(l->readonly_paths);
    free(l->mount_label);
    memset(l, 0, sizeof(*l));
}

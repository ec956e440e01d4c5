/* Seccomp profiles in docker's format (or OCI's) turned into the OCI
 * linux.seccomp object for one container.
 *
 * What docker does, and so what brig does (moby's profiles/seccomp):
 *   - archMap: only the entry for this machine's architecture counts; its
 *     architecture and subArchitectures become the filter's architectures
 *     (x86_64 also filters the x86 and x32 syscall ABIs, which a process can
 *     reach with int 0x80 or the x32 bit whatever its binary is);
 *   - a rule is kept when every capability in includes.caps is in the
 *     container's bounding set, this architecture is in includes.arches (if
 *     given) and the kernel is at least includes.minKernel; it is dropped
 *     when any capability in excludes.caps is held, this architecture is in
 *     excludes.arches, or the kernel is at least excludes.minKernel;
 *   - unknown JSON members are ignored (a profile docker takes must load).
 * Unlike docker, a capability name brig does not know is an error rather
 * than a rule that silently never matches: a typo there changes the policy.
 *
 * Every rule is validated (action, errnoRet, operators) whether or not it
 * survives the filtering, so a profile that is wrong for one container is
 * wrong for all of them, and the error names the JSON path. */
#include "spec/seccomp_profile.h"

#include <json-c/json.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "core/cache.h"
#include "core/util.h"
#include "sandbox/seccomp.h"
#include "spec/spec_internal.h"

#define WHAT "seccomp profile"

struct profile_ctx {
    uint64_t caps;
    const char *arch; /* "SCMP_ARCH_X86_64" */
    unsigned kernel_major, kernel_minor;
};

/* libseccomp's architecture names; the spec spells them "SCMP_ARCH_" plus
 * the upper-cased name. */
static const char *const arch_names[] = {
    "x86",       "x86_64", "x32",      "arm",         "aarch64", "mips",  "mips64",
    "mips64n32", "mipsel", "mipsel64", "mipsel64n32", "ppc",     "ppc64", "ppc64le",
    "s390",      "s390x",  "parisc",   "parisc64",    "riscv64",
};

static uint32_t arch_token(const char *spec_name)
{
    static const char prefix[] = "SCMP_ARCH_";
    char lower[32];
    size_t n;

    if (!brig_str_has_prefix(spec_name, prefix))
        return 0;
    spec_name += sizeof(prefix) - 1;
    n = strlen(spec_name);
    if (n == 0 || n >= sizeof(lower))
        return 0;
    for (size_t i = 0; i <= n; i++) {
        char c = spec_name[i];
        lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    return seccomp_arch_resolve_name(lower);
}

/* This machine's architecture as the spec names it; NULL if libseccomp
 * reports one brig does not know (then archMap entries never match). */
static char *native_arch_name(void)
{
    uint32_t native = seccomp_arch_native();

    for (size_t i = 0; i < BRIG_ARRAY_SIZE(arch_names); i++) {
        if (seccomp_arch_resolve_name(arch_names[i]) != native)
            continue;
        char *s = brig_xasprintf("SCMP_ARCH_%s", arch_names[i]);
        for (char *c = s; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
        return s;
    }
    return NULL;
}

/* "6.1.0-13-amd64" -> 6, 1. */
static void kernel_version(unsigned *major, unsigned *minor)
{
    struct utsname u;

    *major = *minor = 0;
    if (uname(&u) == 0 && sscanf(u.release, "%u.%u", major, minor) != 2)
        *major = *minor = 0;
}

static bool strv_contains(char *const *v, const char *s)
{
    for (; v != NULL && *v != NULL; v++)
        if (strcmp(*v, s) == 0)
            return true;
    return false;
}

/* ---- one rule's filter: includes / excludes ------------------------------ */

struct rule_filter {
    char **caps, **arches;
    bool has_min_kernel;
    unsigned min_major, min_minor;
};

static void rule_filter_clear(struct rule_filter *f)
{
    brig_strv_free(f->caps);
    brig_strv_free(f->arches);
}

static int parse_filter(json_object *rule, const char *rpath, const char *key,
                        struct rule_filter *f, brig_error *reterr)
{
    _cleanup_free_ char *path = spec_path_key(rpath, key);
    _cleanup_free_ char *kernel = NULL;
    json_object *o = NULL;
    int r;

    r = spec_field(rule, rpath, key, json_type_object, false, &o, reterr);
    if (r <= 0)
        return r;
    if (spec_field_strv(o, path, "caps", &f->caps, reterr) < 0 ||
        spec_field_strv(o, path, "arches", &f->arches, reterr) < 0 ||
        spec_field_string(o, path, "minKernel", false, &kernel, reterr) < 0)
        return -1;
    for (size_t i = 0; f->caps != NULL && f->caps[i] != NULL; i++)
        if (brig_cap_from_name(f->caps[i]) < 0) {
            _cleanup_free_ char *pc = spec_path_key(path, "caps");
            _cleanup_free_ char *pi = spec_path_index(pc, i);
            return spec_error(reterr, pi, "unknown capability `%s`", f->caps[i]);
        }
    if (kernel != NULL) {
        int end = 0;

        if (sscanf(kernel, "%u.%u%n", &f->min_major, &f->min_minor, &end) != 2 ||
            kernel[end] != '\0') {
            _cleanup_free_ char *pk = spec_path_key(path, "minKernel");
            return spec_error(reterr, pk, "`%s` is not a kernel version (like \"4.8\")", kernel);
        }
        f->has_min_kernel = true;
    }
    return 0;
}

static bool kernel_at_least(const struct profile_ctx *ctx, const struct rule_filter *f)
{
    return ctx->kernel_major > f->min_major ||
           (ctx->kernel_major == f->min_major && ctx->kernel_minor >= f->min_minor);
}

static bool cap_held(const struct profile_ctx *ctx, const char *name)
{
    int cap = brig_cap_from_name(name);

    return cap >= 0 && cap < 64 && (ctx->caps & (UINT64_C(1) << cap)) != 0;
}

static bool rule_applies(const struct profile_ctx *ctx, const struct rule_filter *inc,
                         const struct rule_filter *exc)
{
    for (size_t i = 0; inc->caps != NULL && inc->caps[i] != NULL; i++)
        if (!cap_held(ctx, inc->caps[i]))
            return false;
    if (inc->arches != NULL && inc->arches[0] != NULL &&
        (ctx->arch == NULL || !strv_contains(inc->arches, ctx->arch)))
        return false;
    if (inc->has_min_kernel && !kernel_at_least(ctx, inc))
        return false;
    for (size_t i = 0; exc->caps != NULL && exc->caps[i] != NULL; i++)
        if (cap_held(ctx, exc->caps[i]))
            return false;
    if (ctx->arch != NULL && strv_contains(exc->arches, ctx->arch))
        return false;
    if (exc->has_min_kernel && kernel_at_least(ctx, exc))
        return false;
    return true;
}

/* ---- actions and arguments ---------------------------------------------- */

/* Validate action + errno member, and copy both to `out`. */
static int convert_action(json_object *in, const char *path, const char *akey, const char *ekey,
                          json_object *out, brig_error *reterr)
{
    _cleanup_free_ char *name = NULL;
    uint64_t errno_ret = 0;
    uint32_t dummy;
    int has_errno;

    if (spec_field_string(in, path, akey, true, &name, reterr) < 0)
        return -1;
    if (brig_seccomp_action_from_name(name, 0, false, &dummy) < 0) {
        _cleanup_free_ char *pa = spec_path_key(path, akey);
        if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
            return spec_error(reterr, pa, "SCMP_ACT_NOTIFY is not supported (no seccomp agent)");
        return spec_error(reterr, pa, "unknown action `%s`", name);
    }
    has_errno = spec_field_u64(in, path, ekey, false, 0xffff, &errno_ret, reterr);
    if (has_errno < 0)
        return -1;
    if (brig_seccomp_action_from_name(name, (unsigned)errno_ret, has_errno > 0, &dummy) < 0) {
        _cleanup_free_ char *pe = spec_path_key(path, ekey);
        return spec_error(reterr, pe, "not supported by action `%s`", name);
    }
    json_object_object_add(out, akey, json_object_new_string(name));
    if (has_errno > 0)
        json_object_object_add(out, ekey, json_object_new_int64((int64_t)errno_ret));
    return 0;
}

static int convert_args(json_object *rule, const char *rpath, json_object *out, brig_error *reterr)
{
    _cleanup_free_ char *path = spec_path_key(rpath, "args");
    json_object *arr = NULL, *res;
    size_t n;
    int r;

    r = spec_field(rule, rpath, "args", json_type_array, false, &arr, reterr);
    if (r <= 0)
        return r;
    n = json_object_array_length(arr);
    if (n == 0)
        return 0;
    res = json_object_new_array();
    json_object_object_add(out, "args", res);
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *pi = spec_path_index(path, i), *op = NULL;
        json_object *e = json_object_array_get_idx(arr, i), *a;
        uint64_t index, value, value_two = 0;
        enum brig_seccomp_op dummy;

        if (e == NULL || !json_object_is_type(e, json_type_object))
            return spec_error(reterr, pi, "must be an object");
        if (spec_field_u64(e, pi, "index", true, 5, &index, reterr) < 0 ||
            spec_field_u64(e, pi, "value", true, UINT64_MAX, &value, reterr) < 0 ||
            spec_field_u64(e, pi, "valueTwo", false, UINT64_MAX, &value_two, reterr) < 0 ||
            spec_field_string(e, pi, "op", true, &op, reterr) < 0)
            return -1;
        if (brig_seccomp_op_from_name(op, &dummy) < 0) {
            _cleanup_free_ char *po = spec_path_key(pi, "op");
            return spec_error(reterr, po, "unknown operator `%s`", op);
        }
        a = json_object_new_object();
        json_object_array_add(res, a);
        json_object_object_add(a, "index", json_object_new_int64((int64_t)index));
        json_object_object_add(a, "value", json_object_new_uint64(value));
        json_object_object_add(a, "valueTwo", json_object_new_uint64(value_two));
        json_object_object_add(a, "op", json_object_new_string(op));
    }
    return 0;
}

/* docker's "name" (old profiles) or "names"; exactly one of them. */
static int convert_names(json_object *rule, const char *rpath, json_object *out, brig_error *reterr)
{
    _cleanup_strv_ char **names = NULL;
    _cleanup_free_ char *name = NULL;
    json_object *arr;
    int has_names, has_name;

    has_names = spec_field_strv(rule, rpath, "names", &names, reterr);
    if (has_names < 0)
        return -1;
    has_name = spec_field_string(rule, rpath, "name", false, &name, reterr);
    if (has_name < 0)
        return -1;
    if (has_name > 0 && names != NULL && names[0] != NULL)
        return spec_error(reterr, rpath, "has both `name` and `names`");
    if (has_name > 0)
        brig_strv_append(&names, name);
    if (names == NULL || names[0] == NULL) {
        _cleanup_free_ char *pn = spec_path_key(rpath, "names");
        return spec_error(reterr, pn, "must be a non-empty array of syscall names");
    }
    arr = json_object_new_array();
    for (size_t i = 0; names[i] != NULL; i++) {
        if (names[i][0] == '\0') {
            _cleanup_free_ char *pn = spec_path_key(rpath, "names");
            _cleanup_free_ char *pi = spec_path_index(pn, i);
            json_object_put(arr);
            return spec_error(reterr, pi, "is empty");
        }
        json_object_array_add(arr, json_object_new_string(names[i]));
    }
    json_object_object_add(out, "names", arr);
    return 0;
}

static int convert_rule(const struct profile_ctx *ctx, json_object *rule, const char *rpath,
                        json_object *out_rules, brig_error *reterr)
{
    struct rule_filter inc = {0}, exc = {0};
    json_object *out = json_object_new_object();
    int r = -1;

    if (!json_object_is_type(rule, json_type_object)) {
        spec_error(reterr, rpath, "must be an object");
        goto out;
    }
    if (convert_names(rule, rpath, out, reterr) < 0 ||
        convert_action(rule, rpath, "action", "errnoRet", out, reterr) < 0 ||
        convert_args(rule, rpath, out, reterr) < 0 ||
        parse_filter(rule, rpath, "includes", &inc, reterr) < 0 ||
        parse_filter(rule, rpath, "excludes", &exc, reterr) < 0)
        goto out;
    if (rule_applies(ctx, &inc, &exc)) {
        json_object_array_add(out_rules, out);
        out = NULL;
    }
    r = 0;
out:
    rule_filter_clear(&inc);
    rule_filter_clear(&exc);
    json_object_put(out);
    return r;
}

/* ---- architectures ------------------------------------------------------- */

static int check_arch(const char *name, const char *path, brig_error *reterr)
{
    if (arch_token(name) == 0)
        return spec_error(reterr, path, "unknown architecture `%s`", name);
    return 0;
}

static int convert_arches(const struct profile_ctx *ctx, json_object *in, json_object *out,
                          brig_error *reterr)
{
    _cleanup_strv_ char **arches = NULL;
    json_object *map = NULL, *res;
    size_t n_map = 0;
    int r;

    if (spec_field_strv(in, "", "architectures", &arches, reterr) < 0)
        return -1;
    r = spec_field(in, "", "archMap", json_type_array, false, &map, reterr);
    if (r < 0)
        return -1;
    if (r > 0)
        n_map = json_object_array_length(map);
    if (n_map > 0 && arches != NULL && arches[0] != NULL)
        return spec_error(reterr, "archMap", "cannot be used with `architectures`");

    res = json_object_new_array();
    json_object_object_add(out, "architectures", res);
    for (size_t i = 0; arches != NULL && arches[i] != NULL; i++) {
        _cleanup_free_ char *pi = spec_path_index("architectures", i);
        if (check_arch(arches[i], pi, reterr) < 0)
            return -1;
        json_object_array_add(res, json_object_new_string(arches[i]));
    }
    for (size_t i = 0; i < n_map; i++) {
        _cleanup_free_ char *pi = spec_path_index("archMap", i), *arch = NULL;
        _cleanup_strv_ char **subs = NULL;
        json_object *e = json_object_array_get_idx(map, i);

        if (e == NULL || !json_object_is_type(e, json_type_object))
            return spec_error(reterr, pi, "must be an object");
        if (spec_field_string(e, pi, "architecture", true, &arch, reterr) < 0 ||
            spec_field_strv(e, pi, "subArchitectures", &subs, reterr) < 0)
            return -1;
        /* Other machines' entries are not checked against this libseccomp:
         * it may not know them, and they do not apply here. */
        if (ctx->arch == NULL || strcmp(arch, ctx->arch) != 0)
            continue;
        json_object_array_add(res, json_object_new_string(arch));
        for (size_t j = 0; subs != NULL && subs[j] != NULL; j++) {
            _cleanup_free_ char *ps = spec_path_key(pi, "subArchitectures");
            _cleanup_free_ char *pj = spec_path_index(ps, j);
            if (check_arch(subs[j], pj, reterr) < 0)
                return -1;
            json_object_array_add(res, json_object_new_string(subs[j]));
        }
    }
    return 0;
}

/* ---- the whole profile --------------------------------------------------- */

static int convert_profile(const struct profile_ctx *ctx, json_object *in, json_object *out,
                           brig_error *reterr)
{
    _cleanup_strv_ char **flags = NULL;
    json_object *rules = NULL, *res;
    int r;

    if (!json_object_is_type(in, json_type_object))
        return brig_error_set(reterr, 0, "must be a JSON object");
    if (spec_get(in, "listenerPath", &rules))
        return spec_error(reterr, "listenerPath", "seccomp notify is not supported");
    if (convert_action(in, "", "defaultAction", "defaultErrnoRet", out, reterr) < 0 ||
        convert_arches(ctx, in, out, reterr) < 0 ||
        spec_field_strv(in, "", "flags", &flags, reterr) < 0)
        return -1;
    if (flags != NULL && flags[0] != NULL) {
        json_object *arr = json_object_new_array();
        for (size_t i = 0; flags[i] != NULL; i++)
            json_object_array_add(arr, json_object_new_string(flags[i]));
        json_object_object_add(out, "flags", arr);
    }

    res = json_object_new_array();
    json_object_object_add(out, "syscalls", res);
    rules = NULL;
    r = spec_field(in, "", "syscalls", json_type_array, false, &rules, reterr);
    if (r <= 0)
        return r;
    for (size_t i = 0; i < json_object_array_length(rules); i++) {
        _cleanup_free_ char *pi = spec_path_index("syscalls", i);
        json_object *e = json_object_array_get_idx(rules, i);

        if (e == NULL)
            return spec_error(reterr, pi, "must be an object");
        if (convert_rule(ctx, e, pi, res, reterr) < 0)
            return -1;
    }
    return 0;
}

int brig_seccomp_profile_to_oci(const char *profile, size_t len, uint64_t caps, char **ret_json,
                                brig_error *reterr)
{
    _cleanup_free_ char *arch = native_arch_name();
    struct profile_ctx ctx = {.caps = caps, .arch = arch};
    json_object *in, *out;
    int r;

    kernel_version(&ctx.kernel_major, &ctx.kernel_minor);
    in = spec_parse_json(profile, len, WHAT, reterr);
    if (in == NULL)
        return -1;
    out = json_object_new_object();
    r = convert_profile(&ctx, in, out, reterr);
    json_object_put(in);
    if (r < 0) {
        json_object_put(out);
        return brig_error_wrap(reterr, WHAT);
    }
    *ret_json = brig_xstrdup(json_object_to_json_string_ext(
        out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(out);
    return 0;
}

/* ---- the conversion, cached ------------------------------------------------ */

#define OCI_CACHE_DIR "@seccomp"

int brig_seccomp_profile_to_oci_cached(int dirfd, const char *profile, size_t len, uint64_t caps,
                                       char **ret_json, brig_error *reterr)
{
    _cleanup_free_ char *key = NULL;
    struct utsname u;
    size_t jlen;
    json_object *check;

    if (dirfd < 0 || uname(&u) < 0)
        return brig_seccomp_profile_to_oci(profile, len, caps, ret_json, reterr);
    /* Everything the result depends on: the text, the capabilities, the
     * architecture and the kernel (minKernel). */
    key = brig_xasprintf("%s %s %016llx\n%.*s", u.machine, u.release, (unsigned long long)caps,
                         (int)len, profile);
    if (brig_cache_get(dirfd, OCI_CACHE_DIR, "oci", key, strlen(key), ret_json, &jlen) == 0)
        return 0;
    if (brig_seccomp_profile_to_oci(profile, len, caps, ret_json, reterr) < 0)
        return -1;
    /* Checked once, here: callers may embed the cached text as it is. */
    check = json_tokener_parse(*ret_json);
    if (check == NULL) {
        free(TAKE_PTR(*ret_json));
        return brig_error_set(reterr, 0, "seccomp profile: conversion produced invalid JSON");
    }
    json_object_put(check);
    brig_cache_put(dirfd, OCI_CACHE_DIR, "oci", key, strlen(key), *ret_json, strlen(*ret_json));
    return 0;
}

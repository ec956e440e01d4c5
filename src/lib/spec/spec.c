/* config.json -> struct brig_spec: the top level, process, mounts, hooks and
 * annotations.  The "linux" object is in spec_linux.c.
 *
 * Every parse function fills a zeroed struct owned by its caller and, on
 * error, leaves whatever it filled for the caller's free function: counts are
 * set as soon as arrays are allocated, so a half-parsed spec frees cleanly. */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "core/util.h"
#include "spec/spec_internal.h"

/* config.json is small; a bigger file is a mistake or an attack on memory. */
#define SPEC_MAX_FILE_SIZE (16u * 1024 * 1024)

/* ---- process ----------------------------------------------------------- */

static const struct {
    const char *name;
    int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static int parse_user(json_object *obj, const char *path, struct brig_spec_user *u,
                      brig_error *reterr)
{
    json_object *v = NULL;
    uint64_t umask;
    int r;

    /* uid/gid are REQUIRED by the spec inside "user"; runc defaults them to
     * 0, and so do we, since refusing buys nothing. */
    if (spec_field_u32(obj, path, "uid", false, &u->uid, reterr) < 0 ||
        spec_field_u32(obj, path, "gid", false, &u->gid, reterr) < 0)
        return -1;
    r = spec_field_u64(obj, path, "umask", false, 0777, &umask, reterr);
    if (r < 0)
        return -1;
    if (r > 0) {
        u->has_umask = true;
        u->umask = (mode_t)umask;
    }
    r = spec_field(obj, path, "additionalGids", json_type_array, false, &v, reterr);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = spec_path_key(path, "additionalGids");
        size_t n = json_object_array_length(v);
        u->additional_gids = brig_xmalloc0(n * sizeof(uint32_t));
        u->n_additional_gids = n;
        for (size_t i = 0; i < n; i++) {
            _cleanup_free_ char *pi = spec_path_index(p, i);
            json_object *e = json_object_array_get_idx(v, i);
            uint64_t gid;
            if (e == NULL)
                return spec_error(reterr, pi, "must be an integer");
            if (spec_as_u64(e, pi, UINT32_MAX, &gid, reterr) < 0)
                return -1;
            u->additional_gids[i] = (uint32_t)gid;
        }
    }
    return spec_field_string(obj, path, "username", false, &u->username, reterr) < 0 ? -1 : 0;
}

static int parse_cap_set(json_object *caps, const char *path, const char *key, uint64_t *ret,
                         brig_error *reterr)
{
    _cleanup_free_ char *p = NULL;
    json_object *v = NULL;
    size_t n;
    int r;

    r = spec_field(caps, path, key, json_type_array, false, &v, reterr);
    if (r <= 0)
        return r;
    p = spec_path_key(path, key);
    n = json_object_array_length(v);
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *pi = spec_path_index(p, i);
        json_object *e = json_object_array_get_idx(v, i);
        int cap;
        if (e == NULL || !json_object_is_type(e, json_type_string))
            return spec_error(reterr, pi, "must be a string");
        cap = brig_cap_from_name(json_object_get_string(e));
        if (cap < 0)
            return spec_error(reterr, pi, "unknown capability \"%s\"", json_object_get_string(e));
        *ret |= UINT64_C(1) << cap;
    }
    return 0;
}

static int parse_rlimits(json_object *arr, const char *path, struct brig_spec_process *proc,
                         brig_error *reterr)
{
    size_t n = json_object_array_length(arr);

    proc->rlimits = brig_xmalloc0(n * sizeof(*proc->rlimits));
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *pi = spec_path_index(path, i), *type = NULL, *pt = NULL;
        struct brig_spec_rlimit *rl = &proc->rlimits[i];
        json_object *e = json_object_array_get_idx(arr, i);
        size_t k;

        if (e == NULL)
            return spec_error(reterr, pi, "must be an object");
        if (spec_expect(e, json_type_object, pi, reterr) < 0)
            return -1;
        if (spec_field_string(e, pi, "type", true, &type, reterr) < 0)
            return -1;
        pt = spec_path_key(pi, "type");
        for (k = 0; k < BRIG_ARRAY_SIZE(rlimit_names); k++)
            if (strcmp(rlimit_names[k].name, type) == 0)
                break;
        if (k == BRIG_ARRAY_SIZE(rlimit_names))
            return spec_error(reterr, pt, "unknown rlimit type \"%s\"", type);
        rl->resource = rlimit_names[k].resource;
        /* setrlimit() would apply only the last of two entries; a config
         * that names one twice has a bug worth reporting. */
        for (size_t j = 0; j < i; j++)
            if (proc->rlimits[j].resource == rl->resource)
                return spec_error(reterr, pt, "duplicate rlimit \"%s\"", type);
        if (spec_field_u64(e, pi, "soft", true, UINT64_MAX, &rl->soft, reterr) < 0 ||
            spec_field_u64(e, pi, "hard", true, UINT64_MAX, &rl->hard, reterr) < 0)
            return -1;
        if (rl->soft > rl->hard)
            return spec_error(reterr, pi, "soft limit exceeds hard limit");
        proc->n_rlimits = i + 1;
    }
    return 0;
}

static int parse_env(json_object *obj, const char *path, char ***ret, brig_error *reterr)
{
    _cleanup_free_ char *p = spec_path_key(path, "env");

    if (spec_field_strv(obj, path, "env", ret, reterr) < 0)
        return -1;
    for (size_t i = 0; *ret != NULL && (*ret)[i] != NULL; i++) {
        const char *eq = strchr((*ret)[i], '=');
        /* execve takes anything, but a variable without a name or '=' is
         * unreadable to every program: refuse it like runc does. */
        if (eq == NULL || eq == (*ret)[i]) {
            _cleanup_free_ char *pi = spec_path_index(p, i);
            return spec_error(reterr, pi, "must be \"KEY=VALUE\"");
        }
    }
    return 0;
}

int spec_parse_process(json_object *obj, const char *path, struct brig_spec_process *proc,
                       brig_error *reterr)
{
    json_object *v = NULL;
    int64_t oom;
    int r;

    if (spec_field_bool(obj, path, "terminal", &proc->terminal, reterr) < 0)
        return -1;
    r = spec_field(obj, path, "consoleSize", json_type_object, false, &v, reterr);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = spec_path_key(path, "consoleSize");
        uint64_t h, w;
        if (spec_field_u64(v, p, "height", true, UINT_MAX, &h, reterr) < 0 ||
            spec_field_u64(v, p, "width", true, UINT_MAX, &w, reterr) < 0)
            return -1;
        proc->has_console_size = true;
        proc->console_height = (unsigned)h;
        proc->console_width = (unsigned)w;
    }
    r = spec_field(obj, path, "user", json_type_object, false, &v, reterr);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = spec_path_key(path, "user");
        if (parse_user(v, p, &proc->user, reterr) < 0)
            return -1;
    }

    {
        _cleanup_free_ char *p = spec_path_key(path, "args");
        if (!spec_get(obj, "args", &v) || !json_object_is_type(v, json_type_array) ||
            json_object_array_length(v) == 0)
            return spec_error(reterr, p, "must be a non-empty array of strings");
        if (spec_as_strv(v, p, &proc->args, reterr) < 0)
            return -1;
    }
    if (parse_env(obj, path, &proc->env, reterr) < 0)
        return -1;
    if (spec_field_abspath(obj, path, "cwd", true, &proc->cwd, reterr) < 0)
        return -1;

    r = spec_field(obj, path, "capabilities", json_type_object, false, &v, reterr);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = spec_path_key(path, "capabilities");
        struct brig_spec_caps *c = &proc->caps;
        if (parse_cap_set(v, p, "bounding", &c->bounding, reterr) < 0 ||
            parse_cap_set(v, p, "effective", &c->effective, reterr) < 0 ||
            parse_cap_set(v, p, "inheritable", &c->inheritable, reterr) < 0 ||
            parse_cap_set(v, p, "permitted", &c->permitted, reterr) < 0 ||
            parse_cap_set(v, p, "ambient", &c->ambient, reterr) < 0)
            return -1;
        proc->has_caps = true;
    }

    r = spec_field(obj, path, "rlimits", json_type_array, false, &v, reterr);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = spec_path_key(path, "rlimits");
        if (parse_rlimits(v, p, proc, reterr) < 0)
            return -1;
    }

    if (spec_field_bool(obj, path, "noNewPrivileges", &proc->no_new_privileges, reterr) < 0 ||
        spec_field_string(obj, path, "apparmorProfile", false, &proc->apparmor_profile, reterr) <
            0 ||
        spec_field_string(obj, path, "selinuxLabel", false, &proc->selinux_label, reterr) < 0)
        return -1;
    r = spec_field_i64(obj, path, "oomScoreAdj", false, -1000, 1000, &oom, reterr);
    if (r < 0)
        return -1;
    if (r > 0) {
        proc->has_oom_score_adj = true;
        proc->oom_score_adj = (int)oom;
    }
    return 0;
}

void brig_spec_process_free(struct brig_spec_process *p)
{
    if (p == NULL)
        return;
    free(p->user.additional_gids);
    free(p->user.username);
    brig_strv_free(p->args);
    brig_strv_free(p->env);
    free(p->cwd);
    free(p->rlimits);
    free(p->apparmor_profile);
    free(p->selinux_label);
    free(p);
}

struct brig_spec_process *brig_spec_process_load_data(const char *data, size_t len,
                                                      brig_error *reterr)
{
    struct brig_spec_process *proc;
    json_object *root;

    root = spec_parse_json(data, len, "process.json", reterr);
    if (root == NULL)
        return NULL;
    proc = brig_xmalloc0(sizeof(*proc));
    /* Top-level paths ("args", "cwd"): the caller names the file. */
    if (spec_parse_process(root, "", proc, reterr) < 0) {
        brig_spec_process_free(proc);
        proc = NULL;
    }
    json_object_put(root);
    return proc;
}

/* ---- mounts ------------------------------------------------------------ */

static int parse_mounts(json_object *arr, struct brig_spec *spec, brig_error *reterr)
{
    size_t n = json_object_array_length(arr);

    spec->mounts = brig_xmalloc0(n * sizeof(*spec->mounts));
    spec->n_mounts = n;
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *pi = spec_path_index("mounts", i);
        struct brig_spec_mount *m = &spec->mounts[i];
        json_object *e = json_object_array_get_idx(arr, i);

        if (e == NULL)
            return spec_error(reterr, pi, "must be an object");
        if (spec_expect(e, json_type_object, pi, reterr) < 0 ||
            spec_field_abspath(e, pi, "destination", true, &m->destination, reterr) < 0 ||
            spec_field_string(e, pi, "source", false, &m->source, reterr) < 0 ||
            spec_field_string(e, pi, "type", false, &m->type, reterr) < 0 ||
            spec_field_strv(e, pi, "options", &m->options, reterr) < 0)
            return -1;
        if (brig_spec_parse_mount_options(m->options, &m->opts, reterr) < 0)
            return brig_error_wrap(reterr, "%s.options", pi);
    }
    return 0;
}

static void mounts_free(struct brig_spec_mount *m, size_t n)
{
    for (size_t i = 0; m != NULL && i < n; i++) {
        free(m[i].destination);
        free(m[i].source);
        free(m[i].type);
        brig_strv_free(m[i].options);
        brig_mount_opts_clear(&m[i].opts);
    }
    free(m);
}

/* ---- hooks ------------------------------------------------------------- */

static const char *const hook_keys[BRIG_HOOK__COUNT] = {
    [BRIG_HOOK_PRESTART] = "prestart",
    [BRIG_HOOK_CREATE_RUNTIME] = "createRuntime",
    [BRIG_HOOK_CREATE_CONTAINER] = "createContainer",
    [BRIG_HOOK_START_CONTAINER] = "startContainer",
    [BRIG_HOOK_POSTSTART] = "poststart",
    [BRIG_HOOK_POSTSTOP] = "poststop",
};

static int parse_hook_list(json_object *arr, const char *path, struct brig_spec_hooks *hooks,
                           enum brig_hook_kind kind, brig_error *reterr)
{
    size_t n = json_object_array_length(arr);

    hooks->hooks[kind] = brig_xmalloc0(n * sizeof(struct brig_spec_hook));
    hooks->n_hooks[kind] = n;
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *pi = spec_path_index(path, i);
        struct brig_spec_hook *h = &hooks->hooks[kind][i];
        json_object *e = json_object_array_get_idx(arr, i), *t = NULL;
        int64_t timeout;
        int r;

        if (e == NULL)
            return spec_error(reterr, pi, "must be an object");
        if (spec_expect(e, json_type_object, pi, reterr) < 0 ||
            spec_field_abspath(e, pi, "path", true, &h->path, reterr) < 0 ||
            spec_field_strv(e, pi, "args", &h->args, reterr) < 0 ||
            spec_field_strv(e, pi, "env", &h->env, reterr) < 0)
            return -1;
        r = spec_field(e, pi, "timeout", json_type_int, false, &t, reterr);
        if (r < 0)
            return -1;
        if (r > 0) {
            _cleanup_free_ char *pt = spec_path_key(pi, "timeout");
            if (json_object_get_int64(t) <= 0)
                return spec_error(reterr, pt, "must be a positive integer");
            if (spec_as_i64(t, pt, 1, INT_MAX, &timeout, reterr) < 0)
                return -1;
            h->timeout = (int)timeout;
        }
    }
    return 0;
}

static int parse_hooks(json_object *obj, struct brig_spec_hooks *hooks, brig_error *reterr)
{
    for (int k = 0; k < BRIG_HOOK__COUNT; k++) {
        _cleanup_free_ char *p = NULL;
        json_object *v = NULL;
        int r = spec_field(obj, "hooks", hook_keys[k], json_type_array, false, &v, reterr);
        if (r < 0)
            return -1;
        if (r == 0)
            continue;
        p = spec_path_key("hooks", hook_keys[k]);
        if (parse_hook_list(v, p, hooks, (enum brig_hook_kind)k, reterr) < 0)
            return -1;
    }
    return 0;
}

static void hooks_clear(struct brig_spec_hooks *hooks)
{
    for (int k = 0; k < BRIG_HOOK__COUNT; k++) {
        for (size_t i = 0; hooks->hooks[k] != NULL && i < hooks->n_hooks[k]; i++) {
            free(hooks->hooks[k][i].path);
            brig_strv_free(hooks->hooks[k][i].args);
            brig_strv_free(hooks->hooks[k][i].env);
        }
        free(hooks->hooks[k]);
        hooks->hooks[k] = NULL;
        hooks->n_hooks[k] = 0;
    }
}

/* ---- top level --------------------------------------------------------- */

static int parse_spec(json_object *root, struct brig_spec *spec, brig_error *reterr)
{
    json_object *v = NULL;
    int r;

    if (spec_field_string(root, "", "ociVersion", true, &spec->oci_version, reterr) < 0)
        return -1;

    if (spec_field(root, "", "root", json_type_object, true, &v, reterr) < 0 ||
        spec_field_string(v, "root", "path", true, &spec->root_path, reterr) < 0 ||
        spec_field_bool(v, "root", "readonly", &spec->root_readonly, reterr) < 0)
        return -1;
    if (spec->root_path[0] == '\0')
        return spec_error(reterr, "root.path", "must not be empty");

    if (spec_field_string(root, "", "hostname", false, &spec->hostname, reterr) < 0 ||
        spec_field_string(root, "", "domainname", false, &spec->domainname, reterr) < 0)
        return -1;

    /* The spec makes "process" optional for `create` in theory, but every
     * container brig runs starts a process, so it is required here. */
    if (spec_field(root, "", "process", json_type_object, true, &v, reterr) < 0)
        return -1;
    spec->process = brig_xmalloc0(sizeof(*spec->process));
    if (spec_parse_process(v, "process", spec->process, reterr) < 0)
        return -1;

    r = spec_field(root, "", "mounts", json_type_array, false, &v, reterr);
    if (r < 0 || (r > 0 && parse_mounts(v, spec, reterr) < 0))
        return -1;

    r = spec_field(root, "", "hooks", json_type_object, false, &v, reterr);
    if (r < 0 || (r > 0 && parse_hooks(v, &spec->hooks, reterr) < 0))
        return -1;

    r = spec_field(root, "", "annotations", json_type_object, false, &v, reterr);
    if (r < 0 || (r > 0 && spec_as_kv(v, "annotations", &spec->annotations, &spec->n_annotations,
                                      reterr) < 0))
        return -1;

    r = spec_field(root, "", "linux", json_type_object, false, &v, reterr);
    if (r < 0 || (r > 0 && spec_parse_linux(v, &spec->linux_, reterr) < 0))
        return -1;
    return 0;
}

struct brig_spec *brig_spec_load_data(const char *data, size_t len, brig_error *reterr)
{
    struct brig_spec *spec;
    json_object *root;

    root = spec_parse_json(data, len, "config.json", reterr);
    if (root == NULL)
        return NULL;
    spec = brig_xmalloc0(sizeof(*spec));
    if (parse_spec(root, spec, reterr) < 0) {
        brig_spec_free(spec);
        spec = NULL;
    }
    json_object_put(root);
    return spec;
}

struct brig_spec *brig_spec_load_file(const char *path, brig_error *reterr)
{
    _cleanup_free_ char *buf = NULL, *file = NULL;
    struct brig_spec *spec;
    struct stat st;
    size_t len = 0;

    /* Callers hold either the bundle or its config.json: take both. */
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        path = file = brig_xasprintf("%s/config.json", path);
    if (brig_read_file_at(AT_FDCWD, path, SPEC_MAX_FILE_SIZE, &buf, &len, reterr) < 0)
        return NULL;
    spec = brig_spec_load_data(buf, len, reterr);
    if (spec == NULL)
        brig_error_wrap(reterr, "load `%s`", path);
    return spec;
}

void brig_spec_free(struct brig_spec *spec)
{
    if (spec == NULL)
        return;
    free(spec->oci_version);
    free(spec->root_path);
    free(spec->hostname);
    free(spec->domainname);
    brig_spec_process_free(spec->process);
    mounts_free(spec->mounts, spec->n_mounts);
    hooks_clear(&spec->hooks);
    spec_kv_free(spec->annotations, spec->n_annotations);
    spec_linux_clear(&spec->linux_);
    free(spec);
}

const char *brig_spec_annotation(const struct brig_spec *spec, const char *key)
{
    if (spec == NULL || key == NULL)
        return NULL;
    for (size_t i = 0; i < spec->n_annotations; i++)
        if (strcmp(spec->annotations[i].key, key) == 0)
            return spec->annotations[i].value;
    return NULL;
}

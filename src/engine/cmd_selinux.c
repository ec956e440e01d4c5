/* brig selinux: the host's SELinux status, a container's denials, and
 * explanations of any avc records (issue 5).
 *
 *   brig selinux status [--format json]
 *   brig selinux denials [--format json] CONTAINER
 *   brig selinux explain [--format json] [--policy FILE] [FILE|-]
 *
 * The reasons come from the policy itself (src/lib/selinux/avc.h): type
 * enforcement, MCS categories, a boolean (named, with the value that
 * allows it), another constraint.  Each verb gathers everything before it
 * prints, so a failure leaves no partial output. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/util.h"
#include "ctr.h"
#include "engine.h"
#include "selinux/avc.h"
#include "selinux/context.h"
#include "selinux/mcs.h"
#include "selinux_tools.h"

#ifndef BTRFS_SUPER_MAGIC
#define BTRFS_SUPER_MAGIC 0x9123683E
#endif
#define MCS_PAIRS 523776
/* Check mode's permissive type (src/engine/echeck.h, ECHECK_TYPE). */
#define CHECK_TYPE "brig_check_t"
#define DISABLED_MSG "SELinux is disabled on this host"

/* The booleans that decide what containers may do, in container-selinux
 * (Fedora, RHEL) and in the reference policy (Debian).  Only those the
 * loaded policy defines are shown. */
static const char *const container_booleans[] = {
    "container_manage_cgroup",
    "container_use_devices",
    "container_use_cephfs",
    "container_connect_any",
    "container_use_dri_devices",
    "virt_use_nfs",
    "virt_use_samba",
    "virt_use_fusefs",
    "virt_sandbox_use_all_caps",
    "virt_sandbox_use_netlink",
    "virt_sandbox_use_audit",
    "virt_sandbox_use_sys_admin",
    "virt_sandbox_use_mknod",
    "domain_can_mmap_files",
    "domain_kernel_load_modules",
    "deny_ptrace",
    "deny_execmem",
    "allow_ptrace",
    "global_ssp",
    "selinuxuser_execmod",
    "secure_mode_policyload",
};

/* --- status ------------------------------------------------------------ */

struct status {
    const char *mode, *config_mode;
    char *policy;
    bool mls;
    struct brig_label_defaults d;
    char *defaults_error;
    const char *types_source;
    char *process_type, *file_type, *ro_file_type;
    bool process_ok, file_ok, ro_file_ok;
    bool brig_module;
    json_object *booleans; /* name -> bool */
    size_t mcs_used;
    bool mcs_known;
    char **warnings;
};

static void status_clear(struct status *s)
{
    free(s->policy);
    brig_label_defaults_clear(&s->d);
    free(s->defaults_error);
    free(s->process_type);
    free(s->file_type);
    free(s->ro_file_type);
    json_object_put(s->booleans);
    brig_strv_free(s->warnings);
}

static bool type_defined(const char *type)
{
    /* object_r takes any type; system_u:object_r:T:s0 is valid iff T is. */
    _cleanup_free_ char *c = brig_xasprintf("system_u:object_r:%s:s0", type);
    return security_check_context(c) == 0;
}

static bool on_btrfs(const char *path)
{
    struct statfs sf;
    return statfs(path, &sf) == 0 && (unsigned long)sf.f_type == (unsigned long)BTRFS_SUPER_MAGIC;
}

/* Volume options of one HostConfig.Binds entry "SRC:DST[:OPTS]". */
static bool bind_has_opt(const char *bind, const char *opt)
{
    const char *p = strchr(bind, ':');
    if (!p || !(p = strchr(p + 1, ':')))
        return false;
    _cleanup_free_ char *opts = brig_xstrdup(p + 1);
    char *save = NULL;
    for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
        if (strcmp(o, opt) == 0)
            return true;
    return false;
}

/* btrfs volumes and private (:Z) volumes used by more than one container:
 * the two limits seed 000 names.  Best effort: a container whose record
 * cannot be read is skipped (brig ps reports those). */
static void volume_warnings(struct engine *e, struct status *s)
{
    _cleanup_strv_ char **ids = NULL;
    _cleanup_error_ brig_error err = NULL;
    json_object *zsrc = json_object_new_object(); /* source -> [names] */

    if (ctr_list(e, &ids, &err) < 0) {
        json_object_put(zsrc);
        return;
    }
    for (char **id = ids; id && *id; id++) {
        _cleanup_ctr_ struct ctr *c = NULL;
        _cleanup_error_ brig_error e2 = NULL;
        if (ctr_open(e, *id, &c, &e2) < 0)
            continue;
        json_object *binds = ctr_get(c, "HostConfig.Binds");
        size_t n = binds && json_object_is_type(binds, json_type_array)
                       ? json_object_array_length(binds)
                       : 0;
        for (size_t i = 0; i < n; i++) {
            const char *b = json_object_get_string(json_object_array_get_idx(binds, i));
            if (!b || !strchr(b, ':'))
                continue;
            _cleanup_free_ char *src = brig_xstrndup(b, strcspn(b, ":"));
            if (on_btrfs(src)) {
                _cleanup_free_ char *w =
                    brig_xasprintf("volume `%s` of container `%s` is on btrfs: SELinux "
                                   "enforcement does not work on btrfs",
                                   src, ctr_name(c));
                brig_strv_append(&s->warnings, w);
            }
            if (bind_has_opt(b, "Z")) {
                json_object *users;
                if (!json_object_object_get_ex(zsrc, src, &users)) {
                    users = json_object_new_array();
                    json_object_object_add(zsrc, src, users);
                }
                json_object_array_add(users, json_object_new_string(ctr_name(c)));
            }
        }
    }
    json_object_object_foreach(zsrc, src, users)
    {
        size_t n = json_object_array_length(users);
        if (n < 2)
            continue;
        _cleanup_free_ char *names = brig_xstrdup("");
        for (size_t i = 0; i < n; i++) {
            char *t = brig_xasprintf("%s%s`%s`", names, i ? ", " : "",
                                     json_object_get_string(json_object_array_get_idx(users, i)));
            free(names);
            names = t;
        }
        _cleanup_free_ char *w =
            brig_xasprintf("volume `%s` is shared with :Z by containers %s: :Z gives it one "
                           "container's categories, so only the last one started can use it "
                           "(use :z for shared content)",
                           src, names);
        brig_strv_append(&s->warnings, w);
    }
    json_object_put(zsrc);
}

static char *label_at(int dirfd, const char *path)
{
    char buf[512];
    _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : fgetxattr(fd, "security.selinux", buf, sizeof(buf) - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return brig_xstrdup(buf);
}

/* The store's labels (docs/selinux-policy.md): its root carries the store
 * type and every layer's diff dir the read-only container type at s0.  A
 * store made before brig labelled it, copied in, or restored from a backup
 * has var_lib_t layers, and no confined container of those images starts
 * (ld.so's mprotect of a layer file is denied).  Checks the tops only: brig
 * labels each file as it creates it, so a right top means a right tree. */
static void store_warnings(struct engine *e, struct status *s)
{
    _cleanup_free_ char *meta = brig_store_context(BRIG_STORE_META);
    _cleanup_free_ char *ro = brig_store_context(BRIG_STORE_LAYER);
    _cleanup_free_ char *bad = NULL, *has = NULL, *fix = NULL;
    const char *want = NULL;
    _cleanup_close_ int lfd = -1;
    DIR *d;
    struct dirent *de;

    if (meta == NULL || ro == NULL || e->storage_fd < 0)
        return;
    has = label_at(e->storage_fd, ".");
    if (has == NULL || strcmp(has, meta) != 0) {
        bad = brig_xstrdup(e->conf.storage_root);
        want = meta;
    }
    lfd = openat(e->storage_fd, "image/layers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    d = bad == NULL && lfd >= 0 ? fdopendir(lfd) : NULL;
    if (d != NULL) {
        lfd = -1; /* the DIR owns it */
        while (bad == NULL && (de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            _cleanup_free_ char *diff = brig_xasprintf("%s/diff", de->d_name);
            _cleanup_free_ char *l = label_at(dirfd(d), diff);
            if (l != NULL && strcmp(l, ro) == 0)
                continue;
            bad = brig_xasprintf("%s/image/layers/%s", e->conf.storage_root, diff);
            free(has);
            has = TAKE_PTR(l);
            want = ro;
        }
        closedir(d);
    }
    if (bad == NULL)
        return;
    /* The default path has the policy's file contexts; another root gets
     * them by equivalence, which survives a later restorecon too. */
    fix = strcmp(e->conf.storage_root, "/var/lib/brig") == 0
              ? brig_xstrdup("restorecon -R /var/lib/brig")
              : brig_xasprintf("semanage fcontext -a -e /var/lib/brig %s && restorecon -R %s",
                               e->conf.storage_root, e->conf.storage_root);
    _cleanup_free_ char *w = brig_xasprintf(
        "the store's labels are wrong: `%s` is %s, not %s (confined containers of its images "
        "cannot start); fix: %s",
        bad, has ? has : "unlabelled", want, fix);
    brig_strv_append(&s->warnings, w);
}

static int status_gather(struct engine *e, struct status *s, brig_error *reterr)
{
    int mode = -1;
    brig_error err = NULL;

    memset(s, 0, sizeof(*s));
    if (is_selinux_enabled() <= 0)
        return brig_error_set(reterr, 0, DISABLED_MSG);
    s->mode = security_getenforce() == 1 ? "enforcing" : "permissive";
    s->config_mode = selinux_getenforcemode(&mode) < 0 ? "unknown"
                     : mode == 1                       ? "enforcing"
                     : mode == 0                       ? "permissive"
                                                       : "disabled";
    if (selinux_getpolicytype(&s->policy) < 0)
        s->policy = NULL;
    s->mls = is_selinux_mls_enabled() == 1;

    if (brig_label_defaults_load(&s->d, &err) < 0) {
        s->defaults_error = brig_xstrdup(err->msg);
        brig_error_free(&err);
    } else {
        s->types_source = s->d.source;
        s->process_type = brig_avc_context_type(s->d.process);
        s->file_type = brig_avc_context_type(s->d.file);
        s->ro_file_type = brig_avc_context_type(s->d.ro_file);
    }
    /* brig.conf may name other types; those are what brig uses. */
    if (e->conf.label_process_type) {
        free(s->process_type);
        s->process_type = brig_xstrdup(e->conf.label_process_type);
        s->types_source = "brig.conf";
    }
    if (e->conf.label_file_type) {
        free(s->file_type);
        s->file_type = brig_xstrdup(e->conf.label_file_type);
        s->types_source = "brig.conf";
    }
    s->process_ok = s->process_type && type_defined(s->process_type);
    s->file_ok = s->file_type && type_defined(s->file_type);
    s->ro_file_ok = s->ro_file_type && type_defined(s->ro_file_type);
    s->brig_module = type_defined("brig_container_t");

    s->booleans = json_object_new_object();
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(container_booleans); i++) {
        int v = security_get_boolean_active(container_booleans[i]);
        if (v >= 0)
            json_object_object_add(s->booleans, container_booleans[i], json_object_new_boolean(v));
    }
    s->mcs_known = brig_mcs_count(e->run_fd, &s->mcs_used, &err) == 0;
    brig_error_free(&err);

    if (on_btrfs(e->conf.storage_root)) {
        _cleanup_free_ char *w = brig_xasprintf("storage root `%s` is on btrfs: SELinux "
                                                "enforcement does not work on btrfs",
                                                e->conf.storage_root);
        brig_strv_append(&s->warnings, w);
    }
    volume_warnings(e, s);
    store_warnings(e, s);
    return 0;
}

static void print_type(FILE *out, const char *what, const char *type, bool ok)
{
    fprintf(out, "  %-8s %s (%s)\n", what, type ? type : "none",
            ok ? "defined" : "not in the loaded policy");
}

static void status_text(const struct status *s, FILE *out)
{
    fprintf(out, "SELinux: %s\n", s->mode);
    fprintf(out, " Mode at boot (config file): %s\n", s->config_mode);
    fprintf(out, " Policy: %s\n", s->policy ? s->policy : "unknown");
    fprintf(out, " MLS/MCS: %s\n", s->mls ? "on" : "off");
    if (s->defaults_error && !s->types_source)
        fprintf(out, " Container types: none usable: %s\n", s->defaults_error);
    else {
        fprintf(out, " Container types (from %s):\n", s->types_source);
        print_type(out, "process", s->process_type, s->process_ok);
        print_type(out, "file", s->file_type, s->file_ok);
        print_type(out, "ro_file", s->ro_file_type, s->ro_file_ok);
    }
    fprintf(out, " brig module: %s\n",
            s->brig_module ? "installed (brig_container_t is defined)"
                           : "not installed (semodule -i policy/brig.cil)");
    if (json_object_object_length(s->booleans) == 0)
        fprintf(out, " Container booleans: none in this policy\n");
    else {
        fprintf(out, " Container booleans:\n");
        json_object_object_foreach(s->booleans, k, v)
            fprintf(out, "  %s: %s\n", k, json_object_get_boolean(v) ? "on" : "off");
    }
    if (s->mcs_known)
        fprintf(out, " MCS pairs: %zu in use, %zu left\n", s->mcs_used,
                (size_t)MCS_PAIRS - s->mcs_used);
    else
        fprintf(out, " MCS pairs: unknown\n");
    for (char **w = s->warnings; w && *w; w++)
        fprintf(out, " WARNING: %s\n", *w);
}

static json_object *opt_str(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static json_object *status_json(const struct status *s)
{
    json_object *o = json_object_new_object(), *types = json_object_new_object();
    json_object *w = json_object_new_array();

    json_object_object_add(o, "Mode", json_object_new_string(s->mode));
    json_object_object_add(o, "ConfigMode", json_object_new_string(s->config_mode));
    json_object_object_add(o, "Policy", opt_str(s->policy));
    json_object_object_add(o, "MLS", json_object_new_boolean(s->mls));
    json_object_object_add(types, "Source", opt_str(s->types_source));
    json_object_object_add(types, "Error", opt_str(s->defaults_error));
    const struct {
        const char *k, *t;
        bool ok;
    } t[] = {{"Process", s->process_type, s->process_ok},
             {"File", s->file_type, s->file_ok},
             {"ROFile", s->ro_file_type, s->ro_file_ok}};
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(t); i++) {
        json_object *one = json_object_new_object();
        json_object_object_add(one, "Type", opt_str(t[i].t));
        json_object_object_add(one, "Defined", json_object_new_boolean(t[i].ok));
        json_object_object_add(types, t[i].k, one);
    }
    json_object_object_add(o, "ContainerTypes", types);
    json_object_object_add(o, "BrigModule", json_object_new_boolean(s->brig_module));
    json_object_object_add(o, "Booleans", json_object_get(s->booleans));
    json_object_object_add(o, "MCSPairsInUse",
                           s->mcs_known ? json_object_new_int64((int64_t)s->mcs_used) : NULL);
    json_object_object_add(o, "MCSPairsLeft",
                           s->mcs_known ? json_object_new_int64(MCS_PAIRS - (int64_t)s->mcs_used)
                                        : NULL);
    for (char **p = s->warnings; p && *p; p++)
        json_object_array_add(w, json_object_new_string(*p));
    json_object_object_add(o, "Warnings", w);
    return o;
}

int selinux_status_print(struct engine *e, FILE *out, brig_error *reterr)
{
    struct status s;
    if (status_gather(e, &s, reterr) < 0)
        return -1;
    status_text(&s, out);
    status_clear(&s);
    return 0;
}

/* Options shared by the three verbs: --format json, --policy FILE, -h. */
struct opts {
    bool json;
    const char *policy;
    int first_arg;
};

static int parse_opts(const char *verb, const char *usage, bool policy_ok, int argc, char **argv,
                      struct opts *o)
{
    static const struct option lo[] = {{"format", required_argument, NULL, 'f'},
                                       {"policy", required_argument, NULL, 'p'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int ch;

    memset(o, 0, sizeof(*o));
    opterr = 0;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "+f:h", lo, NULL)) != -1) {
        switch (ch) {
        case 'f':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0)
                return engine_fail("selinux %s: --format `%s`: must be json or table", verb,
                                   optarg);
            o->json = strcmp(optarg, "json") == 0;
            break;
        case 'p':
            if (!policy_ok)
                return engine_fail("selinux %s: unknown flag: --policy", verb);
            o->policy = optarg;
            break;
        case 'h':
            printf("%s", usage);
            return -2;
        default:
            return engine_fail("selinux %s: unknown flag: %s", verb, argv[optind - 1]);
        }
    }
    o->first_arg = optind;
    return 0;
}

#define STATUS_USAGE                                                                               \
    "Usage:  brig selinux status [--format json]\n\n"                                              \
    "Show SELinux on this host: the mode now and at boot, the policy, MLS/MCS, the\n"              \
    "container types brig uses and whether the policy defines them, brig's module,\n"              \
    "the booleans that matter to containers, MCS pairs in use and left, warnings.\n"

static int selinux_status(struct engine *e, int argc, char **argv)
{
    struct opts o;
    struct status s;
    brig_error err = NULL;
    int r = parse_opts("status", STATUS_USAGE, false, argc, argv, &o);

    if (r)
        return r == -2 ? 0 : r;
    if (o.first_arg < argc)
        return engine_fail("selinux status: takes no arguments (got `%s`)", argv[o.first_arg]);
    if (status_gather(e, &s, &err) < 0)
        return engine_fail_error(&err);
    if (o.json) {
        json_object *j = status_json(&s);
        printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
    } else
        status_text(&s, stdout);
    status_clear(&s);
    return 0;
}

/* --- explaining groups of records (denials and explain) ---------------- */

struct explained {
    struct brig_avc_group g;
    struct brig_avc_why why;
    char *fix;
};

static void explained_free(struct explained *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        brig_avc_why_clear(&x[i].why);
        free(x[i].fix);
    }
    free(x);
}

static void explained_free_all(struct explained *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(x[i].g.stype);
        free(x[i].g.ttype);
    }
    explained_free(x, n);
}

/* Group the denials (granted records are not problems) and explain one
 * record of each group: a group shares source type, target type, class
 * and permissions, so they share the reason. */
static int explain_all(struct brig_avc *v, size_t n, struct explained **ret, size_t *ret_n,
                       brig_error *reterr)
{
    struct brig_avc_group *g;
    size_t ng, k = 0;
    struct explained *x;

    /* move granted records to the end, out of the grouping */
    size_t nd = 0;
    for (size_t i = 0; i < n; i++)
        if (!v[i].granted) {
            struct brig_avc t = v[nd];
            v[nd++] = v[i];
            v[i] = t;
        }
    brig_avc_group(v, nd, &g, &ng);
    x = brig_xmalloc0((ng ? ng : 1) * sizeof(*x));
    for (; k < ng; k++) {
        x[k].g = g[k];
        if (brig_avc_explain(g[k].first, &x[k].why, reterr) < 0) {
            for (size_t j = k; j < ng; j++) {
                free(g[j].stype);
                free(g[j].ttype);
            }
            free(g);
            explained_free_all(x, k);
            return -1;
        }
        x[k].fix = brig_avc_fix(g[k].first, &x[k].why);
    }
    free(g); /* the strings moved into x */
    *ret = x;
    *ret_n = ng;
    return 0;
}

static char *perms_str(char *const *perms)
{
    char *out = brig_xstrdup("");
    for (size_t i = 0; perms && perms[i]; i++) {
        char *t = brig_xasprintf("%s%s%s", out, i ? " " : "", perms[i]);
        free(out);
        out = t;
    }
    return out;
}

static char *reason_short(const struct brig_avc_why *w)
{
    switch (w->reason) {
    case BRIG_AVC_TE:
        return brig_xstrdup("type enforcement");
    case BRIG_AVC_MCS:
        return brig_xstrdup("MCS categories");
    case BRIG_AVC_BOOLEAN:
        return brig_xasprintf("boolean %s", w->booleans && w->booleans[0] ? w->booleans[0] : "?");
    case BRIG_AVC_CONSTRAINT:
        return brig_xstrdup("constraint");
    case BRIG_AVC_ALLOWED_NOW:
        return brig_xstrdup("allowed now");
    case BRIG_AVC_UNKNOWN:
        break;
    }
    return brig_xstrdup("unknown to the policy");
}

static json_object *strv_json(char *const *v)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; v && v[i]; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

static json_object *explained_json(const struct explained *x)
{
    const struct brig_avc *a = x->g.first;
    json_object *o = json_object_new_object();

    json_object_object_add(o, "Count", json_object_new_int64((int64_t)x->g.count));
    json_object_object_add(o, "SourceType", json_object_new_string(x->g.stype));
    json_object_object_add(o, "TargetType", json_object_new_string(x->g.ttype));
    json_object_object_add(o, "Class", json_object_new_string(a->tclass));
    json_object_object_add(o, "Permissions", strv_json(a->perms));
    json_object_object_add(o, "Scontext", json_object_new_string(a->scontext));
    json_object_object_add(o, "Tcontext", json_object_new_string(a->tcontext));
    json_object_object_add(o, "Comm", opt_str(a->comm));
    json_object_object_add(o, "Name", opt_str(a->path ? a->path : a->name));
    json_object_object_add(o, "Permissive",
                           a->permissive < 0 ? NULL : json_object_new_boolean(a->permissive));
    json_object_object_add(o, "Reason",
                           json_object_new_string(brig_avc_reason_name(x->why.reason)));
    json_object_object_add(o, "Booleans", strv_json(x->why.booleans));
    json_object_object_add(o, "Detail", json_object_new_string(x->why.detail));
    json_object_object_add(o, "Fix", json_object_new_string(x->fix));
    return o;
}

static void print_json(json_object *j)
{
    printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* --- denials CONTAINER ----------------------------------------------- */

#define DENIALS_USAGE                                                                              \
    "Usage:  brig selinux denials [--format json] CONTAINER\n\n"                                   \
    "List the avc denials of a container's last start (told apart by its MCS pair),\n"             \
    "from the audit log when auditd runs, the kernel log otherwise, grouped by target\n"           \
    "type, class and permissions, with why each was denied and the fix brig would\n"               \
    "generate.\n"

static void denials_table(const struct explained *x, size_t n)
{
    int w[5] = {5, 11, 5, 11, 6};
    char **perms = brig_xmalloc0((n + 1) * sizeof(char *));
    char **reasons = brig_xmalloc0((n + 1) * sizeof(char *));

    for (size_t i = 0; i < n; i++) {
        perms[i] = perms_str(x[i].g.first->perms);
        reasons[i] = reason_short(&x[i].why);
        int l[5] = {0, (int)strlen(x[i].g.ttype), (int)strlen(x[i].g.first->tclass),
                    (int)strlen(perms[i]), (int)strlen(reasons[i])};
        for (int k = 1; k < 5; k++)
            if (l[k] > w[k])
                w[k] = l[k];
    }
    printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w[0], "COUNT", w[1], "TARGET TYPE", w[2], "CLASS",
           w[3], "PERMISSIONS", w[4], "REASON", "FIX");
    for (size_t i = 0; i < n; i++)
        printf("%-*zu  %-*s  %-*s  %-*s  %-*s  %s\n", w[0], x[i].g.count, w[1], x[i].g.ttype, w[2],
               x[i].g.first->tclass, w[3], perms[i], w[4], reasons[i], x[i].fix);
    brig_strv_free(perms);
    brig_strv_free(reasons);
}

static int selinux_denials(struct engine *e, int argc, char **argv)
{
    struct opts o;
    _cleanup_ctr_ struct ctr *c = NULL;
    brig_error err = NULL;
    struct brig_avc *v = NULL;
    struct explained *x = NULL;
    size_t n = 0, nx = 0, malformed = 0;
    const char *source = NULL;
    int r = parse_opts("denials", DENIALS_USAGE, false, argc, argv, &o);

    if (r)
        return r == -2 ? 0 : r;
    if (argc - o.first_arg != 1)
        return engine_fail("selinux denials: takes exactly one CONTAINER (see 'brig selinux "
                           "denials --help')");
    const char *ref = argv[o.first_arg];
    if (is_selinux_enabled() <= 0)
        return engine_fail(DISABLED_MSG);
    if (ctr_open(e, ref, &c, &err) < 0)
        return engine_fail_error(&err);

    const char *label = ctr_get_str(c, "ProcessLabel");
    if (!label || !*label) {
        const char *started = ctr_get_str(c, "State.StartedAt");
        if (!started || !*started || strcmp(started, CTR_ZERO_TIME) == 0)
            return engine_fail("selinux denials: container `%s` never ran: it has no denials", ref);
        return engine_fail("selinux denials: container `%s` ran without an SELinux label "
                           "(label=disable or type-less): its denials cannot be told apart",
                           ref);
    }
    const char *level = brig_context_level(label);
    _cleanup_free_ char *type = brig_avc_context_type(label);
    if (!level || !type || brig_mcs_parse_pair(level, &(unsigned){0}, &(unsigned){0}) < 0)
        return engine_fail("selinux denials: container `%s` ran as `%s`, which has no MCS pair "
                           "of its own: its denials cannot be told apart from others'",
                           ref, label);
    bool check = strcmp(type, CHECK_TYPE) == 0;

    if (brig_avc_collect(level, &v, &n, &malformed, &source, &err) < 0)
        return engine_fail_error(&err);
    if (explain_all(v, n, &x, &nx, &err) < 0) {
        brig_avc_list_free(v, n);
        return engine_fail_error(&err);
    }
    if (o.json) {
        json_object *j = json_object_new_object(), *arr = json_object_new_array();
        json_object_object_add(j, "Container", json_object_new_string(ctr_name(c)));
        json_object_object_add(j, "Id", json_object_new_string(c->id));
        json_object_object_add(j, "ProcessLabel", json_object_new_string(label));
        json_object_object_add(j, "Level", json_object_new_string(level));
        json_object_object_add(j, "CheckMode", json_object_new_boolean(check));
        json_object_object_add(j, "Source", json_object_new_string(source));
        json_object_object_add(j, "Records", json_object_new_int64((int64_t)n));
        json_object_object_add(j, "Malformed", json_object_new_int64((int64_t)malformed));
        for (size_t i = 0; i < nx; i++)
            json_object_array_add(arr, explained_json(&x[i]));
        json_object_object_add(j, "Denials", arr);
        print_json(j);
        json_object_put(j);
    } else {
        printf("Container %s (%s) ran as %s\n", ctr_name(c), c->id, label);
        if (check)
            printf("Check mode: these were logged, not enforced (permissive type %s)\n",
                   CHECK_TYPE);
        else
            printf("Not in check mode: %s was enforcing, these were denied (run with "
                   "--security-opt label=check to see everything it needs)\n",
                   type);
        printf("Source: %s, %zu record%s at %s\n\n", source, n, n == 1 ? "" : "s", level);
        if (nx == 0)
            printf("No denials.\n");
        else
            denials_table(x, nx);
    }
    if (malformed)
        fprintf(stderr, "%zu malformed line%s skipped\n", malformed, malformed == 1 ? "" : "s");
    explained_free_all(x, nx);
    brig_avc_list_free(v, n);
    return 0;
}

/* --- explain [FILE|-] ------------------------------------------------- */

#define EXPLAIN_USAGE                                                                              \
    "Usage:  brig selinux explain [--format json] [--policy FILE] [FILE|-]\n\n"                    \
    "Explain `avc: denied` records (kernel log, audit.log or ausearch lines) read\n"               \
    "from FILE or stdin: why each was denied (type enforcement, MCS categories, a\n"               \
    "boolean, a constraint) and the fix brig would generate.  Malformed lines are\n"               \
    "skipped and counted.\n\n"                                                                     \
    "Options:\n"                                                                                   \
    "      --format json   one JSON object\n"                                                      \
    "      --policy FILE   a binary policy to explain against (default: the loaded one)\n"

static void explain_text(const struct explained *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct brig_avc *a = x[i].g.first;
        _cleanup_free_ char *perms = perms_str(a->perms);
        const char *obj = a->path ? a->path : a->name;
        if (i)
            putchar('\n');
        printf("avc: %s { %s } for %s", a->granted ? "granted" : "denied", perms, a->scontext);
        if (a->comm)
            printf(" (comm \"%s\")", a->comm);
        printf(" on %s %s", a->tcontext, a->tclass);
        if (obj)
            printf(" \"%s\"", obj);
        printf("%s\n", a->permissive == 1 ? " (permissive: logged, not enforced)" : "");
        if (x[i].g.count > 1)
            printf("  records: %zu\n", x[i].g.count);
        printf("  reason:  %s\n", x[i].why.detail);
        printf("  fix:     %s\n", x[i].fix);
    }
}

static int selinux_explain(struct engine *e, int argc, char **argv)
{
    struct opts o;
    brig_error err = NULL;
    struct brig_avc *v = NULL;
    struct explained *x = NULL;
    size_t n = 0, nx = 0, malformed = 0;
    FILE *f = stdin;
    const char *name = "stdin";
    int r = parse_opts("explain", EXPLAIN_USAGE, true, argc, argv, &o);

    if (r)
        return r == -2 ? 0 : r;
    if (argc - o.first_arg > 1)
        return engine_fail("selinux explain: takes at most one FILE (got `%s` and `%s`)",
                           argv[o.first_arg], argv[o.first_arg + 1]);
    if (argc - o.first_arg == 1 && strcmp(argv[o.first_arg], "-") != 0) {
        name = argv[o.first_arg];
        f = fopen(name, "re");
        if (!f)
            return engine_fail("selinux explain: read `%s`: %s", name, strerror(errno));
    }
    if (!o.policy && is_selinux_enabled() <= 0) {
        if (f != stdin)
            fclose(f);
        return engine_fail(DISABLED_MSG " (give --policy FILE to explain against a policy "
                                        "file)");
    }
    /* the policy first: an unreadable one fails before any input is read */
    if (brig_avc_policy_load(o.policy, &err) < 0) {
        if (f != stdin)
            fclose(f);
        return engine_fail_error(&err);
    }
    r = brig_avc_read(f, NULL, &v, &n, &malformed, &err);
    if (f != stdin)
        fclose(f);
    if (r < 0) {
        int errnum = err->errnum;
        brig_avc_list_free(v, n);
        brig_error_free(&err);
        return engine_fail("selinux explain: read `%s`: %s", name, strerror(errnum));
    }
    if (n == 0) {
        brig_avc_list_free(v, n);
        if (malformed)
            return engine_fail("selinux explain: no avc records in %s (%zu malformed line%s "
                               "skipped)",
                               name, malformed, malformed == 1 ? "" : "s");
        return engine_fail("selinux explain: no avc records in %s", name);
    }
    if (explain_all(v, n, &x, &nx, &err) < 0) {
        brig_avc_list_free(v, n);
        return engine_fail_error(&err);
    }
    if (o.json) {
        json_object *j = json_object_new_object(), *arr = json_object_new_array();
        json_object_object_add(j, "Records", json_object_new_int64((int64_t)n));
        json_object_object_add(j, "Malformed", json_object_new_int64((int64_t)malformed));
        for (size_t i = 0; i < nx; i++)
            json_object_array_add(arr, explained_json(&x[i]));
        json_object_object_add(j, "Denials", arr);
        print_json(j);
        json_object_put(j);
    } else if (nx == 0)
        printf("No denials (%zu granted record%s).\n", n, n == 1 ? "" : "s");
    else
        explain_text(x, nx);
    if (malformed)
        fprintf(stderr, "%zu malformed line%s skipped\n", malformed, malformed == 1 ? "" : "s");
    explained_free_all(x, nx);
    brig_avc_list_free(v, n);
    return 0;
}

/* --- the verb -------------------------------------------------------- */

int cmd_selinux(struct engine *e, int argc, char **argv)
{
    static const char usage[] =
        "Usage:  brig selinux COMMAND\n\n"
        "SELinux on this host and in brig's containers\n\nCommands:\n"
        "  status    SELinux mode, policy, container types, booleans, MCS pairs, warnings\n"
        "  denials   a container's avc denials, grouped and explained\n"
        "  explain   explain avc records read from a file or stdin\n\n"
        "Run 'brig selinux COMMAND --help' for more information on a command.\n";

    if (argc < 2) {
        fputs(usage, stderr);
        return 1;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "status") == 0)
        return selinux_status(e, argc - 1, argv + 1);
    if (strcmp(argv[1], "denials") == 0)
        return selinux_denials(e, argc - 1, argv + 1);
    if (strcmp(argv[1], "explain") == 0)
        return selinux_explain(e, argc - 1, argv + 1);
    return engine_fail("selinux: `%s` is not a selinux command (status, denials, explain)",
                       argv[1]);
}

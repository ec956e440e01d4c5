/* brig policy generate CONTAINER [--name NAME] [--install] [-o DIR]
 *
 * A custom container type for one workload (seed 002's container_logger):
 * a CIL module whose type has everything brig_container_t has, stays
 * MCS-constrained, and adds exactly what the container needs: its bind
 * mounts (each source's host file type, read rules or manage rules as it is
 * mounted), its capabilities beyond brig's default set, its devices, and the
 * type-enforcement denials recorded while it ran with label=check.  MCS
 * denials are reported, never allowed; boolean denials name the setsebool.
 * docs/selinux-check-and-policy.md has the why of each choice. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "core/util.h"
#include "ctr.h"
#include "echeck.h"
#include "engine.h"
#include "selinux/avc.h"
#include "selinux/cilgen.h"

/* What policy/brig.cil grants brig_container_t (DESIGN.md's set). */
static const char *const base_caps[] = {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FOWNER",
                                        "CAP_FSETID",  "CAP_KILL",         "CAP_NET_BIND_SERVICE",
                                        "CAP_SETFCAP", "CAP_SETGID",       "CAP_SETPCAP",
                                        "CAP_SETUID",  "CAP_SYS_CHROOT",   NULL};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s policy generate CONTAINER [--name NAME] [--install] [-o DIR]\n\n"
            "Write an SELinux policy module (CIL) for a custom container type that has\n"
            "everything brig_container_t has plus what CONTAINER needs: its bind mounts\n"
            "(host file types; read-only or read-write as mounted), its capabilities and\n"
            "devices, and the denials recorded while it ran with --security-opt label=check.\n\n"
            "Options:\n"
            "  -n, --name NAME   module name (type NAME_t); default brig_<container name>\n"
            "  -o, --output DIR  directory to write NAME.cil in (default: current directory)\n"
            "  -i, --install     load the module into the policy store (libsemanage)\n"
            "  -h, --help        print usage\n",
            ENGINE_NAME);
}

/* The type field of a file's context; NULL (errno set) when unreadable. */
static char *file_type_of(const char *path)
{
    char *con = NULL, *t;
    if (lgetfilecon(path, &con) < 0)
        return NULL;
    t = brig_avc_context_type(con);
    freecon(con);
    if (t == NULL)
        errno = EINVAL;
    return t;
}

/* Types just below a mount source other than its own: named in a comment,
 * never granted, so a reviewer sees what else lives there. */
static char **other_types(const char *dir, const char *main_type)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    struct dirent *de;
    char **v = NULL;
    size_t seen = 0;

    while (d && (de = readdir(d)) != NULL && seen++ < 4096) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        _cleanup_free_ char *p = brig_xasprintf("%s/%s", dir, de->d_name);
        _cleanup_free_ char *t = file_type_of(p);
        bool dup = t == NULL || strcmp(t, main_type) == 0;
        for (char **o = v; !dup && o && *o; o++)
            dup = strcmp(*o, t) == 0;
        if (!dup)
            brig_strv_append(&v, t);
    }
    return v;
}

struct gen_state {
    struct brig_cil_mount *mounts;
    size_t n_mounts;
    struct brig_cil_device *devices;
    size_t n_devices;
    struct brig_cil_denial *denials;
    size_t n_denials;
    char **caps, **notes, **strings; /* strings: owned, for the const fields above */
    size_t n_records, n_malformed, n_mcs, n_boolean, n_other;
    const char *source;
};

static const char *keep(struct gen_state *g, char *s)
{
    brig_strv_append(&g->strings, s);
    free(s);
    return g->strings[brig_strv_len(g->strings) - 1];
}

static void note(struct gen_state *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct gen_state *g, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    brig_strv_append(&g->notes, s);
    free(s);
}

static void gen_state_clear(struct gen_state *g)
{
    for (size_t i = 0; i < g->n_mounts; i++)
        brig_strv_free(g->mounts[i].other_types);
    for (size_t i = 0; i < g->n_denials; i++)
        brig_strv_free(g->denials[i].perms);
    free(g->mounts);
    free(g->devices);
    free(g->denials);
    brig_strv_free(g->caps);
    brig_strv_free(g->notes);
    brig_strv_free(g->strings);
}

static int add_mounts(struct gen_state *g, struct ctr *c, brig_error *reterr)
{
    json_object *mounts = ctr_get(c, "Mounts");

    for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++) {
        json_object *m = json_object_array_get_idx(mounts, i), *v;
        const char *type =
            json_object_object_get_ex(m, "Type", &v) ? json_object_get_string(v) : "";
        const char *src =
            json_object_object_get_ex(m, "Source", &v) ? json_object_get_string(v) : "";
        const char *dst =
            json_object_object_get_ex(m, "Destination", &v) ? json_object_get_string(v) : "";
        const char *mode =
            json_object_object_get_ex(m, "Mode", &v) ? json_object_get_string(v) : "";
        bool rw = json_object_object_get_ex(m, "RW", &v) && json_object_get_boolean(v);
        struct brig_cil_mount *cm;
        char *t;

        if (strcmp(type, "bind") != 0 || !*src)
            continue;
        if (strchr(mode, 'z') || strchr(mode, 'Z')) {
            /* relabelled to brig's file type at start: the base type covers it */
            note(g, "Mount %s -> %s is relabelled (:%s): brig_container_base covers it.", src, dst,
                 mode);
            continue;
        }
        t = file_type_of(src);
        if (t == NULL)
            return brig_error_errno(reterr, "mount `%s`: read the SELinux label of `%s`", dst, src);
        g->mounts = brig_xrealloc(g->mounts, (g->n_mounts + 1) * sizeof(*g->mounts));
        cm = &g->mounts[g->n_mounts++];
        memset(cm, 0, sizeof(*cm));
        cm->source = keep(g, brig_xstrdup(src));
        cm->dest = keep(g, brig_xstrdup(dst));
        cm->type = keep(g, t);
        cm->rw = rw;
        struct stat st;
        if (stat(src, &st) == 0 && S_ISDIR(st.st_mode))
            cm->other_types = other_types(src, cm->type);
    }
    return 0;
}

static int read_config(struct ctr *c, json_object **ret, brig_error *reterr)
{
    _cleanup_free_ char *path = brig_xasprintf("%s/bundle/config.json", c->dir), *buf = NULL;
    size_t len;

    if (brig_read_file_at(AT_FDCWD, path, 16 << 20, &buf, &len, reterr) < 0)
        return -1;
    *ret = json_tokener_parse(buf);
    if (*ret == NULL)
        return brig_error_set(reterr, 0, "`%s`: not valid JSON", path);
    return 0;
}

/* Capabilities in the bounding set that brig_container_base does not
 * grant, and the devices config.json gives the container. */
static int add_caps_devices(struct gen_state *g, struct ctr *c, brig_error *reterr)
{
    json_object *config = NULL, *caps = NULL, *linux_, *devs = NULL, *process;
    int r = -1;

    if (read_config(c, &config, reterr) < 0)
        return -1;
    if (json_object_object_get_ex(config, "process", &process) &&
        json_object_object_get_ex(process, "capabilities", &caps))
        json_object_object_get_ex(caps, "bounding", &caps);
    for (size_t i = 0; caps && i < json_object_array_length(caps); i++) {
        const char *cap = json_object_get_string(json_object_array_get_idx(caps, i));
        bool base = false, two;
        for (const char *const *b = base_caps; *b; b++)
            base |= strcasecmp(*b, cap) == 0;
        if (base)
            continue;
        if (brig_cil_cap_perm(cap, &two) == NULL) {
            note(g, "Capability %s: unknown to brig, not granted.", cap);
            continue;
        }
        brig_strv_append(&g->caps, cap);
    }
    if (json_object_object_get_ex(config, "linux", &linux_))
        json_object_object_get_ex(linux_, "devices", &devs);
    for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
        json_object *d = json_object_array_get_idx(devs, i), *v;
        const char *path =
            json_object_object_get_ex(d, "path", &v) ? json_object_get_string(v) : "";
        const char *type =
            json_object_object_get_ex(d, "type", &v) ? json_object_get_string(v) : "c";
        char *t = file_type_of(path);
        if (t == NULL) {
            brig_error_errno(reterr, "device `%s`: read its SELinux label", path);
            goto out;
        }
        g->devices = brig_xrealloc(g->devices, (g->n_devices + 1) * sizeof(*g->devices));
        g->devices[g->n_devices].path = keep(g, brig_xstrdup(path));
        g->devices[g->n_devices].type = keep(g, t);
        g->devices[g->n_devices].block = strcmp(type, "b") == 0;
        g->n_devices++;
    }
    r = 0;
out:
    json_object_put(config);
    return r;
}

static bool strv_has(char **v, const char *s)
{
    for (; v && *v; v++)
        if (strcmp(*v, s) == 0)
            return true;
    return false;
}

/* One TE denial into the rule list: merged with an earlier one of the same
 * target type and class (permissions unioned, up to three examples named). */
static void add_te(struct gen_state *g, const struct brig_avc *a, const char *ttype)
{
    struct brig_cil_denial *d = NULL;
    _cleanup_free_ char *example = NULL;

    for (size_t i = 0; i < g->n_denials; i++)
        if (strcmp(g->denials[i].ttype, ttype) == 0 && strcmp(g->denials[i].tclass, a->tclass) == 0)
            d = &g->denials[i];
    if (d == NULL) {
        g->denials = brig_xrealloc(g->denials, (g->n_denials + 1) * sizeof(*g->denials));
        d = &g->denials[g->n_denials++];
        memset(d, 0, sizeof(*d));
        d->ttype = keep(g, brig_xstrdup(ttype));
        d->tclass = keep(g, brig_xstrdup(a->tclass));
        d->why = keep(g, brig_xasprintf("%s %s:", ttype, a->tclass));
    }
    for (char **p = a->perms; p && *p; p++)
        if (!strv_has(d->perms, *p))
            brig_strv_append(&d->perms, *p);
    if (strlen(d->why) > 200)
        return;
    example =
        brig_xasprintf("%s comm=\"%s\"%s%s%s", d->why, a->comm ? a->comm : "?",
                       a->name ? " name=\"" : "", a->name ? a->name : "", a->name ? "\"" : "");
    d->why = keep(g, TAKE_PTR(example));
}

static int add_denials(struct gen_state *g, struct ctr *c, char **levels, brig_error *reterr)
{
    for (char **l = levels; l && *l; l++) {
        struct brig_avc *v = NULL;
        size_t n = 0, malformed = 0;

        if (brig_avc_collect(*l, &v, &n, &malformed, &g->source, reterr) < 0)
            return -1;
        g->n_malformed += malformed;
        for (size_t i = 0; i < n; i++) {
            const struct brig_avc *a = &v[i];
            _cleanup_free_ char *stype = brig_avc_context_type(a->scontext);
            _cleanup_free_ char *ttype = brig_avc_context_type(a->tcontext);
            struct brig_avc_why w = {0};

            /* The level is the container's only while it runs: a record of
             * another type at the same level is someone else's. */
            if (a->granted || stype == NULL || ttype == NULL || strcmp(stype, ECHECK_TYPE) != 0)
                continue;
            g->n_records++;
            if (brig_avc_explain(a, &w, reterr) < 0) {
                brig_avc_list_free(v, n);
                return brig_error_wrap(reterr, "explain a denial of container `%s`", ctr_name(c));
            }
            switch (w.reason) {
            case BRIG_AVC_TE:
                add_te(g, a, strcmp(ttype, stype) == 0 ? "self" : ttype);
                break;
            case BRIG_AVC_MCS:
                g->n_mcs++;
                note(g,
                     "MCS, not allowed: %s on %s (%s) comm=\"%s\"%s%s: another level's "
                     "object; use :Z (private) or :z (shared) on its mount instead.",
                     a->tclass, a->tcontext, a->perms && a->perms[0] ? a->perms[0] : "?",
                     a->comm ? a->comm : "?", a->name ? " name=" : "", a->name ? a->name : "");
                break;
            case BRIG_AVC_BOOLEAN: {
                _cleanup_free_ char *fix = brig_avc_fix(a, &w);
                g->n_boolean++;
                note(g, "Boolean, not in the module: %s %s comm=\"%s\": %s", ttype, a->tclass,
                     a->comm ? a->comm : "?", fix ? fix : "");
                break;
            }
            case BRIG_AVC_ALLOWED_NOW:
                break; /* the policy allows it now (the base type grew) */
            default:
                g->n_other++;
                note(g, "Not allowed (%s): %s %s: %s", brig_avc_reason_name(w.reason), ttype,
                     a->tclass, w.detail ? w.detail : "");
                break;
            }
            brig_avc_why_clear(&w);
        }
        brig_avc_list_free(v, n);
    }
    return 0;
}

/* 'it'\''s' quoting, only when needed. */
static void shell_word(FILE *f, const char *s)
{
    bool plain = *s != '\0';
    for (const char *p = s; *p; p++)
        plain &= strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@%",
                        *p) != NULL;
    if (plain) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (const char *p = s; *p; p++)
        if (*p == '\'')
            fputs("'\\''", f);
        else
            fputc(*p, f);
    fputc('\'', f);
}

/* The brig run line that uses the new type, from the container's record. */
static char *run_line(struct ctr *c, const char *type)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    json_object *binds = ctr_get(c, "HostConfig.Binds"), *capadd = ctr_get(c, "HostConfig.CapAdd");
    json_object *cmd = ctr_get(c, "Config.Cmd");
    const char *image = ctr_get_str(c, "Config.Image");

    fprintf(f, "%s run --security-opt label=type:%s", ENGINE_NAME, type);
    for (size_t i = 0; binds && i < json_object_array_length(binds); i++) {
        fputs(" -v ", f);
        shell_word(f, json_object_get_string(json_object_array_get_idx(binds, i)));
    }
    for (size_t i = 0; capadd && i < json_object_array_length(capadd); i++) {
        fputs(" --cap-add ", f);
        shell_word(f, json_object_get_string(json_object_array_get_idx(capadd, i)));
    }
    fputc(' ', f);
    shell_word(f, image ? image : "IMAGE");
    for (size_t i = 0;
         cmd && json_object_is_type(cmd, json_type_array) && i < json_object_array_length(cmd);
         i++) {
        fputc(' ', f);
        shell_word(f, json_object_get_string(json_object_array_get_idx(cmd, i)));
    }
    fclose(f);
    return s;
}

static int generate(struct engine *e, const char *ref, const char *name, const char *outdir,
                    bool install)
{
    _cleanup_ctr_ struct ctr *c = NULL;
    _cleanup_free_ char *module = NULL, *type = NULL, *ctx = NULL, *text = NULL, *path = NULL,
                        *use = NULL, *absdir = NULL;
    _cleanup_strv_ char **levels = NULL;
    struct gen_state g = {0};
    brig_error err = NULL;
    size_t rules = 0;
    bool exists;
    int status = 1;

    if (is_selinux_enabled() <= 0)
        return engine_fail("policy generate: SELinux is disabled on this host");
    if (ctr_open(e, ref, &c, &err) < 0)
        return engine_fail_error(&err);
    if (ctr_get_bool(c, "HostConfig.Privileged"))
        return engine_fail("policy generate: container `%s` is privileged (label=disable): a "
                           "confined type cannot give it what it has",
                           ctr_name(c));
    module = name ? brig_xstrdup(name) : brig_cil_module_name(ctr_name(c));
    if (strlen(module) > 2 && strcmp(module + strlen(module) - 2, "_t") == 0)
        module[strlen(module) - 2] = '\0';
    type = brig_xasprintf("%s_t", module);
    if (!brig_cil_identifier_ok(module) || !brig_cil_identifier_ok(type))
        return engine_fail("policy generate: module name `%s`: not a policy identifier (letters, "
                           "digits and `_`, starting with a letter)",
                           module);
    /* A clash would replace someone's module (semodule -i) or fail to
     * compile (a type defined twice): refuse both before writing anything. */
    if (brig_semodule_exists(module, &exists, &err) < 0)
        return engine_fail_error(&err);
    if (exists)
        return engine_fail("policy generate: a policy module named `%s` is already installed "
                           "(choose another with --name, or remove it: semodule -r %s)",
                           module, module);
    ctx = brig_xasprintf("system_u:system_r:%s:s0", type);
    if (security_check_context(ctx) == 0)
        return engine_fail("policy generate: type `%s` is already defined by the loaded policy "
                           "(choose another name with --name)",
                           type);

    levels = echeck_levels(c);
    if (add_mounts(&g, c, &err) < 0 || add_caps_devices(&g, c, &err) < 0 ||
        add_denials(&g, c, levels, &err) < 0) {
        brig_error_wrap(&err, "policy generate `%s`", ctr_name(c));
        status = engine_fail_error(&err);
        goto out;
    }
    if (levels == NULL)
        note(&g, "The container never ran with --security-opt label=check: no denials were "
                 "recorded, only its mounts, capabilities and devices are covered.");
    else if (g.n_records == 0)
        note(&g, "Check mode (%s) recorded no denials in %s.", levels[0],
             g.source ? g.source : "the log");

    use = run_line(c, type);
    {
        struct brig_cil_module m = {
            .module = module,
            .type = type,
            .container = ctr_name(c),
            .use = use,
            .mounts = g.mounts,
            .n_mounts = g.n_mounts,
            .caps = g.caps,
            .devices = g.devices,
            .n_devices = g.n_devices,
            .denials = g.denials,
            .n_denials = g.n_denials,
            .notes = g.notes,
            .mls = is_selinux_mls_enabled() == 1,
        };
        text = brig_cil_module_text(&m, &rules, &err);
    }
    if (text == NULL) {
        status = engine_fail_error(&err);
        goto out;
    }
    absdir = realpath(outdir, NULL);
    if (absdir == NULL) {
        status = engine_fail("policy generate: output directory `%s`: %s", outdir, strerror(errno));
        goto out;
    }
    path = brig_xasprintf("%s/%s.cil", absdir, module);
    if (brig_write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0644, &err) < 0) {
        status = engine_fail_error(&err);
        goto out;
    }
    if (levels == NULL)
        fprintf(stderr,
                "%s: container `%s` never ran with --security-opt label=check: no denials "
                "recorded; the module covers its mounts, capabilities and devices only\n",
                ENGINE_NAME, ctr_name(c));
    printf("Wrote %s (type %s: %zu allow rules; %zu denials read, %zu MCS and %zu boolean "
           "denials reported, not allowed)\n",
           path, type, rules, g.n_records, g.n_mcs, g.n_boolean);
    if (g.n_malformed)
        printf("Skipped %zu malformed audit lines\n", g.n_malformed);
    fflush(stdout); /* before libsemanage's own messages on stderr */
    if (install) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (brig_semodule_install(module, text, strlen(text), &err) < 0) {
            status = engine_fail_error(&err);
            goto out;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("Installed policy module %s (%.1f s)\n", module,
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    } else {
        printf("Install it with:\n    semodule -i %s\n", path);
    }
    printf("Run the container with its type:\n    %s\n", use);
    status = 0;
out:
    gen_state_clear(&g);
    return status;
}

int cmd_policy(struct engine *e, int argc, char **argv)
{
    static const struct option longopts[] = {{"name", required_argument, NULL, 'n'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"install", no_argument, NULL, 'i'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *name = NULL, *outdir = ".";
    bool install = false;
    int ch;

    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    if (strcmp(argv[1], "generate") != 0)
        return engine_fail("policy: unknown command `%s` (see '%s policy --help')", argv[1],
                           ENGINE_NAME);
    argc--, argv++;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "n:o:ih", longopts, NULL)) != -1) {
        switch (ch) {
        case 'n':
            name = optarg;
            break;
        case 'o':
            outdir = optarg;
            break;
        case 'i':
            install = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return engine_fail("policy generate: unknown flag: %s", argv[optind - 1]);
        }
    }
    if (argc - optind != 1) {
        usage(stderr);
        return 1;
    }
    return generate(e, argv[optind], name, outdir, install);
}

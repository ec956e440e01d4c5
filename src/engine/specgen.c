/* From an image and docker's run options to a record and a config.json.
 *
 * The record keeps what the user asked in docker inspect's shape (Config,
 * HostConfig); config.json is what libbrig runs.  Everything is decided
 * and checked here, at create, so a bad option fails before anything runs
 * and `start` only has to add what changes per start (labels, user ids). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/printbuf.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <selinux/selinux.h>

#include "core/util.h"
#include "run.h"
#include "spec/seccomp_profile.h"
#include "selinux/relabel.h"
#include "spec/spec.h"
#include "specgen_internal.h"
#include "elabel.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* DESIGN.md's default set: what a normal service needs, nothing that
 * reaches the host (no NET_RAW, MKNOD, AUDIT_WRITE, unlike docker). */
static const char *const default_caps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",     "CAP_FSETID",
    "CAP_KILL",    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",    "CAP_SETGID",
    "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT", NULL};

json_object *specgen_strv_json(char *const *v)
{
    json_object *a = json_object_new_array();
    for (; v && *v; v++)
        json_object_array_add(a, json_object_new_string(*v));
    return a;
}

json_object *specgen_obj_child(json_object *o, const char *key)
{
    json_object *c;
    if (!json_object_object_get_ex(o, key, &c)) {
        c = json_object_new_object();
        json_object_object_add(o, key, c);
    }
    return c;
}

/* ---- capabilities ---- */

static int cap_parse(const char *name, int *ret, brig_error *reterr)
{
    _cleanup_free_ char *up = NULL;
    size_t n = strlen(name);
    up = brig_xasprintf("%s%s", strncasecmp(name, "CAP_", 4) == 0 ? "" : "CAP_", name);
    for (char *p = up; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    *ret = brig_cap_from_name(up);
    if (n == 0 || *ret < 0)
        return brig_error_set(reterr, 0, "capability `%s`: unknown", name);
    return 0;
}

static int caps_compute(struct engine *e, const struct run_opts *o, uint64_t *ret,
                        brig_error *reterr)
{
    uint64_t all = engine_caps_all(), set = 0;
    int c;
    if (o->privileged) {
        *ret = all;
        return 0;
    }
    for (const char *const *n = e->conf.default_caps ? (const char *const *)e->conf.default_caps
                                                     : default_caps;
         *n; n++) {
        if (cap_parse(*n, &c, reterr) < 0)
            return brig_error_wrap(reterr, "default capabilities");
        set |= 1ULL << c;
    }
    /* docker applies drops, then adds; ALL in either. */
    for (char **d = o->cap_drop; d && *d; d++) {
        if (strcasecmp(*d, "ALL") == 0) {
            set = 0;
            continue;
        }
        if (cap_parse(*d, &c, reterr) < 0)
            return brig_error_wrap(reterr, "--cap-drop");
        set &= ~(1ULL << c);
    }
    for (char **a = o->cap_add; a && *a; a++) {
        if (strcasecmp(*a, "ALL") == 0) {
            set = all;
            continue;
        }
        if (cap_parse(*a, &c, reterr) < 0)
            return brig_error_wrap(reterr, "--cap-add");
        set |= 1ULL << c;
    }
    *ret = set;
    return 0;
}

static json_object *caps_json(uint64_t set)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i <= brig_cap_last_cap(); i++)
        if (set & (1ULL << i))
            json_object_array_add(a, json_object_new_string(brig_cap_to_name(i)));
    return a;
}

/* ---- environment ---- */

static void env_set(char ***env, const char *kv)
{
    size_t klen = strcspn(kv, "=");
    for (char **p = *env; p && *p; p++)
        if (strncmp(*p, kv, klen) == 0 && (*p)[klen] == '=') {
            free(*p);
            *p = brig_xstrdup(kv);
            return;
        }
    brig_strv_append(env, kv);
}

/* -e KEY=V, or -e KEY: the caller's value, dropped when unset (docker). */
static void env_add_arg(char ***env, const char *arg)
{
    if (strchr(arg, '=')) {
        env_set(env, arg);
    } else {
        const char *v = getenv(arg);
        if (v) {
            _cleanup_free_ char *kv = brig_xasprintf("%s=%s", arg, v);
            env_set(env, kv);
        }
    }
}

static int env_add_file(char ***env, const char *path, brig_error *reterr)
{
    _cleanup_free_ char *buf = NULL;
    size_t len, lineno = 0;
    char *line, *save = NULL;

    if (brig_read_file_at(AT_FDCWD, path, 1 << 20, &buf, &len, reterr) < 0)
        return brig_error_wrap(reterr, "--env-file");
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '\0' || *line == '#')
            continue;
        /* brig_error_set escapes the line's control bytes. */
        if (*line == '=' || (strpbrk(line, " \t") && strpbrk(line, " \t") < strchrnul(line, '=')))
            return brig_error_set(reterr, 0, "--env-file `%s`: line %zu: invalid variable `%s`",
                                  path, lineno, line);
        env_add_arg(env, line);
    }
    return 0;
}

/* ---- resources ---- */

static int resources_build(const struct run_opts *o, json_object *linux_, json_object *hostcfg,
                           brig_error *reterr)
{
    json_object *res = specgen_obj_child(linux_, "resources");
    int64_t v;

    if (o->memory) {
        if (engine_parse_bytes(o->memory, &v) < 0 || v < 6 * 1024 * 1024)
            return brig_error_set(
                reterr, 0, "--memory `%s`: not a size of at least 6m (e.g. 512m, 1g)", o->memory);
        json_object_object_add(specgen_obj_child(res, "memory"), "limit", json_object_new_int64(v));
        json_object_object_add(hostcfg, "Memory", json_object_new_int64(v));
    }
    if (o->cpus) {
        char *end;
        double cpus = strtod(o->cpus, &end);
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        if (*o->cpus == '\0' || *end != '\0' || cpus <= 0.0 || cpus > 1024)
            return brig_error_set(reterr, 0, "--cpus `%s`: not a positive number of CPUs", o->cpus);
        if (cpus > (double)n)
            return brig_error_set(reterr, 0,
                                  "--cpus `%s`: range of CPUs is from 0.01 to %ld.00, as there "
                                  "are only %ld CPUs available",
                                  o->cpus, n, n);
        json_object *cpu = specgen_obj_child(res, "cpu");
        json_object_object_add(cpu, "period", json_object_new_int64(100000));
        json_object_object_add(cpu, "quota", json_object_new_int64((int64_t)(cpus * 100000)));
        json_object_object_add(hostcfg, "NanoCpus", json_object_new_int64((int64_t)(cpus * 1e9)));
    }
    if (o->cpu_shares) {
        uint64_t s;
        if (brig_parse_u64(o->cpu_shares, &s) < 0 || s < 2 || s > 262144)
            return brig_error_set(reterr, 0, "--cpu-shares `%s`: not a number in 2..262144",
                                  o->cpu_shares);
        json_object_object_add(specgen_obj_child(res, "cpu"), "shares",
                               json_object_new_int64((int64_t)s));
        json_object_object_add(hostcfg, "CpuShares", json_object_new_int64((int64_t)s));
    }
    if (o->cpuset_cpus) {
        for (const char *p = o->cpuset_cpus; *p; p++)
            if (!strchr("0123456789,-", *p) || *o->cpuset_cpus == '\0')
                return brig_error_set(reterr, 0, "--cpuset-cpus `%s`: not a CPU list (e.g. 0-1,3)",
                                      o->cpuset_cpus);
        if (*o->cpuset_cpus == '\0')
            return brig_error_set(reterr, 0, "--cpuset-cpus: empty CPU list");
        json_object_object_add(specgen_obj_child(res, "cpu"), "cpus",
                               json_object_new_string(o->cpuset_cpus));
        json_object_object_add(hostcfg, "CpusetCpus", json_object_new_string(o->cpuset_cpus));
    }
    if (o->pids_limit) {
        int64_t p;
        if (brig_parse_i64(o->pids_limit, &p) < 0 || p == 0 || p < -1)
            return brig_error_set(reterr, 0, "--pids-limit `%s`: not a positive number (or -1)",
                                  o->pids_limit);
        json_object_object_add(specgen_obj_child(res, "pids"), "limit", json_object_new_int64(p));
        json_object_object_add(hostcfg, "PidsLimit", json_object_new_int64(p));
    }
    return 0;
}

static const struct {
    const char *name;
    const char *oci;
} ulimit_names[] = {
    {"core", "RLIMIT_CORE"},         {"cpu", "RLIMIT_CPU"},
    {"data", "RLIMIT_DATA"},         {"fsize", "RLIMIT_FSIZE"},
    {"locks", "RLIMIT_LOCKS"},       {"memlock", "RLIMIT_MEMLOCK"},
    {"msgqueue", "RLIMIT_MSGQUEUE"}, {"nice", "RLIMIT_NICE"},
    {"nofile", "RLIMIT_NOFILE"},     {"nproc", "RLIMIT_NPROC"},
    {"rss", "RLIMIT_RSS"},           {"rtprio", "RLIMIT_RTPRIO"},
    {"rttime", "RLIMIT_RTTIME"},     {"sigpending", "RLIMIT_SIGPENDING"},
    {"stack", "RLIMIT_STACK"},       {"as", "RLIMIT_AS"},
};

static int ulimit_limit(const char *s, uint64_t *ret)
{
    int64_t v;
    if (strcmp(s, "-1") == 0 || strcmp(s, "unlimited") == 0) {
        *ret = UINT64_MAX;
        return 0;
    }
    if (brig_parse_i64(s, &v) < 0 || v < 0)
        return -1;
    *ret = (uint64_t)v;
    return 0;
}

/* "nofile=1024:4096" -> {"type":"RLIMIT_NOFILE","soft":1024,"hard":4096} */
static int ulimit_json(const char *spec, json_object *rlimits, brig_error *reterr)
{
    _cleanup_free_ char *copy = brig_xstrdup(spec);
    char *eq = strchr(copy, '='), *colon;
    const char *oci = NULL;
    uint64_t soft, hard;

    if (eq == NULL)
        return brig_error_set(reterr, 0, "--ulimit `%s`: expected NAME=SOFT[:HARD]", spec);
    *eq = '\0';
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(ulimit_names); i++)
        if (strcmp(copy, ulimit_names[i].name) == 0)
            oci = ulimit_names[i].oci;
    if (oci == NULL)
        return brig_error_set(reterr, 0, "--ulimit `%s`: unknown limit `%s`", spec, copy);
    colon = strchr(eq + 1, ':');
    if (colon)
        *colon = '\0';
    if (ulimit_limit(eq + 1, &soft) < 0 || (colon && ulimit_limit(colon + 1, &hard) < 0))
        return brig_error_set(reterr, 0, "--ulimit `%s`: limits must be numbers", spec);
    if (!colon)
        hard = soft;
    if (soft > hard)
        return brig_error_set(reterr, 0, "--ulimit `%s`: soft limit is above the hard limit", spec);
    /* Replace an earlier setting of the same limit (conf default, then flag). */
    for (size_t i = 0; i < json_object_array_length(rlimits); i++) {
        json_object *t, *r = json_object_array_get_idx(rlimits, i);
        if (json_object_object_get_ex(r, "type", &t) &&
            strcmp(json_object_get_string(t), oci) == 0) {
            json_object_array_del_idx(rlimits, i, 1);
            break;
        }
    }
    json_object *r = json_object_new_object();
    json_object_object_add(r, "type", json_object_new_string(oci));
    json_object_object_add(r, "hard", json_object_new_uint64(hard));
    json_object_object_add(r, "soft", json_object_new_uint64(soft));
    json_object_array_add(rlimits, r);
    return 0;
}

/* ---- seccomp ---- */

/* A placeholder object that prints as the JSON text it holds. */
static int raw_json_print(json_object *o, struct printbuf *pb, int level, int flags)
{
    const char *text = json_object_get_userdata(o);
    (void)level;
    (void)flags;
    return printbuf_memappend(pb, text, (int)strlen(text));
}

static void raw_json_free(json_object *o, void *userdata)
{
    (void)o;
    free(userdata);
}

static int seccomp_build(struct engine *e, const struct run_opts *o, uint64_t caps,
                         json_object *linux_, json_object *hostcfg, brig_error *reterr)
{
    const char *profile = e->conf.seccomp_profile, *text;
    _cleanup_free_ char *buf = NULL, *oci = NULL;
    size_t len;
    json_object *sc;

    for (char **s = o->security_opts; s && *s; s++)
        if (strncmp(*s, "seccomp=", 8) == 0 || strncmp(*s, "seccomp:", 8) == 0)
            profile = *s + 8;
    if (o->privileged || (profile && strcmp(profile, "unconfined") == 0)) {
        json_object_object_add(hostcfg, "SeccompProfile", json_object_new_string("unconfined"));
        return 0;
    }
    if (profile && strcmp(profile, "builtin") != 0 && strcmp(profile, "default") != 0) {
        if (brig_read_file_at(AT_FDCWD, profile, 4 << 20, &buf, &len, reterr) < 0)
            return brig_error_wrap(reterr, "seccomp profile");
        text = buf;
        json_object_object_add(hostcfg, "SeccompProfile", json_object_new_string(profile));
    } else {
        text = brig_seccomp_default_profile();
        len = strlen(text);
        json_object_object_add(hostcfg, "SeccompProfile", json_object_new_string("builtin"));
    }
    if (brig_seccomp_profile_to_oci_cached(e->run_fd, text, len, caps, &oci, reterr) < 0)
        return profile ? brig_error_wrap(reterr, "`%s`", profile) : -1;
    /* The converted text goes into config.json as it is: parsing it into
     * objects only to print them again was most of what remained. */
    sc = json_object_new_object();
    json_object_set_serializer(sc, raw_json_print, TAKE_PTR(oci), raw_json_free);
    json_object_object_add(linux_, "seccomp", sc);
    return 0;
}

static int args_compute(const struct brig_image *img, const struct run_opts *o, char ***ret,
                        brig_error *reterr)
{
    char **args = NULL;
    if (o->entrypoint_set) {
        /* --entrypoint "" clears it; the image's Cmd goes with the image's
         * entrypoint, as docker does. */
        if (*o->entrypoint)
            brig_strv_append(&args, o->entrypoint);
        for (char **a = o->args; a && *a; a++)
            brig_strv_append(&args, *a);
    } else {
        for (char **a = img->entrypoint; a && *a; a++)
            brig_strv_append(&args, *a);
        for (char **a = (o->args && *o->args) ? o->args : img->cmd; a && *a; a++)
            brig_strv_append(&args, *a);
    }
    if (args == NULL || args[0] == NULL || args[0][0] == '\0') {
        brig_strv_free(args);
        return brig_error_set(reterr, 0,
                              "no command specified: image `%s` has no Entrypoint or Cmd; give "
                              "one after the image",
                              o->image);
    }
    *ret = args;
    return 0;
}

/* The label options the user gave (checked now, applied at each start). */
static int security_opts_check(const struct run_opts *o, json_object *config_, bool *ret_nnp,
                               brig_error *reterr)
{
    *ret_nnp = false;
    for (char **s = o->security_opts; s && *s; s++) {
        const char *v = *s;
        if (strcmp(v, "no-new-privileges") == 0 || strcmp(v, "no-new-privileges=true") == 0 ||
            strcmp(v, "no-new-privileges:true") == 0) {
            *ret_nnp = true;
        } else if (strcmp(v, "no-new-privileges=false") == 0 ||
                   strcmp(v, "no-new-privileges:false") == 0) {
            *ret_nnp = false;
        } else if (strncmp(v, "seccomp=", 8) == 0 || strncmp(v, "seccomp:", 8) == 0) {
            if (v[8] == '\0')
                return brig_error_set(reterr, 0, "--security-opt `%s`: empty seccomp profile", v);
        } else if (strncmp(v, "label=", 6) == 0 || strncmp(v, "label:", 6) == 0) {
            /* label=type:T and the seeds' label:type:T are the same option */
            if (elabel_opt_check(v + 6, reterr) < 0)
                return brig_error_wrap(reterr, "--security-opt `%s`", v);
        } else if (strncmp(v, "apparmor=", 9) == 0) {
            /* no AppArmor with SELinux; docker ignores it there too */
        } else {
            return brig_error_set(reterr, 0,
                                  "--security-opt `%s`: unknown option (label=..., seccomp=..., "
                                  "no-new-privileges)",
                                  v);
        }
    }
    (void)config_;
    return 0;
}

static void record_config(json_object *rec, const struct brig_image *img, const struct run_opts *o,
                          const char *hostname, char **env, char **args, const char *workdir,
                          const char *user)
{
    json_object *cfg = json_object_new_object(), *labels = json_object_new_object();
    json_object_object_add(cfg, "Hostname", json_object_new_string(hostname));
    json_object_object_add(cfg, "User", json_object_new_string(user ? user : ""));
    json_object_object_add(cfg, "Tty", json_object_new_boolean(o->tty));
    json_object_object_add(cfg, "OpenStdin", json_object_new_boolean(o->interactive));
    json_object_object_add(cfg, "AttachStdin",
                           json_object_new_boolean(o->interactive && !o->detach));
    json_object_object_add(cfg, "AttachStdout", json_object_new_boolean(!o->detach));
    json_object_object_add(cfg, "AttachStderr", json_object_new_boolean(!o->detach));
    json_object_object_add(cfg, "Env", specgen_strv_json(env));
    json_object_object_add(
        cfg, "Cmd",
        specgen_strv_json((o->args && *o->args) ? o->args : (o->entrypoint_set ? NULL : img->cmd)));
    if (o->entrypoint_set) {
        char *ep[] = {(char *)o->entrypoint, NULL};
        json_object_object_add(cfg, "Entrypoint", specgen_strv_json(*o->entrypoint ? ep : NULL));
    } else {
        json_object_object_add(cfg, "Entrypoint", specgen_strv_json(img->entrypoint));
    }
    json_object_object_add(cfg, "WorkingDir", json_object_new_string(workdir));
    json_object_object_add(cfg, "Image", json_object_new_string(o->image));
    for (char **l = img->labels; l && *l; l++) {
        _cleanup_free_ char *k = brig_xstrndup(*l, strcspn(*l, "="));
        const char *v = strchr(*l, '=');
        json_object_object_add(labels, k, json_object_new_string(v ? v + 1 : ""));
    }
    for (char **l = o->labels; l && *l; l++) {
        _cleanup_free_ char *k = brig_xstrndup(*l, strcspn(*l, "="));
        const char *v = strchr(*l, '=');
        json_object_object_add(labels, k, json_object_new_string(v ? v + 1 : ""));
    }
    json_object_object_add(cfg, "Labels", labels);
    json_object_object_add(cfg, "StopSignal",
                           json_object_new_string(o->stop_signal     ? o->stop_signal
                                                  : img->stop_signal ? img->stop_signal
                                                                     : "SIGTERM"));
    if (o->stop_timeout)
        json_object_object_add(cfg, "StopTimeout", json_object_new_int(atoi(o->stop_timeout)));
    json_object *ports = json_object_new_object();
    for (char **p = img->exposed_ports; p && *p; p++)
        json_object_object_add(ports, *p, json_object_new_object());
    json_object_object_add(cfg, "ExposedPorts", ports);
    json_object_object_add(rec, "Config", cfg);
    json_object_object_add(rec, "Path", json_object_new_string(args[0]));
    json_object_object_add(rec, "Args", specgen_strv_json(args + 1));
}

static int signal_check(const char *s, brig_error *reterr)
{
    if (engine_signal_parse(s) > 0)
        return 0;
    return brig_error_set(reterr, 0, "--stop-signal `%s`: unknown signal", s);
}

int specgen_create(struct engine *e, struct ctr *c, const struct brig_image *img,
                   const struct run_opts *o, brig_error *reterr)
{
    _cleanup_free_ char *base = brig_spec_default_json(false), *hostname = NULL;
    _cleanup_strv_ char **env = NULL, **args = NULL;
    json_object *config = json_tokener_parse(base), *process, *linux_, *mounts, *hostcfg,
                *recmounts, *rlimits, *capo, *ann, *nss;
    const char *workdir = o->workdir                                ? o->workdir
                          : (img->working_dir && *img->working_dir) ? img->working_dir
                                                                    : "/";
    const char *user = o->user ? o->user : img->user;
    uint64_t caps = 0;
    bool nnp, host_net = false;
    int r = -1;

    if (config == NULL)
        return brig_error_set(reterr, 0, "default spec: invalid JSON");
    json_object_object_get_ex(config, "process", &process);
    json_object_object_get_ex(config, "linux", &linux_);
    json_object_object_get_ex(config, "mounts", &mounts);
    hostcfg = json_object_new_object();
    recmounts = json_object_new_array();
    json_object_object_add(c->rec, "HostConfig", hostcfg);
    json_object_object_add(c->rec, "Mounts", recmounts);

    if (workdir[0] != '/' || !specgen_path_clean_abs(workdir)) {
        brig_error_set(reterr, 0, "working directory `%s`: must be an absolute path", workdir);
        goto out;
    }
    if (o->hostname) {
        if (strlen(o->hostname) > 63 || strchr(o->hostname, '/') || !*o->hostname) {
            brig_error_set(reterr, 0, "--hostname `%s`: not a valid host name", o->hostname);
            goto out;
        }
        hostname = brig_xstrdup(o->hostname);
    } else {
        hostname = brig_xasprintf("%.12s", c->id);
    }
    if (o->stop_signal && signal_check(o->stop_signal, reterr) < 0)
        goto out;
    if (args_compute(img, o, &args, reterr) < 0)
        goto out;

    /* environment: PATH, the image's, --env-file, -e, HOSTNAME, TERM */
    env_set(&env, DEFAULT_PATH);
    for (char **v = img->env; v && *v; v++)
        env_set(&env, *v);
    for (char **f = o->env_files; f && *f; f++)
        if (env_add_file(&env, *f, reterr) < 0)
            goto out;
    for (char **v = o->env; v && *v; v++)
        env_add_arg(&env, *v);
    {
        _cleanup_free_ char *h = brig_xasprintf("HOSTNAME=%s", hostname);
        env_set(&env, h);
        if (o->tty)
            env_set(&env, "TERM=xterm");
    }
    record_config(c->rec, img, o, hostname, env, args, workdir, user);

    json_object_object_add(process, "terminal", json_object_new_boolean(o->tty));
    json_object_object_add(process, "args", specgen_strv_json(args));
    json_object_object_add(process, "env", specgen_strv_json(env));
    json_object_object_add(process, "cwd", json_object_new_string(workdir));
    json_object_object_add(config, "hostname", json_object_new_string(hostname));

    if (specgen_relabel_precheck(o->volumes, o->mounts, reterr) < 0 ||
        security_opts_check(o, config, &nnp, reterr) < 0)
        goto out;
    json_object_object_add(process, "noNewPrivileges", json_object_new_boolean(nnp));

    if (caps_compute(e, o, &caps, reterr) < 0)
        goto out;
    capo = json_object_new_object();
    json_object_object_add(capo, "bounding", caps_json(caps));
    json_object_object_add(capo, "effective", caps_json(caps));
    json_object_object_add(capo, "permitted", caps_json(caps));
    json_object_object_add(process, "capabilities", capo);
    json_object_object_add(hostcfg, "CapAdd", specgen_strv_json(o->cap_add));
    json_object_object_add(hostcfg, "CapDrop", specgen_strv_json(o->cap_drop));

    /* rlimits: inherited unless brig.conf or --ulimit set them (docker) */
    rlimits = json_object_new_array();
    for (char **u = e->conf.default_ulimits; u && *u; u++)
        if (ulimit_json(*u, rlimits, reterr) < 0) {
            json_object_put(rlimits);
            brig_error_wrap(reterr, "brig.conf default_ulimits");
            goto out;
        }
    for (char **u = o->ulimits; u && *u; u++)
        if (ulimit_json(*u, rlimits, reterr) < 0) {
            json_object_put(rlimits);
            goto out;
        }
    json_object_object_add(process, "rlimits", rlimits);
    json_object_object_add(hostcfg, "Ulimits", specgen_strv_json(o->ulimits));

    if (resources_build(o, linux_, hostcfg, reterr) < 0)
        goto out;
    if (seccomp_build(e, o, caps, linux_, hostcfg, reterr) < 0)
        goto out;

    /* network: none (own namespace, loopback only) or host */
    if (o->network && strcmp(o->network, "host") == 0) {
        host_net = true;
        json_object_object_get_ex(linux_, "namespaces", &nss);
        for (size_t i = 0; i < json_object_array_length(nss); i++) {
            json_object *t, *ns = json_object_array_get_idx(nss, i);
            if (json_object_object_get_ex(ns, "type", &t) &&
                strcmp(json_object_get_string(t), "network") == 0) {
                json_object_array_del_idx(nss, i, 1);
                break;
            }
        }
    } else if (o->network && strcmp(o->network, "none") != 0 &&
               strcmp(o->network, "default") != 0 && strcmp(o->network, "bridge") != 0) {
        brig_error_set(reterr, 0,
                       "--network `%s`: brig knows `none` and `host` (bridged networks "
                       "are not implemented yet)",
                       o->network);
        goto out;
    }
    json_object_object_add(hostcfg, "NetworkMode",
                           json_object_new_string(host_net ? "host" : "none"));
    if (o->publish && *o->publish) {
        brig_error_set(reterr, 0,
                       "-p `%s`: publishing ports needs bridged networking, which brig does not "
                       "have yet (use --network host)",
                       o->publish[0]);
        goto out;
    }

    /* masked paths as docker has them, plus powercap */
    if (o->privileged) {
        json_object_object_add(linux_, "maskedPaths", json_object_new_array());
        json_object_object_add(linux_, "readonlyPaths", json_object_new_array());
        specgen_privileged_devices(linux_);
        for (size_t i = 0; i < json_object_array_length(mounts); i++) {
            json_object *d, *m = json_object_array_get_idx(mounts, i), *opts;
            json_object_object_get_ex(m, "destination", &d);
            if (strcmp(json_object_get_string(d), "/sys") == 0 ||
                strcmp(json_object_get_string(d), "/sys/fs/cgroup") == 0) {
                json_object_object_get_ex(m, "options", &opts);
                for (size_t k = 0; k < json_object_array_length(opts); k++)
                    if (strcmp(json_object_get_string(json_object_array_get_idx(opts, k)), "ro") ==
                        0)
                        json_object_array_put_idx(opts, k, json_object_new_string("rw"));
            }
        }
    } else {
        json_object *mp;
        json_object_object_get_ex(linux_, "maskedPaths", &mp);
        json_object_array_add(mp, json_object_new_string("/sys/devices/virtual/powercap"));
    }
    json_object_object_add(hostcfg, "Privileged", json_object_new_boolean(o->privileged));

    /* the rootfs and mounts */
    {
        json_object *root = specgen_obj_child(config, "root");
        json_object_object_add(root, "path", json_object_new_string("rootfs"));
        json_object_object_add(root, "readonly", json_object_new_boolean(o->read_only));
    }
    json_object_object_add(hostcfg, "ReadonlyRootfs", json_object_new_boolean(o->read_only));
    if (specgen_etc_files(c, hostname, host_net, mounts, reterr) < 0)
        goto out;
    for (char **v = o->volumes; v && *v; v++)
        if (specgen_volume_add(*v, mounts, recmounts, reterr) < 0)
            goto out;
    for (char **v = o->mounts; v && *v; v++)
        if (specgen_mount_add(*v, mounts, recmounts, reterr) < 0)
            goto out;
    for (char **v = o->tmpfs; v && *v; v++)
        if (specgen_tmpfs_add(*v, mounts, recmounts, reterr) < 0)
            goto out;
    json_object_object_add(hostcfg, "Binds", specgen_strv_json(o->volumes));
    json_object_object_add(hostcfg, "Tmpfs", specgen_strv_json(o->tmpfs));
    json_object_object_add(hostcfg, "SecurityOpt", specgen_strv_json(o->security_opts));
    json_object_object_add(hostcfg, "AutoRemove", json_object_new_boolean(o->rm));

    /* the container's cgroup: one per container under brig's parent */
    {
        _cleanup_free_ char *cg = brig_xasprintf("/brig/%s", c->id);
        json_object_object_add(linux_, "cgroupsPath", json_object_new_string(cg));
    }
    ann = specgen_obj_child(config, "annotations");
    json_object_object_add(ann, "io.brig.engine.name", json_object_new_string(ctr_name(c)));

    /* written last: a half-made container has no config.json */
    {
        _cleanup_free_ char *bundle = brig_xasprintf("%s/bundle", c->dir),
                            *path = brig_xasprintf("%s/config.json", bundle);
        const char *txt = json_object_to_json_string_ext(
            config, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (brig_mkdir_p_at(AT_FDCWD, bundle, 0700, reterr) < 0 ||
            brig_write_file_atomic_at(AT_FDCWD, path, txt, strlen(txt), 0600, reterr) < 0)
            goto out;
    }
    c->config = json_object_get(config);
    r = 0;
out:
    json_object_put(config);
    return r;
}

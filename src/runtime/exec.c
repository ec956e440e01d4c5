/* brig-runtime exec [options] <container-id> [--] <command> [args...]
 * brig-runtime exec [options] -p process.json <container-id> */
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/util.h"
#include "sandbox/container.h"
#include "spec/spec.h"

static const char usage[] =
    "Usage: brig-runtime exec [options] <container-id> [--] <command> [args...]\n"
    "       brig-runtime exec [options] -p process.json <container-id>\n\n"
    "Execute a new process inside a running container.  Attached, exit with\n"
    "its status.\n\n"
    "Options:\n"
    "   --console-socket PATH     AF_UNIX socket that receives the console's pty master\n"
    "   --cwd PATH                working directory in the container (default: /)\n"
    "   --env, -e KEY=VALUE       set an environment variable (repeatable)\n"
    "   --tty, -t                 allocate a pseudo-terminal\n"
    "   --user, -u UID[:GID]      run as this user (default 0:0)\n"
    "   --additional-gids, -g GID add a supplementary group (repeatable)\n"
    "   --process, -p FILE        take the process from an OCI process.json\n"
    "   --detach, -d              do not wait for the process\n"
    "   --pid-file PATH           write the process's pid to PATH\n"
    "   --process-label LABEL     SELinux label of the process\n"
    "   --apparmor PROFILE        accepted for compatibility, ignored\n"
    "   --no-new-privs            set no_new_privs for the process\n"
    "   --cap, -c CAP             add a capability (CAP_NET_ADMIN; repeatable)\n"
    "   --preserve-fds N          pass N extra fds (from fd 3) to the process\n"
    "   --ignore-paused           accepted for compatibility, ignored\n"
    "   --cgroup PATH             accepted for compatibility, ignored\n";

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void process_freep(struct brig_spec_process **p)
{
    if (*p != NULL)
        brig_spec_process_free(*p);
}

static int parse_id32(const char *s, uint32_t *ret)
{
    uint64_t v;
    if (brig_parse_u64(s, &v) < 0 || v > UINT32_MAX - 1)
        return -1;
    *ret = (uint32_t)v;
    return 0;
}

/* "CAP_NET_ADMIN" (or "net_admin", as crun also takes) -> number. */
static int cap_number(const char *name)
{
    _cleanup_free_ char *up = NULL;
    int cap = brig_cap_from_name(name);

    if (cap >= 0)
        return cap;
    up = brig_str_has_prefix(name, "CAP_") || brig_str_has_prefix(name, "cap_")
             ? brig_xstrdup(name)
             : brig_xasprintf("CAP_%s", name);
    for (char *p = up; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return brig_cap_from_name(up);
}

/* KEY=VALUE replaces an earlier KEY, so -e PATH=... overrides the default. */
static void env_set(char ***env, const char *kv)
{
    size_t klen = strcspn(kv, "=");

    for (char **e = *env; e && *e; e++) {
        if (strncmp(*e, kv, klen) == 0 && (*e)[klen] == '=') {
            free(*e);
            *e = brig_xstrdup(kv);
            return;
        }
    }
    brig_strv_append(env, kv);
}

struct exec_flags {
    const char *cwd, *user, *process_path, *process_label;
    char **env, **gids;
    bool tty, no_new_privs;
};

static int process_from_args(struct cli_global *g, const struct exec_flags *f, char **args,
                             struct brig_spec_process **ret)
{
    __attribute__((cleanup(process_freep))) struct brig_spec_process *p = NULL;

    p = brig_xmalloc0(sizeof(*p));
    p->args = brig_strv_dup(args);
    p->cwd = brig_xstrdup(f->cwd ? f->cwd : "/");
    if (p->cwd[0] != '/')
        return cli_fail(g, "--cwd `%s`: must be an absolute path", p->cwd);
    p->terminal = f->tty;
    /* Neither -e nor -t: env stays NULL and the library gives the process
     * the container's own environment, as runc does.  Otherwise a default
     * PATH (plus TERM for a terminal) with the -e entries over it. */
    if (f->env != NULL || f->tty) {
        brig_strv_append(&p->env, DEFAULT_PATH);
        if (f->tty)
            brig_strv_append(&p->env, "TERM=xterm");
        for (char **e = f->env; e && *e; e++) {
            if (strchr(*e, '=') == NULL || **e == '=')
                return cli_fail(g, "--env `%s`: want KEY=VALUE", *e);
            env_set(&p->env, *e);
        }
    }
    if (f->user != NULL) {
        _cleanup_free_ char *u = brig_xstrdup(f->user);
        char *colon = strchr(u, ':');
        if (colon != NULL)
            *colon = '\0';
        if (parse_id32(u, &p->user.uid) < 0 ||
            (colon != NULL && parse_id32(colon + 1, &p->user.gid) < 0))
            return cli_fail(g, "--user `%s`: want a numeric UID[:GID]", f->user);
    }
    p->user.n_additional_gids = brig_strv_len(f->gids);
    if (p->user.n_additional_gids > 0) {
        p->user.additional_gids =
            brig_xmalloc0(p->user.n_additional_gids * sizeof(*p->user.additional_gids));
        for (size_t i = 0; i < p->user.n_additional_gids; i++)
            if (parse_id32(f->gids[i], &p->user.additional_gids[i]) < 0)
                return cli_fail(g, "--additional-gids `%s`: not a group id", f->gids[i]);
    }
    p->no_new_privileges = f->no_new_privs;
    if (f->process_label != NULL)
        p->selinux_label = brig_xstrdup(f->process_label);
    *ret = TAKE_PTR(p);
    return 0;
}

static int process_from_file(struct cli_global *g, const char *path, struct brig_spec_process **ret)
{
    _cleanup_free_ char *buf = NULL;
    brig_error err = NULL;
    size_t len = 0;

    if (brig_read_file_at(AT_FDCWD, path, 4u << 20, &buf, &len, &err) < 0) {
        brig_error_wrap(&err, "read process");
        return cli_fail_error(g, &err);
    }
    *ret = brig_spec_process_load_data(buf, len, &err);
    if (*ret == NULL) {
        brig_error_wrap(&err, "process `%s`", path);
        return cli_fail_error(g, &err);
    }
    return 0;
}

int cmd_exec(struct cli_global *g, int argc, char **argv)
{
    struct exec_flags f = {0};
    struct brig_exec_opts o = {.root = g->root};
    __attribute__((cleanup(process_freep))) struct brig_spec_process *p = NULL;
    _cleanup_strv_ char **env = NULL, **gids = NULL, **caps = NULL, **cgroups = NULL;
    const char *pidfd_socket = NULL;
    bool ignore_paused = false;
    const struct cli_opt opts[] = {
        {"console-socket", 0, CLI_STRING, &o.console_socket, NULL},
        {"cwd", 0, CLI_STRING, &f.cwd, NULL},
        {"env", 'e', CLI_STRV, &env, NULL},
        {"tty", 't', CLI_BOOL, &f.tty, NULL},
        {"user", 'u', CLI_STRING, &f.user, NULL},
        {"additional-gids", 'g', CLI_STRV, &gids, NULL},
        {"process", 'p', CLI_STRING, &f.process_path, NULL},
        {"detach", 'd', CLI_BOOL, &o.detach, NULL},
        {"pid-file", 0, CLI_STRING, &o.pid_file, NULL},
        {"process-label", 0, CLI_STRING, &f.process_label, NULL},
        {"apparmor", 0, CLI_IGNORE, NULL, NULL},
        {"no-new-privs", 0, CLI_BOOL, &f.no_new_privs, NULL},
        {"cap", 'c', CLI_STRV, &caps, NULL},
        {"preserve-fds", 0, CLI_INT, &o.preserve_fds, NULL},
        {"ignore-paused", 0, CLI_BOOL, &ignore_paused, NULL},
        {"cgroup", 0, CLI_STRV, &cgroups, NULL},
        {"pidfd-socket", 0, CLI_STRING, &pidfd_socket, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    brig_error err = NULL;
    uint64_t add_caps = 0;
    int idx, status = 0;

    idx = cli_parse_opts(g, argv[0], usage, opts, argc, argv, 1);
    if (idx < 0)
        return idx == CLI_HELP ? 0 : 1;
    o.id = cli_require_id(g, argv[0], argc, argv, idx, f.process_path != NULL);
    if (o.id == NULL)
        return 1;
    if (pidfd_socket != NULL)
        return cli_fail(g, "--pidfd-socket is not supported by brig-runtime yet");
    if (cgroups != NULL)
        brig_log(BRIG_LOG_WARNING, "exec --cgroup is not supported; the process joins the "
                                   "container's cgroup");
    for (char **c = caps; c && *c; c++) {
        int n = cap_number(*c);
        if (n < 0)
            return cli_fail(g, "--cap `%s`: unknown capability", *c);
        add_caps |= 1ULL << n;
    }
    f.env = env;
    f.gids = gids;

    if (f.process_path != NULL) {
        /* As runc: the file is the whole process; other process flags are
         * not merged into it, except --cap below. */
        if (process_from_file(g, f.process_path, &p) != 0)
            return 1;
        o.has_caps_override = p->has_caps;
    } else {
        idx++;
        if (idx < argc && strcmp(argv[idx], "--") == 0)
            idx++;
        if (idx >= argc)
            return cli_fail(g, "`exec` requires a command to run after the container id");
        if (process_from_args(g, &f, argv + idx, &p) != 0)
            return 1;
    }
    /* --cap adds to the bounding, effective and permitted sets (as runc
     * does); without has_caps_override the library starts from the
     * container's own sets, so the process gains exactly these. */
    if (add_caps != 0) {
        p->has_caps = true;
        p->caps.bounding |= add_caps;
        p->caps.effective |= add_caps;
        p->caps.permitted |= add_caps;
    }
    o.process = p;
    if (brig_container_exec(&o, &status, &err) < 0)
        return cli_fail_error(g, &err);
    return o.detach ? 0 : status;
}

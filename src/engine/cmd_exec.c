/* exec: a new process in a running container, with the container's own
 * confinement (label, caps, seccomp, cgroup) unless --privileged. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "ctr.h"
#include "run.h"
#include "sandbox/container.h"

int cmd_exec(struct engine *e, int argc, char **argv)
{
    static const struct option lo[] = {{"detach", no_argument, NULL, 'd'},
                                       {"interactive", no_argument, NULL, 'i'},
                                       {"tty", no_argument, NULL, 't'},
                                       {"user", required_argument, NULL, 'u'},
                                       {"workdir", required_argument, NULL, 'w'},
                                       {"env", required_argument, NULL, 'e'},
                                       {"privileged", no_argument, NULL, 'P'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
    bool detach = false, tty = false, privileged = false;
    const char *user = NULL, *workdir = NULL;
    _cleanup_strv_ char **env = NULL;
    _cleanup_ctr_ struct ctr *c = NULL;
    _cleanup_free_ char *path = NULL, *buf = NULL;
    _cleanup_close_ int rootfd = -1;
    struct brig_spec_process *proc = NULL;
    struct ctr_state st;
    brig_error err = NULL;
    json_object *cfg = NULL, *process, *args, *envj;
    size_t len;
    int ch, status = 0;

    opterr = 0;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "+ditu:w:e:", lo, NULL)) != -1) {
        switch (ch) {
        case 'd':
            detach = true;
            break;
        case 'i':
            break; /* stdin is always this process's own */
        case 't':
            tty = true;
            break;
        case 'u':
            user = optarg;
            break;
        case 'w':
            workdir = optarg;
            break;
        case 'e':
            brig_strv_append(&env, optarg);
            break;
        case 'P':
            privileged = true;
            break;
        case 'H':
            printf("Usage:  brig exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"
                   "Execute a command in a running container\n\nOptions:\n"
                   "  -d, --detach        Detached mode: run command in the background\n"
                   "  -e, --env list      Set environment variables\n"
                   "  -i, --interactive   Keep STDIN open\n"
                   "      --privileged    Give all capabilities to the command\n"
                   "  -t, --tty           Allocate a pseudo-TTY\n"
                   "  -u, --user string   Username or UID (format: <name|uid>[:<group|gid>])\n"
                   "  -w, --workdir string  Working directory inside the container\n");
            return 0;
        default:
            return engine_fail("exec: unknown flag: %s", argv[optind - 1]), 125;
        }
    }
    if (argc - optind < 2)
        return engine_fail("\"brig exec\" requires at least 2 arguments: CONTAINER COMMAND"), 125;
    if (ctr_open(e, argv[optind], &c, &err) < 0 || ctr_state_get(e, c, &st, &err) < 0)
        return engine_fail_status(125, &err);
    if (strcmp(st.status, "running") != 0) {
        ctr_state_clear(&st);
        return engine_fail("exec: container `%s` is not running", ctr_name(c)), 125;
    }
    ctr_state_clear(&st);

    path = brig_xasprintf("%s/bundle/config.json", c->dir);
    if (brig_read_file_at(AT_FDCWD, path, 16 << 20, &buf, &len, &err) < 0)
        return engine_fail_status(125, &err);
    cfg = json_tokener_parse(buf);
    if (cfg == NULL || !json_object_object_get_ex(cfg, "process", &process)) {
        json_object_put(cfg);
        return engine_fail("exec: `%s`: not valid JSON", path), 125;
    }
    args = json_object_new_array();
    for (int i = optind + 1; i < argc; i++)
        json_object_array_add(args, json_object_new_string(argv[i]));
    json_object_object_add(process, "args", args);
    json_object_object_add(process, "terminal", json_object_new_boolean(tty));
    json_object_object_del(process, "consoleSize");
    if (workdir)
        json_object_object_add(process, "cwd", json_object_new_string(workdir));
    if (json_object_object_get_ex(process, "env", &envj))
        for (char **v = env; v && *v; v++) {
            const char *val = *v;
            _cleanup_free_ char *kv = NULL;
            if (!strchr(val, '=')) {
                const char *h = getenv(val);
                if (!h)
                    continue;
                val = kv = brig_xasprintf("%s=%s", *v, h);
            }
            json_object_array_add(envj, json_object_new_string(val));
        }
    if (user) {
        _cleanup_free_ char *rootfs = brig_xasprintf("%s/bundle/rootfs", c->dir);
        rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0 || specgen_resolve_user(cfg, rootfd, user, &err) < 0) {
            json_object_put(cfg);
            if (err == NULL)
                brig_error_errno(&err, "open `%s`", rootfs);
            return engine_fail_status(125, &err);
        }
    }
    const char *txt = json_object_to_json_string_ext(process, JSON_C_TO_STRING_PLAIN);
    proc = brig_spec_process_load_data(txt, strlen(txt), &err);
    json_object_put(cfg);
    if (proc == NULL)
        return engine_fail_status(125, &err);
    if (privileged) {
        uint64_t all = engine_caps_all();
        proc->has_caps = true;
        proc->caps.bounding = proc->caps.effective = proc->caps.permitted = all;
    }
    struct brig_exec_opts eo = {
        .root = e->conf.run_root,
        .id = c->id,
        .process = proc,
        .has_caps_override = privileged,
        .detach = detach,
    };
    if (brig_container_exec(&eo, &status, &err) < 0) {
        brig_spec_process_free(proc);
        int code = 126;
        if (err && err->errnum == ENOENT)
            code = 127;
        return engine_fail_status(code, &err);
    }
    brig_spec_process_free(proc);
    return status;
}

/* run, create, start: docker's flags into a container, and its start. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "core/util.h"
#include "elabel.h"
#include "monitor.h"
#include "run.h"
#include "sandbox/container.h"

enum {
    OPT_RM = 1000,
    OPT_NAME,
    OPT_ENV_FILE,
    OPT_MOUNT,
    OPT_READ_ONLY,
    OPT_TMPFS,
    OPT_ENTRYPOINT,
    OPT_SECURITY_OPT,
    OPT_CAP_ADD,
    OPT_CAP_DROP,
    OPT_PRIVILEGED,
    OPT_CPUS,
    OPT_CPUSET_CPUS,
    OPT_PIDS_LIMIT,
    OPT_ULIMIT,
    OPT_NETWORK,
    OPT_STOP_SIGNAL,
    OPT_STOP_TIMEOUT,
    OPT_HELP,
};

static const struct option run_long[] = {
    {"detach", no_argument, NULL, 'd'},
    {"rm", no_argument, NULL, OPT_RM},
    {"name", required_argument, NULL, OPT_NAME},
    {"env", required_argument, NULL, 'e'},
    {"env-file", required_argument, NULL, OPT_ENV_FILE},
    {"workdir", required_argument, NULL, 'w'},
    {"user", required_argument, NULL, 'u'},
    {"hostname", required_argument, NULL, 'h'},
    {"volume", required_argument, NULL, 'v'},
    {"mount", required_argument, NULL, OPT_MOUNT},
    {"read-only", no_argument, NULL, OPT_READ_ONLY},
    {"tmpfs", required_argument, NULL, OPT_TMPFS},
    {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
    {"interactive", no_argument, NULL, 'i'},
    {"tty", no_argument, NULL, 't'},
    {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
    {"cap-add", required_argument, NULL, OPT_CAP_ADD},
    {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
    {"privileged", no_argument, NULL, OPT_PRIVILEGED},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"cpu-shares", required_argument, NULL, 'c'},
    {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
    {"memory", required_argument, NULL, 'm'},
    {"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
    {"ulimit", required_argument, NULL, OPT_ULIMIT},
    {"network", required_argument, NULL, OPT_NETWORK},
    {"net", required_argument, NULL, OPT_NETWORK},
    {"label", required_argument, NULL, 'l'},
    {"publish", required_argument, NULL, 'p'},
    {"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
    {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
    {"attach", required_argument, NULL, 'a'},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static void run_usage(const char *verb)
{
    printf("Usage:  brig %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
           "%s a new container from an image\n\nOptions:\n"
           "  -a, --attach list           Attach to STDIN, STDOUT or STDERR\n"
           "      --cap-add list          Add Linux capabilities (ALL for all)\n"
           "      --cap-drop list         Drop Linux capabilities (ALL for all)\n"
           "  -c, --cpu-shares int        CPU shares (relative weight)\n"
           "      --cpus decimal          Number of CPUs\n"
           "      --cpuset-cpus string    CPUs in which to allow execution (0-3, 0,1)\n"
           "  -d, --detach                Run container in background and print container ID\n"
           "      --entrypoint string     Overwrite the default ENTRYPOINT of the image\n"
           "  -e, --env list              Set environment variables\n"
           "      --env-file list         Read in a file of environment variables\n"
           "  -h, --hostname string       Container host name\n"
           "  -i, --interactive           Keep STDIN open even if not attached\n"
           "  -l, --label list            Set meta data on a container\n"
           "  -m, --memory bytes          Memory limit\n"
           "      --mount mount           Attach a filesystem mount (type=bind|tmpfs,...)\n"
           "      --name string           Assign a name to the container\n"
           "      --network string        none (default: own namespace, loopback) or host\n"
           "      --pids-limit int        Tune container pids limit (-1 for unlimited)\n"
           "      --privileged            Give extended privileges (implies label=disable)\n"
           "      --read-only             Mount the container's root filesystem as read only\n"
           "      --rm                    Automatically remove the container when it exits\n"
           "      --security-opt list     label=disable|type:T|level:L|user:U|role:R|filetype:T,\n"
           "                              label:type:T, seccomp=FILE|unconfined,\n"
           "                              no-new-privileges\n"
           "      --stop-signal string    Signal to stop the container (default SIGTERM)\n"
           "      --stop-timeout int      Timeout (in seconds) to stop a container\n"
           "      --tmpfs list            Mount a tmpfs directory (/run:size=64m)\n"
           "  -t, --tty                   Allocate a pseudo-TTY\n"
           "  -u, --user string           Username or UID (format: <name|uid>[:<group|gid>])\n"
           "      --ulimit ulimit         Ulimit options (nofile=1024:2048)\n"
           "  -v, --volume list           Bind mount a volume (SRC:DST[:ro|rw|z|Z])\n"
           "  -w, --workdir string        Working directory inside the container\n",
           verb, strcmp(verb, "run") == 0 ? "Create and run" : "Create");
}

void run_opts_clear(struct run_opts *o)
{
    char ***vs[] = {&o->env,           &o->env_files, &o->volumes,  &o->mounts,  &o->tmpfs,
                    &o->security_opts, &o->cap_add,   &o->cap_drop, &o->ulimits, &o->labels,
                    &o->publish,       &o->attach,    &o->args};
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(vs); i++) {
        brig_strv_free(*vs[i]);
        *vs[i] = NULL;
    }
}

/* --cap-add a,b is two capabilities, as docker takes it */
static void append_split(char ***v, const char *arg)
{
    _cleanup_free_ char *copy = brig_xstrdup(arg);
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        brig_strv_append(v, t);
}

int run_opts_parse(struct run_opts *o, bool is_run, int argc, char **argv, int *ret_status)
{
    const char *verb = argv[0];
    int ch;

    opterr = 0;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "+de:w:u:h:v:ite:c:m:l:p:a:", run_long, NULL)) != -1) {
        switch (ch) {
        case 'd':
            o->detach = true;
            break;
        case OPT_RM:
            o->rm = true;
            break;
        case OPT_NAME:
            o->name = optarg;
            break;
        case 'e':
            brig_strv_append(&o->env, optarg);
            break;
        case OPT_ENV_FILE:
            brig_strv_append(&o->env_files, optarg);
            break;
        case 'w':
            o->workdir = optarg;
            break;
        case 'u':
            o->user = optarg;
            break;
        case 'h':
            o->hostname = optarg;
            break;
        case 'v':
            brig_strv_append(&o->volumes, optarg);
            break;
        case OPT_MOUNT:
            brig_strv_append(&o->mounts, optarg);
            break;
        case OPT_READ_ONLY:
            o->read_only = true;
            break;
        case OPT_TMPFS:
            brig_strv_append(&o->tmpfs, optarg);
            break;
        case OPT_ENTRYPOINT:
            o->entrypoint = optarg;
            o->entrypoint_set = true;
            break;
        case 'i':
            o->interactive = true;
            break;
        case 't':
            o->tty = true;
            break;
        case OPT_SECURITY_OPT:
            brig_strv_append(&o->security_opts, optarg);
            break;
        case OPT_CAP_ADD:
            append_split(&o->cap_add, optarg);
            break;
        case OPT_CAP_DROP:
            append_split(&o->cap_drop, optarg);
            break;
        case OPT_PRIVILEGED:
            o->privileged = true;
            break;
        case OPT_CPUS:
            o->cpus = optarg;
            break;
        case 'c':
            o->cpu_shares = optarg;
            break;
        case OPT_CPUSET_CPUS:
            o->cpuset_cpus = optarg;
            break;
        case 'm':
            o->memory = optarg;
            break;
        case OPT_PIDS_LIMIT:
            o->pids_limit = optarg;
            break;
        case OPT_ULIMIT:
            brig_strv_append(&o->ulimits, optarg);
            break;
        case OPT_NETWORK:
            o->network = optarg;
            break;
        case 'l':
            brig_strv_append(&o->labels, optarg);
            break;
        case 'p':
            brig_strv_append(&o->publish, optarg);
            break;
        case OPT_STOP_SIGNAL:
            o->stop_signal = optarg;
            break;
        case OPT_STOP_TIMEOUT:
            o->stop_timeout = optarg;
            break;
        case 'a':
            brig_strv_append(&o->attach, optarg);
            break;
        case OPT_HELP:
            run_usage(verb);
            *ret_status = 0;
            return 1;
        case ':':
            *ret_status = engine_fail("%s: flag needs an argument: %s", verb, argv[optind - 1]);
            *ret_status = 125;
            return 1;
        default:
            if (optopt && optopt < 256)
                engine_fail("%s: unknown shorthand flag: '%c' in %s", verb, optopt,
                            argv[optind - 1]);
            else
                engine_fail("%s: unknown flag: %s", verb, argv[optind - 1]);
            *ret_status = 125;
            return 1;
        }
    }
    if (optind >= argc) {
        engine_fail("\"brig %s\" requires at least 1 argument: the image (see 'brig %s --help')",
                    verb, verb);
        *ret_status = 125;
        return 1;
    }
    if (o->stop_timeout) {
        int64_t t;
        if (brig_parse_i64(o->stop_timeout, &t) < 0 || t < -1) {
            engine_fail("%s: --stop-timeout `%s`: not a number of seconds", verb, o->stop_timeout);
            *ret_status = 125;
            return 1;
        }
    }
    if (o->detach && o->rm && !is_run) {
        /* create --rm is fine; nothing to check */
    }
    o->image = argv[optind];
    for (int i = optind + 1; i < argc; i++)
        brig_strv_append(&o->args, argv[i]);
    return 0;
}

/* ---- create ---- */

static int ctr_create(struct engine *e, const struct run_opts *o, struct ctr **ret,
                      brig_error *reterr)
{
    struct brig_image_store *store;
    struct brig_image *img = NULL;
    struct ctr *c = NULL;
    _cleanup_free_ char *created = brig_now_rfc3339(), *imgid = NULL, *logpath = NULL;
    int r = -1;

    if (engine_images(e, &store, reterr) < 0 || brig_image_get(store, o->image, &img, reterr) < 0)
        return -1;
    if (ctr_new(e, o->name, &c, reterr) < 0)
        goto out;
    imgid = brig_xasprintf("sha256:%s", img->id);
    json_object_object_add(c->rec, "Created", json_object_new_string(created));
    json_object_object_add(c->rec, "Image", json_object_new_string(imgid));
    json_object_object_add(c->rec, "ImageName", json_object_new_string(o->image));
    logpath = brig_xasprintf("%s/ctr.log", c->dir);
    json_object_object_add(c->rec, "LogPath", json_object_new_string(logpath));
    json_object_object_add(c->rec, "Driver", json_object_new_string("overlay"));
    json_object_object_add(c->rec, "RestartCount", json_object_new_int(0));
    if (storage_prepare(e, c, img, reterr) < 0 || specgen_create(e, c, img, o, reterr) < 0 ||
        ctr_save(c, reterr) < 0) {
        _cleanup_error_ brig_error ignored = NULL;
        (void)ctr_remove(e, c, &ignored);
        ctr_free(c);
        c = NULL;
        goto out;
    }
    *ret = c;
    r = 0;
out:
    brig_image_free(img);
    return r;
}

/* ---- start ---- */

struct start_ctx {
    struct engine *e;
    struct ctr *c;
    char *trash; /* --rm: the directory left to empty */
};

/* In the monitor, after the runtime container is gone. */
static void start_cleanup(void *data, int exit_code)
{
    struct start_ctx *sc = data;
    (void)exit_code;
    storage_unmount(sc->c);
    if (ctr_get_bool(sc->c, "HostConfig.AutoRemove")) {
        /* The monitor closed every fd it did not own: open the stores again. */
        _cleanup_error_ brig_error ignored = NULL;
        if (engine_open(sc->e, &ignored) == 0)
            (void)ctr_remove_detach(sc->e, sc->c, &sc->trash, &ignored);
    }
}

/* --rm: the files go once `run` has its exit code (~1 ms on ext4). */
static void start_after_report(void *data)
{
    struct start_ctx *sc = data;
    if (sc->trash)
        ctr_trash_remove(sc->e, sc->trash);
}

/* In the caller, once the monitor owns the running container: an attached
 * `run` or `start -a` must not keep `stop`, `kill` or `rm -f` from another
 * shell waiting on the lock for as long as the container runs. */
static void start_running(void *data)
{
    struct start_ctx *sc = data;
    ctr_unlock(sc->c);
}

static int config_load(struct ctr *c, json_object **ret, brig_error *reterr)
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

static int config_save(struct ctr *c, json_object *config, brig_error *reterr)
{
    _cleanup_free_ char *path = brig_xasprintf("%s/bundle/config.json", c->dir);
    const char *txt = json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
    return brig_write_file_atomic_at(AT_FDCWD, path, txt, strlen(txt), 0600, reterr);
}

int ctr_start(struct engine *e, struct ctr *c, const struct start_opts *so, int *ret_exit_code,
              brig_error *reterr)
{
    struct ctr_state st;
    struct elabel lab = {0};
    json_object *config = NULL;
    _cleanup_free_ char *now = NULL, *bundle = brig_xasprintf("%s/bundle", c->dir);
    _cleanup_close_ int rootfd = -1;
    static struct start_ctx sc; /* read by the monitor after fork */
    struct monitor_opts mo = {0};
    bool mounted = false;
    int r = -1;

    if (ctr_lock(c, reterr) < 0)
        return -1;
    if (ctr_state_get(e, c, &st, reterr) < 0)
        return -1;
    if (strcmp(st.status, "running") == 0 || strcmp(st.status, "paused") == 0 ||
        (strcmp(st.status, "created") == 0 && st.monitor_alive)) {
        ctr_state_clear(&st);
        if (so->attach)
            return brig_error_set(reterr, 0, "container `%s` is already running", ctr_name(c));
        return 0; /* docker: starting a running container is a no-op */
    }
    ctr_state_clear(&st);

    /* What a killed monitor may have left: runtime state, a mount. */
    if (brig_state_exists(e->run_fd, c->id)) {
        _cleanup_error_ brig_error ignored = NULL;
        (void)brig_container_delete(e->conf.run_root, c->id, true, &ignored);
    }
    monitor_clear_exit(c->dir);

    if (c->config)
        config = TAKE_PTR(c->config);
    else if (config_load(c, &config, reterr) < 0)
        goto out;
    if (elabel_setup(e, c, config, &lab, reterr) < 0)
        goto out;
    if (storage_mount(e, c, lab.mount_label, reterr) < 0)
        goto out;
    mounted = true;
    {
        _cleanup_free_ char *rootfs = brig_xasprintf("%s/rootfs", bundle);
        rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
            brig_error_errno(reterr, "open rootfs `%s`", rootfs);
            goto out;
        }
    }
    if (specgen_resolve_user(config, rootfd, ctr_get_str(c, "Config.User"), reterr) < 0)
        goto out;
    /* Not held while the container runs: the monitor's lazy unmount frees
     * the overlay when the last reference goes, and that must be the
     * monitor's (before it reports the exit), not ours after it. */
    close(TAKE_FD(rootfd));
    if (config_save(c, config, reterr) < 0)
        goto out;

    now = brig_now_rfc3339();
    {
        json_object *state = json_object_new_object();
        json_object_object_add(state, "StartedAt", json_object_new_string(now));
        json_object_object_add(c->rec, "State", state);
        json_object_object_add(c->rec, "ProcessLabel",
                               json_object_new_string(lab.process_label ? lab.process_label : ""));
        json_object_object_add(c->rec, "MountLabel",
                               json_object_new_string(lab.mount_label ? lab.mount_label : ""));
    }
    if (ctr_save(c, reterr) < 0)
        goto out;

    sc.e = e;
    sc.c = c;
    sc.trash = NULL;
    mo.run_root = e->conf.run_root;
    mo.id = c->id;
    mo.bundle = bundle;
    mo.ctr_dir = c->dir;
    mo.tty = ctr_get_bool(c, "Config.Tty");
    mo.open_stdin = so->interactive && ctr_get_bool(c, "Config.OpenStdin");
    mo.attach = so->attach;
    mo.log_max_size = e->conf.log_max_size;
    mo.log_max_files = e->conf.log_max_files;
    mo.cleanup = start_cleanup;
    mo.cleanup_data = &sc;
    mo.after_report = start_after_report;
    mo.running = start_running;
    mo.reap = so->prime;
    /* The monitor owns the container from here on. */
    r = monitor_start(&mo, ret_exit_code, reterr);
    if (r < 0)
        brig_error_wrap(reterr, "start container `%s`", ctr_name(c));
out:
    if (r < 0) {
        if (mounted)
            storage_unmount(c);
        elabel_undo(e, c, &lab);
    }
    elabel_clear(&lab);
    json_object_put(config);
    return r;
}

int cmd_create(struct engine *e, int argc, char **argv)
{
    struct run_opts o = {0};
    brig_error err = NULL;
    struct ctr *c = NULL;
    int status = 0;

    if (run_opts_parse(&o, false, argc, argv, &status) != 0) {
        run_opts_clear(&o);
        return status;
    }
    if (ctr_create(e, &o, &c, &err) < 0) {
        run_opts_clear(&o);
        return engine_fail_status(125, &err);
    }
    printf("%s\n", c->id);
    ctr_free(c);
    run_opts_clear(&o);
    return 0;
}

int cmd_run(struct engine *e, int argc, char **argv)
{
    struct run_opts o = {0};
    brig_error err = NULL;
    struct ctr *c = NULL;
    struct start_opts so = {0};
    int status = 0, code = 0, r;

    if (run_opts_parse(&o, true, argc, argv, &status) != 0) {
        run_opts_clear(&o);
        return status;
    }
    /* The kernel's wait before the first cgroup move (cgroup_enter.c)
     * passes while we create. */
    so.prime = brig_cgroup_prime();
    if (ctr_create(e, &o, &c, &err) < 0) {
        brig_cgroup_prime_reap(so.prime);
        run_opts_clear(&o);
        return engine_fail_status(125, &err);
    }
    so.attach = !o.detach;
    so.interactive = o.interactive;
    r = ctr_start(e, c, &so, &code, &err);
    brig_cgroup_prime_reap(so.prime); /* if the start failed before the monitor did it */
    if (r < 0) {
        /* A run that could not start leaves nothing (docker keeps a
         * "Created" container; the bad-input rule wins). */
        {
            _cleanup_error_ brig_error ignored = NULL;
            ctr_unlock(c);
            (void)ctr_destroy(e, c, true, &ignored);
        }
        ctr_free(c);
        run_opts_clear(&o);
        /* 127: command not found, 126: cannot invoke, as docker */
        /* The monitor reports the library's error as text: its errno is
         * gone, so read the reason the way docker's users see it. */
        status = 125;
        if (err && strstr(err->msg, "exec `") &&
            (strstr(err->msg, "not found") || strstr(err->msg, "No such file")))
            status = 127;
        else if (err && strstr(err->msg, "exec `") &&
                 (strstr(err->msg, "Permission denied") || strstr(err->msg, "Exec format")))
            status = 126;
        return engine_fail_status(status, &err);
    }
    if (o.detach)
        printf("%s\n", c->id);
    ctr_free(c);
    run_opts_clear(&o);
    return o.detach ? 0 : code;
}

int cmd_start(struct engine *e, int argc, char **argv)
{
    static const struct option lo[] = {{"attach", no_argument, NULL, 'a'},
                                       {"interactive", no_argument, NULL, 'i'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
    struct start_opts so = {0};
    int ch, status = 0;

    opterr = 0;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "+ai", lo, NULL)) != -1) {
        switch (ch) {
        case 'a':
            so.attach = true;
            break;
        case 'i':
            so.interactive = true;
            break;
        case 'H':
            printf("Usage:  brig start [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                   "Start one or more stopped containers\n\nOptions:\n"
                   "  -a, --attach        Attach STDOUT/STDERR and forward signals\n"
                   "  -i, --interactive   Attach container's STDIN\n");
            return 0;
        default:
            return engine_fail("start: unknown flag: %s", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return engine_fail("\"brig start\" requires at least 1 argument");
    if (so.attach && argc - optind > 1)
        return engine_fail("start: you cannot attach to more than one container at once");
    so.prime = brig_cgroup_prime(); /* as in cmd_run */
    for (int i = optind; i < argc; i++) {
        _cleanup_ctr_ struct ctr *c = NULL;
        brig_error err = NULL;
        int code = 0;
        if (ctr_open(e, argv[i], &c, &err) < 0 || ctr_start(e, c, &so, &code, &err) < 0) {
            status = engine_fail_error(&err);
            continue;
        }
        brig_cgroup_prime_reap(so.prime); /* reaped by that start, or not needed */
        so.prime = -1;
        if (so.attach)
            return code;
        printf("%s\n", argv[i]);
    }
    brig_cgroup_prime_reap(so.prime); /* when every start failed */
    return status;
}

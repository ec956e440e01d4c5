/* stop, kill, rm, wait, pause, unpause, rename. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "monitor.h"
#include "run.h"
#include "sandbox/container.h"
#include "selinux/context.h"
#include "selinux/mcs.h"
#include "state/state.h"

static bool state_is_live(struct engine *e, struct ctr *c)
{
    struct ctr_state st;
    _cleanup_error_ brig_error err = NULL;
    bool live;
    if (ctr_state_get(e, c, &st, &err) < 0)
        return false;
    live = strcmp(st.status, "running") == 0 || strcmp(st.status, "paused") == 0 ||
           (strcmp(st.status, "created") == 0 && st.monitor_alive);
    ctr_state_clear(&st);
    return live;
}

/* After the container's process is gone: make sure the runtime state, the
 * mount and the level are gone too, whether or not the monitor lived to do
 * it (kill -9 of the monitor must not leak them). */
static void ctr_reap(struct engine *e, struct ctr *c)
{
    _cleanup_error_ brig_error ignored = NULL;
    /* The monitor records the exit first and deletes the runtime state
     * (cgroup, level) after: wait for it to be gone, not just the record. */
    for (int i = 0; i < 1000 && monitor_pid(c->dir) > 0; i++) {
        if (i == 0)
            (void)monitor_wait_done(c->dir, 10000);
        else
            usleep(10000);
    }
    if (brig_state_exists(e->run_fd, c->id))
        (void)brig_container_delete(e->conf.run_root, c->id, true, &ignored);
    storage_unmount(c);
    /* Every level it holds, not only the recorded one: a start killed
     * between allocating a pair and saving the record left one unnamed. */
    brig_error_free(&ignored);
    (void)brig_mcs_release_owner(e->run_fd, c->id, &ignored);
}

/* Wait for the container to stop, up to timeout_ms (< 0: forever). */
static bool wait_stopped(struct engine *e, struct ctr *c, int timeout_ms)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (!state_is_live(e, c))
            return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long el = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (timeout_ms >= 0 && el >= timeout_ms)
            return false;
        /* the monitor records the exit; poll with it if it lives */
        if (monitor_pid(c->dir) > 0)
            (void)monitor_wait_done(
                c->dir,
                timeout_ms < 0 ? 1000 : (int)(timeout_ms - el < 1000 ? timeout_ms - el : 1000));
        else
            usleep(20000);
    }
}

static int ctr_stop(struct engine *e, struct ctr *c, int timeout, brig_error *reterr)
{
    const char *sigs = ctr_get_str(c, "Config.StopSignal");
    int sig = sigs ? engine_signal_parse(sigs) : SIGTERM;
    if (!state_is_live(e, c)) {
        ctr_reap(e, c);
        return 0;
    }
    if (sig <= 0)
        sig = SIGTERM;
    if (timeout != 0) {
        _cleanup_error_ brig_error ignored = NULL;
        (void)brig_container_kill(e->conf.run_root, c->id, sig, false, &ignored);
        if (wait_stopped(e, c, timeout < 0 ? -1 : timeout * 1000)) {
            ctr_reap(e, c);
            return 0;
        }
    }
    if (brig_container_kill(e->conf.run_root, c->id, SIGKILL, true, reterr) < 0 &&
        state_is_live(e, c))
        return brig_error_wrap(reterr, "stop container `%s`", ctr_name(c));
    wait_stopped(e, c, 30000);
    ctr_reap(e, c);
    return 0;
}

int ctr_destroy(struct engine *e, struct ctr *c, bool force, brig_error *reterr)
{
    if (ctr_lock(c, reterr) < 0)
        return -1;
    if (state_is_live(e, c)) {
        if (!force)
            return brig_error_set(reterr, 0,
                                  "cannot remove container `%s`: container is running: stop the "
                                  "container before removing or force remove (rm -f)",
                                  ctr_name(c));
        if (ctr_stop(e, c, 0, reterr) < 0)
            return -1;
    }
    ctr_reap(e, c);
    return ctr_remove(e, c, reterr);
}

typedef int (*each_fn)(struct engine *e, struct ctr *c, void *data, brig_error *reterr);

/* Apply fn to each named container; docker's habit: print the name on
 * success, an error line per failure, exit 1 if any failed. */
static int for_each(struct engine *e, int argc, char **argv, int first, each_fn fn, void *data,
                    bool print)
{
    int status = 0;
    if (first >= argc)
        return engine_fail("\"brig %s\" requires at least 1 argument", argv[0]);
    for (int i = first; i < argc; i++) {
        _cleanup_ctr_ struct ctr *c = NULL;
        brig_error err = NULL;
        if (ctr_open(e, argv[i], &c, &err) < 0 || fn(e, c, data, &err) < 0) {
            status = engine_fail_error(&err);
            continue;
        }
        if (print)
            printf("%s\n", argv[i]);
        fflush(stdout);
    }
    return status;
}

static int simple_opts(int argc, char **argv, const char *shorts, const struct option *lo,
                       const char *usage, int (*on)(int ch, const char *arg, void *d), void *d,
                       int *ret_first)
{
    int ch;
    opterr = 0;
    optind = 0;
    while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
        if (ch == 'H') {
            printf("%s", usage);
            return 0;
        }
        if (ch == '?' || ch == ':' || on == NULL || on(ch, optarg, d) < 0) {
            if (ch == '?' || ch == ':')
                engine_fail("%s: unknown flag or missing value: %s", argv[0], argv[optind - 1]);
            return 1;
        }
    }
    *ret_first = optind;
    return -1;
}

/* ---- stop ---- */

static int stop_opt(int ch, const char *arg, void *d)
{
    int64_t t;
    if (brig_parse_i64(arg, &t) < 0 || t < -1)
        return engine_fail("stop: --time `%s`: not a number of seconds", arg), -1;
    *(int *)d = (int)t;
    return 0;
}

static int stop_one(struct engine *e, struct ctr *c, void *data, brig_error *reterr)
{
    int t = *(int *)data;
    json_object *st = ctr_get(c, "Config.StopTimeout");
    if (t == -2)
        t = st ? json_object_get_int(st) : 10;
    return ctr_stop(e, c, t, reterr);
}

int cmd_stop(struct engine *e, int argc, char **argv)
{
    static const struct option lo[] = {{"time", required_argument, NULL, 't'},
                                       {"timeout", required_argument, NULL, 't'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
    int t = -2, first, r;
    r = simple_opts(argc, argv, "+t:", lo,
                    "Usage:  brig stop [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                    "Stop one or more running containers\n\nOptions:\n"
                    "  -t, --time int   Seconds to wait before killing it (default 10)\n",
                    stop_opt, &t, &first);
    if (r >= 0)
        return r;
    return for_each(e, argc, argv, first, stop_one, &t, true);
}

/* ---- kill ---- */

static int kill_opt(int ch, const char *arg, void *d)
{
    int s = engine_signal_parse(arg);
    if (s < 0)
        return engine_fail("kill: --signal `%s`: unknown signal", arg), -1;
    *(int *)d = s;
    return 0;
}

static int kill_one(struct engine *e, struct ctr *c, void *data, brig_error *reterr)
{
    if (!state_is_live(e, c))
        return brig_error_set(reterr, 0, "cannot kill container `%s`: container is not running",
                              ctr_name(c));
    return brig_container_kill(e->conf.run_root, c->id, *(int *)data, false, reterr);
}

int cmd_kill(struct engine *e, int argc, char **argv)
{
    static const struct option lo[] = {{"signal", required_argument, NULL, 's'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
    int sig = SIGKILL, first, r;
    r = simple_opts(argc, argv, "+s:", lo,
                    "Usage:  brig kill [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                    "Kill one or more running containers\n\nOptions:\n"
                    "  -s, --signal string   Signal to send to the container (default KILL)\n",
                    kill_opt, &sig, &first);
    if (r >= 0)
        return r;
    return for_each(e, argc, argv, first, kill_one, &sig, true);
}

/* ---- rm ---- */

static int rm_opt(int ch, const char *arg, void *d)
{
    if (ch == 'f')
        *(bool *)d = true;
    return 0; /* -v: brig has no anonymous volumes to remove */
}

static int rm_one(struct engine *e, struct ctr *c, void *data, brig_error *reterr)
{
    return ctr_destroy(e, c, *(bool *)data, reterr);
}

int cmd_rm(struct engine *e, int argc, char **argv)
{
    static const struct option lo[] = {{"force", no_argument, NULL, 'f'},
                                       {"volumes", no_argument, NULL, 'v'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
    bool force = false;
    int first, r;
    r = simple_opts(argc, argv, "+fv", lo,
                    "Usage:  brig rm [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                    "Remove one or more containers\n\nOptions:\n"
                    "  -f, --force     Force the removal of a running container (uses SIGKILL)\n"
                    "  -v, --volumes   Remove anonymous volumes (brig makes none)\n",
                    rm_opt, &force, &first);
    if (r >= 0)
        return r;
    return for_each(e, argc, argv, first, rm_one, &force, true);
}

/* ---- wait ---- */

static int wait_one(struct engine *e, struct ctr *c, void *data, brig_error *reterr)
{
    struct ctr_state st;
    wait_stopped(e, c, -1);
    if (monitor_pid(c->dir) > 0)
        (void)monitor_wait_done(c->dir, 10000);
    if (ctr_state_get(e, c, &st, reterr) < 0)
        return -1;
    printf("%d\n", st.exit_code);
    ctr_state_clear(&st);
    return 0;
}

int cmd_wait(struct engine *e, int argc, char **argv)
{
    static const struct option lo[] = {{"help", no_argument, NULL, 'H'}, {NULL, 0, NULL, 0}};
    int first, r;
    r = simple_opts(argc, argv, "+", lo,
                    "Usage:  brig wait CONTAINER [CONTAINER...]\n\n"
                    "Block until one or more containers stop, then print their exit codes\n",
                    NULL, NULL, &first);
    if (r >= 0)
        return r;
    return for_each(e, argc, argv, first, wait_one, NULL, false);
}

/* ---- pause / unpause ---- */

static int pause_one(struct engine *e, struct ctr *c, void *data, brig_error *reterr)
{
    struct ctr_state st;
    bool pause = data != NULL;
    const char *want = pause ? "running" : "paused";
    if (ctr_state_get(e, c, &st, reterr) < 0)
        return -1;
    if (strcmp(st.status, want) != 0) {
        brig_error_set(reterr, 0, "container `%s` is %s, not %s", ctr_name(c), st.status, want);
        ctr_state_clear(&st);
        return -1;
    }
    ctr_state_clear(&st);
    return pause ? brig_container_pause(e->conf.run_root, c->id, reterr)
                 : brig_container_resume(e->conf.run_root, c->id, reterr);
}

int cmd_pause(struct engine *e, int argc, char **argv)
{
    static const struct option lo[] = {{"help", no_argument, NULL, 'H'}, {NULL, 0, NULL, 0}};
    int first, r;
    r = simple_opts(argc, argv, "+", lo,
                    "Usage:  brig pause CONTAINER [CONTAINER...]\n\n"
                    "Pause all processes within one or more containers (cgroup freezer)\n",
                    NULL, NULL, &first);
    if (r >= 0)
        return r;
    return for_each(e, argc, argv, first, pause_one, (void *)1, true);
}

int cmd_unpause(struct engine *e, int argc, char **argv)
{
    static const struct option lo[] = {{"help", no_argument, NULL, 'H'}, {NULL, 0, NULL, 0}};
    int first, r;
    r = simple_opts(argc, argv, "+", lo,
                    "Usage:  brig unpause CONTAINER [CONTAINER...]\n\n"
                    "Unpause all processes within one or more containers\n",
                    NULL, NULL, &first);
    if (r >= 0)
        return r;
    return for_each(e, argc, argv, first, pause_one, NULL, true);
}

/* ---- rename ---- */

int cmd_rename(struct engine *e, int argc, char **argv)
{
    static const struct option lo[] = {{"help", no_argument, NULL, 'H'}, {NULL, 0, NULL, 0}};
    _cleanup_ctr_ struct ctr *c = NULL;
    brig_error err = NULL;
    int first, r;
    r = simple_opts(argc, argv, "+", lo,
                    "Usage:  brig rename CONTAINER NEW_NAME\n\nRename a container\n", NULL, NULL,
                    &first);
    if (r >= 0)
        return r;
    if (argc - first != 2)
        return engine_fail("\"brig rename\" requires exactly 2 arguments: CONTAINER NEW_NAME");
    if (ctr_open(e, argv[first], &c, &err) < 0 || ctr_lock(c, &err) < 0 ||
        ctr_rename(e, c, argv[first + 1], &err) < 0)
        return engine_fail_error(&err);
    return 0;
}

/* The monitor: one small process per running container, conmon's job.
 *
 * `brig start`/`brig run` fork it (twice, with setsid, so it survives brig
 * being killed at any point).  The monitor:
 *   - creates and starts the container through libbrig, so the container's
 *     init is its child and its exit status is ours to collect;
 *   - owns the container's stdio: pipes (or the pty master with -t), copied
 *     into the log (logfile.h) and, while a client is attached, to that
 *     client's own stdout/stderr, with the client's stdin copied in (-i);
 *   - when the init exits: records exit.json (exit code, time, OOM) with an
 *     atomic rename, deletes the runtime container (cgroup, MCS pair), then
 *     calls `cleanup` (unmount the rootfs; remove everything for --rm), and
 *     tells an attached client the exit code.
 * Whatever the monitor could not do is reported to the client that started
 * it, as one line, before that client returns: "start container `web`:
 * exec `/bin/nosuch`: No such file or directory".
 *
 * Records in ctr_dir:
 *   monitor.pid  "PID STARTTIME": written before the container is created
 *                and removed as the monitor's last act, so from the moment a
 *                container may exist its monitor is visible (monitor_pid);
 *   exit.json    {"ExitCode":N,"FinishedAt":"...","OOMKilled":B}, atomic;
 *   ctr.log*     the json-file log (logfile.h).
 * The monitor runs as "brig-monitor" (comm) in a session of its own; it
 * keeps none of the caller's fds but 0-2 (attached only), so a lock or
 * store fd the caller holds is not held for the container's life: the
 * cleanup callback must reopen what it needs. */
#ifndef BRIG_ENGINE_MONITOR_H
#define BRIG_ENGINE_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

struct monitor_opts {
    const char *run_root; /* libbrig's state root */
    const char *id;       /* runtime container id (= engine id) */
    const char *bundle;   /* holds config.json; rootfs already mounted */
    const char *ctr_dir;  /* STORAGE/containers/<id>: logs, exit.json, monitor.pid */
    bool tty;             /* -t: config.json has process.terminal */
    bool open_stdin;      /* -i: keep stdin open (from the attached client) */
    bool attach;          /* copy output to this process's stdout/stderr and
                           * (with open_stdin) this process's stdin in; relay
                           * SIGWINCH; proxy signals to the container */
    uint64_t log_max_size;
    unsigned log_max_files;
    /* Run in the monitor (a forked copy of the caller: its memory, none of
     * its fds >= 3) after exit.json is written and the runtime container
     * is deleted, before an attached caller hears the exit code.  Not run
     * when the container could not be started: monitor_start returns -1
     * and the caller undoes its own work. */
    void (*cleanup)(void *data, int exit_code);
    void *cleanup_data;
    /* Then, after the caller was told the exit code (it may be gone): work
     * nobody waits for.  May be NULL. */
    void (*after_report)(void *data);
    /* In the caller, once the monitor said the container runs (before an
     * attached caller starts relaying): what the caller holds only until
     * then, such as the container's lock.  May be NULL. */
    void (*running)(void *data);
    /* A child of the caller to reap once the container runs (by then it
     * has exited), or -1. */
    pid_t reap;
};

/* Start the monitor and, through it, the container.  Detached (attach
 * false): returns 0 once the container's process runs.  Attached: returns
 * once the container exited, with its exit code (128+N for a signal) in
 * *ret_exit_code; SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 reaching
 * this process are sent on to the container (docker's --sig-proxy), and a
 * terminal on stdin is put in raw mode for -t with -i (then ^C is a byte for
 * the container's terminal) and restored on every way out.
 * If this process dies the container and its logging go on. */
int monitor_start(const struct monitor_opts *o, int *ret_exit_code, brig_error *reterr);

/* What the monitor recorded when the container exited. */
struct monitor_exit {
    int exit_code;     /* 128+N when killed by signal N */
    char *finished_at; /* RFC 3339 */
    bool oom_killed;
};
/* Read ctr_dir/exit.json; returns 0 and fills ret, or 1 when there is none
 * (never exited, or the monitor died before it could record), -1 on error. */
int monitor_read_exit(const char *ctr_dir, struct monitor_exit *ret, brig_error *reterr);
void monitor_exit_clear(struct monitor_exit *x);
/* Remove exit.json (a new start). */
void monitor_clear_exit(const char *ctr_dir);
/* The monitor's pid from ctr_dir/monitor.pid if it still runs, else 0. */
pid_t monitor_pid(const char *ctr_dir);
/* Wait until the monitor has finished: exit.json written, runtime container
 * deleted, cleanup run, process gone (or never there: monitor_pid() is 0).
 * Waits on a pidfd, no polling; timeout_ms < 0 waits forever.  Returns 0,
 * or 1 on timeout. */
int monitor_wait_done(const char *ctr_dir, int timeout_ms);

#endif

/* Container lifecycle: what both CLIs call.  Every function takes the
 * runtime root (state directory, default /run/brig) and a container id,
 * never prints, never exits, and returns -1 with *reterr set on failure.
 * A failed create leaves nothing behind: no process, mount, cgroup or
 * state directory. */
#ifndef BRIG_CONTAINER_H
#define BRIG_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/error.h"
#include "spec/spec.h"
#include "state/state.h"

struct brig_create_opts {
    const char *root; /* state root */
    const char *id;
    const char *bundle;         /* directory holding config.json; NULL = cwd */
    const char *config_path;    /* override bundle/config.json (exec --process style); NULL */
    const char *pid_file;       /* write the init pid here; NULL */
    const char *console_socket; /* AF_UNIX path; the pty master is sent there */
    bool no_pivot;
    bool no_new_keyring;
    int preserve_fds; /* fds 3 .. 3+N-1 are passed to the container */
    bool systemd_cgroup;
};

/* create: the init is set up and waits (exec.fifo) for start. */
int brig_container_create(const struct brig_create_opts *o, brig_error *reterr);
/* start: release the init so it execs the user process; run poststart hooks. */
int brig_container_start(const char *root, const char *id, brig_error *reterr);

/* run = create + start.  Attached (detach false): forward signals to the
 * init, wait, delete unless keep, and return the exit status as the shell
 * would (128+signal).  Detached: return 0 once started. */
struct brig_run_opts {
    struct brig_create_opts create;
    bool detach;
    bool keep;
};
int brig_container_run(const struct brig_run_opts *o, int *ret_status, brig_error *reterr);

/* kill: one signal to the init, or with `all` to every process in its cgroup. */
int brig_container_kill(const char *root, const char *id, int sig, bool all, brig_error *reterr);
/* delete: refuse unless stopped (or created), unless force (then SIGKILL all
 * and wait).  Runs poststop hooks, removes cgroup, mounts and state. */
int brig_container_delete(const char *root, const char *id, bool force, brig_error *reterr);
/* state: the OCI state JSON (caller frees). */
int brig_container_state(const char *root, const char *id, char **ret_json, brig_error *reterr);
int brig_container_pause(const char *root, const char *id, brig_error *reterr);
int brig_container_resume(const char *root, const char *id, brig_error *reterr);
int brig_container_ps(const char *root, const char *id, pid_t **ret_pids, size_t *ret_n,
                      brig_error *reterr);
int brig_container_update(const char *root, const char *id, const struct brig_spec_resources *res,
                          brig_error *reterr);

struct brig_container_info {
    char *id;
    pid_t pid; /* 0 when stopped */
    enum brig_status status;
    char *bundle;
    char *created;
    char *owner;
};
/* Every container under root, sorted by id; an unreadable entry is skipped. */
int brig_container_list(const char *root, struct brig_container_info **ret, size_t *ret_n,
                        brig_error *reterr);
void brig_container_info_free(struct brig_container_info *v, size_t n);

/* exec: a new process inside a running container.  The process comes from
 * `process` (parsed from --process FILE or built from args by the CLI). */
struct brig_exec_opts {
    const char *root;
    const char *id;
    struct brig_spec_process *process; /* required */
    bool has_caps_override;            /* --cap given: process->caps used as is */
    const char *console_socket;
    const char *pid_file;
    bool detach;
    int preserve_fds;
};
/* Attached: returns the exit status (128+signal on a signal).  Detached: 0. */
int brig_container_exec(const struct brig_exec_opts *o, int *ret_status, brig_error *reterr);

/* Features JSON (`brig-runtime features`), per the runtime-spec's features.md. */
char *brig_features_json(void);

/* Optional log callback: libbrig never prints; warnings go here. */
typedef void (*brig_log_fn)(int level, const char *msg, void *data);
enum { BRIG_LOG_ERROR = 0, BRIG_LOG_WARNING, BRIG_LOG_INFO, BRIG_LOG_DEBUG };
void brig_set_log(brig_log_fn fn, void *data);
void brig_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

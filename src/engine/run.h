/* create/run/start: the options docker's `run` takes, turning them into a
 * container (record + bundle), and starting one. */
#ifndef BRIG_ENGINE_RUN_H
#define BRIG_ENGINE_RUN_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ctr.h"
#include "engine.h"
#include "image/image.h"

struct run_opts {
    bool detach, rm, interactive, tty, read_only, privileged;
    bool entrypoint_set;
    const char *name, *workdir, *user, *hostname, *entrypoint, *network;
    const char *cpus, *cpu_shares, *cpuset_cpus, *memory, *pids_limit, *stop_signal;
    const char *stop_timeout;
    char **env, **env_files, **volumes, **mounts, **tmpfs, **security_opts, **cap_add, **cap_drop,
        **ulimits, **labels, **publish, **attach;
    const char *image; /* as typed */
    char **args;       /* after the image */
};
void run_opts_clear(struct run_opts *o);

/* Parse `run`/`create` options; argv[0] is the verb.  Returns 0, or an exit
 * status > 0 after printing (bad flag, -h). */
int run_opts_parse(struct run_opts *o, bool is_run, int argc, char **argv, int *ret_status);

/* Build the record (docker inspect's shape) and bundle/config.json for a new
 * container from the image and the options (specgen.c). */
int specgen_create(struct engine *e, struct ctr *c, const struct brig_image *img,
                   const struct run_opts *o, brig_error *reterr);

/* At start, once the rootfs is mounted: resolve the user name and groups
 * against the image's /etc/passwd and /etc/group, set HOME. */
int specgen_resolve_user(json_object *config, int rootfs_fd, const char *user, brig_error *reterr);

/* The rootfs (storage.c): the overlay of the image's layers with the
 * container's upper/work, labelled `mount_label` with context= (NULL: no
 * label).  Falls back to a copy (vfs) and says so when overlayfs is
 * unavailable. */
int storage_prepare(struct engine *e, struct ctr *c, const struct brig_image *img,
                    brig_error *reterr);
int storage_mount(struct engine *e, struct ctr *c, const char *mount_label, brig_error *reterr);
/* Unmount the rootfs if mounted; safe to call many times. */
void storage_unmount(struct ctr *c);

/* Start a created or exited container: labels, rootfs, monitor.  Attached
 * callers get the exit code. */
struct start_opts {
    bool attach, interactive;
    pid_t prime; /* brig_cgroup_prime()'s child, reaped once the container runs; -1 */
};
int ctr_start(struct engine *e, struct ctr *c, const struct start_opts *so, int *ret_exit_code,
              brig_error *reterr);

/* Remove a container completely: stop it (force), unmount, release, delete. */
int ctr_destroy(struct engine *e, struct ctr *c, bool force, brig_error *reterr);

#endif

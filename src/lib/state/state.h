/* Container state under the runtime root (default /run/brig).
 *
 *   ROOT/ID/state.json   written atomically (tmp + rename)
 *   ROOT/ID/exec.fifo    present while the container is "created"
 *   ROOT/ID/lock         flock()ed by any process changing this container
 *
 * Status is never trusted from the file: it is computed from the real
 * process.  A pid alone is not proof (pids are recycled), so the init's
 * start time (field 22 of /proc/PID/stat) is recorded at create and compared
 * every time. */
#ifndef BRIG_STATE_H
#define BRIG_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"
#include "spec/spec.h"

enum brig_status {
    BRIG_STATUS_CREATING = 0,
    BRIG_STATUS_CREATED,
    BRIG_STATUS_RUNNING,
    BRIG_STATUS_PAUSED,
    BRIG_STATUS_STOPPED,
};
const char *brig_status_name(enum brig_status s); /* "created", ... as the OCI spec spells them */

struct brig_state {
    char *id;
    pid_t pid;               /* container init, in the runtime's pid namespace */
    uint64_t pid_start_time; /* /proc/PID/stat field 22 */
    char *bundle;            /* absolute */
    char *rootfs;            /* absolute */
    char *created;           /* RFC 3339, UTC */
    char *cgroup;            /* brig_cgroup_serialize() */
    char *process_label;     /* NULL when none */
    char *mount_label;
    char *owner; /* user name that created it ("root") */
    bool systemd_cgroup;
    bool started; /* start ran (exec.fifo consumed) */
    /* create has not finished: the file was saved before the cgroup was
     * made and again as soon as the init was cloned, so that a creator
     * killed at any point leaves what `delete --force` needs; such a
     * container is "creating" while its init lives and can never start. */
    bool creating;
    struct brig_spec_kv *annotations;
    size_t n_annotations;
    /* Namespaces the init created or joined, as "/proc/PID/ns/X" is not
     * stable after the init dies: kept for exec (setns order). */
    int ns_flags;      /* CLONE_NEW* created for the container */
    char *config_path; /* bundle's config.json as used at create */
};

void brig_state_free(struct brig_state *st);
static inline void brig_state_freep(struct brig_state **st)
{
    if (*st)
        brig_state_free(*st);
}
#define _cleanup_state_ __attribute__((cleanup(brig_state_freep)))

/* Open (creating with 0700 if needed) the root directory; O_DIRECTORY|O_CLOEXEC. */
int brig_state_root_open(const char *root, brig_error *reterr);
/* Create ROOT/ID exclusively: "container `ID` already exists" on EEXIST. */
int brig_state_dir_create(int rootfd, const char *id, brig_error *reterr);
/* Take the container's lock (blocking flock on ROOT/ID/lock); returns the fd. */
int brig_state_lock(int rootfd, const char *id, brig_error *reterr);
/* Is the container's lock held by another process (a create, start or
 * delete in progress)?  Never blocks. */
bool brig_state_lock_busy(int rootfd, const char *id);
/* Does ROOT/ID exist? */
bool brig_state_exists(int rootfd, const char *id);
int brig_state_save(int rootfd, const struct brig_state *st, brig_error *reterr);
/* "container `ID` does not exist" when missing. */
struct brig_state *brig_state_load(int rootfd, const char *id, brig_error *reterr);
/* Remove ROOT/ID and everything in it. */
int brig_state_remove(int rootfd, const char *id, brig_error *reterr);
/* Ids of every container under root, sorted. */
int brig_state_list(int rootfd, char ***ret_ids, brig_error *reterr);

/* Start time of a pid (field 22 of /proc/PID/stat); -1 with errno when gone. */
int brig_proc_start_time(pid_t pid, uint64_t *ret);
/* Is the recorded init still the same live (non-zombie) process? */
bool brig_state_init_alive(const struct brig_state *st);
/* created / running / paused / stopped, from the process, exec.fifo and the
 * freezer. */
int brig_state_status(int rootfd, const struct brig_state *st, enum brig_status *ret,
                      brig_error *reterr);
/* The OCI state JSON ({"ociVersion","id","status","pid","bundle",
 * "annotations"} plus brig's "created", "owner", "rootfs" and the SELinux
 * labels), as `state` prints it and hooks read it on stdin. */
char *brig_state_to_json(const struct brig_state *st, enum brig_status status);

#endif

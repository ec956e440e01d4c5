/* The engine's containers: one directory each, STORAGE/containers/<id>:
 *     record.json   what `create` decided, in docker inspect's shape (Id,
 *                   Name, Created, Path, Args, Config, HostConfig, Image,
 *                   ImageName, Mounts, GraphDriver...) plus what the last
 *                   start recorded (State.StartedAt, ProcessLabel,
 *                   MountLabel).  The live state is never stored: it is
 *                   computed from the runtime's state and exit.json, so it
 *                   cannot go stale when a process dies.
 *     bundle/       config.json for libbrig; bundle/rootfs is the overlay
 *     upper/ work/  the container's writable layer
 *     lock          flock: held while the container changes
 *     exit.json, monitor.pid, ctr.log*: the monitor's (monitor.h)
 * A name is STORAGE/names/<name> -> <id>, taken with one symlinkat(). */
#ifndef BRIG_ENGINE_CTR_H
#define BRIG_ENGINE_CTR_H

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

#include "engine.h"

struct ctr {
    char *id;
    char *dir;
    json_object *rec;
    int lockfd; /* -1 when not held */
    /* config.json as create just wrote it, for a start in the same process
     * (`run`) to use without reading it back; NULL otherwise. */
    json_object *config;
};

/* A new container: fresh id, `name` taken (generated when NULL), its
 * directory made.  "container name `/web` is already in use by container `…`". */
int ctr_new(struct engine *e, const char *name, struct ctr **ret, brig_error *reterr);
/* Open an existing container by name, id or id prefix. */
int ctr_open(struct engine *e, const char *ref, struct ctr **ret, brig_error *reterr);
int ctr_save(struct ctr *c, brig_error *reterr);
/* Take the container's lock (blocking). */
int ctr_lock(struct ctr *c, brig_error *reterr);
void ctr_unlock(struct ctr *c);
/* Remove the name and the directory (the caller made sure nothing runs
 * and nothing is mounted). */
int ctr_remove(struct engine *e, struct ctr *c, brig_error *reterr);
/* ctr_remove in two steps: the name and the directory leave at once (the
 * directory renamed to `*ret_trash`, NULL when it was gone already), its
 * files later, with ctr_trash_remove, where nobody waits for them (the
 * next ps removes a trash left by a crash). */
int ctr_remove_detach(struct engine *e, struct ctr *c, char **ret_trash, brig_error *reterr);
void ctr_trash_remove(struct engine *e, const char *trash);
int ctr_rename(struct engine *e, struct ctr *c, const char *name, brig_error *reterr);
void ctr_free(struct ctr *c);
static inline void ctr_freep(struct ctr **c)
{
    if (*c)
        ctr_free(*c);
}
#define _cleanup_ctr_ __attribute__((cleanup(ctr_freep)))

/* "web" (the stored Name is "/web", as docker has it). */
const char *ctr_name(const struct ctr *c);
/* Record accessors: a string at a dotted path ("Config.Image"), NULL when absent. */
const char *ctr_get_str(const struct ctr *c, const char *path);
bool ctr_get_bool(const struct ctr *c, const char *path);
json_object *ctr_get(const struct ctr *c, const char *path);

/* The live state. */
struct ctr_state {
    const char *status; /* created, running, paused, restarting, exited, dead */
    pid_t pid;          /* 0 unless running/paused */
    int exit_code;
    bool oom_killed;
    bool monitor_alive;
    char *started_at, *finished_at; /* "0001-01-01T00:00:00Z" when never */
};
int ctr_state_get(struct engine *e, struct ctr *c, struct ctr_state *ret, brig_error *reterr);
void ctr_state_clear(struct ctr_state *s);

/* Every container id, sorted by creation (newest first). */
int ctr_list(struct engine *e, char ***ret_ids, brig_error *reterr);

#define CTR_ZERO_TIME "0001-01-01T00:00:00Z"

#endif

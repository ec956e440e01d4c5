/* Container cgroups: one interface over three layouts.
 *
 *   v2      a single cgroup2 hierarchy at /sys/fs/cgroup
 *   v1      one hierarchy per controller under /sys/fs/cgroup/<ctrl>
 *   hybrid  v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified
 *           (systemd's hybrid; on some hosts it holds no controllers or only
 *           hugetlb).  crun refuses this layout; brig uses the v1 controllers
 *           for limits and also creates the cgroup in the unified tree so the
 *           container's processes are tracked there too.
 *
 * The layout is detected from statfs() of /sys/fs/cgroup and its
 * subdirectories, never assumed. */
#ifndef BRIG_CGROUP_H
#define BRIG_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/error.h"
#include "spec/spec.h"

enum brig_cgroup_mode { BRIG_CGROUP_V1 = 1, BRIG_CGROUP_V2, BRIG_CGROUP_HYBRID };

struct brig_cgroup;

int brig_cgroup_detect_mode(enum brig_cgroup_mode *ret, brig_error *reterr);
const char *brig_cgroup_mode_name(enum brig_cgroup_mode mode); /* "v1", "v2", "hybrid" */

/* Create the container's cgroup.  `cgroups_path` is linux.cgroupsPath (NULL
 * or "" means a default under "brig/<id>"); an absolute path is taken from
 * each hierarchy's root, a relative one below the calling process's own
 * cgroup.  With `systemd` set, "slice:prefix:name" is accepted only if brig
 * can honour it without systemd (otherwise a clear error says so).
 * `res` (may be NULL) is applied before any process enters, so the
 * container never runs unlimited.  On failure nothing is left behind. */
struct brig_cgroup *brig_cgroup_create(const char *cgroups_path, const char *id,
                                       const struct brig_spec_resources *res, bool systemd,
                                       brig_error *reterr);
/* The same, calling `record` once every path is known and before the first
 * mkdir, with each hierarchy's count of levels about to be created: the
 * caller saves brig_cgroup_serialize(cg) so that a creator killed at any
 * point leaves a record from which brig_cgroup_destroy removes all of it.
 * A failing `record` fails the create with nothing made. */
typedef int (*brig_cgroup_record_fn)(const struct brig_cgroup *cg, void *arg, brig_error *reterr);
struct brig_cgroup *brig_cgroup_create_recorded(const char *cgroups_path, const char *id,
                                                const struct brig_spec_resources *res, bool systemd,
                                                brig_cgroup_record_fn record, void *record_arg,
                                                brig_error *reterr);
/* Move `pid` into the cgroup (every hierarchy). */
int brig_cgroup_enter(const struct brig_cgroup *cg, pid_t pid, brig_error *reterr);
/* The same, skipping the cgroup2 tree when `in_unified` (the pid was born
 * there by clone3's CLONE_INTO_CGROUP). */
int brig_cgroup_enter_rest(const struct brig_cgroup *cg, pid_t pid, bool in_unified,
                           brig_error *reterr);
/* An O_PATH fd on the container's cgroup2 directory (v2, or a hybrid
 * host's unified tree) for CLONE_INTO_CGROUP; -1 on pure v1. */
int brig_cgroup_open_unified(const struct brig_cgroup *cg);
/* Start, in a throwaway child, the RCU grace period that the first write
 * to a cgroup.procs waits for (see cgroup_enter.c), so that entering v1
 * hierarchies a few ms later costs no wait.  Returns the child (reap it
 * with brig_cgroup_prime_reap once the container has entered) or -1 when
 * there is nothing to gain (pure v2) or no way to. */
pid_t brig_cgroup_prime(void);
void brig_cgroup_prime_reap(pid_t pid);
/* Apply resources again (runtime `update`); only fields present change. */
int brig_cgroup_update(const struct brig_cgroup *cg, const struct brig_spec_resources *res,
                       brig_error *reterr);
/* Freeze or thaw, waiting until the kernel reports the new state. */
int brig_cgroup_freeze(const struct brig_cgroup *cg, bool frozen, brig_error *reterr);
int brig_cgroup_is_frozen(const struct brig_cgroup *cg, bool *ret, brig_error *reterr);
/* Every pid in the cgroup and its descendants (for ps and kill --all). */
int brig_cgroup_pids(const struct brig_cgroup *cg, pid_t **ret_pids, size_t *ret_n,
                     brig_error *reterr);
/* Send `sig` to every process in the cgroup (cgroup.kill for SIGKILL on v2). */
int brig_cgroup_kill_all(const struct brig_cgroup *cg, int sig, brig_error *reterr);
/* Remove the cgroup directories (deepest first, retrying while the kernel
 * still reports EBUSY for exiting tasks).  Missing directories are fine. */
int brig_cgroup_destroy(const struct brig_cgroup *cg, brig_error *reterr);

/* Mount the container's view of cgroups at `dest` inside the rootfs
 * `rootfd` (paths resolved with RESOLVE_IN_ROOT).  Runs in the container's
 * mount namespace, before pivot_root.  With a new cgroup namespace the
 * hierarchies are mounted fresh (the container sees its cgroup as "/");
 * without one, the container's own cgroup directories are bind-mounted.
 * `flags` carries MS_RDONLY/MS_NOSUID/... from the mount's options. */
int brig_cgroup_mount(const struct brig_cgroup *cg, int rootfd, const char *dest,
                      unsigned long flags, bool new_cgroupns, brig_error *reterr);

/* Serialize for the state file and load it back in a later process. */
char *brig_cgroup_serialize(const struct brig_cgroup *cg);
struct brig_cgroup *brig_cgroup_deserialize(const char *s, brig_error *reterr);
/* The path relative to the hierarchy roots ("/brig/c1"), for state/inspect. */
const char *brig_cgroup_path(const struct brig_cgroup *cg);
enum brig_cgroup_mode brig_cgroup_mode_of(const struct brig_cgroup *cg);

void brig_cgroup_free(struct brig_cgroup *cg);
static inline void brig_cgroup_freep(struct brig_cgroup **cg)
{
    if (*cg)
        brig_cgroup_free(*cg);
}
#define _cleanup_cgroup_ __attribute__((cleanup(brig_cgroup_freep)))

#endif

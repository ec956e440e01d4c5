/* Shared between the cgroup back ends; not part of libbrig's interface.
 *
 * A handle is a list of hierarchies.  Each one knows where it is mounted on
 * the host and the container's directory below that mount, so every
 * operation after create is plain file I/O on "<mountpoint><path>" and a
 * later process (start, kill, delete) can rebuild the handle from the state
 * file without looking at its own /proc/self/cgroup again. */
#ifndef BRIG_CGROUP_INTERNAL_H
#define BRIG_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "cgroup/cgroup.h"
#include "core/error.h"
#include "spec/spec.h"

enum brig_cg_kind {
    BRIG_CG_KIND_V1 = 1,  /* a v1 controller hierarchy, e.g. "cpu,cpuacct" */
    BRIG_CG_KIND_NAMED,   /* a v1 hierarchy without controllers: "name=systemd" */
    BRIG_CG_KIND_UNIFIED, /* cgroup2 */
};

struct brig_cg_hier {
    enum brig_cg_kind kind;
    char *controllers; /* "cpu,cpuacct", "name=systemd", "" for cgroup2 */
    char *mountpoint;  /* "/sys/fs/cgroup/cpu" */
    char *path;        /* container's cgroup below the mountpoint: "/brig/c1" */
    char *dir;         /* mountpoint + path */
    /* How many trailing components of `path` this handle created; destroy
     * removes only those (and only with rmdir), never a cgroup it found. */
    unsigned created;
    char *mnt_root; /* mountinfo root of the mount; only while creating */
};

struct brig_cgroup {
    enum brig_cgroup_mode mode;
    struct brig_cg_hier *hiers;
    size_t n_hiers;
};

/* Hierarchy lookup: the v1 hierarchy carrying `controller` ("memory"), or
 * the cgroup2 one for NULL.  NULL when not mounted. */
const struct brig_cg_hier *brig_cg_find(const struct brig_cgroup *cg, const char *controller);

/* Small file helpers on absolute cgroupfs paths ("dir/file"). */
int brig_cg_write(const char *dir, const char *file, const char *value, brig_error *reterr);
int brig_cg_writef(const char *dir, const char *file, brig_error *reterr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int brig_cg_read(const char *dir, const char *file, char **ret, brig_error *reterr);
bool brig_cg_exists(const char *dir, const char *file);
/* Poll `file` until its content (first line, trimmed) satisfies `want` as a
 * substring, for up to `timeout_ms`. */
int brig_cg_wait_for(const char *dir, const char *file, const char *want, int timeout_ms,
                     brig_error *reterr);

/* Checks every back end needs before touching the kernel, so an invalid
 * spec never leaves a directory behind. */
int brig_cg_validate_resources(const struct brig_spec_resources *res, brig_error *reterr);
/* OCI cpu shares (2..262144) to cgroup2 cpu.weight (1..10000). */
uint64_t brig_cg_shares_to_weight(uint64_t shares);
/* OCI blkio weight (10..1000) to io.weight (1..10000). */
uint64_t brig_cg_blkio_to_io_weight(uint64_t weight);

/* v1 back end (also the limits in hybrid mode). */
int brig_cg_v1_prepare_cpuset(const struct brig_cg_hier *h, brig_error *reterr);
int brig_cg_v1_apply(const struct brig_cgroup *cg, const struct brig_spec_resources *res,
                     bool creating, brig_error *reterr);
int brig_cg_v1_freeze(const struct brig_cg_hier *h, bool frozen, brig_error *reterr);
int brig_cg_v1_is_frozen(const struct brig_cg_hier *h, bool *ret, brig_error *reterr);

/* v2 back end.  `enable_controllers` runs on every level above the
 * container's cgroup before anything is written into it. */
int brig_cg_v2_enable_controllers(const struct brig_cg_hier *h, brig_error *reterr);
int brig_cg_v2_apply(const struct brig_cg_hier *h, const struct brig_spec_resources *res,
                     brig_error *reterr);
int brig_cg_v2_freeze(const struct brig_cg_hier *h, bool frozen, brig_error *reterr);
int brig_cg_v2_is_frozen(const struct brig_cg_hier *h, bool *ret, brig_error *reterr);

/* cgroup2 device controller: an eBPF program built from `rules` (default
 * deny, last matching rule wins, brig's always-allowed devices appended),
 * attached to the cgroup directory `dir`, replacing what brig attached
 * before. */
int brig_cg_devices_bpf_apply(const char *dir, const struct brig_spec_device_rule *rules,
                              size_t n_rules, brig_error *reterr);

/* The device rules every container gets after its own (as runc does): the
 * devices the OCI spec requires to exist, plus mknod of any device node so
 * image tooling works.  Access to other nodes stays denied. */
extern const struct brig_spec_device_rule brig_cg_default_device_rules[];
extern const size_t brig_cg_n_default_device_rules;

/* Test hook: create a handle with an explicit layout instead of the
 * detected one (lets the v2 code run on a hybrid host's unified tree). */
struct brig_cgroup *brig_cg_create_in(enum brig_cgroup_mode mode, const char *cgroups_path,
                                      const char *id, const struct brig_spec_resources *res,
                                      bool systemd, brig_error *reterr);

#endif

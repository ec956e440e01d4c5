/* Computing a container's labels (applying them is label.c's job).
 *
 * Defaults come from the host policy's contexts/lxc_contexts (process, file,
 * ro_file), as podman does, when those types exist in the loaded policy;
 * otherwise from brig's own module (policy/brig.cil):
 *     process  system_u:system_r:brig_container_t:s0
 *     file     system_u:object_r:brig_container_file_t:s0
 *     ro_file  system_u:object_r:brig_container_ro_file_t:s0
 * The options are podman's --security-opt label=... spellings. */
#ifndef BRIG_CONTEXT_H
#define BRIG_CONTEXT_H

#include <stdbool.h>

#include "core/error.h"

struct brig_label_defaults {
    char *process; /* full contexts, level "s0" */
    char *file;
    char *ro_file;
    char *source; /* "lxc_contexts" or "brig" */
};
/* Read and check the defaults (requires SELinux enabled). */
int brig_label_defaults_load(struct brig_label_defaults *ret, brig_error *reterr);
void brig_label_defaults_clear(struct brig_label_defaults *d);

/* label=... options, in podman's spelling: "disable", "type:T", "level:L",
 * "user:U", "role:R", "filetype:T" (also accepted as "type=T" etc.). */
struct brig_label_opts {
    bool disable;
    char *type, *level, *user, *role, *filetype;
};
/* Parse one option and merge it into *opts.  Unknown keys, empty values and
 * malformed levels are refused: "label option `foo:x`: unknown key `foo`". */
int brig_label_opts_add(struct brig_label_opts *opts, const char *option, brig_error *reterr);
void brig_label_opts_clear(struct brig_label_opts *opts);
/* Check a level is well formed (s<N>[:c<A>[.c<B>|,c<C>...]]) and, when
 * SELinux is enabled, within the policy's range. */
int brig_label_level_validate(const char *level, brig_error *reterr);

/* Build the process and mount (file) labels for a container from the
 * defaults, the options and an MCS level.  With opts->disable the process
 * gets the unconfined container type (brig_spc_t, or spc_t where the policy
 * has it) and no mount label.  Types named by options must exist in the
 * loaded policy: "label type `x_t`: not defined by the loaded policy". */
int brig_label_compute(const struct brig_label_defaults *d, const struct brig_label_opts *opts,
                       const char *level, char **ret_process, char **ret_mount, brig_error *reterr);

/* The labels of the engine's store (docs/selinux-policy.md, "The store's
 * labels"): image layers carry the read-only container file type at the
 * shared level s0, so every container of the image may read, map and run
 * them (mmap and mprotect check the real layer inode, not overlay's
 * context= view); the rest of the store (metadata, logs, state) carries
 * brig_store_t, which no container type may reach.  NULL when SELinux is
 * off or the loaded policy lacks the type: then the store keeps whatever
 * its parent directory gives it. */
enum brig_store_role { BRIG_STORE_META, BRIG_STORE_LAYER };
char *brig_store_context(enum brig_store_role role);

/* Swap the level of a context: ("u:r:t:s0", "s0:c1,c2") -> "u:r:t:s0:c1,c2". */
char *brig_context_with_level(const char *context, const char *level);
/* The level part of a context ("s0:c1,c2" of "u:r:t:s0:c1,c2"); NULL if none. */
const char *brig_context_level(const char *context);

#endif

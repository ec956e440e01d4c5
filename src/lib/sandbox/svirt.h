/* SVirt for brig-runtime: secure by default.  When SELinux is enabled and
 * config.json carries no process label, a container gets a fresh MCS pair,
 * a process label and a mount label built from the policy's defaults, its
 * rootfs and its z/Z bind mounts relabelled.  Labels given in config.json
 * (podman's way) are used as given, their level reserved.
 *
 * Annotations (podman's --security-opt label=... for an OCI runtime):
 *   io.brig.selinux.auto     "false": no labelling at all (runc's behaviour)
 *   io.brig.selinux.disable  "true": the unconfined container type
 *   io.brig.selinux.type / .level / .user / .role / .filetype
 *   io.brig.selinux.rootfs   "labelled": the rootfs is mounted with context=
 *                            (brig's engine does this); no relabel walk */
#ifndef BRIG_SVIRT_H
#define BRIG_SVIRT_H

#include <stdbool.h>

#include "core/error.h"
#include "spec/spec.h"

#define BRIG_ANN_SELINUX "io.brig.selinux."

struct brig_svirt {
    char *level;   /* the reserved level, released at delete; NULL = none */
    bool reserved; /* we hold a reservation for it */
};

/* Compute, reserve and relabel; fills spec->process->selinux_label and
 * spec->linux_.mount_label.  On failure nothing stays reserved. */
int brig_svirt_setup(int rootfd, const char *id, struct brig_spec *spec, const char *rootfs,
                     struct brig_svirt *ret, brig_error *reterr);
/* Release what setup reserved (error paths). */
void brig_svirt_undo(int rootfd, const char *id, struct brig_svirt *sv);
/* Release the level held for a container being deleted. */
int brig_svirt_release(int rootfd, const char *id, const char *process_label, brig_error *reterr);

#endif

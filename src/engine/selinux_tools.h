/* The SELinux tools' pieces other verbs reuse (issue 5). */
#ifndef BRIG_ENGINE_SELINUX_TOOLS_H
#define BRIG_ENGINE_SELINUX_TOOLS_H

#include <stdio.h>

#include "engine.h"

/* The host's SELinux status as `brig selinux status` prints it (mode now
 * and in the config file, policy, MLS, container types and whether the
 * policy defines them, brig's module, the booleans containers care about,
 * MCS pairs in use and left, btrfs and shared-:Z warnings), in text.
 * Everything is gathered before anything is printed: on failure nothing
 * was written to `out`.  SELinux disabled is a failure:
 * "SELinux is disabled on this host". */
int selinux_status_print(struct engine *e, FILE *out, brig_error *reterr);

#endif

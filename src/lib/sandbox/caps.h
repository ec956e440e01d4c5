/* Capabilities and the user switch, without libcap: capset(2) and prctl(2)
 * directly (one less library to load on every container start).
 *
 * Order (the same as runc's, and it matters):
 *   1. drop every capability not in the bounding set (PR_CAPBSET_DROP)
 *   2. PR_SET_KEEPCAPS, setgroups/setresgid/setresuid, PR_SET_KEEPCAPS off
 *   3. capset(effective, permitted, inheritable)
 *   4. clear the ambient set, then raise exactly the requested ambient caps
 * Nothing is inherited that the spec did not name (CVE-2022-29162). */
#ifndef BRIG_CAPS_H
#define BRIG_CAPS_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/error.h"
#include "spec/spec.h"

/* Steps 1 and 3-4 around a user switch (step 2).  `user` may be NULL to keep
 * the current ids.  `deny_setgroups` as for brig_caps_set_user. */
int brig_caps_apply(const struct brig_spec_caps *caps, const struct brig_spec_user *user,
                    bool deny_setgroups, brig_error *reterr);
/* Only the user switch (setgroups to additional_gids, gid, uid).  With
 * `deny_setgroups` (user namespace whose setgroups file says "deny")
 * setgroups is skipped.  Callers take it from brig_caps_setgroups_denied()
 * read on the host's /proc, never from the container's. */
int brig_caps_set_user(const struct brig_spec_user *user, bool deny_setgroups, brig_error *reterr);
/* Highest capability the running kernel knows, asked of the kernel with
 * PR_CAPBSET_READ (never /proc/sys/kernel/cap_last_cap, which a container
 * can mount over). */
int brig_caps_last_cap(void);
/* Whether setgroups(2) is denied in the user namespace of `pid` (0: the
 * caller), read from `/proc/PID/setgroups` through `procfd`, an fd on the host's /proc opened
 * before anything joined a container's mount namespace.  Missing file (no
 * user namespace support): false. */
bool brig_caps_setgroups_denied(int procfd, pid_t pid);

#endif

/* MCS category pairs: every container gets its own `s0:cX,cY` (X < Y, both in
 * c0..c1023: 523,776 pairs), unique among all live containers on the host.
 *
 * Reservations live under the runtime root, one file per pair:
 *     ROOT/@mcs/cX,cY   contents: the owner (container id), created O_EXCL
 * so two processes can never hold the same pair, without a global lock on
 * the fast path.  They survive the allocating process; `delete` releases
 * them; brig_mcs_reconcile() removes those whose owner no longer has a state
 * directory (after a crash or a kill -9 mid-create).  A user-given level is
 * reserved the same way, so no random pair can collide with it. */
#ifndef BRIG_MCS_H
#define BRIG_MCS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define BRIG_MCS_CATEGORIES 1024

/* Reserve a fresh random pair for `owner` and return its level "s0:cX,cY".
 * Tries random pairs (getrandom); when the space is nearly full, scans it.
 * All taken: "allocate MCS categories: all 523776 pairs are in use". */
int brig_mcs_allocate(int rootfd, const char *owner, char **ret_level, brig_error *reterr);
/* Reserve a given level (from config.json or label=level:L) for `owner`.
 * Only levels of the form "s0:cX,cY" (X<Y) or "s0:cX" take a reservation;
 * others ("s0", ranges) are accepted without one.  Taken by another owner:
 * "MCS level `s0:c1,c2` is in use by container `x`". */
int brig_mcs_reserve(int rootfd, const char *owner, const char *level, brig_error *reterr);
/* Release the reservation of `level` if `owner` holds it; missing is fine. */
int brig_mcs_release(int rootfd, const char *owner, const char *level, brig_error *reterr);
/* Release every reservation `owner` holds (a container being removed whose
 * record may not name its level: killed between allocation and record). */
int brig_mcs_release_owner(int rootfd, const char *owner, brig_error *reterr);
/* Remove every reservation whose owner has no directory ROOT/<owner> or
 * whose state says it is stopped for good; returns how many were freed. */
int brig_mcs_reconcile(int rootfd, size_t *ret_freed, brig_error *reterr);
/* Number of reservations held now (for `brig selinux status`). */
int brig_mcs_count(int rootfd, size_t *ret_n, brig_error *reterr);
/* Parse "s0:cX,cY" -> x, y (x < y); -1 when not a pair. */
int brig_mcs_parse_pair(const char *level, unsigned *ret_x, unsigned *ret_y);

#endif

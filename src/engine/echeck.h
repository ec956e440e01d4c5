/* Check mode (issue 5): `brig run --security-opt label=check` runs one
 * container under a permissive process type while the host stays
 * enforcing, so its denials are logged (permissive=1) instead of enforced.
 *
 * One type for every check-mode container, brig_check_t, from a module
 * brig loads on first use (brig_check).  Its container's unique MCS pair is
 * what tells the denials apart, so a type per container would only add a
 * policy rebuild (tens of seconds) to every check run and a module to clean
 * up after each.  brig_check_t joins brig_container_base, so what the base
 * type already allows is never logged: the log holds exactly what a custom
 * type would have to add. */
#ifndef BRIG_ENGINE_ECHECK_H
#define BRIG_ENGINE_ECHECK_H

#include "ctr.h"
#include "engine.h"

#define ECHECK_TYPE "brig_check_t"
#define ECHECK_MODULE "brig_check"

/* Make sure brig_check_t is in the loaded policy, loading its module
 * when it is not (under a lock, so two check runs load it once). */
int echeck_ensure(struct engine *e, brig_error *reterr);
/* The check module's CIL text. */
char *echeck_module_text(brig_error *reterr);
/* Note in the record that this start ran in check mode at `level`
 * (record.json "SELinuxCheck": {"Type", "Levels": [...every start's...]}). */
void echeck_record(struct ctr *c, const char *level);
/* The levels the container ran under in check mode; NULL when never. */
char **echeck_levels(const struct ctr *c);

#endif

/* SVirt from the engine: the labels of one start of a container.
 *
 * The engine, not the runtime, decides the labels, because it mounts the
 * rootfs: the overlay gets the container's file label through `context=`,
 * which labels every file at once (a relabel walk would copy every file of
 * the image up into the container's writable layer).  The runtime gets the
 * labels in config.json (reserving their level for the same owner) and
 * relabels only the z/Z volumes. */
#ifndef BRIG_ENGINE_ELABEL_H
#define BRIG_ENGINE_ELABEL_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ctr.h"
#include "engine.h"

/* Check one label option as typed after "label=" or "label:" ("disable",
 * "type:T", "level:L", "user:U", "role:R", "filetype:T"). */
int elabel_opt_check(const char *opt, brig_error *reterr);

struct elabel {
    bool enabled;        /* SELinux on and labelling not disabled by conf */
    char *process_label; /* NULL: the runtime decides (disable) or no SELinux */
    char *mount_label;   /* context= for the rootfs; NULL = none */
    char *level;         /* reserved for the container; NULL = none */
};
/* Compute and reserve the labels for a start from the record's SecurityOpt
 * and the configuration, and write them (or the annotations that stand for
 * them) into config.json's object.  On failure nothing stays reserved. */
int elabel_setup(struct engine *e, struct ctr *c, json_object *config, struct elabel *ret,
                 brig_error *reterr);
/* Give back what setup reserved (a start that failed before the runtime
 * took over). */
void elabel_undo(struct engine *e, struct ctr *c, struct elabel *l);
void elabel_clear(struct elabel *l);

#endif

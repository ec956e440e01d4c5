/* What specgen.c, specgen_mounts.c and specgen_user.c share. */
#ifndef BRIG_ENGINE_SPECGEN_INTERNAL_H
#define BRIG_ENGINE_SPECGEN_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ctr.h"

json_object *specgen_strv_json(char *const *v);
/* o[key], made an empty object when absent. */
json_object *specgen_obj_child(json_object *o, const char *key);
/* Absolute and without a `..` component. */
bool specgen_path_clean_abs(const char *p);
/* -v, --mount, --tmpfs: add to config.json's mounts and the record's Mounts. */
int specgen_volume_add(const char *spec, json_object *mounts, json_object *recmounts,
                       brig_error *reterr);
int specgen_mount_add(const char *spec, json_object *mounts, json_object *recmounts,
                      brig_error *reterr);
int specgen_tmpfs_add(const char *spec, json_object *mounts, json_object *recmounts,
                      brig_error *reterr);
void specgen_privileged_devices(json_object *linux_);
/* Refuse z/Z (or relabel=) on host system directories, before anything
 * else is checked. */
int specgen_relabel_precheck(char *const *volumes, char *const *mounts, brig_error *reterr);
/* /etc/hostname, hosts, resolv.conf in the container's directory, bound in. */
int specgen_etc_files(struct ctr *c, const char *hostname, bool host_net, json_object *mounts,
                      brig_error *reterr);

#endif

/* Custom container types as small CIL modules (issue 5: check mode and
 * `brig policy generate`), and loading them into the policy store.
 *
 * A generated type keeps everything brig's base container type has by
 * joining the attributes policy/brig.cil gives brig_container_t (domain,
 * mcs_constrained_type, brig_container_domain for the runtime's transition,
 * brig_container_base for its rules), so it stays MCS-separated; on top it
 * gets exactly the rules listed here, each group with a comment saying why
 * (which mount, which capability, which denial).  The text is built from
 * plain values so it can be unit tested without SELinux. */
#ifndef BRIG_CILGEN_H
#define BRIG_CILGEN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

/* The attributes a container type joins (policy/brig.cil). */
#define BRIG_CIL_BASE_ATTR "brig_container_base"
#define BRIG_CIL_DOMAIN_ATTR "brig_container_domain"

/* A bind mount: its host file type and how it is mounted. */
struct brig_cil_mount {
    const char *source, *dest; /* host path, container path */
    const char *type;          /* the source's type (getfilecon) */
    bool rw;                   /* manage rules when true, read rules otherwise */
    char **other_types;        /* types seen just below the source, not granted */
};

/* A device node given to the container (config.json linux.devices). */
struct brig_cil_device {
    const char *path; /* host path */
    const char *type; /* its type (getfilecon) */
    bool block;
};

/* One allow rule from a recorded denial (type enforcement only: MCS and
 * boolean denials go to notes). */
struct brig_cil_denial {
    const char *ttype, *tclass;
    char **perms;    /* NULL-terminated */
    const char *why; /* comment: what was denied, e.g. `comm="sh" name="test.log"` */
};

struct brig_cil_module {
    const char *module;    /* module name, "brig_logger" */
    const char *type;      /* the process type, "brig_logger_t" */
    const char *container; /* for the header comment */
    const char *use;       /* the header's "use:" line (a brig run command) */
    bool permissive;       /* typepermissive: check mode's type */
    bool mls;              /* the policy has MLS/MCS: files made on rw mounts stay at s0 */
    const struct brig_cil_mount *mounts;
    size_t n_mounts;
    char **caps; /* capability names beyond the base set ("sys_admin", "CAP_NET_RAW") */
    const struct brig_cil_device *devices;
    size_t n_devices;
    const struct brig_cil_denial *denials;
    size_t n_denials;
    char **notes;      /* comment lines at the end (MCS denials, booleans...) */
    const char *extra; /* CIL appended verbatim (brig's own text, never a container's) */
};

/* The module's text; *ret_rules gets the number of allow rules in it.
 * Fails on a name or type that is not a CIL identifier, or a capability
 * it does not know.  Denial rules skip permissions an earlier group
 * already grants; rules for security-sensitive types (shadow_t, the
 * policy's own files...) are never written, only named in a comment. */
char *brig_cil_module_text(const struct brig_cil_module *m, size_t *ret_rules, brig_error *reterr);

/* [A-Za-z][A-Za-z0-9_]*, at most 100 bytes. */
bool brig_cil_identifier_ok(const char *s);
/* "web.1-a" -> "brig_web_1_a": a module name from a container name. */
char *brig_cil_module_name(const char *container_name);
/* "CAP_SYS_ADMIN" or "sys_admin" -> "sys_admin", and whether it lives in
 * the capability2 class; NULL when unknown. */
const char *brig_cil_cap_perm(const char *cap, bool *ret_cap2);
/* Types a generated module never grants: reading or writing them is the
 * host's secrets or its security policy. */
bool brig_cil_type_sensitive(const char *type);

/* The policy store (libsemanage; `semodule -i` when brig was built without
 * it).  A module name already in the store is refused: installing would
 * silently replace it. */
int brig_semodule_exists(const char *name, bool *ret, brig_error *reterr);
int brig_semodule_install(const char *name, const char *cil, size_t len, brig_error *reterr);
int brig_semodule_remove(const char *name, brig_error *reterr);

#endif

/* `avc: denied` records: parse them, collect a container's, and say why
 * each was denied (issue 5: brig selinux denials / explain, policy generate).
 *
 * A record as the kernel prints it (dmesg) or auditd stores it:
 *   type=AVC msg=audit(1700000000.123:456): avc:  denied  { read write } for
 *   pid=1234 comm="sh" name="test.log" dev="vda" ino=42
 *   scontext=system_u:system_r:container_t:s0:c1,c2
 *   tcontext=system_u:object_r:var_log_t:s0 tclass=file permissive=0 */
#ifndef BRIG_AVC_H
#define BRIG_AVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/error.h"

struct brig_avc {
    char *scontext, *tcontext, *tclass;
    char **perms;             /* NULL-terminated */
    bool granted;             /* "avc: granted" (auditallow), not a denial */
    int permissive;           /* 1, 0, or -1 when the record has no permissive= */
    char *comm, *name, *path; /* NULL when absent */
    long pid;
    double time;          /* from audit(T:serial), 0 when absent */
    unsigned long serial; /* 0 when absent */
};
void brig_avc_clear(struct brig_avc *a);

/* Parse one line (kernel log or audit.log, with or without a prefix).
 * Returns 0 and fills ret, 1 when the line is not an avc record, -1 when it
 * claims to be one but is malformed (a caller counts those and goes on). */
int brig_avc_parse(const char *line, struct brig_avc *ret);
/* The type field of a context ("container_t" of "u:r:container_t:s0");
 * NULL when it has fewer than three fields.  Caller frees. */
char *brig_avc_context_type(const char *context);

/* Why it was denied, from the loaded policy (libsepol/libselinux). */
enum brig_avc_reason {
    BRIG_AVC_TE = 1,      /* no allow rule for source type -> target type:class */
    BRIG_AVC_MCS,         /* TE allows it; an MCS/MLS constraint (categories) denies */
    BRIG_AVC_BOOLEAN,     /* a conditional rule would allow it: a boolean is off */
    BRIG_AVC_CONSTRAINT,  /* another constraint (user/role) */
    BRIG_AVC_ALLOWED_NOW, /* the loaded policy allows it now (policy changed since) */
    BRIG_AVC_UNKNOWN,     /* a type or class the loaded policy does not know */
};
struct brig_avc_why {
    enum brig_avc_reason reason;
    char **booleans; /* with BOOLEAN: "name=value-that-allows" (NULL-terminated) */
    char *detail;    /* one line for people */
};
int brig_avc_explain(const struct brig_avc *a, struct brig_avc_why *ret, brig_error *reterr);
void brig_avc_why_clear(struct brig_avc_why *w);
/* The policy brig_avc_explain() reads: a binary policy file, or NULL for
 * the loaded one (/sys/fs/selinux/policy, with the booleans' current
 * values).  brig_avc_explain() loads the loaded one on first use; call this
 * first to explain against another policy (tests, an offline host).  The
 * policy is process-wide state (libsepol's), read once. */
int brig_avc_policy_load(const char *path, brig_error *reterr);
void brig_avc_policy_unload(void);
/* The fix brig would generate for one explained record, one line:
 *   TE       "(allow container_t var_log_t (file (read write open)))"
 *   BOOLEAN  "setsebool -P virt_use_nfs 1"
 *   MCS      "MCS: the file's categories are not the container's: relabel it
 *             with :Z or use :z for shared content"
 * and a sentence for the others.  Caller frees. */
char *brig_avc_fix(const struct brig_avc *a, const struct brig_avc_why *w);
/* "te", "mcs", "boolean", "constraint", "allowed", "unknown" (for JSON). */
const char *brig_avc_reason_name(enum brig_avc_reason r);

/* Records grouped by (source type, target type, class, permission set):
 * what `brig selinux denials` prints one line for. */
struct brig_avc_group {
    const struct brig_avc *first; /* the first record of the group (in v) */
    char *stype, *ttype;
    size_t count;
};
/* Groups in order of first appearance; ret points into v, so v must
 * outlive it.  Records whose contexts have no type are left out. */
void brig_avc_group(const struct brig_avc *v, size_t n, struct brig_avc_group **ret, size_t *ret_n);
void brig_avc_groups_free(struct brig_avc_group *g, size_t n);

/* Collect the records whose scontext has MCS level `level` (exactly;
 * NULL = all): from /var/log/audit/audit.log when auditd runs, from the
 * kernel log (/dev/kmsg) otherwise.  The audit log's last rotation
 * (audit.log.1) is read first when it exists, so a run that straddles a
 * rotation is whole.  Malformed lines are counted, never fatal.
 * ret_source says which log was read. */
/* Read records from a stream, one per line (any of the formats above),
 * keeping those whose scontext level is exactly `level` (NULL = all).
 * Malformed lines are counted in *ret_malformed, never fatal; a read error
 * is ("read avc records: ...").  Appends to *ret / *ret_n (start them at
 * NULL / 0). */
int brig_avc_read(FILE *f, const char *level, struct brig_avc **ret, size_t *ret_n,
                  size_t *ret_malformed, brig_error *reterr);

int brig_avc_collect(const char *level, struct brig_avc **ret, size_t *ret_n, size_t *ret_malformed,
                     const char **ret_source, brig_error *reterr);
void brig_avc_list_free(struct brig_avc *v, size_t n);

#endif

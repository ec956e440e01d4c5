/* OCI runtime-spec 1.1 config.json, loaded and validated.
 *
 * brig_spec_load() turns config.json into this plain struct once, so nothing
 * past the parser touches JSON.  Every validation error names the JSON path:
 *   "process.args: must be a non-empty array of strings"
 * Unknown fields are ignored, as the spec asks.  Arrays are (pointer, count)
 * pairs; string vectors are NULL-terminated.  "has_" flags mark optional
 * scalars that were present. */
#ifndef BRIG_SPEC_H
#define BRIG_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

struct brig_spec_idmap {
    uint32_t container_id, host_id, size;
};

struct brig_spec_rlimit {
    int resource; /* RLIMIT_* */
    uint64_t soft, hard;
};

/* Capability sets as bitmasks indexed by capability number (CAP_CHOWN=0 ...). */
struct brig_spec_caps {
    uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct brig_spec_user {
    uint32_t uid, gid;
    bool has_umask;
    mode_t umask;
    uint32_t *additional_gids;
    size_t n_additional_gids;
    char *username; /* ignored on Linux, kept for round-trips */
};

struct brig_spec_process {
    bool terminal;
    bool has_console_size;
    unsigned console_height, console_width;
    struct brig_spec_user user;
    char **args; /* non-empty */
    char **env;  /* "K=V" */
    char *cwd;   /* absolute */
    bool has_caps;
    struct brig_spec_caps caps;
    struct brig_spec_rlimit *rlimits;
    size_t n_rlimits;
    bool no_new_privileges;
    char *apparmor_profile;
    bool has_oom_score_adj;
    int oom_score_adj;
    char *selinux_label;
};

/* One mount.  `options` are parsed into flags by brig_spec_parse_mount_options
 * (also used on its own by the engine for -v/--mount). */
enum brig_relabel {
    BRIG_RELABEL_NONE = 0,
    BRIG_RELABEL_SHARED /* z */,
    BRIG_RELABEL_PRIVATE /* Z */
};

struct brig_mount_opts {
    unsigned long flags;       /* MS_* to set (MS_BIND, MS_RDONLY, MS_NOSUID, ...) */
    unsigned long clear_flags; /* MS_* explicitly cleared ("rw", "suid", ...) */
    unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) */
    bool recursive_bind;       /* rbind */
    bool recursive_ro;         /* rro: MOUNT_ATTR_RDONLY with AT_RECURSIVE */
    bool idmap;                /* "idmap"/"ridmap": refused clearly, not supported yet */
    bool tmpcopyup;
    enum brig_relabel relabel;
    char *data; /* comma-joined fs-specific options ("mode=755,size=65536k") or NULL */
};

struct brig_spec_mount {
    char *destination; /* absolute inside the container */
    char *source;      /* may be NULL for tmpfs/proc... */
    char *type;        /* may be NULL: then "bind" if options say bind */
    char **options;    /* raw, as in config.json */
    struct brig_mount_opts opts;
};

struct brig_spec_hook {
    char *path; /* absolute */
    char **args;
    char **env;
    int timeout; /* seconds, 0 = none */
};

enum brig_hook_kind {
    BRIG_HOOK_PRESTART = 0,
    BRIG_HOOK_CREATE_RUNTIME,
    BRIG_HOOK_CREATE_CONTAINER,
    BRIG_HOOK_START_CONTAINER,
    BRIG_HOOK_POSTSTART,
    BRIG_HOOK_POSTSTOP,
    BRIG_HOOK__COUNT
};

struct brig_spec_hooks {
    struct brig_spec_hook *hooks[BRIG_HOOK__COUNT];
    size_t n_hooks[BRIG_HOOK__COUNT];
};

struct brig_spec_namespace {
    int type;   /* CLONE_NEWPID, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC,
                   CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME */
    char *path; /* join this one instead of creating a new one; NULL = new */
};

struct brig_spec_device {
    char type; /* 'c', 'b', 'u' (== 'c'), 'p' */
    char *path;
    int64_t major, minor;
    bool has_mode, has_uid, has_gid;
    mode_t file_mode;
    uint32_t uid, gid;
};

/* linux.resources.devices entry (the device cgroup list). */
struct brig_spec_device_rule {
    bool allow;
    char type;            /* 'a', 'c', 'b' */
    int64_t major, minor; /* -1 = wildcard */
    char access[4];       /* subset of "rwm", NUL-terminated */
};

struct brig_spec_kv {
    char *key, *value;
};

struct brig_spec_resources {
    /* memory: -1 means unlimited */
    bool has_memory_limit, has_memory_reservation, has_memory_swap, has_memory_swappiness;
    int64_t memory_limit, memory_reservation, memory_swap;
    uint64_t memory_swappiness;
    bool disable_oom_killer;
    /* cpu */
    bool has_cpu_shares, has_cpu_quota, has_cpu_period, has_cpu_burst, has_cpu_idle;
    uint64_t cpu_shares;
    int64_t cpu_quota; /* -1 = max */
    uint64_t cpu_period;
    uint64_t cpu_burst;
    int64_t cpu_idle;
    char *cpu_cpus; /* cpuset */
    char *cpu_mems;
    /* pids: <= 0 means unlimited */
    bool has_pids_limit;
    int64_t pids_limit;
    /* blockIO */
    bool has_blkio_weight;
    uint16_t blkio_weight;
    /* devices */
    struct brig_spec_device_rule *devices;
    size_t n_devices;
    /* cgroup v2 key/values written as-is ("memory.high": "1G") */
    struct brig_spec_kv *unified;
    size_t n_unified;
};

enum brig_seccomp_op {
    BRIG_SCMP_CMP_NE = 1,
    BRIG_SCMP_CMP_LT,
    BRIG_SCMP_CMP_LE,
    BRIG_SCMP_CMP_EQ,
    BRIG_SCMP_CMP_GE,
    BRIG_SCMP_CMP_GT,
    BRIG_SCMP_CMP_MASKED_EQ,
}; /* same numbering as libseccomp's enum scmp_compare */

struct brig_seccomp_arg {
    unsigned index;
    uint64_t value, value_two;
    enum brig_seccomp_op op;
};

/* Actions are libseccomp's SCMP_ACT_* values, errno/trace data folded in
 * (SCMP_ACT_ERRNO(n)).  The spec's names are mapped by the parser. */
struct brig_seccomp_rule {
    char **names;
    uint32_t action;
    struct brig_seccomp_arg *args;
    size_t n_args;
};

struct brig_spec_seccomp {
    uint32_t default_action;
    char **architectures; /* "SCMP_ARCH_X86_64", ... */
    char **flags;         /* "SECCOMP_FILTER_FLAG_LOG", ... */
    char *listener_path;  /* refused clearly if set: no notify support yet */
    struct brig_seccomp_rule *rules;
    size_t n_rules;
};

struct brig_spec_linux {
    struct brig_spec_namespace *namespaces;
    size_t n_namespaces;
    struct brig_spec_idmap *uid_mappings, *gid_mappings;
    size_t n_uid_mappings, n_gid_mappings;
    struct brig_spec_device *devices;
    size_t n_devices;
    char *cgroups_path;
    bool has_resources;
    struct brig_spec_resources resources;
    unsigned long rootfs_propagation;  /* MS_* (| MS_REC), 0 = default (rslave) */
    struct brig_spec_seccomp *seccomp; /* NULL = none */
    struct brig_spec_kv *sysctl;
    size_t n_sysctl;
    char **masked_paths;
    char **readonly_paths;
    char *mount_label;
    bool has_personality;
    unsigned long personality; /* PER_LINUX or PER_LINUX32 | flags */
};

struct brig_spec {
    char *oci_version;
    char *root_path; /* as written; relative to the bundle unless absolute */
    bool root_readonly;
    char *hostname;
    char *domainname;
    struct brig_spec_process *process; /* NULL when absent (allowed for create? no: required) */
    struct brig_spec_mount *mounts;
    size_t n_mounts;
    struct brig_spec_hooks hooks;
    struct brig_spec_kv *annotations;
    size_t n_annotations;
    struct brig_spec_linux linux_; /* "linux" is a predefined macro in GNU C */
};

/* Parse and validate a config.json document.  `data` need not be
 * NUL-terminated.  On error returns NULL and sets *reterr to one line that
 * names the JSON path and the problem. */
struct brig_spec *brig_spec_load_data(const char *data, size_t len, brig_error *reterr);
/* Read BUNDLE/config.json and parse it. */
struct brig_spec *brig_spec_load_file(const char *path, brig_error *reterr);
void brig_spec_free(struct brig_spec *spec);
static inline void brig_spec_freep(struct brig_spec **s)
{
    if (*s)
        brig_spec_free(*s);
}
#define _cleanup_spec_ __attribute__((cleanup(brig_spec_freep)))

/* Parse an OCI process.json (for `exec --process`): same rules as "process". */
struct brig_spec_process *brig_spec_process_load_data(const char *data, size_t len,
                                                      brig_error *reterr);
void brig_spec_process_free(struct brig_spec_process *p);

/* Mount options: ["ro","nosuid","rbind","rprivate","mode=755","Z"] -> opts.
 * Unknown options that are not fs data ("key=value" or a bare word the
 * kernel might know) go to data.  Returns -1 with an error naming the option
 * for contradictions or malformed entries. */
int brig_spec_parse_mount_options(char *const *options, struct brig_mount_opts *ret,
                                  brig_error *reterr);
void brig_mount_opts_clear(struct brig_mount_opts *o);

/* Capability names: "CAP_SYS_ADMIN" <-> 21.  -1 when unknown. */
int brig_cap_from_name(const char *name);
const char *brig_cap_to_name(int cap);
int brig_cap_last_cap(void); /* highest capability this table knows */

/* The namespace a sysctl key ("net.ipv4.ip_forward" or
 * "net/ipv4/ip_forward") lives in: CLONE_NEWIPC, CLONE_NEWNET or
 * CLONE_NEWUTS; 0 for a sysctl that is one value for the whole host
 * (kernel.*, vm.*, fs.* other than fs.mqueue.*); -1 for a malformed key
 * (empty, "..", a leading or trailing separator, control characters). */
int brig_sysctl_namespace(const char *key);

/* Annotations lookup: NULL when absent. */
const char *brig_spec_annotation(const struct brig_spec *spec, const char *key);

/* A default config.json as `runc spec` writes it (rootless variant with
 * user namespace and mappings for the calling user).  Returns a JSON string. */
char *brig_spec_default_json(bool rootless);

#endif

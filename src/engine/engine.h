/* brig: the docker-like engine.  What every verb shares: the effective
 * configuration, the store locations, the container lookup, and the
 * one-line error report.  Each verb lives in a cmd_*.c file and returns the
 * process's exit status.
 *
 * Storage (engine_conf.storage_root, default /var/lib/brig):
 *     image/                    the image store (src/lib/image)
 *     containers/<id>/          one container: record.json, bundle/, upper/,
 *                               work/, log files, exit.json (see ctr.h)
 *     names/<name>              symlink -> <id>: a name is taken with one
 *                               symlinkat(), so two `run --name x` never
 *                               both win
 * Runtime state (engine_conf.run_root, default /run/brig) is libbrig's: the
 * same root brig-runtime uses, so MCS reservations are unique across both. */
#ifndef BRIG_ENGINE_H
#define BRIG_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cleanup.h"
#include "core/error.h"

#define ENGINE_NAME "brig"

/* The effective settings: built-in defaults, then /etc/brig/brig.conf (or
 * $BRIG_CONFIG), then BRIG_* environment variables (see conf.c and
 * docs/brig.conf.md).  Every vector is NULL-terminated or NULL. */
struct engine_conf {
    char *conf_path;          /* the file read; NULL when none existed */
    char *storage_root;       /* BRIG_STORAGE_ROOT, default /var/lib/brig */
    char *run_root;           /* BRIG_RUN_ROOT, default /run/brig */
    char **default_ulimits;   /* docker's spelling "nofile=1024:4096" */
    char **default_caps;      /* capability names "CAP_CHOWN"; NULL = DESIGN.md's set */
    char *seccomp_profile;    /* NULL = brig's built-in profile, "unconfined", or a path */
    bool label;               /* SVirt by default (when SELinux is enabled) */
    char *label_process_type; /* override lxc_contexts' process type; NULL = policy's */
    char *label_file_type;    /* override the file type; NULL = policy's */
    uint64_t log_max_size;    /* bytes per log file before rotation (default 10 MiB) */
    unsigned log_max_files;   /* files kept, the live one included (default 3) */
    char *storage_driver;     /* "overlay" (default) or "vfs" (copy) */
};
/* Load the effective configuration.  A malformed file or variable fails:
 * "/etc/brig/brig.conf:12: log_max_size: `ten` is not a size". */
int engine_conf_load(struct engine_conf *c, brig_error *reterr);
void engine_conf_clear(struct engine_conf *c);

struct brig_image_store;

struct engine {
    struct engine_conf conf;
    int storage_fd; /* storage_root, opened (created) */
    int run_fd;     /* run_root, opened (created) */
    int containers_fd;
    int names_fd;
    struct brig_image_store *images; /* opened on first use: engine_images() */
};

/* Open the storage root, its containers/ and names/ and the run root. */
int engine_open(struct engine *e, brig_error *reterr);
void engine_close(struct engine *e);
/* The image store, opened on first use. */
int engine_images(struct engine *e, struct brig_image_store **ret, brig_error *reterr);

/* Resolve a container name, full id or unique id prefix to its id:
 *   "container `x`: no such container" */
int engine_ctr_lookup(struct engine *e, const char *ref, char **ret_id, brig_error *reterr);
/* Is any container (running or not) made from this image?  For rmi.
 * ret_user gets the first such container's name. */
bool engine_image_in_use(const char *image_id, char **ret_user, void *engine);
/* True while the container's process runs (or is paused). */
bool engine_ctr_is_running(struct engine *e, const char *id);
/* The container's directory, STORAGE/containers/<id> (caller frees). */
char *engine_ctr_dir(struct engine *e, const char *id);

/* Print "brig: msg" to stderr; return exit status 1 (125 from run/create). */
int engine_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int engine_fail_error(brig_error *err); /* frees it */
int engine_fail_status(int status, brig_error *err);

/* "every capability" for --privileged, --cap-add ALL, exec --privileged:
 * brig's own bounding set (a host or an outer container may have dropped
 * some), as docker does. */
uint64_t engine_caps_all(void);
/* "SIGTERM", "term", "15" -> 15; -1 when unknown. */
int engine_signal_parse(const char *s);

/* Docker's byte sizes: "512", "100k", "64m", "1g" (binary units, b/k/m/g
 * upper or lower case). */
int engine_parse_bytes(const char *s, int64_t *ret);
/* "5s", "10m", "1h", RFC 3339 or a unix time -> unix seconds (for --since). */
int engine_parse_time(const char *s, double *ret);
/* "2 minutes ago", "About an hour ago" as docker prints. */
char *engine_human_ago(const char *rfc3339);
/* "1.2MB" as docker prints sizes. */
char *engine_human_size(uint64_t bytes);

/* Options are parsed with getopt_long ("+" first: parsing stops at the
 * image or the first argument); each verb prints its own usage on -h/--help
 * and "brig VERB: unknown flag: --x" on an unknown one. */

/* Every verb. */
int cmd_run(struct engine *e, int argc, char **argv);
int cmd_create(struct engine *e, int argc, char **argv);
int cmd_start(struct engine *e, int argc, char **argv);
int cmd_ps(struct engine *e, int argc, char **argv);
int cmd_stop(struct engine *e, int argc, char **argv);
int cmd_kill(struct engine *e, int argc, char **argv);
int cmd_rm(struct engine *e, int argc, char **argv);
int cmd_exec(struct engine *e, int argc, char **argv);
int cmd_logs(struct engine *e, int argc, char **argv);
int cmd_wait(struct engine *e, int argc, char **argv);
int cmd_inspect(struct engine *e, int argc, char **argv);
int cmd_pause(struct engine *e, int argc, char **argv);
int cmd_unpause(struct engine *e, int argc, char **argv);
int cmd_top(struct engine *e, int argc, char **argv);
int cmd_stats(struct engine *e, int argc, char **argv);
int cmd_rename(struct engine *e, int argc, char **argv);
int cmd_port(struct engine *e, int argc, char **argv);
int cmd_images(struct engine *e, int argc, char **argv);
int cmd_load(struct engine *e, int argc, char **argv);
int cmd_import(struct engine *e, int argc, char **argv);
int cmd_rmi(struct engine *e, int argc, char **argv);
int cmd_tag(struct engine *e, int argc, char **argv);
int cmd_info(struct engine *e, int argc, char **argv);
int cmd_selinux(struct engine *e, int argc, char **argv); /* cmd_selinux.c */
int cmd_policy(struct engine *e, int argc, char **argv);  /* cmd_policy.c */

#endif

/* brig-runtime: what every verb shares — global options, option parsing
 * with runc's conventions, and the one-line error report. */
#ifndef BRIG_RUNTIME_CLI_H
#define BRIG_RUNTIME_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cleanup.h"
#include "core/error.h"

#define CLI_NAME "brig-runtime"
#define CLI_DEFAULT_ROOT "/run/brig"

struct cli_global {
    const char *root;
    const char *log_path;
    const char *log_format; /* "text" or "json" */
    bool debug;
    bool systemd_cgroup;
    FILE *log; /* --log, opened for append; NULL when not given */
};

enum cli_opt_type {
    CLI_BOOL,   /* bool *: "--x", "--x=true", "--x=false" */
    CLI_STRING, /* const char **: points into argv */
    CLI_STRV,   /* char ***: repeatable, each value appended (copied) */
    CLI_INT,    /* int *: non-negative decimal */
    CLI_IGNORE, /* takes a value that brig accepts for compatibility and ignores */
};

struct cli_opt {
    const char *name; /* long name without dashes; NULL ends the table */
    char short_name;  /* 0 when none */
    enum cli_opt_type type;
    void *target;
    bool *seen; /* optional: set when the option was given */
};

/* Parse options of `verb` from argv[start..].  Parsing stops at the first
 * argument that is not an option (as runc's CLI does) or after "--".
 * Returns the index of the first remaining argument, CLI_HELP when -h or
 * --help was given (usage is printed), or -1 after printing an error. */
#define CLI_HELP (-2)
int cli_parse_opts(struct cli_global *g, const char *verb, const char *usage,
                   const struct cli_opt *opts, int argc, char **argv, int start);

/* The container id at argv[idx], which must be the last argument when
 * `exact`.  Prints "`verb` requires a container id" and returns NULL. */
const char *cli_require_id(struct cli_global *g, const char *verb, int argc, char **argv, int idx,
                           bool exact);

/* Print "brig-runtime: msg" to stderr (and the log); return exit status 1. */
int cli_fail(struct cli_global *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same for a library error; frees it. */
int cli_fail_error(struct cli_global *g, brig_error *err);

/* libbrig's log callback: warnings to stderr and the log, debug only with
 * --debug. */
void cli_log_cb(int level, const char *msg, void *data);
/* One record in the --log file, in --log-format. */
void cli_log_write(struct cli_global *g, const char *level, const char *msg);

/* Print a JSON document indented, as runc prints state/spec/features. */
int cli_print_json(struct cli_global *g, const char *json);

/* Byte counts as runc takes them: "-1", "1048576", "512k", "64M", "1g",
 * "2GiB"; binary units. */
int cli_parse_bytes(const char *s, int64_t *ret);

/* create and run share their options: fill `opts` (room for at least
 * CLI_CREATE_OPTS_MAX entries, NULL-terminated) pointing into `o`. */
struct brig_create_opts;
#define CLI_CREATE_OPTS_MAX 12
void cli_create_opts_table(struct brig_create_opts *o, const char **pidfd_socket,
                           struct cli_opt *opts);

/* Every verb. */
int cmd_create(struct cli_global *g, int argc, char **argv);
int cmd_start(struct cli_global *g, int argc, char **argv);
int cmd_state(struct cli_global *g, int argc, char **argv);
int cmd_kill(struct cli_global *g, int argc, char **argv);
int cmd_delete(struct cli_global *g, int argc, char **argv);
int cmd_run(struct cli_global *g, int argc, char **argv);
int cmd_exec(struct cli_global *g, int argc, char **argv);
int cmd_ps(struct cli_global *g, int argc, char **argv);
int cmd_pause(struct cli_global *g, int argc, char **argv);
int cmd_resume(struct cli_global *g, int argc, char **argv);
int cmd_list(struct cli_global *g, int argc, char **argv);
int cmd_spec(struct cli_global *g, int argc, char **argv);
int cmd_features(struct cli_global *g, int argc, char **argv);
int cmd_update(struct cli_global *g, int argc, char **argv);

#endif

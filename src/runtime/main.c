/* brig-runtime: an OCI runtime with runc's command line.
 *
 *   brig-runtime [global options] COMMAND [options] [arguments]
 *
 * main() parses the global options, opens --log, installs libbrig's log
 * callback and hands the rest to one verb from the table below.  Every
 * verb lives in its own file and returns the process's exit status. */
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sandbox/container.h"
#include "sandbox/selfexe.h"

struct command {
    const char *name;
    int (*fn)(struct cli_global *g, int argc, char **argv);
    const char *summary;
    bool enters; /* its processes enter a container: run from a read-only clone */
};

static const struct command commands[] = {
    {"create", cmd_create, "create a container", true},
    {"start", cmd_start, "execute the user-defined process in a created container", false},
    {"run", cmd_run, "create and start a container", true},
    {"state", cmd_state, "output the state of a container", false},
    {"kill", cmd_kill, "send a signal to the container's init process", false},
    {"delete", cmd_delete, "delete any resources held by the container", false},
    {"exec", cmd_exec, "execute new process inside the container", true},
    {"ps", cmd_ps, "display the processes running inside a container", false},
    {"pause", cmd_pause, "suspend all processes inside the container", false},
    {"resume", cmd_resume, "resume all processes that have been previously paused", false},
    {"list", cmd_list, "list containers started by brig-runtime with the given root", false},
    {"update", cmd_update, "update container resource constraints", false},
    {"spec", cmd_spec, "create a new specification file", false},
    {"features", cmd_features, "show the enabled features", false},
};

static void print_help(void)
{
    printf("Usage: %s [global options] COMMAND [options] [arguments]\n\n"
           "brig-runtime runs containers from OCI bundles, with runc's command line.\n\n"
           "Commands:\n",
           CLI_NAME);
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(commands); i++)
        printf("   %-10s %s\n", commands[i].name, commands[i].summary);
    printf("   %-10s %s\n", "help", "show this help");
    printf("\nGlobal options:\n"
           "   --root DIR               state directory (default: %s)\n"
           "   --log FILE               also write errors and warnings to FILE\n"
           "   --log-format text|json   format of --log records (default: text)\n"
           "   --debug                  log debug messages\n"
           "   --systemd-cgroup         cgroupsPath is \"slice:prefix:name\" (systemd style)\n"
           "   --rootless auto|true|false  accepted for compatibility, ignored\n"
           "   --criu PATH              accepted for compatibility, ignored\n"
           "   --version, -v            print the version\n"
           "   --help, -h               show this help\n"
           "\nRun '%s COMMAND --help' for a command's options.\n",
           CLI_DEFAULT_ROOT, CLI_NAME);
}

static void print_version(void)
{
    const struct scmp_version *sv = seccomp_version();

    printf("%s version %s\nspec: 1.1.0\n", CLI_NAME, BRIG_VERSION);
    if (sv != NULL)
        printf("libseccomp: %u.%u.%u\n", sv->major, sv->minor, sv->micro);
}

int main(int argc, char **argv)
{
    struct cli_global g = {.root = CLI_DEFAULT_ROOT, .log_format = "text"};
    bool help = false, version = false, version_short = false;
    const char *rootless = NULL;
    const struct cli_opt opts[] = {
        {"root", 0, CLI_STRING, &g.root, NULL},
        {"log", 0, CLI_STRING, &g.log_path, NULL},
        {"log-format", 0, CLI_STRING, &g.log_format, NULL},
        {"debug", 0, CLI_BOOL, &g.debug, NULL},
        {"systemd-cgroup", 0, CLI_BOOL, &g.systemd_cgroup, NULL},
        {"rootless", 0, CLI_STRING, &rootless, NULL},
        {"criu", 0, CLI_IGNORE, NULL, NULL},
        {"version", 0, CLI_BOOL, &version, NULL},
        {"v", 'v', CLI_BOOL, &version_short, NULL},
        {"help", 'h', CLI_BOOL, &help, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    const char *verb;
    int idx, r;

    idx = cli_parse_opts(&g, NULL, "", opts, argc, argv, 1);
    if (idx == CLI_HELP) {
        print_help();
        return 0;
    }
    if (idx < 0)
        return 1;
    if (version || version_short) {
        print_version();
        return 0;
    }
    if (strcmp(g.log_format, "text") != 0 && strcmp(g.log_format, "json") != 0)
        return cli_fail(&g, "unknown log format `%s` (want `text` or `json`)", g.log_format);
    if (rootless != NULL && strcmp(rootless, "auto") != 0 && strcmp(rootless, "true") != 0 &&
        strcmp(rootless, "false") != 0)
        return cli_fail(&g, "invalid --rootless value `%s` (want auto, true or false)", rootless);
    if (g.log_path != NULL && *g.log_path != '\0') {
        /* "e": the log must not leak into the container's processes. */
        g.log = fopen(g.log_path, "ae");
        if (g.log == NULL)
            return cli_fail(&g, "open log `%s`: %m", g.log_path);
    }
    brig_set_log(cli_log_cb, &g);

    if (idx >= argc || strcmp(argv[idx], "help") == 0) {
        print_help();
        r = 0; /* as runc: no command shows the help */
        goto out;
    }
    verb = argv[idx];
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(commands); i++) {
        if (strcmp(commands[i].name, verb) == 0) {
            _cleanup_error_ brig_error err = NULL;

            if (commands[i].enters && brig_selfexe_ensure_cloned(argv, &err) < 0) {
                r = cli_fail(&g, "%s", err->msg);
                goto out;
            }
            r = commands[i].fn(&g, argc - idx, argv + idx);
            goto out;
        }
    }
    r = cli_fail(&g, "unknown command `%s`", verb);
out:
    brig_set_log(NULL, NULL);
    if (g.log != NULL)
        fclose(g.log);
    /* A full disk or closed pipe must not look like success. */
    if (fflush(stdout) != 0 && r == 0)
        r = 1;
    return r;
}

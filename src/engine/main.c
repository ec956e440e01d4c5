/* brig: run containers the way docker does, over libbrig.
 *
 *   brig [--help|--version] COMMAND [options] [arguments]
 *
 * main() loads the configuration, opens the stores and hands the rest to
 * one verb from the table below; each verb returns the exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "sandbox/container.h"
#include "sandbox/selfexe.h"

struct command {
    const char *name;
    int (*fn)(struct engine *e, int argc, char **argv);
    const char *summary;
    bool enters; /* it, or the monitor it forks, enters a container */
};

static const struct command commands[] = {
    {"run", cmd_run, "Create and run a new container from an image", true},
    {"create", cmd_create, "Create a new container", true},
    {"start", cmd_start, "Start one or more stopped containers", true},
    {"ps", cmd_ps, "List containers", false},
    {"stop", cmd_stop, "Stop one or more running containers", false},
    {"kill", cmd_kill, "Kill one or more running containers", false},
    {"rm", cmd_rm, "Remove one or more containers", false},
    {"exec", cmd_exec, "Execute a command in a running container", true},
    {"logs", cmd_logs, "Fetch the logs of a container", false},
    {"wait", cmd_wait, "Block until containers stop, then print their exit codes", false},
    {"inspect", cmd_inspect, "Return low-level information on containers or images", false},
    {"pause", cmd_pause, "Pause all processes within one or more containers", false},
    {"unpause", cmd_unpause, "Unpause all processes within one or more containers", false},
    {"top", cmd_top, "Display the running processes of a container", false},
    {"stats", cmd_stats, "Display a snapshot of containers' resource usage", false},
    {"rename", cmd_rename, "Rename a container", false},
    {"port", cmd_port, "List port mappings of a container", false},
    {"images", cmd_images, "List images", false},
    {"load", cmd_load, "Load an image from a tar archive or STDIN", false},
    {"import", cmd_import, "Import a rootfs tarball as an image", false},
    {"rmi", cmd_rmi, "Remove one or more images", false},
    {"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", false},
    {"info", cmd_info, "Display system-wide information", false},
#ifdef BRIG_HAVE_CMD_SELINUX
    {"selinux", cmd_selinux, "SELinux: host status, a container's denials, explain avc lines",
     false},
#endif
#ifdef BRIG_HAVE_CMD_POLICY
    {"policy", cmd_policy, "Generate (and install) a policy module for a container", false},
#endif
};

static void print_help(FILE *f)
{
    fprintf(f,
            "Usage: %s [OPTIONS] COMMAND\n\n"
            "Run containers confined by SELinux (SVirt), namespaces, capabilities,\n"
            "seccomp and cgroups, with docker's commands.\n\nCommands:\n",
            ENGINE_NAME);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\nOptions:\n"
            "  -h, --help      Print usage\n"
            "  -v, --version   Print version information and quit\n"
            "\nSettings come from /etc/brig/brig.conf and BRIG_* variables (brig info).\n"
            "Run '%s COMMAND --help' for more information on a command.\n",
            ENGINE_NAME);
}

static void log_cb(int level, const char *msg, void *data)
{
    if (level <= BRIG_LOG_WARNING)
        fprintf(stderr, "%s: %s%s\n", ENGINE_NAME, level == BRIG_LOG_WARNING ? "warning: " : "",
                msg);
}

int main(int argc, char **argv)
{
    struct engine e = {.storage_fd = -1, .run_fd = -1, .containers_fd = -1, .names_fd = -1};
    brig_error err = NULL;
    const struct command *cmd = NULL;
    int status;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0 ||
        strcmp(argv[1], "version") == 0) {
        printf("%s version %s\n", ENGINE_NAME, BRIG_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            cmd = &commands[i];
    if (cmd == NULL) {
        if (argv[1][0] == '-')
            return engine_fail("unknown flag: %s (see '%s --help')", argv[1], ENGINE_NAME);
        return engine_fail("'%s' is not a brig command (see '%s --help')", argv[1], ENGINE_NAME);
    }
    /* Before anything is opened: the re-exec keeps only argv and environ. */
    if (cmd->enters && brig_selfexe_ensure_cloned(argv, &err) < 0)
        return engine_fail_error(&err);
    brig_set_log(log_cb, NULL);
    if (engine_conf_load(&e.conf, &err) < 0)
        return engine_fail_error(&err);
    if (engine_open(&e, &err) < 0) {
        engine_conf_clear(&e.conf);
        return engine_fail_error(&err);
    }
    status = cmd->fn(&e, argc - 1, argv + 1);
    engine_close(&e);
    return status;
}

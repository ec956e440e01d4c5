/* brig-runtime run [options] <container-id>: create + start; attached, the
 * container's exit status is this command's exit status. */
#include "cli.h"
#include "sandbox/container.h"

static const char usage[] =
    "Usage: brig-runtime run [options] <container-id>\n\n"
    "Create and start a container.  Without --detach, wait for it and exit\n"
    "with its status (128+N when killed by signal N).\n\n"
    "Options:\n"
    "   --bundle, -b DIR        bundle directory (default: the current directory)\n"
    "   --console-socket PATH   AF_UNIX socket that receives the console's pty master\n"
    "   --detach, -d            return once the container has started\n"
    "   --keep                  do not delete the container after it exits\n"
    "   --pid-file PATH         write the container's init pid to PATH\n"
    "   --no-pivot              use MS_MOVE instead of pivot_root (ramfs roots)\n"
    "   --no-new-keyring        keep the caller's session keyring\n"
    "   --no-subreaper          accepted for compatibility, ignored\n"
    "   --preserve-fds N        pass N extra fds (from fd 3) to the container\n";

int cmd_run(struct cli_global *g, int argc, char **argv)
{
    struct brig_run_opts o = {.create = {.root = g->root, .systemd_cgroup = g->systemd_cgroup}};
    struct cli_opt opts[CLI_CREATE_OPTS_MAX + 3];
    const char *pidfd_socket = NULL;
    bool no_subreaper = false;
    const struct cli_opt extra[] = {
        {"detach", 'd', CLI_BOOL, &o.detach, NULL},
        {"keep", 0, CLI_BOOL, &o.keep, NULL},
        {"no-subreaper", 0, CLI_BOOL, &no_subreaper, NULL},
    };
    brig_error err = NULL;
    size_t n = 0;
    int idx, status = 0;

    cli_create_opts_table(&o.create, &pidfd_socket, opts);
    while (opts[n].name != NULL)
        n++;
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(extra); i++)
        opts[n++] = extra[i];
    opts[n] = (struct cli_opt){NULL, 0, 0, NULL, NULL};

    idx = cli_parse_opts(g, argv[0], usage, opts, argc, argv, 1);
    if (idx < 0)
        return idx == CLI_HELP ? 0 : 1;
    o.create.id = cli_require_id(g, argv[0], argc, argv, idx, true);
    if (o.create.id == NULL)
        return 1;
    if (pidfd_socket != NULL)
        return cli_fail(g, "--pidfd-socket is not supported by brig-runtime yet");
    if (brig_container_run(&o, &status, &err) < 0)
        return cli_fail_error(g, &err);
    return o.detach ? 0 : status;
}

/* brig-runtime create [options] <container-id> */
#include "cli.h"
#include "sandbox/container.h"

static const char usage[] =
    "Usage: brig-runtime create [options] <container-id>\n\n"
    "Create a container from a bundle; its process waits for `start`.\n\n"
    "Options:\n"
    "   --bundle, -b DIR        bundle directory (default: the current directory)\n"
    "   --console-socket PATH   AF_UNIX socket that receives the console's pty master\n"
    "   --pid-file PATH         write the container's init pid to PATH\n"
    "   --no-pivot              use MS_MOVE instead of pivot_root (ramfs roots)\n"
    "   --no-new-keyring        keep the caller's session keyring\n"
    "   --preserve-fds N        pass N extra fds (from fd 3) to the container\n";

void cli_create_opts_table(struct brig_create_opts *o, const char **pidfd_socket,
                           struct cli_opt *opts)
{
    const struct cli_opt common[] = {
        {"bundle", 'b', CLI_STRING, &o->bundle, NULL},
        {"console-socket", 0, CLI_STRING, &o->console_socket, NULL},
        {"pid-file", 0, CLI_STRING, &o->pid_file, NULL},
        {"no-pivot", 0, CLI_BOOL, &o->no_pivot, NULL},
        {"no-new-keyring", 0, CLI_BOOL, &o->no_new_keyring, NULL},
        {"preserve-fds", 0, CLI_INT, &o->preserve_fds, NULL},
        {"pidfd-socket", 0, CLI_STRING, pidfd_socket, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(common); i++)
        opts[i] = common[i];
}

int cmd_create(struct cli_global *g, int argc, char **argv)
{
    struct brig_create_opts o = {.root = g->root, .systemd_cgroup = g->systemd_cgroup};
    struct cli_opt opts[CLI_CREATE_OPTS_MAX];
    const char *pidfd_socket = NULL;
    brig_error err = NULL;
    int idx;

    cli_create_opts_table(&o, &pidfd_socket, opts);
    idx = cli_parse_opts(g, argv[0], usage, opts, argc, argv, 1);
    if (idx < 0)
        return idx == CLI_HELP ? 0 : 1;
    o.id = cli_require_id(g, argv[0], argc, argv, idx, true);
    if (o.id == NULL)
        return 1;
    if (pidfd_socket != NULL)
        return cli_fail(g, "--pidfd-socket is not supported by brig-runtime yet");
    if (brig_container_create(&o, &err) < 0)
        return cli_fail_error(g, &err);
    return 0;
}

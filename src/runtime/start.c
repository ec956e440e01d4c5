/* brig-runtime start <container-id> */
#include "cli.h"
#include "sandbox/container.h"

static const char usage[] = "Usage: brig-runtime start <container-id>\n\n"
                            "Execute the user-defined process in a created container.\n";

int cmd_start(struct cli_global *g, int argc, char **argv)
{
    const struct cli_opt opts[] = {{NULL, 0, 0, NULL, NULL}};
    brig_error err = NULL;
    const char *id;
    int idx;

    idx = cli_parse_opts(g, argv[0], usage, opts, argc, argv, 1);
    if (idx < 0)
        return idx == CLI_HELP ? 0 : 1;
    id = cli_require_id(g, argv[0], argc, argv, idx, true);
    if (id == NULL)
        return 1;
    if (brig_container_start(g->root, id, &err) < 0)
        return cli_fail_error(g, &err);
    return 0;
}

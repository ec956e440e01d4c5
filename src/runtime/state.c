/* brig-runtime state <container-id>: the OCI state as indented JSON. */
#include <stdlib.h>

#include "cli.h"
#include "core/cleanup.h"
#include "sandbox/container.h"

static const char usage[] = "Usage: brig-runtime state <container-id>\n\n"
                            "Output the state of a container as JSON.\n";

int cmd_state(struct cli_global *g, int argc, char **argv)
{
    const struct cli_opt opts[] = {{NULL, 0, 0, NULL, NULL}};
    _cleanup_free_ char *json = NULL;
    brig_error err = NULL;
    const char *id;
    int idx;

    idx = cli_parse_opts(g, argv[0], usage, opts, argc, argv, 1);
    if (idx < 0)
        return idx == CLI_HELP ? 0 : 1;
    id = cli_require_id(g, argv[0], argc, argv, idx, true);
    if (id == NULL)
        return 1;
    if (brig_container_state(g->root, id, &json, &err) < 0)
        return cli_fail_error(g, &err);
    return cli_print_json(g, json);
}

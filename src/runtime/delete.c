/* brig-runtime delete [--force] <container-id> */
#include <errno.h>

#include "cli.h"
#include "sandbox/container.h"

static const char usage[] =
    "Usage: brig-runtime delete [options] <container-id>\n\n"
    "Delete any resources held by the container.\n\n"
    "Options:\n"
    "   --force, -f   kill the container first if it is still running (SIGKILL);\n"
    "                 a container that does not exist is not an error\n";

int cmd_delete(struct cli_global *g, int argc, char **argv)
{
    bool force = false;
    const struct cli_opt opts[] = {
        {"force", 'f', CLI_BOOL, &force, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    brig_error err = NULL;
    const char *id;
    int idx;

    idx = cli_parse_opts(g, argv[0], usage, opts, argc, argv, 1);
    if (idx < 0)
        return idx == CLI_HELP ? 0 : 1;
    id = cli_require_id(g, argv[0], argc, argv, idx, true);
    if (id == NULL)
        return 1;
    if (brig_container_delete(g->root, id, force, &err) < 0) {
        /* As runc: `delete --force` of a container that is already gone
         * succeeds, so a shim's cleanup after a crash is idempotent. */
        if (force && err != NULL && err->errnum == ENOENT) {
            brig_error_free(&err);
            return 0;
        }
        return cli_fail_error(g, &err);
    }
    return 0;
}

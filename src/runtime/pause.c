/* brig-runtime pause|resume <container-id>: freeze or thaw the container's
 * cgroup. */
#include <string.h>

#include "cli.h"
#include "sandbox/container.h"

static const char usage_pause[] = "Usage: brig-runtime pause <container-id>\n\n"
                                  "Suspend all processes inside the container (cgroup freezer).\n";
static const char usage_resume[] = "Usage: brig-runtime resume <container-id>\n\n"
                                   "Resume all processes that have been previously paused.\n";

static int pause_or_resume(struct cli_global *g, int argc, char **argv, bool pause)
{
    const struct cli_opt opts[] = {{NULL, 0, 0, NULL, NULL}};
    brig_error err = NULL;
    const char *id;
    int idx, r;

    idx = cli_parse_opts(g, argv[0], pause ? usage_pause : usage_resume, opts, argc, argv, 1);
    if (idx < 0)
        return idx == CLI_HELP ? 0 : 1;
    id = cli_require_id(g, argv[0], argc, argv, idx, true);
    if (id == NULL)
        return 1;
    r = pause ? brig_container_pause(g->root, id, &err) : brig_container_resume(g->root, id, &err);
    if (r < 0)
        return cli_fail_error(g, &err);
    return 0;
}

int cmd_pause(struct cli_global *g, int argc, char **argv)
{
    return pause_or_resume(g, argc, argv, true);
}

int cmd_resume(struct cli_global *g, int argc, char **argv)
{
    return pause_or_resume(g, argc, argv, false);
}

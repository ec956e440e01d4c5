/* brig-runtime features: what this runtime supports, as the runtime-spec's
 * features.md describes it. */
#include <stdlib.h>

#include "cli.h"
#include "sandbox/container.h"

static const char usage[] = "Usage: brig-runtime features\n\n"
                            "Show the enabled features (JSON).\n";

int cmd_features(struct cli_global *g, int argc, char **argv)
{
    const struct cli_opt opts[] = {{NULL, 0, 0, NULL, NULL}};
    _cleanup_free_ char *json = NULL;
    int idx;

    idx = cli_parse_opts(g, argv[0], usage, opts, argc, argv, 1);
    if (idx < 0)
        return idx == CLI_HELP ? 0 : 1;
    if (idx < argc)
        return cli_fail(g, "`features` takes no arguments, got `%s`", argv[idx]);
    json = brig_features_json();
    if (json == NULL)
        return cli_fail(g, "features: no description available");
    return cli_print_json(g, json);
}

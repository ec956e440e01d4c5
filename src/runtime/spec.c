/* brig-runtime spec [--rootless] [--bundle DIR]: write a default
 * config.json, never over an existing one. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/util.h"
#include "spec/spec.h"

static const char usage[] =
    "Usage: brig-runtime spec [options]\n\n"
    "Create a new config.json (runs `sh` in the bundle's rootfs/).\n\n"
    "Options:\n"
    "   --bundle, -b DIR   write DIR/config.json (default: the current directory)\n"
    "   --rootless         a config for an unprivileged user (user namespace)\n";

int cmd_spec(struct cli_global *g, int argc, char **argv)
{
    const char *bundle = NULL;
    bool rootless = false;
    const struct cli_opt opts[] = {
        {"bundle", 'b', CLI_STRING, &bundle, NULL},
        {"rootless", 0, CLI_BOOL, &rootless, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    _cleanup_free_ char *json = NULL, *path = NULL;
    _cleanup_close_ int fd = -1;
    struct json_object *o;
    const char *text;
    int idx, r;

    idx = cli_parse_opts(g, argv[0], usage, opts, argc, argv, 1);
    if (idx < 0)
        return idx == CLI_HELP ? 0 : 1;
    if (idx < argc)
        return cli_fail(g, "`spec` takes no arguments, got `%s`", argv[idx]);
    path = bundle ? brig_xasprintf("%s/config.json", bundle) : brig_xstrdup("config.json");
    json = brig_spec_default_json(rootless);
    if (json == NULL)
        return cli_fail(g, "generate default config: failed");
    /* O_EXCL: an existing config.json is someone's work, never replaced. */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
    if (fd < 0) {
        if (errno == EEXIST)
            return cli_fail(g, "config.json already exists in `%s`: remove it first",
                            bundle ? bundle : ".");
        return cli_fail(g, "create `%s`: %m", path);
    }
    o = json_tokener_parse(json);
    text = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                     JSON_C_TO_STRING_NOSLASHESCAPE)
             : json;
    r = brig_write_all(fd, text, strlen(text)) < 0 || brig_write_all(fd, "\n", 1) < 0;
    if (r) {
        int saved = errno;
        json_object_put(o);
        unlink(path);
        return cli_fail(g, "write `%s`: %s", path, strerror(saved));
    }
    json_object_put(o);
    return 0;
}

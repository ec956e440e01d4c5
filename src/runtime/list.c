/* brig-runtime list [--format table|json] [--quiet] */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/util.h"
#include "sandbox/container.h"

static const char usage[] = "Usage: brig-runtime list [options]\n\n"
                            "List the containers under the state root.\n\n"
                            "Options:\n"
                            "   --format, -f table|json   output format (default: table)\n"
                            "   --quiet, -q               print only the container ids\n";

#define NCOLS 6

/* Columns padded as runc's tabwriter pads them: at least 12 wide and 3
 * spaces after the longest cell; the last column is not padded. */
static void print_table(const struct brig_container_info *v, size_t n)
{
    const char *header[NCOLS] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
    size_t width[NCOLS];
    char **cells = brig_xmalloc0((n + 1) * NCOLS * sizeof(char *));

    for (int c = 0; c < NCOLS; c++)
        cells[c] = brig_xstrdup(header[c]);
    for (size_t i = 0; i < n; i++) {
        char **row = cells + (i + 1) * NCOLS;
        row[0] = brig_xstrdup(v[i].id);
        row[1] = brig_xasprintf("%d", (int)v[i].pid);
        row[2] = brig_xstrdup(brig_status_name(v[i].status));
        row[3] = brig_xstrdup(v[i].bundle ? v[i].bundle : "");
        row[4] = brig_xstrdup(v[i].created ? v[i].created : "");
        row[5] = brig_xstrdup(v[i].owner ? v[i].owner : "");
    }
    for (int c = 0; c < NCOLS; c++) {
        width[c] = 12;
        for (size_t r = 0; r <= n; r++)
            if (strlen(cells[r * NCOLS + c]) + 3 > width[c])
                width[c] = strlen(cells[r * NCOLS + c]) + 3;
    }
    for (size_t r = 0; r <= n; r++) {
        for (int c = 0; c < NCOLS - 1; c++)
            printf("%-*s", (int)width[c], cells[r * NCOLS + c]);
        printf("%s\n", cells[r * NCOLS + NCOLS - 1]);
    }
    for (size_t k = 0; k < (n + 1) * NCOLS; k++)
        free(cells[k]);
    free(cells);
}

static void print_json(const struct brig_container_info *v, size_t n)
{
    struct json_object *a = json_object_new_array();

    for (size_t i = 0; i < n; i++) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "ociVersion", json_object_new_string("1.1.0"));
        json_object_object_add(o, "id", json_object_new_string(v[i].id));
        json_object_object_add(o, "pid", json_object_new_int(v[i].pid));
        json_object_object_add(o, "status", json_object_new_string(brig_status_name(v[i].status)));
        json_object_object_add(o, "bundle", json_object_new_string(v[i].bundle ? v[i].bundle : ""));
        json_object_object_add(o, "created",
                               json_object_new_string(v[i].created ? v[i].created : ""));
        json_object_object_add(o, "owner", json_object_new_string(v[i].owner ? v[i].owner : ""));
        json_object_array_add(a, o);
    }
    printf("%s\n", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(a);
}

int cmd_list(struct cli_global *g, int argc, char **argv)
{
    const char *format = "table";
    bool quiet = false;
    const struct cli_opt opts[] = {
        {"format", 'f', CLI_STRING, &format, NULL},
        {"quiet", 'q', CLI_BOOL, &quiet, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    struct brig_container_info *v = NULL;
    brig_error err = NULL;
    size_t n = 0;
    int idx;

    idx = cli_parse_opts(g, argv[0], usage, opts, argc, argv, 1);
    if (idx < 0)
        return idx == CLI_HELP ? 0 : 1;
    if (idx < argc)
        return cli_fail(g, "`list` takes no arguments, got `%s`", argv[idx]);
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return cli_fail(g, "invalid format `%s` (want table or json)", format);
    if (brig_container_list(g->root, &v, &n, &err) < 0)
        return cli_fail_error(g, &err);
    if (quiet) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", v[i].id);
    } else if (strcmp(format, "json") == 0) {
        print_json(v, n);
    } else {
        print_table(v, n);
    }
    brig_container_info_free(v, n);
    return 0;
}

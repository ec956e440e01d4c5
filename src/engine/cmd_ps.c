/* ps: docker's table, -a, -q, --format json. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "ctr.h"

static char *status_text(const struct ctr_state *st)
{
    _cleanup_free_ char *ago = NULL;
    if (strcmp(st->status, "running") == 0 || strcmp(st->status, "paused") == 0) {
        ago = engine_human_ago(st->started_at);
        /* "Up 3 seconds" from "3 seconds ago" */
        size_t n = strlen(ago);
        if (n > 4 && strcmp(ago + n - 4, " ago") == 0)
            ago[n - 4] = '\0';
        return brig_xasprintf("Up %s%s", ago, strcmp(st->status, "paused") == 0 ? " (Paused)" : "");
    }
    if (strcmp(st->status, "exited") == 0) {
        /* A monitor killed before it recorded the end: no time to show
         * (not "2026 years ago"). */
        if (strcmp(st->finished_at, CTR_ZERO_TIME) == 0)
            return brig_xasprintf("Exited (%d)", st->exit_code);
        ago = engine_human_ago(st->finished_at);
        return brig_xasprintf("Exited (%d) %s", st->exit_code, ago);
    }
    return brig_xstrdup("Created");
}

static char *command_text(struct ctr *c)
{
    json_object *args = ctr_get(c, "Args");
    const char *path = ctr_get_str(c, "Path");
    char *out = brig_xasprintf("\"%s", path ? path : "");
    for (size_t i = 0; args && i < json_object_array_length(args); i++) {
        char *next = brig_xasprintf("%s %s", out,
                                    json_object_get_string(json_object_array_get_idx(args, i)));
        free(out);
        out = next;
    }
    if (strlen(out) > 20)
        strcpy(out + 17, "…");
    char *q = brig_xasprintf("%s\"", out);
    free(out);
    return q;
}

int cmd_ps(struct engine *e, int argc, char **argv)
{
    static const struct option lo[] = {
        {"all", no_argument, NULL, 'a'},      {"quiet", no_argument, NULL, 'q'},
        {"no-trunc", no_argument, NULL, 'n'}, {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'H'},     {NULL, 0, NULL, 0}};
    bool all = false, quiet = false, no_trunc = false, json = false;
    _cleanup_strv_ char **ids = NULL;
    brig_error err = NULL;
    json_object *arr = NULL;
    int ch;

    opterr = 0;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "+aq", lo, NULL)) != -1) {
        switch (ch) {
        case 'a':
            all = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'n':
            no_trunc = true;
            break;
        case 'f':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "{{json .}}") != 0)
                return engine_fail("ps: --format `%s`: only `json` is supported", optarg);
            json = true;
            break;
        case 'H':
            printf("Usage:  brig ps [OPTIONS]\n\nList containers\n\nOptions:\n"
                   "  -a, --all             Show all containers (default shows just running)\n"
                   "      --format json     Print one JSON array (docker's field names)\n"
                   "      --no-trunc        Don't truncate output\n"
                   "  -q, --quiet           Only display container IDs\n");
            return 0;
        default:
            return engine_fail("ps: unknown flag: %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return engine_fail("ps: unexpected argument `%s`", argv[optind]);
    if (ctr_list(e, &ids, &err) < 0)
        return engine_fail_error(&err);
    if (json)
        arr = json_object_new_array();
    else if (!quiet)
        printf("%-12s   %-20s %-22s %-19s %-28s %-7s %s\n", "CONTAINER ID", "IMAGE", "COMMAND",
               "CREATED", "STATUS", "PORTS", "NAMES");
    for (char **id = ids; *id; id++) {
        _cleanup_ctr_ struct ctr *c = NULL;
        struct ctr_state st;
        if (ctr_open(e, *id, &c, &err) < 0 || ctr_state_get(e, c, &st, &err) < 0) {
            brig_error_free(&err);
            continue; /* removed under us */
        }
        bool live = strcmp(st.status, "running") == 0 || strcmp(st.status, "paused") == 0;
        if (!all && !live) {
            ctr_state_clear(&st);
            continue;
        }
        _cleanup_free_ char *status = status_text(&st), *cmd = command_text(c),
                            *created = engine_human_ago(ctr_get_str(c, "Created"));
        const char *image = ctr_get_str(c, "ImageName");
        if (json) {
            json_object *o = json_object_new_object(), *names = json_object_new_array();
            json_object_object_add(o, "Id", json_object_new_string(c->id));
            json_object_array_add(names, json_object_new_string(ctr_get_str(c, "Name")));
            json_object_object_add(o, "Names", names);
            json_object_object_add(o, "Image", json_object_new_string(image ? image : ""));
            json_object_object_add(o, "ImageID",
                                   json_object_new_string(ctr_get_str(c, "Image") ?: ""));
            json_object_object_add(o, "Command", json_object_new_string(cmd));
            double t = 0;
            (void)engine_parse_time(ctr_get_str(c, "Created"), &t);
            json_object_object_add(o, "Created", json_object_new_int64((int64_t)t));
            json_object_object_add(o, "State", json_object_new_string(st.status));
            json_object_object_add(o, "Status", json_object_new_string(status));
            json_object_object_add(o, "Ports", json_object_new_array());
            json_object *labels = ctr_get(c, "Config.Labels");
            json_object_object_add(o, "Labels",
                                   labels ? json_object_get(labels) : json_object_new_object());
            json_object *mounts = ctr_get(c, "Mounts");
            json_object_object_add(o, "Mounts",
                                   mounts ? json_object_get(mounts) : json_object_new_array());
            json_object_object_add(o, "Pid", json_object_new_int(st.pid));
            json_object_object_add(o, "ExitCode", json_object_new_int(st.exit_code));
            json_object_array_add(arr, o);
        } else if (quiet) {
            printf("%.*s\n", no_trunc ? 64 : 12, c->id);
        } else {
            printf("%-12.*s   %-20s %-22s %-19s %-28s %-7s %s\n", no_trunc ? 64 : 12, c->id,
                   image ? image : "", cmd, created, status, "", ctr_name(c));
        }
        ctr_state_clear(&st);
    }
    if (json) {
        printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
    }
    return 0;
}

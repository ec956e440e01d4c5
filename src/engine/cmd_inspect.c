/* inspect: docker's JSON for containers and images, -f for one field. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "ctr.h"
#include "image/image.h"

static json_object *strv_json(char *const *v)
{
    json_object *a = json_object_new_array();
    for (; v && *v; v++)
        json_object_array_add(a, json_object_new_string(*v));
    return a;
}

static json_object *config_get(struct ctr *c, const char *key1, const char *key2)
{
    _cleanup_free_ char *path = brig_xasprintf("%s/bundle/config.json", c->dir), *buf = NULL;
    _cleanup_error_ brig_error ignored = NULL;
    json_object *cfg, *o = NULL, *r = NULL;
    size_t len;
    if (brig_read_file_at(AT_FDCWD, path, 16 << 20, &buf, &len, &ignored) < 0)
        return NULL;
    cfg = json_tokener_parse(buf);
    if (cfg && json_object_object_get_ex(cfg, key1, &o) && o &&
        (key2 == NULL || json_object_object_get_ex(o, key2, &o)))
        r = json_object_get(o);
    json_object_put(cfg);
    return r;
}

static json_object *ctr_json(struct engine *e, struct ctr *c, brig_error *reterr)
{
    struct ctr_state st;
    json_object *o, *state, *caps, *seccomp;
    if (ctr_state_get(e, c, &st, reterr) < 0)
        return NULL;
    o = json_object_get(c->rec);
    state = json_object_new_object();
    json_object_object_add(state, "Status", json_object_new_string(st.status));
    json_object_object_add(state, "Running",
                           json_object_new_boolean(strcmp(st.status, "running") == 0 ||
                                                   strcmp(st.status, "paused") == 0));
    json_object_object_add(state, "Paused",
                           json_object_new_boolean(strcmp(st.status, "paused") == 0));
    json_object_object_add(state, "Restarting", json_object_new_boolean(0));
    json_object_object_add(state, "OOMKilled", json_object_new_boolean(st.oom_killed));
    json_object_object_add(state, "Dead", json_object_new_boolean(0));
    json_object_object_add(state, "Pid", json_object_new_int(st.pid));
    json_object_object_add(state, "ExitCode", json_object_new_int(st.exit_code));
    json_object_object_add(state, "Error", json_object_new_string(""));
    json_object_object_add(state, "StartedAt", json_object_new_string(st.started_at));
    json_object_object_add(state, "FinishedAt", json_object_new_string(st.finished_at));
    json_object_object_add(o, "State", state);
    if (!json_object_object_get_ex(o, "ProcessLabel", NULL))
        json_object_object_add(o, "ProcessLabel", json_object_new_string(""));
    if (!json_object_object_get_ex(o, "MountLabel", NULL))
        json_object_object_add(o, "MountLabel", json_object_new_string(""));
    /* what the container really runs with (podman's names) */
    caps = config_get(c, "process", "capabilities");
    json_object *eff = NULL, *bnd = NULL;
    if (caps) {
        json_object_object_get_ex(caps, "effective", &eff);
        json_object_object_get_ex(caps, "bounding", &bnd);
    }
    json_object_object_add(o, "EffectiveCaps",
                           eff ? json_object_get(eff) : json_object_new_array());
    json_object_object_add(o, "BoundingCaps", bnd ? json_object_get(bnd) : json_object_new_array());
    json_object_put(caps);
    seccomp = config_get(c, "linux", "seccomp");
    json_object_object_add(o, "SeccompMode",
                           json_object_new_string(seccomp ? "filter" : "disabled"));
    const char *prof = ctr_get_str(c, "HostConfig.SeccompProfile");
    json_object_object_add(o, "SeccompProfilePath", json_object_new_string(prof ? prof : ""));
    json_object_put(seccomp);
    ctr_state_clear(&st);
    return o;
}

static json_object *image_json(const struct brig_image *img)
{
    json_object *o = json_object_new_object(), *cfg = json_object_new_object(),
                *rootfs = json_object_new_object(), *labels = json_object_new_object(),
                *ports = json_object_new_object(), *vols = json_object_new_object();
    _cleanup_free_ char *id = brig_xasprintf("sha256:%s", img->id);
    json_object_object_add(o, "Id", json_object_new_string(id));
    json_object_object_add(o, "RepoTags", strv_json(img->repo_tags));
    json_object_object_add(o, "Created", json_object_new_string(img->created ? img->created : ""));
    json_object_object_add(o, "Architecture", json_object_new_string(img->arch ? img->arch : ""));
    json_object_object_add(o, "Os", json_object_new_string(img->os ? img->os : ""));
    json_object_object_add(o, "Size", json_object_new_int64((int64_t)img->size));
    json_object_object_add(cfg, "Env", strv_json(img->env));
    json_object_object_add(cfg, "Cmd", strv_json(img->cmd));
    json_object_object_add(cfg, "Entrypoint", strv_json(img->entrypoint));
    json_object_object_add(cfg, "WorkingDir",
                           json_object_new_string(img->working_dir ? img->working_dir : ""));
    json_object_object_add(cfg, "User", json_object_new_string(img->user ? img->user : ""));
    json_object_object_add(cfg, "StopSignal",
                           json_object_new_string(img->stop_signal ? img->stop_signal : ""));
    for (char **l = img->labels; l && *l; l++) {
        _cleanup_free_ char *k = brig_xstrndup(*l, strcspn(*l, "="));
        const char *v = strchr(*l, '=');
        json_object_object_add(labels, k, json_object_new_string(v ? v + 1 : ""));
    }
    for (char **p = img->exposed_ports; p && *p; p++)
        json_object_object_add(ports, *p, json_object_new_object());
    for (char **p = img->volumes; p && *p; p++)
        json_object_object_add(vols, *p, json_object_new_object());
    json_object_object_add(cfg, "Labels", labels);
    json_object_object_add(cfg, "ExposedPorts", ports);
    json_object_object_add(cfg, "Volumes", vols);
    json_object_object_add(o, "Config", cfg);
    json_object_object_add(rootfs, "Type", json_object_new_string("layers"));
    json_object_object_add(rootfs, "Layers", strv_json(img->layers));
    json_object_object_add(o, "RootFS", rootfs);
    return o;
}

/* A small part of Go templates: text with {{.A.B}} and {{json .A}}. */
static int format_print(const char *fmt, json_object *o)
{
    const char *p = fmt;
    while (*p) {
        const char *open = strstr(p, "{{"), *close;
        if (open == NULL) {
            fputs(p, stdout);
            break;
        }
        fwrite(p, 1, (size_t)(open - p), stdout);
        close = strstr(open, "}}");
        if (close == NULL)
            return engine_fail("inspect: --format: unterminated `{{`");
        _cleanup_free_ char *expr = brig_xstrndup(open + 2, (size_t)(close - open - 2));
        char *x = expr;
        bool as_json = false;
        while (*x == ' ')
            x++;
        if (strncmp(x, "json ", 5) == 0) {
            as_json = true;
            x += 5;
            while (*x == ' ')
                x++;
        }
        for (char *end = x + strlen(x); end > x && end[-1] == ' ';)
            *--end = '\0';
        if (*x != '.')
            return engine_fail("inspect: --format: `%s`: only {{.Field}} and {{json .Field}} "
                               "are supported",
                               expr);
        json_object *v = o;
        for (char *save = NULL, *k = strtok_r(x + 1, ".", &save); k && v;
             k = strtok_r(NULL, ".", &save))
            if (!json_object_object_get_ex(v, k, &v))
                return engine_fail("inspect: --format: no field `%s`", k);
        if (!as_json && v && json_object_is_type(v, json_type_string))
            fputs(json_object_get_string(v), stdout);
        else if (!as_json && v && json_object_is_type(v, json_type_array)) {
            fputc('[', stdout);
            for (size_t i = 0; i < json_object_array_length(v); i++)
                printf("%s%s", i ? " " : "",
                       json_object_get_string(json_object_array_get_idx(v, i)));
            fputc(']', stdout);
        } else
            fputs(v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE)
                    : "null",
                  stdout);
        p = close + 2;
    }
    fputc('\n', stdout);
    return 0;
}

int cmd_inspect(struct engine *e, int argc, char **argv)
{
    static const struct option lo[] = {{"format", required_argument, NULL, 'f'},
                                       {"type", required_argument, NULL, 'T'},
                                       {"size", no_argument, NULL, 's'},
                                       {"help", no_argument, NULL, 'H'},
                                       {NULL, 0, NULL, 0}};
    const char *format = NULL, *type = NULL;
    json_object *arr = json_object_new_array();
    int ch, status = 0;

    opterr = 0;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "+f:s", lo, NULL)) != -1) {
        switch (ch) {
        case 'f':
            format = optarg;
            break;
        case 'T':
            if (strcmp(optarg, "container") != 0 && strcmp(optarg, "image") != 0) {
                json_object_put(arr);
                return engine_fail("inspect: --type `%s`: must be container or image", optarg);
            }
            type = optarg;
            break;
        case 's':
            break;
        case 'H':
            json_object_put(arr);
            printf("Usage:  brig inspect [OPTIONS] NAME|ID [NAME|ID...]\n\n"
                   "Return low-level information on containers or images\n\nOptions:\n"
                   "  -f, --format string   Format the output using a Go-like template\n"
                   "      --type string     container or image\n");
            return 0;
        default:
            json_object_put(arr);
            return engine_fail("inspect: unknown flag: %s", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        json_object_put(arr);
        return engine_fail("\"brig inspect\" requires at least 1 argument");
    }
    for (int i = optind; i < argc; i++) {
        brig_error err = NULL;
        json_object *o = NULL;
        if (type == NULL || strcmp(type, "container") == 0) {
            _cleanup_ctr_ struct ctr *c = NULL;
            if (ctr_open(e, argv[i], &c, &err) == 0)
                o = ctr_json(e, c, &err);
        }
        if (o == NULL && (type == NULL || strcmp(type, "image") == 0)) {
            struct brig_image_store *s;
            struct brig_image *img = NULL;
            brig_error_free(&err);
            if (engine_images(e, &s, &err) == 0 && brig_image_get(s, argv[i], &img, &err) == 0) {
                o = image_json(img);
                brig_image_free(img);
            }
        }
        if (o == NULL) {
            brig_error_free(&err);
            status = engine_fail("inspect: no such object: `%s`", argv[i]);
            continue;
        }
        if (format) {
            if (format_print(format, o) != 0)
                status = 1;
            json_object_put(o);
        } else {
            json_object_array_add(arr, o);
        }
    }
    if (!format)
        printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(arr);
    return status;
}

/* The image verbs: images, load, import, rmi, tag (docker's flags and
 * output), over the image store in src/lib/image. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "engine.h"
#include "image/image.h"

/* getopt_long with "+" (stop at the first argument) and our own one-line
 * message for an unknown flag: "brig: load: unknown flag: --x". */
static int bad_flag(const char *verb, int argc, char **argv)
{
    const char *arg = optind - 1 < argc && optind > 0 ? argv[optind - 1] : "?";
    if (optopt != 0 && arg[0] == '-' && arg[1] != '-')
        return engine_fail("%s: unknown shorthand flag: '%c' in %s", verb, optopt, arg);
    return engine_fail("%s: unknown flag: %s", verb, arg);
}

static int missing_arg(const char *verb, int argc, char **argv)
{
    const char *arg = optind - 1 < argc && optind > 0 ? argv[optind - 1] : "?";
    return engine_fail("%s: flag needs an argument: %s", verb, arg);
}

static int open_store(struct engine *e, struct brig_image_store **s)
{
    brig_error err = NULL;
    if (engine_images(e, s, &err) < 0)
        return engine_fail_error(&err);
    return 0;
}

/* ---- images ---- */

struct row {
    char *repo, *tag, *id, *created, *size;
};

static void split_name(const char *name, char **repo, char **tag)
{
    const char *c = strrchr(name, ':');
    const char *slash = strrchr(name, '/');
    if (c == NULL || (slash && c < slash)) {
        *repo = brig_xstrdup(name);
        *tag = brig_xstrdup("latest");
        return;
    }
    *repo = strndup(name, (size_t)(c - name));
    *tag = brig_xstrdup(c + 1);
    if (*repo == NULL)
        abort();
}

static bool matches(const char *filter, const char *repo, const char *tag)
{
    const char *c = strrchr(filter, ':');
    const char *slash = strrchr(filter, '/');
    if (c == NULL || (slash && c < slash))
        return strcmp(filter, repo) == 0;
    return strncmp(filter, repo, (size_t)(c - filter)) == 0 && repo[c - filter] == '\0' &&
           strcmp(c + 1, tag) == 0;
}

static int print_json(struct brig_image **v, size_t n)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object(), *tags = json_object_new_array();
        json_object *labels = json_object_new_object();
        _cleanup_free_ char *id = brig_xasprintf("sha256:%s", v[i]->id);
        json_object_object_add(o, "Id", json_object_new_string(id));
        for (char **t = v[i]->repo_tags; *t; t++)
            json_object_array_add(tags, json_object_new_string(*t));
        json_object_object_add(o, "RepoTags", tags);
        json_object_object_add(o, "Created",
                               v[i]->created ? json_object_new_string(v[i]->created) : NULL);
        json_object_object_add(o, "Size", json_object_new_int64((int64_t)v[i]->size));
        json_object_object_add(o, "VirtualSize", json_object_new_int64((int64_t)v[i]->size));
        json_object_object_add(o, "Architecture",
                               json_object_new_string(v[i]->arch ? v[i]->arch : ""));
        json_object_object_add(o, "Os", json_object_new_string(v[i]->os ? v[i]->os : ""));
        for (char **l = v[i]->labels; *l; l++) {
            const char *eq = strchr(*l, '=');
            _cleanup_free_ char *k = strndup(*l, eq ? (size_t)(eq - *l) : strlen(*l));
            json_object_object_add(labels, k, json_object_new_string(eq ? eq + 1 : ""));
        }
        json_object_object_add(o, "Labels", labels);
        json_object_object_add(o, "Layers", json_object_new_int64((int64_t)v[i]->n_layers));
        json_object_array_add(arr, o);
    }
    printf("%s\n",
           json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(arr);
    return 0;
}

int cmd_images(struct engine *e, int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},          {"quiet", no_argument, NULL, 'q'},
        {"format", required_argument, NULL, 'F'}, {"no-trunc", no_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    bool quiet = false, json = false, no_trunc = false;
    struct brig_image_store *s;
    struct brig_image **v = NULL;
    size_t n = 0, nrows = 0;
    struct row *rows = NULL;
    brig_error err = NULL;
    int c;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:aqh", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            break; /* no intermediate images exist here: -a shows the same */
        case 'q':
            quiet = true;
            break;
        case 'T':
            no_trunc = true;
            break;
        case 'F':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "{{json .}}") != 0)
                return engine_fail("images: --format: only `json` is supported, not `%s`", optarg);
            json = true;
            break;
        case 'h':
            printf("Usage:  %s images [OPTIONS] [REPOSITORY[:TAG]]\n\nList images\n\n"
                   "Options:\n  -a, --all             Show all images\n"
                   "      --format json     Print the images as a JSON array\n"
                   "      --no-trunc        Don't truncate output\n"
                   "  -q, --quiet           Only show image IDs\n",
                   ENGINE_NAME);
            return 0;
        case ':':
            return missing_arg("images", argc, argv);
        default:
            return bad_flag("images", argc, argv);
        }
    }
    if (argc - optind > 1)
        return engine_fail("images: \"images\" requires at most 1 argument");
    if (open_store(e, &s) != 0)
        return 1;
    if (brig_image_list(s, &v, &n, &err) < 0)
        return engine_fail_error(&err);
    const char *filter = optind < argc ? argv[optind] : NULL;
    if (json) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            bool keep = filter == NULL;
            for (char **t = v[i]->repo_tags; *t && !keep; t++) {
                _cleanup_free_ char *r = NULL, *tg = NULL;
                split_name(*t, &r, &tg);
                keep = matches(filter, r, tg);
            }
            if (keep)
                v[k++] = v[i];
            else
                brig_image_free(v[i]);
        }
        print_json(v, k);
        brig_image_list_free(v, k);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        struct brig_image *img = v[i];
        size_t nt = brig_strv_len(img->repo_tags);
        for (size_t t = 0; t < (nt ? nt : 1); t++) {
            struct row r = {0};
            if (nt) {
                split_name(img->repo_tags[t], &r.repo, &r.tag);
            } else {
                r.repo = brig_xstrdup("<none>");
                r.tag = brig_xstrdup("<none>");
            }
            if (filter != NULL && !matches(filter, r.repo, r.tag)) {
                free(r.repo), free(r.tag);
                continue;
            }
            r.id =
                no_trunc ? brig_xasprintf("sha256:%s", img->id) : brig_xasprintf("%.12s", img->id);
            r.created = img->created ? engine_human_ago(img->created) : brig_xstrdup("N/A");
            r.size = engine_human_size(img->size);
            rows = brig_xrealloc(rows, (nrows + 1) * sizeof(*rows));
            rows[nrows++] = r;
        }
    }
    if (quiet) {
        for (size_t i = 0; i < nrows; i++) {
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = strcmp(rows[j].id, rows[i].id) == 0;
            if (!seen)
                printf("%s\n", rows[i].id);
        }
    } else {
        int w[4] = {10, 3, 8, 7}; /* the headers' widths */
        for (size_t i = 0; i < nrows; i++) {
            int l[4] = {(int)strlen(rows[i].repo), (int)strlen(rows[i].tag),
                        (int)strlen(rows[i].id), (int)strlen(rows[i].created)};
            for (int k = 0; k < 4; k++)
                if (l[k] > w[k])
                    w[k] = l[k];
        }
        printf("%-*s   %-*s   %-*s   %-*s   %s\n", w[0], "REPOSITORY", w[1], "TAG", w[2],
               "IMAGE ID", w[3], "CREATED", "SIZE");
        for (size_t i = 0; i < nrows; i++)
            printf("%-*s   %-*s   %-*s   %-*s   %s\n", w[0], rows[i].repo, w[1], rows[i].tag, w[2],
                   rows[i].id, w[3], rows[i].created, rows[i].size);
    }
    for (size_t i = 0; i < nrows; i++)
        free(rows[i].repo), free(rows[i].tag), free(rows[i].id), free(rows[i].created),
            free(rows[i].size);
    free(rows);
    brig_image_list_free(v, n);
    return 0;
}

/* ---- load ---- */

int cmd_load(struct engine *e, int argc, char **argv)
{
    static const struct option opts[] = {
        {"input", required_argument, NULL, 'i'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *input = NULL;
    struct brig_image_store *s;
    _cleanup_strv_ char **names = NULL;
    brig_error err = NULL;
    int c;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:i:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            input = optarg;
            break;
        case 'q':
            break; /* there is no progress output to suppress */
        case 'h':
            printf("Usage:  %s load [OPTIONS]\n\nLoad an image from a tar archive or STDIN\n\n"
                   "Options:\n  -i, --input string   Read from tar archive file (a "
                   "docker-archive,\n                       an oci-archive or an OCI layout "
                   "directory),\n                       instead of STDIN\n"
                   "  -q, --quiet          Suppress the load output\n",
                   ENGINE_NAME);
            return 0;
        case ':':
            return missing_arg("load", argc, argv);
        default:
            return bad_flag("load", argc, argv);
        }
    }
    if (optind < argc)
        return engine_fail("load: \"load\" accepts no arguments (use -i FILE)");
    if (input == NULL && isatty(STDIN_FILENO))
        return engine_fail("requested load from stdin, but stdin is empty");
    if (open_store(e, &s) != 0)
        return 1;
    if (brig_image_load(s, input ? input : "-", &names, &err) < 0)
        return engine_fail_error(&err);
    for (char **n = names; *n; n++) {
        if (brig_str_has_prefix(*n, "sha256:"))
            printf("Loaded image ID: %s\n", *n);
        else
            printf("Loaded image: %s\n", *n);
    }
    return 0;
}

/* ---- import ---- */

int cmd_import(struct engine *e, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct brig_image_store *s;
    _cleanup_free_ char *id = NULL;
    brig_error err = NULL;
    int c;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("Usage:  %s import [OPTIONS] file|- [REPOSITORY[:TAG]]\n\n"
                   "Import the contents from a tarball to create a filesystem image\n",
                   ENGINE_NAME);
            return 0;
        default:
            return bad_flag("import", argc, argv);
        }
    }
    if (argc - optind < 1 || argc - optind > 2)
        return engine_fail("import: \"import\" requires 1 or 2 arguments: TARBALL "
                           "[REPOSITORY[:TAG]]");
    if (open_store(e, &s) != 0)
        return 1;
    if (brig_image_import(s, argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL, &id, &err) <
        0)
        return engine_fail_error(&err);
    printf("sha256:%s\n", id);
    return 0;
}

/* ---- rmi ---- */

int cmd_rmi(struct engine *e, int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'},
        {"no-prune", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct brig_image_store *s;
    bool force = false;
    int c, status = 0;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            force = true;
            break;
        case 'P':
            break; /* layers belong to images, there are no parents to prune */
        case 'h':
            printf("Usage:  %s rmi [OPTIONS] IMAGE [IMAGE...]\n\nRemove one or more images\n\n"
                   "Options:\n  -f, --force      Force removal of the image\n"
                   "      --no-prune   Do not delete untagged parents\n",
                   ENGINE_NAME);
            return 0;
        default:
            return bad_flag("rmi", argc, argv);
        }
    }
    if (optind >= argc)
        return engine_fail("rmi: \"rmi\" requires at least 1 argument");
    if (open_store(e, &s) != 0)
        return 1;
    for (int i = optind; i < argc; i++) {
        _cleanup_strv_ char **lines = NULL;
        brig_error err = NULL;
        if (brig_image_remove(s, argv[i], force, engine_image_in_use, e, &lines, &err) < 0) {
            engine_fail_error(&err);
            status = 1;
            continue;
        }
        for (char **l = lines; *l; l++)
            printf("%s\n", *l);
    }
    return status;
}

/* ---- tag ---- */

int cmd_tag(struct engine *e, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct brig_image_store *s;
    brig_error err = NULL;
    int c;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("Usage:  %s tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\n"
                   "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n",
                   ENGINE_NAME);
            return 0;
        default:
            return bad_flag("tag", argc, argv);
        }
    }
    if (argc - optind != 2)
        return engine_fail("tag: \"tag\" requires exactly 2 arguments");
    if (open_store(e, &s) != 0)
        return 1;
    if (brig_image_tag(s, argv[optind], argv[optind + 1], &err) < 0)
        return engine_fail_error(&err);
    return 0;
}

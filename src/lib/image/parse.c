/* The JSON documents an archive carries: docker-archive's manifest.json,
 * OCI index.json and image manifests, and the image config.  Every field is
 * type-checked; a document that is not what it says fails with one line. */
#include <json-c/json.h>
#include <string.h>

#include "core/util.h"
#include "image/image_internal.h"

#define MAX_ITEMS 1024 /* layers, manifests, tags: far above any real image */

char *image_printable(const char *s)
{
    size_t n = strlen(s);
    bool cut = n > 200;
    char *r;
    if (cut)
        n = 200;
    r = brig_xmalloc0(n + 4);
    for (size_t i = 0; i < n; i++)
        r[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    if (cut)
        memcpy(r + n, "...", 3);
    return r;
}

static json_object *parse_doc(const char *data, size_t len, const char *what, brig_error *reterr)
{
    json_tokener *tok = json_tokener_new();
    json_object *o;
    if (tok == NULL)
        abort();
    if (len > INT32_MAX) {
        json_tokener_free(tok);
        brig_error_set(reterr, 0, "%s: too large", what);
        return NULL;
    }
    o = json_tokener_parse_ex(tok, data, (int)len);
    if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
        enum json_tokener_error e = json_tokener_get_error(tok);
        json_object_put(o);
        json_tokener_free(tok);
        brig_error_set(reterr, 0, "%s: not valid JSON (%s)", what,
                       e == json_tokener_continue ? "unexpected end" : json_tokener_error_desc(e));
        return NULL;
    }
    json_tokener_free(tok);
    return o;
}

/* A string member, or NULL when absent/null; -1 when present with a wrong type. */
static int get_str(json_object *o, const char *key, const char **ret, const char *what,
                   brig_error *reterr)
{
    json_object *v;
    *ret = NULL;
    if (!json_object_object_get_ex(o, key, &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return brig_error_set(reterr, 0, "%s: `%s` is not a string", what, key);
    *ret = json_object_get_string(v);
    if (strlen(*ret) != (size_t)json_object_get_string_len(v))
        return brig_error_set(reterr, 0, "%s: `%s` contains a NUL byte", what, key);
    return 0;
}

/* An array of strings (absent/null: empty vector). */
static int get_strv(json_object *o, const char *key, char ***ret, const char *what,
                    brig_error *reterr)
{
    json_object *v;
    char **r = brig_xmalloc0(sizeof(char *));
    *ret = r;
    if (!json_object_object_get_ex(o, key, &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_array))
        return brig_error_set(reterr, 0, "%s: `%s` is not an array", what, key);
    size_t n = json_object_array_length(v);
    if (n > MAX_ITEMS)
        return brig_error_set(reterr, 0, "%s: `%s` has too many items", what, key);
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(v, i);
        if (!json_object_is_type(s, json_type_string))
            return brig_error_set(reterr, 0, "%s: `%s` item %zu is not a string", what, key, i);
        const char *str = json_object_get_string(s);
        if (strlen(str) != (size_t)json_object_get_string_len(s))
            return brig_error_set(reterr, 0, "%s: `%s` item %zu contains a NUL byte", what, key, i);
        brig_strv_append(ret, str);
    }
    return 0;
}

void image_docker_entries_free(struct image_docker_entry *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        free(v[i].config);
        brig_strv_free(v[i].repo_tags);
        brig_strv_free(v[i].layers);
    }
    free(v);
}

int image_parse_docker_manifest(const char *data, size_t len, struct image_docker_entry **ret,
                                size_t *ret_n, brig_error *reterr)
{
    const char *what = "manifest.json";
    json_object *root = parse_doc(data, len, what, reterr);
    struct image_docker_entry *v = NULL;
    size_t n = 0;
    if (root == NULL)
        return -1;
    if (!json_object_is_type(root, json_type_array)) {
        json_object_put(root);
        return brig_error_set(reterr, 0, "%s: not an array of images", what);
    }
    n = json_object_array_length(root);
    if (n == 0 || n > MAX_ITEMS) {
        json_object_put(root);
        return brig_error_set(reterr, 0, "%s: %s", what, n == 0 ? "no images" : "too many images");
    }
    v = brig_xmalloc0(n * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(root, i);
        const char *config;
        if (!json_object_is_type(e, json_type_object)) {
            brig_error_set(reterr, 0, "%s: image %zu is not an object", what, i);
            goto fail;
        }
        if (get_str(e, "Config", &config, what, reterr) < 0 ||
            get_strv(e, "RepoTags", &v[i].repo_tags, what, reterr) < 0 ||
            get_strv(e, "Layers", &v[i].layers, what, reterr) < 0)
            goto fail;
        if (config == NULL || *config == '\0') {
            brig_error_set(reterr, 0, "%s: image %zu has no `Config`", what, i);
            goto fail;
        }
        v[i].config = brig_xstrdup(config);
    }
    json_object_put(root);
    *ret = v;
    *ret_n = n;
    return 0;
fail:
    json_object_put(root);
    image_docker_entries_free(v, n);
    return -1;
}

void image_descriptors_free(struct image_descriptor *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        free(v[i].media_type);
        free(v[i].ref_name);
        free(v[i].arch);
        free(v[i].os);
    }
    free(v);
}

static int parse_descriptor(json_object *o, struct image_descriptor *d, const char *what,
                            brig_error *reterr)
{
    const char *mt, *digest, *s;
    json_object *v, *ann, *plat;
    memset(d, 0, sizeof(*d));
    d->size = -1;
    if (!json_object_is_type(o, json_type_object))
        return brig_error_set(reterr, 0, "%s: a descriptor is not an object", what);
    if (get_str(o, "mediaType", &mt, what, reterr) < 0 ||
        get_str(o, "digest", &digest, what, reterr) < 0)
        return -1;
    if (digest == NULL)
        return brig_error_set(reterr, 0, "%s: a descriptor has no `digest`", what);
    if (image_digest_hex(digest) == NULL) {
        _cleanup_free_ char *p = image_printable(digest);
        return brig_error_set(reterr, 0, "%s: digest `%s` is not sha256:<64 hex>", what, p);
    }
    memcpy(d->hex, digest + 7, IMAGE_HEX_LEN + 1);
    if (mt != NULL)
        d->media_type = brig_xstrdup(mt);
    if (json_object_object_get_ex(o, "size", &v) && v != NULL) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
            return brig_error_set(reterr, 0, "%s: `size` is not a non-negative integer", what);
        d->size = json_object_get_int64(v);
    }
    if (json_object_object_get_ex(o, "annotations", &ann) && ann != NULL) {
        if (!json_object_is_type(ann, json_type_object))
            return brig_error_set(reterr, 0, "%s: `annotations` is not an object", what);
        if (get_str(ann, "io.containerd.image.name", &s, what, reterr) < 0)
            return -1;
        if (s == NULL && get_str(ann, "org.opencontainers.image.ref.name", &s, what, reterr) < 0)
            return -1;
        if (s != NULL)
            d->ref_name = brig_xstrdup(s);
    }
    if (json_object_object_get_ex(o, "platform", &plat) && plat != NULL) {
        if (!json_object_is_type(plat, json_type_object))
            return brig_error_set(reterr, 0, "%s: `platform` is not an object", what);
        if (get_str(plat, "architecture", &s, what, reterr) < 0)
            return -1;
        d->arch = s ? brig_xstrdup(s) : NULL;
        if (get_str(plat, "os", &s, what, reterr) < 0)
            return -1;
        d->os = s ? brig_xstrdup(s) : NULL;
    }
    return 0;
}

static int parse_descriptors(json_object *arr, const char *key, struct image_descriptor **ret,
                             size_t *ret_n, const char *what, brig_error *reterr)
{
    size_t n;
    struct image_descriptor *v;
    if (arr == NULL || !json_object_is_type(arr, json_type_array))
        return brig_error_set(reterr, 0, "%s: `%s` is missing or not an array", what, key);
    n = json_object_array_length(arr);
    if (n > MAX_ITEMS)
        return brig_error_set(reterr, 0, "%s: `%s` has too many items", what, key);
    v = brig_xmalloc0((n ? n : 1) * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        if (parse_descriptor(json_object_array_get_idx(arr, i), &v[i], what, reterr) < 0) {
            image_descriptors_free(v, i + 1);
            return -1;
        }
    *ret = v;
    *ret_n = n;
    return 0;
}

bool image_media_type_is_index(const char *mt)
{
    return mt != NULL &&
           (strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0 ||
            strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

int image_parse_oci_index(const char *data, size_t len, struct image_descriptor **ret,
                          size_t *ret_n, brig_error *reterr)
{
    const char *what = "index";
    json_object *root = parse_doc(data, len, what, reterr), *m = NULL;
    int r;
    if (root == NULL)
        return -1;
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return brig_error_set(reterr, 0, "%s: not an object", what);
    }
    json_object_object_get_ex(root, "manifests", &m);
    r = parse_descriptors(m, "manifests", ret, ret_n, what, reterr);
    json_object_put(root);
    return r;
}

int image_parse_oci_manifest(const char *data, size_t len, struct image_descriptor *ret_config,
                             struct image_descriptor **ret_layers, size_t *ret_n,
                             brig_error *reterr)
{
    const char *what = "image manifest";
    json_object *root = parse_doc(data, len, what, reterr), *c = NULL, *l = NULL;
    if (root == NULL)
        return -1;
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return brig_error_set(reterr, 0, "%s: not an object", what);
    }
    if (!json_object_object_get_ex(root, "config", &c) || c == NULL) {
        json_object_put(root);
        return brig_error_set(reterr, 0, "%s: no `config`", what);
    }
    if (parse_descriptor(c, ret_config, what, reterr) < 0) {
        free(ret_config->media_type);
        free(ret_config->ref_name);
        free(ret_config->arch);
        free(ret_config->os);
        json_object_put(root);
        return -1;
    }
    json_object_object_get_ex(root, "layers", &l);
    if (parse_descriptors(l, "layers", ret_layers, ret_n, what, reterr) < 0) {
        free(ret_config->media_type);
        free(ret_config->ref_name);
        free(ret_config->arch);
        free(ret_config->os);
        json_object_put(root);
        return -1;
    }
    json_object_put(root);
    return 0;
}

/* {"80/tcp": {}} -> "80/tcp"; {"k": "v"} -> "k=v" when with_values. */
static int get_keys(json_object *o, const char *key, char ***ret, bool with_values,
                    const char *what, brig_error *reterr)
{
    json_object *v;
    *ret = brig_xmalloc0(sizeof(char *));
    if (!json_object_object_get_ex(o, key, &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_object))
        return brig_error_set(reterr, 0, "%s: `%s` is not an object", what, key);
    json_object_object_foreach(v, k, val)
    {
        if (with_values) {
            if (!json_object_is_type(val, json_type_string))
                return brig_error_set(reterr, 0, "%s: `%s` values must be strings", what, key);
            _cleanup_free_ char *kv = brig_xasprintf("%s=%s", k, json_object_get_string(val));
            brig_strv_append(ret, kv);
        } else {
            brig_strv_append(ret, k);
        }
    }
    return 0;
}

static int set_opt_str(json_object *o, const char *key, char **dst, const char *what,
                       brig_error *reterr)
{
    const char *s;
    if (get_str(o, key, &s, what, reterr) < 0)
        return -1;
    free(*dst);
    *dst = (s != NULL && *s != '\0') ? brig_xstrdup(s) : NULL;
    return 0;
}

int image_parse_config(const char *data, size_t len, struct brig_image *img, char ***ret_diff_ids,
                       brig_error *reterr)
{
    const char *what = "image config";
    json_object *root = parse_doc(data, len, what, reterr), *cfg = NULL, *rootfs = NULL;
    _cleanup_strv_ char **ids = NULL;
    int r = -1;
    if (root == NULL)
        return -1;
    if (!json_object_is_type(root, json_type_object)) {
        brig_error_set(reterr, 0, "%s: not an object", what);
        goto out;
    }
    if (set_opt_str(root, "created", &img->created, what, reterr) < 0 ||
        set_opt_str(root, "architecture", &img->arch, what, reterr) < 0 ||
        set_opt_str(root, "os", &img->os, what, reterr) < 0)
        goto out;
    if (json_object_object_get_ex(root, "config", &cfg) && cfg != NULL &&
        !json_object_is_type(cfg, json_type_object)) {
        brig_error_set(reterr, 0, "%s: `config` is not an object", what);
        goto out;
    }
    if (cfg == NULL)
        cfg = json_object_new_object(), json_object_object_add(root, "config", cfg);
    brig_strv_free(img->env), img->env = NULL;
    brig_strv_free(img->entrypoint), img->entrypoint = NULL;
    brig_strv_free(img->cmd), img->cmd = NULL;
    brig_strv_free(img->exposed_ports), img->exposed_ports = NULL;
    brig_strv_free(img->volumes), img->volumes = NULL;
    brig_strv_free(img->labels), img->labels = NULL;
    if (get_strv(cfg, "Env", &img->env, what, reterr) < 0 ||
        get_strv(cfg, "Entrypoint", &img->entrypoint, what, reterr) < 0 ||
        get_strv(cfg, "Cmd", &img->cmd, what, reterr) < 0 ||
        set_opt_str(cfg, "WorkingDir", &img->working_dir, what, reterr) < 0 ||
        set_opt_str(cfg, "User", &img->user, what, reterr) < 0 ||
        set_opt_str(cfg, "StopSignal", &img->stop_signal, what, reterr) < 0 ||
        get_keys(cfg, "ExposedPorts", &img->exposed_ports, false, what, reterr) < 0 ||
        get_keys(cfg, "Volumes", &img->volumes, false, what, reterr) < 0 ||
        get_keys(cfg, "Labels", &img->labels, true, what, reterr) < 0)
        goto out;
    if (!json_object_object_get_ex(root, "rootfs", &rootfs) ||
        !json_object_is_type(rootfs, json_type_object)) {
        brig_error_set(reterr, 0, "%s: no `rootfs` object", what);
        goto out;
    }
    if (get_strv(rootfs, "diff_ids", &ids, what, reterr) < 0)
        goto out;
    for (char **p = ids; *p; p++) {
        const char *hex = image_digest_hex(*p);
        if (hex == NULL) {
            _cleanup_free_ char *q = image_printable(*p);
            brig_error_set(reterr, 0, "%s: diff id `%s` is not sha256:<64 hex>", what, q);
            goto out;
        }
        memmove(*p, hex, IMAGE_HEX_LEN + 1);
    }
    *ret_diff_ids = TAKE_PTR(ids);
    r = 0;
out:
    json_object_put(root);
    return r;
}

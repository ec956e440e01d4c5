/* Reading the store (get, list) and changing names (tag, remove). */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "image/image_internal.h"
#include "image/store_internal.h"

void brig_image_free(struct brig_image *img)
{
    if (img == NULL)
        return;
    free(img->id);
    brig_strv_free(img->repo_tags);
    free(img->created);
    free(img->arch);
    free(img->os);
    brig_strv_free(img->env);
    brig_strv_free(img->entrypoint);
    brig_strv_free(img->cmd);
    free(img->working_dir);
    free(img->user);
    free(img->stop_signal);
    brig_strv_free(img->exposed_ports);
    brig_strv_free(img->volumes);
    brig_strv_free(img->labels);
    brig_strv_free(img->layers);
    free(img);
}

void brig_image_list_free(struct brig_image **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        brig_image_free(v[i]);
    free(v);
}

static char **empty_strv(void)
{
    return brig_xmalloc0(sizeof(char *));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One image from its record, its config blob and the tag map. */
static int image_read(struct brig_image_store *s, const char *id, json_object *tags,
                      struct brig_image **ret, brig_error *reterr)
{
    _cleanup_free_ char *rp = brig_xasprintf("images/%s.json", id);
    _cleanup_free_ char *bp = brig_xasprintf("blobs/sha256/%s", id);
    _cleanup_free_ char *cfg = NULL;
    _cleanup_strv_ char **diff_ids = NULL;
    size_t cfg_len;
    json_object *rec, *l, *sz;
    struct brig_image *img;

    rec = image_store_read_json(s, rp, false, reterr);
    if (rec == NULL)
        return -1;
    img = brig_xmalloc0(sizeof(*img));
    img->id = brig_xstrdup(id);
    img->layers = empty_strv();
    img->repo_tags = empty_strv();
    if (brig_read_file_at(s->dirfd, bp, 64 << 20, &cfg, &cfg_len, reterr) < 0 ||
        image_parse_config(cfg, cfg_len, img, &diff_ids, reterr) < 0) {
        json_object_put(rec);
        brig_image_free(img);
        return brig_error_wrap(reterr, "image sha256:%.12s", id);
    }
    if (json_object_object_get_ex(rec, "layers", &l) && json_object_is_type(l, json_type_array))
        for (size_t i = 0; i < json_object_array_length(l); i++) {
            _cleanup_free_ char *p =
                brig_xasprintf("%s/%s/diff", s->layers_dir,
                               json_object_get_string(json_object_array_get_idx(l, i)));
            brig_strv_append(&img->layers, p);
            img->n_layers++;
        }
    if (json_object_object_get_ex(rec, "size", &sz))
        img->size = (uint64_t)json_object_get_int64(sz);
    json_object_put(rec);
    json_object_object_foreach(tags, name, val)
    {
        if (strcmp(json_object_get_string(val), id) == 0)
            brig_strv_append(&img->repo_tags, name);
    }
    qsort(img->repo_tags, brig_strv_len(img->repo_tags), sizeof(char *), cmp_str);
    *ret = img;
    return 0;
}

static bool record_exists(struct brig_image_store *s, const char *id)
{
    _cleanup_free_ char *rp = brig_xasprintf("images/%s.json", id);
    return faccessat(s->dirfd, rp, F_OK, 0) == 0;
}

/* ref -> id.  *ret_by_name says whether ref was a name (for rmi). */
static int resolve(struct brig_image_store *s, json_object *tags, const char *ref, char **ret_id,
                   char **ret_name, brig_error *reterr)
{
    _cleanup_free_ char *name = NULL, *q = image_printable(ref);
    const char *hex = brig_str_has_prefix(ref, "sha256:") ? ref + 7 : ref;
    size_t n = strlen(hex);
    json_object *v;
    bool is_hex = n >= 4 && n <= IMAGE_HEX_LEN && image_is_hex(hex, n);

    if (ret_name)
        *ret_name = NULL;
    if (is_hex && n == IMAGE_HEX_LEN && record_exists(s, hex)) {
        *ret_id = brig_xstrdup(hex);
        return 0;
    }
    if (hex == ref) {
        brig_error err = NULL;
        if (brig_image_name_normalize(ref, &name, &err) == 0 &&
            json_object_object_get_ex(tags, name, &v)) {
            *ret_id = brig_xstrdup(json_object_get_string(v));
            if (ret_name)
                *ret_name = TAKE_PTR(name);
            return 0;
        }
        if (!is_hex && err != NULL) {
            /* Not a name docker would take either: say that. */
            brig_error_free(reterr);
            *reterr = err;
            return -1;
        }
        brig_error_free(&err);
    }
    if (is_hex) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        _cleanup_free_ char *found = NULL;
        int fd = openat(s->dirfd, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || (d = fdopendir(fd)) == NULL) {
            if (fd >= 0)
                close(fd);
            return brig_error_errno(reterr, "open `%s/images`", s->root);
        }
        while ((de = readdir(d)) != NULL) {
            if (strlen(de->d_name) != IMAGE_HEX_LEN + 5 || strncmp(de->d_name, hex, n) != 0)
                continue;
            if (found != NULL)
                return brig_error_set(reterr, 0, "image `%s`: ambiguous id prefix", q);
            found = strndup(de->d_name, IMAGE_HEX_LEN);
        }
        if (found != NULL) {
            *ret_id = TAKE_PTR(found);
            return 0;
        }
    }
    return brig_error_set(reterr, 0,
                          "image `%s`: not found in the local store (brig load -i or brig "
                          "import it first)",
                          q);
}

int brig_image_get(struct brig_image_store *s, const char *ref, struct brig_image **ret,
                   brig_error *reterr)
{
    _cleanup_free_ char *id = NULL;
    json_object *tags;
    int r = -1;
    if (image_store_lock(s, false, reterr) < 0)
        return -1;
    tags = image_store_read_json(s, "tags.json", true, reterr);
    if (tags != NULL && resolve(s, tags, ref, &id, NULL, reterr) == 0)
        r = image_read(s, id, tags, ret, reterr);
    json_object_put(tags);
    image_store_unlock(s);
    return r;
}

static int cmp_created_desc(const void *a, const void *b)
{
    const struct brig_image *x = *(struct brig_image *const *)a;
    const struct brig_image *y = *(struct brig_image *const *)b;
    int c = strcmp(y->created ? y->created : "", x->created ? x->created : "");
    return c ? c : strcmp(x->id, y->id);
}

int brig_image_list(struct brig_image_store *s, struct brig_image ***ret, size_t *ret_n,
                    brig_error *reterr)
{
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    struct brig_image **v = NULL;
    size_t n = 0;
    json_object *tags = NULL;
    int fd, r = -1;

    if (image_store_lock(s, false, reterr) < 0)
        return -1;
    tags = image_store_read_json(s, "tags.json", true, reterr);
    if (tags == NULL)
        goto out;
    fd = openat(s->dirfd, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        brig_error_errno(reterr, "open `%s/images`", s->root);
        goto out;
    }
    while ((de = readdir(d)) != NULL) {
        _cleanup_free_ char *id = NULL;
        struct brig_image *img;
        if (strlen(de->d_name) != IMAGE_HEX_LEN + 5 ||
            strcmp(de->d_name + IMAGE_HEX_LEN, ".json") != 0)
            continue;
        id = strndup(de->d_name, IMAGE_HEX_LEN);
        if (image_read(s, id, tags, &img, reterr) < 0)
            goto out;
        v = brig_xrealloc(v, (n + 1) * sizeof(*v));
        v[n++] = img;
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_created_desc);
    *ret = TAKE_PTR(v);
    *ret_n = n;
    r = 0;
out:
    brig_image_list_free(v, n);
    json_object_put(tags);
    image_store_unlock(s);
    return r;
}

int brig_image_tag(struct brig_image_store *s, const char *ref, const char *name,
                   brig_error *reterr)
{
    _cleanup_free_ char *id = NULL, *norm = NULL;
    json_object *tags;
    int r = -1;
    if (brig_image_name_normalize(name, &norm, reterr) < 0)
        return -1;
    if (image_store_lock(s, true, reterr) < 0)
        return -1;
    tags = image_store_read_json(s, "tags.json", true, reterr);
    if (tags != NULL && resolve(s, tags, ref, &id, NULL, reterr) == 0) {
        json_object_object_add(tags, norm, json_object_new_string(id));
        r = image_store_write_json(s, "tags.json", tags, reterr);
    }
    json_object_put(tags);
    image_store_unlock(s);
    return r;
}

/* Drop the image record, its config blob and the layers no other image
 * uses.  The record goes first: after a crash the rest is garbage gc finds. */
static int delete_image(struct brig_image_store *s, const char *id, brig_error *reterr)
{
    _cleanup_free_ char *rp = brig_xasprintf("images/%s.json", id);
    _cleanup_free_ char *bp = brig_xasprintf("blobs/sha256/%s", id);
    if (unlinkat(s->dirfd, rp, 0) < 0 && errno != ENOENT)
        return brig_error_errno(reterr, "remove `%s`", rp);
    unlinkat(s->dirfd, bp, 0);
    /* brig_image_gc takes the lock we already hold (it nests). */
    return brig_image_gc(s, NULL, reterr);
}

int brig_image_remove(struct brig_image_store *s, const char *ref, bool force,
                      brig_image_in_use_fn in_use, void *data, char ***ret_lines,
                      brig_error *reterr)
{
    _cleanup_free_ char *id = NULL, *name = NULL, *deleted = NULL, *q = image_printable(ref);
    _cleanup_strv_ char **lines = empty_strv(), **names = empty_strv();
    json_object *tags;
    int r = -1;

    if (image_store_lock(s, true, reterr) < 0)
        return -1;
    tags = image_store_read_json(s, "tags.json", true, reterr);
    if (tags == NULL || resolve(s, tags, ref, &id, &name, reterr) < 0)
        goto out;
    json_object_object_foreach(tags, k, v)
    {
        if (strcmp(json_object_get_string(v), id) == 0)
            brig_strv_append(&names, k);
    }
    if (name != NULL && brig_strv_len(names) > 1) {
        /* One of several names: only the name goes. */
        json_object_object_del(tags, name);
        if (image_store_write_json(s, "tags.json", tags, reterr) < 0)
            goto out;
        deleted = brig_xasprintf("Untagged: %s", name);
        brig_strv_append(&lines, deleted);
        r = 0;
        goto done;
    }
    if (name == NULL && brig_strv_len(names) > 1 && !force) {
        brig_error_set(reterr, 0,
                       "remove image `%s`: it has %zu names (%s, ...); use -f to remove them all",
                       q, brig_strv_len(names), names[0]);
        goto out;
    }
    if (in_use != NULL) {
        _cleanup_free_ char *user = NULL;
        if (in_use(id, &user, data)) {
            brig_error_set(reterr, 0, "remove image `%s`: in use by container `%s`", q,
                           user ? user : "?");
            goto out;
        }
    }
    for (char **n = names; *n; n++) {
        _cleanup_free_ char *l = brig_xasprintf("Untagged: %s", *n);
        json_object_object_del(tags, *n);
        brig_strv_append(&lines, l);
    }
    if (names[0] != NULL && image_store_write_json(s, "tags.json", tags, reterr) < 0)
        goto out;
    if (delete_image(s, id, reterr) < 0)
        goto out;
    deleted = brig_xasprintf("Deleted: sha256:%s", id);
    brig_strv_append(&lines, deleted);
    r = 0;
done:
    if (ret_lines)
        *ret_lines = TAKE_PTR(lines);
out:
    json_object_put(tags);
    image_store_unlock(s);
    return r;
}

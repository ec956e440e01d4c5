/* The store's layout, its lock, staging in tmp/, commits and the garbage
 * collector.  See image.h for the layout. */
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "image/image_internal.h"
#include "image/store_internal.h"

int brig_image_store_open(const char *root, struct brig_image_store **ret, brig_error *reterr)
{
    struct brig_image_store *s = brig_xmalloc0(sizeof(*s));
    static const char *const dirs[] = {"blobs", "blobs/sha256", "layers", "images", "tmp"};
    s->dirfd = s->lockfd = s->tmpfd = s->layersfd = -1;
    s->root = brig_xstrdup(root);
    s->layers_dir = brig_xasprintf("%s/layers", root);
    if (brig_mkdir_p_at(AT_FDCWD, root, 0700, reterr) < 0)
        goto fail;
    s->dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        brig_error_errno(reterr, "open `%s`", root);
        goto fail;
    }
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(dirs); i++)
        if (mkdirat(s->dirfd, dirs[i], 0700) < 0 && errno != EEXIST) {
            brig_error_errno(reterr, "mkdir `%s/%s`", root, dirs[i]);
            goto fail;
        }
    s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    s->tmpfd = openat(s->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    s->layersfd = openat(s->dirfd, "layers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->lockfd < 0 || s->tmpfd < 0 || s->layersfd < 0) {
        brig_error_errno(reterr, "open the image store `%s`", root);
        goto fail;
    }
    *ret = s;
    return 0;
fail:
    brig_error_wrap(reterr, "open the image store");
    brig_image_store_free(s);
    return -1;
}

void brig_image_store_free(struct brig_image_store *s)
{
    if (s == NULL)
        return;
    for (int *fd = (int[]){s->dirfd, s->lockfd, s->tmpfd, s->layersfd}, i = 0; i < 4; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    free(s->root);
    free(s->layers_dir);
    free(s);
}

const char *brig_image_store_layers_dir(const struct brig_image_store *s)
{
    return s->layers_dir;
}

int image_store_lock(struct brig_image_store *s, bool exclusive, brig_error *reterr)
{
    if (s->lock_depth++ > 0)
        return 0;
    while (flock(s->lockfd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
        if (errno == EINTR)
            continue;
        s->lock_depth--;
        return brig_error_errno(reterr, "lock the image store");
    }
    return 0;
}

void image_store_unlock(struct brig_image_store *s)
{
    if (s->lock_depth > 0 && --s->lock_depth == 0)
        flock(s->lockfd, LOCK_UN);
}

static char *tmp_name(const char *kind)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof(r), 0) != sizeof(r))
        r = (uint64_t)getpid() * 2654435761u ^ (uint64_t)time(NULL);
    return brig_xasprintf("%s-%d-%016llx", kind, (int)getpid(), (unsigned long long)r);
}

int image_tmp_mkdir(struct brig_image_store *s, const char *kind, char **ret_name,
                    brig_error *reterr)
{
    _cleanup_free_ char *n = tmp_name(kind);
    if (mkdirat(s->tmpfd, n, 0700) < 0)
        return brig_error_errno(reterr, "mkdir `%s/tmp/%s`", s->root, n);
    *ret_name = TAKE_PTR(n);
    return 0;
}

int image_rm_rf_at(int parent, const char *name, brig_error *reterr)
{
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    int fd;
    if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return brig_error_errno(reterr, "remove `%s`", name);
    fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return brig_error_errno(reterr, "open `%s`", name);
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return brig_error_errno(reterr, "open `%s`", name);
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) {
            if (image_rm_rf_at(dirfd(d), de->d_name, reterr) < 0)
                return -1;
        } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
            return brig_error_errno(reterr, "remove `%s/%s`", name, de->d_name);
        }
    }
    if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return brig_error_errno(reterr, "remove `%s`", name);
    return 0;
}

/* Move `name` (relative to dirfd) into tmp/ first, so a crash in the middle
 * of the removal leaves garbage, never a half layer in its place. */
int image_store_discard(struct brig_image_store *s, int dirfd, const char *name, brig_error *reterr)
{
    _cleanup_free_ char *t = tmp_name("rm");
    if (renameat(dirfd, name, s->tmpfd, t) < 0)
        return errno == ENOENT ? 0 : brig_error_errno(reterr, "remove `%s`", name);
    return image_rm_rf_at(s->tmpfd, t, reterr);
}

int image_store_write(struct brig_image_store *s, const char *path, const char *data, size_t len,
                      brig_error *reterr)
{
    _cleanup_free_ char *t = tmp_name("w");
    if (brig_write_file_at(s->tmpfd, t, data, len, 0600, reterr) < 0)
        return -1;
    if (renameat(s->tmpfd, t, s->dirfd, path) < 0) {
        int saved = errno;
        unlinkat(s->tmpfd, t, 0);
        return brig_error_set(reterr, saved, "write `%s/%s`", s->root, path);
    }
    return 0;
}

bool image_layer_exists(struct brig_image_store *s, const char *diff_id)
{
    _cleanup_free_ char *p = brig_xasprintf("%s/size", diff_id);
    return faccessat(s->layersfd, p, F_OK, 0) == 0;
}

json_object *image_store_read_json(struct brig_image_store *s, const char *path, bool missing_ok,
                                   brig_error *reterr)
{
    _cleanup_free_ char *buf = NULL;
    size_t len;
    json_object *o;
    if (brig_read_file_at(s->dirfd, path, 64 << 20, &buf, &len, reterr) < 0) {
        if (missing_ok && (*reterr)->errnum == ENOENT) {
            brig_error_free(reterr);
            return json_object_new_object();
        }
        return NULL;
    }
    o = json_tokener_parse(buf);
    if (o == NULL || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        brig_error_set(reterr, 0, "image store: `%s/%s` is corrupt", s->root, path);
        return NULL;
    }
    return o;
}

int image_store_write_json(struct brig_image_store *s, const char *path, json_object *o,
                           brig_error *reterr)
{
    const char *str =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    return image_store_write(s, path, str, strlen(str), reterr);
}

int image_store_commit(struct brig_image_store *s, int stagefd, struct image_commit *c,
                       brig_error *reterr)
{
    _cleanup_free_ char *blob = brig_xasprintf("blobs/sha256/%s", c->id);
    _cleanup_free_ char *rec = brig_xasprintf("images/%s.json", c->id);
    json_object *o = NULL, *tags = NULL, *layers;
    uint64_t total = 0;
    int r = -1;

    if (image_store_lock(s, true, reterr) < 0)
        return -1;
    for (size_t i = 0; i < c->n_layers; i++) {
        total += c->layer_sizes[i];
        if (image_layer_exists(s, c->diff_ids[i]) || c->layer_dirs[i] == NULL)
            continue;
        _cleanup_free_ char *sz = brig_xasprintf("%llu", (unsigned long long)c->layer_sizes[i]);
        _cleanup_free_ char *szp = brig_xasprintf("%s/size", c->layer_dirs[i]);
        if (brig_write_file_at(stagefd, szp, sz, strlen(sz), 0600, reterr) < 0)
            goto out;
        /* A leftover from an interrupted removal may sit there unfinished
         * (no size file): it goes first. */
        if (image_store_discard(s, s->layersfd, c->diff_ids[i], reterr) < 0)
            goto out;
        if (renameat(stagefd, c->layer_dirs[i], s->layersfd, c->diff_ids[i]) < 0) {
            brig_error_errno(reterr, "move layer sha256:%.12s into the store", c->diff_ids[i]);
            goto out;
        }
    }
    if (faccessat(s->dirfd, blob, F_OK, 0) < 0 &&
        image_store_write(s, blob, c->config, c->config_len, reterr) < 0)
        goto out;
    o = json_object_new_object();
    layers = json_object_new_array();
    json_object_object_add(o, "id", json_object_new_string(c->id));
    for (size_t i = 0; i < c->n_layers; i++)
        json_object_array_add(layers, json_object_new_string(c->diff_ids[i]));
    json_object_object_add(o, "layers", layers);
    json_object_object_add(o, "size", json_object_new_int64((int64_t)total));
    if (image_store_write_json(s, rec, o, reterr) < 0)
        goto out;
    if (c->names != NULL && c->names[0] != NULL) {
        tags = image_store_read_json(s, "tags.json", true, reterr);
        if (tags == NULL)
            goto out;
        for (char **n = c->names; *n; n++)
            json_object_object_add(tags, *n, json_object_new_string(c->id));
        if (image_store_write_json(s, "tags.json", tags, reterr) < 0)
            goto out;
    }
    r = 0;
out:
    json_object_put(o);
    json_object_put(tags);
    image_store_unlock(s);
    return r;
}

/* The layer and blob hexes every image record names. */
static int referenced(struct brig_image_store *s, json_object *set, brig_error *reterr)
{
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    int fd = openat(s->dirfd, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return brig_error_errno(reterr, "open `%s/images`", s->root);
    }
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n != IMAGE_HEX_LEN + 5 || strcmp(de->d_name + IMAGE_HEX_LEN, ".json") != 0)
            continue;
        _cleanup_free_ char *p = brig_xasprintf("images/%s", de->d_name);
        json_object *o = image_store_read_json(s, p, false, reterr), *l;
        if (o == NULL)
            return -1;
        if (json_object_object_get_ex(o, "layers", &l) && json_object_is_type(l, json_type_array))
            for (size_t i = 0; i < json_object_array_length(l); i++)
                json_object_object_add(set, json_object_get_string(json_object_array_get_idx(l, i)),
                                       NULL);
        _cleanup_free_ char *id = strndup(de->d_name, IMAGE_HEX_LEN);
        json_object_object_add(set, id, NULL);
        json_object_put(o);
    }
    return 0;
}

int brig_image_gc(struct brig_image_store *s, size_t *ret_removed, brig_error *reterr)
{
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    json_object *set = NULL;
    size_t removed = 0;
    int r = -1, fd;

    if (image_store_lock(s, true, reterr) < 0)
        return -1;
    /* tmp/: "<kind>-<pid>-<random>", gone when the pid is. */
    fd = openat(s->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        brig_error_errno(reterr, "open `%s/tmp`", s->root);
        goto out;
    }
    while ((de = readdir(d)) != NULL) {
        const char *dash = strchr(de->d_name, '-');
        uint64_t pid = 0;
        if (de->d_name[0] == '.')
            continue;
        if (dash != NULL) {
            _cleanup_free_ char *p = strndup(dash + 1, strcspn(dash + 1, "-"));
            if (brig_parse_u64(p, &pid) < 0)
                pid = 0;
        }
        if (pid == (uint64_t)getpid() ||
            (pid > 0 && pid < INT32_MAX && (kill((pid_t)pid, 0) == 0 || errno != ESRCH)))
            continue;
        if (image_rm_rf_at(dirfd(d), de->d_name, reterr) < 0)
            goto out;
        removed++;
    }
    closedir(TAKE_PTR(d));
    /* layers/ and blobs/: what no image record names. */
    set = json_object_new_object();
    if (referenced(s, set, reterr) < 0)
        goto out;
    static const char *const where[] = {"layers", "blobs/sha256"};
    for (size_t w = 0; w < 2; w++) {
        _cleanup_closedir_ DIR *ld = NULL;
        fd = openat(s->dirfd, where[w], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || (ld = fdopendir(fd)) == NULL) {
            if (fd >= 0)
                close(fd);
            brig_error_errno(reterr, "open `%s/%s`", s->root, where[w]);
            goto out;
        }
        while ((de = readdir(ld)) != NULL) {
            if (de->d_name[0] == '.' || json_object_object_get_ex(set, de->d_name, NULL))
                continue;
            if (image_store_discard(s, dirfd(ld), de->d_name, reterr) < 0)
                goto out;
            removed++;
        }
    }
    r = 0;
    if (ret_removed)
        *ret_removed = removed;
out:
    json_object_put(set);
    image_store_unlock(s);
    return r;
}

/* brig load / brig import: docker-archive, oci-archive and OCI layout
 * directories into the store.
 *
 * A tarball is read once, front to back: docker and skopeo write
 * manifest.json last, so nothing says which entry is a layer until the end.
 * Small entries (manifests, configs, tiny layers) are kept in memory; every
 * larger one is unpacked as it streams by into tmp/<stage>/L<n>/diff with
 * both its digests taken.  Once the manifests are read, each image's layers
 * are matched against the config's diff ids (and blob digests where the
 * archive names them), and only then committed.  A failure anywhere leaves
 * the store as it was: the stage directory goes, nothing was renamed. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/util.h"
#include "image/archive_dl.h"
#include "image/image_internal.h"
#include "image/store_internal.h"

#define SMALL_MAX (1 << 20) /* entries kept in memory */
#define OUTER_BLOCK (1 << 20)

struct entry {
    char *name;
    char *data; /* small entries */
    size_t len;
    bool in_memory;
    char *alias; /* a symlink entry: the path it points to, in the archive */
    char *dir;   /* staged: "L<n>" under the stage */
    bool staged;
    struct image_layer_result res;
    brig_error err; /* why staging failed (reported only if it is a layer) */
};

struct load {
    struct brig_image_store *s;
    char *what; /* "load `x.tar`" */
    char *stage;
    int stagefd;
    int srcdir; /* an OCI layout directory, or -1 */
    struct entry *v;
    size_t n;
    unsigned next_dir;
    struct image_commit *commits;
    size_t n_commits;
};

static struct entry *entry_add(struct load *l, const char *name)
{
    l->v = brig_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
    l->v[l->n].name = brig_xstrdup(name);
    return &l->v[l->n++];
}

static struct entry *entry_find(struct load *l, const char *name)
{
    /* skopeo's docker-archive keeps docker's old "<id>/layer.tar" names as
     * symlinks to the real files: follow them (a few hops at most). */
    for (int hops = 0; hops < 8; hops++) {
        struct entry *e = NULL;
        for (size_t i = l->n; i-- > 0 && e == NULL;) /* a later duplicate wins, as tar does */
            if (strcmp(l->v[i].name, name) == 0)
                e = &l->v[i];
        if (e == NULL || e->alias == NULL)
            return e;
        name = e->alias;
    }
    return NULL;
}

/* "a/b/layer.tar" -> "../x.tar" gives "a/x.tar"; NULL when it leaves the archive. */
static char *resolve_alias(const char *name, const char *target)
{
    _cleanup_free_ char *joined = NULL;
    char *out = NULL;
    brig_error err = NULL;
    const char *slash = strrchr(name, '/');
    if (target[0] == '/')
        joined = brig_xstrdup(target);
    else
        joined = brig_xasprintf("%.*s%s%s", slash ? (int)(slash - name) : 0, name, slash ? "/" : "",
                                target);
    /* collapse "dir/../x" by hand: image_entry_path refuses any ".." */
    for (char *p; (p = strstr(joined, "/../")) != NULL;) {
        char *start = p;
        while (start > joined && start[-1] != '/')
            start--;
        memmove(start, p + 4, strlen(p + 4) + 1);
    }
    if (image_entry_path(joined, &out, &err) < 0) {
        brig_error_free(&err);
        return NULL;
    }
    return out;
}

/* Unpack into a new L<n>/diff under the stage; the outcome is kept in e. */
static void entry_stage(struct load *l, struct entry *e, struct image_source *src)
{
    _cleanup_free_ char *what = NULL, *q = image_printable(e->name);
    _cleanup_close_ int fd = -1;
    e->dir = brig_xasprintf("L%u", l->next_dir++);
    what = brig_xasprintf("layer `%s`", q);
    _cleanup_free_ char *diff = brig_xasprintf("%s/diff", e->dir);
    if (mkdirat(l->stagefd, e->dir, 0700) < 0 || mkdirat(l->stagefd, diff, 0755) < 0 ||
        (fd = openat(l->stagefd, diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        brig_error_errno(&e->err, "%s: mkdir in the stage", what);
        return;
    }
    if (src != NULL) {
        if (image_unpack_layer(fd, src, 0, what, &e->res, &e->err) == 0)
            e->staged = true;
    } else if (image_unpack_layer_mem(fd, e->data, e->len, 0, what, &e->res, &e->err) == 0) {
        e->staged = true;
    }
}

static ssize_t outer_read(void *cookie, const void **buf, brig_error *reterr)
{
    struct archive *a = cookie;
    size_t size;
    la_int64_t off;
    int r = archive_read_data_block(a, buf, &size, &off);
    if (r == ARCHIVE_EOF)
        return 0;
    if (r < ARCHIVE_WARN) {
        _cleanup_free_ char *m = image_printable(archive_error_string(a) ?: "read error");
        return brig_error_set(reterr, 0, "%s", m);
    }
    return (ssize_t)size;
}

struct outer_src {
    int fd;
    char *buf;
    uint64_t total;
};

static la_ssize_t outer_src_read(struct archive *a, void *cookie, const void **buf)
{
    struct outer_src *o = cookie;
    ssize_t n;
    do
        n = read(o->fd, o->buf, OUTER_BLOCK);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        archive_set_error(a, errno, "read: %s", strerror(errno));
        return -1;
    }
    o->total += (uint64_t)n;
    *buf = o->buf;
    return n;
}

/* The whole tarball, front to back. */
static int read_tarball(struct load *l, const char *path, brig_error *reterr)
{
    if (brig_archive_load(reterr) < 0)
        return -1;
    struct archive *a = archive_read_new();
    struct archive_entry *ae;
    _cleanup_free_ char *buf = brig_xmalloc0(OUTER_BLOCK);
    _cleanup_close_ int fd = -1;
    struct outer_src o = {.buf = buf};
    int r, ret = -1;
    size_t seen = 0;
    if (a == NULL)
        abort();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    fd = strcmp(path, "-") == 0 ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)
                                : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        brig_error_errno(reterr, "open");
        goto out;
    }
    o.fd = fd;
    r = archive_read_open(a, &o, NULL, outer_src_read, NULL);
    if (r != ARCHIVE_OK) {
        _cleanup_free_ char *m = image_printable(archive_error_string(a) ?: "cannot open");
        if (o.total == 0)
            brig_error_set(reterr, 0, "empty input, no archive");
        else
            brig_error_set(reterr, 0, "%s", m);
        goto out;
    }
    for (;;) {
        _cleanup_free_ char *name = NULL;
        brig_error perr = NULL;
        r = archive_read_next_header(a, &ae);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN) {
            _cleanup_free_ char *m = image_printable(archive_error_string(a) ?: "?");
            if (seen == 0 && o.total == 0)
                brig_error_set(reterr, 0, "empty input, no archive");
            else
                brig_error_set(reterr, 0, "%s", m);
            goto out;
        }
        if (archive_entry_pathname(ae) == NULL ||
            (archive_entry_filetype(ae) != AE_IFREG && archive_entry_filetype(ae) != AE_IFLNK))
            continue;
        if (image_entry_path(archive_entry_pathname(ae), &name, &perr) < 0) {
            brig_error_free(&perr); /* never extracted: such a name just matches nothing */
            continue;
        }
        if (archive_entry_filetype(ae) == AE_IFLNK) {
            char *target =
                archive_entry_symlink(ae) ? resolve_alias(name, archive_entry_symlink(ae)) : NULL;
            if (target != NULL)
                entry_add(l, name)->alias = target;
            continue;
        }
        seen++;
        struct entry *e = entry_add(l, name);
        la_int64_t size = archive_entry_size(ae);
        if (size >= 0 && size <= SMALL_MAX) {
            e->data = brig_xmalloc0((size_t)size + 1);
            la_ssize_t got = archive_read_data(a, e->data, (size_t)size);
            if (got != size) {
                _cleanup_free_ char *m = image_printable(archive_error_string(a) ?: "truncated");
                _cleanup_free_ char *q = image_printable(name);
                brig_error_set(reterr, 0, "`%s`: %s", q, got < 0 ? m : "truncated archive");
                goto out;
            }
            e->len = (size_t)size;
            e->in_memory = true;
        } else {
            struct image_source src = {.read = outer_read, .cookie = a};
            entry_stage(l, e, &src);
        }
    }
    ret = 0;
out:
    archive_read_free(a);
    return ret;
}

/* In an OCI layout directory entries are read when asked for. */
static struct entry *dir_entry(struct load *l, const char *name, brig_error *reterr)
{
    _cleanup_close_ int fd = openat(l->srcdir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    _cleanup_free_ char *q = image_printable(name);
    if (fd < 0 || fstat(fd, &st) < 0) {
        brig_error_errno(reterr, "`%s`", q);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        brig_error_set(reterr, 0, "`%s`: not a regular file", q);
        return NULL;
    }
    struct entry *e = entry_add(l, name);
    if (st.st_size <= SMALL_MAX) {
        e->data = brig_xmalloc0((size_t)st.st_size + 1);
        if (brig_read_all(fd, e->data, (size_t)st.st_size) != st.st_size) {
            brig_error_errno(reterr, "read `%s`", q);
            return NULL;
        }
        e->len = (size_t)st.st_size;
        e->in_memory = true;
    } else {
        _cleanup_free_ char *what = brig_xasprintf("layer `%s`", q);
        e->dir = brig_xasprintf("L%u", l->next_dir++);
        _cleanup_free_ char *diff = brig_xasprintf("%s/diff", e->dir);
        _cleanup_close_ int dfd = -1;
        if (mkdirat(l->stagefd, e->dir, 0700) < 0 || mkdirat(l->stagefd, diff, 0755) < 0 ||
            (dfd = openat(l->stagefd, diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
            brig_error_errno(&e->err, "%s: mkdir in the stage", what);
        else if (image_unpack_layer_fd(dfd, fd, 0, what, &e->res, &e->err) == 0)
            e->staged = true;
    }
    return e;
}

static struct entry *get_entry(struct load *l, const char *name, brig_error *reterr)
{
    struct entry *e = entry_find(l, name);
    if (e == NULL && l->srcdir >= 0)
        return dir_entry(l, name, reterr);
    if (e == NULL) {
        _cleanup_free_ char *q = image_printable(name);
        brig_error_set(reterr, 0, "`%s` is missing from the archive", q);
    }
    return e;
}

static struct entry *get_blob(struct load *l, const char *name, const char *expect_hex,
                              brig_error *reterr)
{
    struct entry *e = get_entry(l, name, reterr);
    _cleanup_free_ char *q = image_printable(name);
    char hex[IMAGE_HEX_LEN + 1];
    if (e == NULL)
        return NULL;
    if (!e->in_memory) {
        brig_error_set(reterr, 0, "`%s`: larger than %d bytes, not a manifest or config", q,
                       SMALL_MAX);
        return NULL;
    }
    if (expect_hex != NULL) {
        image_sha256_hex(e->data, e->len, hex);
        if (strcmp(hex, expect_hex) != 0) {
            brig_error_set(reterr, 0,
                           "`%s`: digest mismatch (archive says sha256:%s, content is sha256:%s)",
                           q, expect_hex, hex);
            return NULL;
        }
    }
    return e;
}

static struct entry *get_layer(struct load *l, const char *name, brig_error *reterr)
{
    struct entry *e = get_entry(l, name, reterr);
    if (e == NULL)
        return NULL;
    if (!e->staged && e->err == NULL && e->in_memory)
        entry_stage(l, e, NULL);
    if (!e->staged) {
        brig_error_set(reterr, e->err ? e->err->errnum : 0, "%s",
                       e->err ? e->err->msg : "layer not unpacked");
        return NULL;
    }
    return e;
}

/* Verify and queue one image: its config blob and its layers in order. */
static int add_image(struct load *l, struct entry *cfg, char **layer_names,
                     const char **layer_blob_hex, size_t n, char **names, brig_error *reterr)
{
    struct brig_image tmp = {0};
    _cleanup_strv_ char **diff_ids = NULL;
    struct image_commit c = {0};
    int r = -1;

    image_sha256_hex(cfg->data, cfg->len, c.id);
    if (image_parse_config(cfg->data, cfg->len, &tmp, &diff_ids, reterr) < 0)
        goto out;
    if (brig_strv_len(diff_ids) != n) {
        brig_error_set(reterr, 0,
                       "image sha256:%.12s: the config lists %zu layers, the manifest %zu", c.id,
                       brig_strv_len(diff_ids), n);
        goto out;
    }
    c.config = cfg->data;
    c.config_len = cfg->len;
    c.n_layers = n;
    c.diff_ids = brig_xmalloc0((n + 1) * sizeof(char *));
    c.layer_dirs = brig_xmalloc0((n + 1) * sizeof(char *));
    c.layer_sizes = brig_xmalloc0((n + 1) * sizeof(uint64_t));
    c.names = names;
    for (size_t i = 0; i < n; i++) {
        struct entry *e = get_layer(l, layer_names[i], reterr);
        _cleanup_free_ char *q = image_printable(layer_names[i]);
        if (e == NULL)
            goto out;
        if (layer_blob_hex != NULL && layer_blob_hex[i] != NULL &&
            strcmp(e->res.blob, layer_blob_hex[i]) != 0) {
            brig_error_set(reterr, 0,
                           "layer sha256:%.12s: digest mismatch (archive says sha256:%s, content "
                           "is sha256:%s)",
                           layer_blob_hex[i], layer_blob_hex[i], e->res.blob);
            goto out;
        }
        if (strcmp(e->res.diff_id, diff_ids[i]) != 0) {
            brig_error_set(
                reterr, 0,
                "layer `%s`: digest mismatch (config says diff id sha256:%s, content is sha256:%s)",
                q, diff_ids[i], e->res.diff_id);
            goto out;
        }
        c.diff_ids[i] = brig_xstrdup(diff_ids[i]);
        c.layer_dirs[i] = brig_xstrdup(e->dir);
        c.layer_sizes[i] = e->res.size;
    }
    l->commits = brig_xrealloc(l->commits, (l->n_commits + 1) * sizeof(c));
    l->commits[l->n_commits++] = c;
    memset(&c, 0, sizeof(c));
    r = 0;
out:
    free(tmp.created), free(tmp.arch), free(tmp.os), free(tmp.working_dir), free(tmp.user);
    free(tmp.stop_signal);
    brig_strv_free(tmp.env), brig_strv_free(tmp.entrypoint), brig_strv_free(tmp.cmd);
    brig_strv_free(tmp.exposed_ports), brig_strv_free(tmp.volumes), brig_strv_free(tmp.labels);
    if (r < 0) {
        brig_strv_free(c.diff_ids);
        brig_strv_free(c.layer_dirs);
        free(c.layer_sizes);
        brig_strv_free(names);
    }
    return r;
}

/* "blobs/sha256/<hex>" -> hex (docker 25+ writes its archives like that). */
static const char *blob_path_hex(const char *name)
{
    if (brig_str_has_prefix(name, "blobs/sha256/") && image_is_hex(name + 13, IMAGE_HEX_LEN))
        return name + 13;
    return NULL;
}

static int load_docker(struct load *l, struct entry *manifest, brig_error *reterr)
{
    struct image_docker_entry *v = NULL;
    size_t n = 0;
    int r = -1;
    if (image_parse_docker_manifest(manifest->data, manifest->len, &v, &n, reterr) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char hexbuf[IMAGE_HEX_LEN + 1];
        const char *cfg_hex = blob_path_hex(v[i].config);
        size_t nl = brig_strv_len(v[i].layers);
        _cleanup_free_ const char **blob_hex = brig_xmalloc0((nl + 1) * sizeof(char *));
        char **names = brig_xmalloc0(sizeof(char *));
        /* "<hex>.json" (docker < 25, skopeo, podman) names its digest too. */
        if (cfg_hex == NULL && strlen(v[i].config) == IMAGE_HEX_LEN + 5 &&
            strcmp(v[i].config + IMAGE_HEX_LEN, ".json") == 0) {
            memcpy(hexbuf, v[i].config, IMAGE_HEX_LEN);
            hexbuf[IMAGE_HEX_LEN] = '\0';
            if (image_is_hex(hexbuf, IMAGE_HEX_LEN))
                cfg_hex = hexbuf;
        }
        struct entry *cfg = get_blob(l, v[i].config, cfg_hex, reterr);
        if (cfg == NULL) {
            brig_strv_free(names);
            brig_error_wrap(reterr, "config");
            goto out;
        }
        for (size_t k = 0; k < nl; k++)
            blob_hex[k] = blob_path_hex(v[i].layers[k]);
        for (char **t = v[i].repo_tags; *t; t++) {
            _cleanup_free_ char *norm = NULL;
            if (brig_image_name_normalize(*t, &norm, reterr) < 0) {
                brig_strv_free(names);
                goto out;
            }
            brig_strv_append(&names, norm);
        }
        if (add_image(l, cfg, v[i].layers, blob_hex, nl, names, reterr) < 0)
            goto out;
    }
    r = 0;
out:
    image_docker_entries_free(v, n);
    return r;
}

static const char *host_arch(void)
{
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#else
    return NULL;
#endif
}

static int oci_manifest(struct load *l, const struct image_descriptor *d, const char *ref_name,
                        int depth, brig_error *reterr)
{
    _cleanup_free_ char *path = brig_xasprintf("blobs/sha256/%s", d->hex);
    struct entry *m = get_blob(l, path, d->hex, reterr);
    struct image_descriptor cfgd = {0}, *layers = NULL;
    size_t n = 0;
    int r = -1;
    if (m == NULL)
        return -1;
    if (d->size >= 0 && (size_t)d->size != m->len)
        return brig_error_set(reterr, 0, "manifest sha256:%.12s: size %zu, descriptor says %lld",
                              d->hex, m->len, (long long)d->size);
    if (image_media_type_is_index(d->media_type) ||
        (d->media_type == NULL && strstr(m->data, "\"manifests\"") != NULL)) {
        struct image_descriptor *v = NULL;
        const struct image_descriptor *pick = NULL;
        if (depth > 4)
            return brig_error_set(reterr, 0, "index sha256:%.12s: nested too deep", d->hex);
        if (image_parse_oci_index(m->data, m->len, &v, &n, reterr) < 0)
            return -1;
        for (size_t i = 0; i < n && pick == NULL; i++)
            if ((v[i].os == NULL || strcmp(v[i].os, "linux") == 0) &&
                (v[i].arch == NULL || (host_arch() && strcmp(v[i].arch, host_arch()) == 0)))
                pick = &v[i];
        if (pick == NULL) {
            brig_error_set(reterr, 0, "index sha256:%.12s: no image for linux/%s", d->hex,
                           host_arch() ?: "this architecture");
        } else {
            r = oci_manifest(l, pick, ref_name ? ref_name : pick->ref_name, depth + 1, reterr);
        }
        image_descriptors_free(v, n);
        return r;
    }
    if (image_parse_oci_manifest(m->data, m->len, &cfgd, &layers, &n, reterr) < 0)
        return -1;
    _cleanup_free_ char *cpath = brig_xasprintf("blobs/sha256/%s", cfgd.hex);
    _cleanup_free_ char **lnames = brig_xmalloc0((n + 1) * sizeof(char *));
    _cleanup_free_ const char **lhex = brig_xmalloc0((n + 1) * sizeof(char *));
    char **names = brig_xmalloc0(sizeof(char *));
    struct entry *cfg = get_blob(l, cpath, cfgd.hex, reterr);
    if (cfg == NULL) {
        brig_strv_free(names);
        brig_error_wrap(reterr, "config");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        lnames[i] = brig_xasprintf("blobs/sha256/%s", layers[i].hex);
        lhex[i] = layers[i].hex;
    }
    if (ref_name != NULL) {
        _cleanup_free_ char *norm = NULL;
        brig_error ignored = NULL;
        /* A bare tag ("latest") or an odd annotation names nothing: the
         * image comes in untagged, as docker does. */
        if (brig_image_name_normalize(ref_name, &norm, &ignored) == 0)
            brig_strv_append(&names, norm);
        brig_error_free(&ignored);
    }
    r = add_image(l, cfg, lnames, lhex, n, names, reterr);
out:
    for (size_t i = 0; i < n; i++)
        free(lnames[i]);
    image_descriptors_free(layers, n);
    free(cfgd.media_type), free(cfgd.ref_name), free(cfgd.arch), free(cfgd.os);
    return r;
}

static int load_oci(struct load *l, struct entry *index, brig_error *reterr)
{
    struct image_descriptor *v = NULL;
    size_t n = 0;
    int r = 0;
    if (image_parse_oci_index(index->data, index->len, &v, &n, reterr) < 0)
        return -1;
    if (n == 0)
        r = brig_error_set(reterr, 0, "index.json lists no image");
    for (size_t i = 0; i < n && r == 0; i++)
        r = oci_manifest(l, &v[i], v[i].ref_name, 0, reterr);
    image_descriptors_free(v, n);
    return r;
}

static void load_clear(struct load *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].data);
        free(l->v[i].dir);
        free(l->v[i].alias);
        brig_error_free(&l->v[i].err);
    }
    free(l->v);
    for (size_t i = 0; i < l->n_commits; i++) {
        brig_strv_free(l->commits[i].diff_ids);
        brig_strv_free(l->commits[i].layer_dirs);
        free(l->commits[i].layer_sizes);
        brig_strv_free(l->commits[i].names);
    }
    free(l->commits);
    if (l->stagefd >= 0)
        close(l->stagefd);
    if (l->stage != NULL) {
        brig_error ignored = NULL;
        image_rm_rf_at(l->s->tmpfd, l->stage, &ignored);
        brig_error_free(&ignored);
    }
    free(l->stage);
    if (l->srcdir >= 0)
        close(l->srcdir);
    free(l->what);
}

static int load_begin(struct load *l, struct brig_image_store *s, const char *kind,
                      brig_error *reterr)
{
    l->s = s;
    if (brig_image_gc(s, NULL, reterr) < 0)
        return -1;
    if (image_tmp_mkdir(s, kind, &l->stage, reterr) < 0)
        return -1;
    l->stagefd = openat(s->tmpfd, l->stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (l->stagefd < 0)
        return brig_error_errno(reterr, "open the stage");
    return 0;
}

static int load_commit(struct load *l, char ***ret_names, brig_error *reterr)
{
    _cleanup_strv_ char **out = brig_xmalloc0(sizeof(char *));
    for (size_t i = 0; i < l->n_commits; i++) {
        struct image_commit *c = &l->commits[i];
        if (image_store_commit(l->s, l->stagefd, c, reterr) < 0)
            return -1;
        if (c->names[0] == NULL) {
            _cleanup_free_ char *id = brig_xasprintf("sha256:%s", c->id);
            brig_strv_append(&out, id);
        }
        for (char **n = c->names; *n; n++)
            brig_strv_append(&out, *n);
    }
    if (ret_names)
        *ret_names = TAKE_PTR(out);
    return 0;
}

int brig_image_load(struct brig_image_store *s, const char *path, char ***ret_names,
                    brig_error *reterr)
{
    struct load l = {.stagefd = -1, .srcdir = -1};
    _cleanup_free_ char *q = image_printable(strcmp(path, "-") == 0 ? "stdin" : path);
    struct entry *top;
    struct stat st;
    int r = -1;

    l.what = brig_xasprintf("load `%s`", q);
    if (strcmp(path, "-") != 0 && stat(path, &st) < 0) {
        brig_error_errno(reterr, "%s", l.what);
        free(l.what);
        return -1;
    }
    if (load_begin(&l, s, "load", reterr) < 0)
        goto out;
    if (strcmp(path, "-") != 0 && S_ISDIR(st.st_mode)) {
        l.srcdir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (l.srcdir < 0) {
            brig_error_errno(reterr, "open");
            goto fail;
        }
        top = get_entry(&l, "index.json", reterr);
        if (top == NULL)
            goto fail;
        if (faccessat(l.srcdir, "oci-layout", F_OK, 0) < 0) {
            brig_error_set(reterr, 0, "not an OCI image layout (no `oci-layout` file)");
            goto fail;
        }
        if (load_oci(&l, top, reterr) < 0)
            goto fail;
    } else {
        if (read_tarball(&l, path, reterr) < 0)
            goto fail;
        if ((top = entry_find(&l, "index.json")) != NULL && entry_find(&l, "oci-layout")) {
            if (load_oci(&l, top, reterr) < 0)
                goto fail;
        } else if ((top = entry_find(&l, "manifest.json")) != NULL) {
            if (load_docker(&l, top, reterr) < 0)
                goto fail;
        } else {
            brig_error_set(reterr, 0,
                           "not a docker-archive or OCI archive (no manifest.json, no "
                           "index.json and oci-layout)");
            goto fail;
        }
    }
    if (load_commit(&l, ret_names, reterr) < 0)
        goto fail;
    r = 0;
    goto out;
fail:
    brig_error_wrap(reterr, "%s", l.what);
out:
    load_clear(&l);
    return r;
}

int brig_image_import(struct brig_image_store *s, const char *tarball, const char *name,
                      char **ret_id, brig_error *reterr)
{
    struct load l = {.stagefd = -1, .srcdir = -1};
    _cleanup_free_ char *q = image_printable(strcmp(tarball, "-") == 0 ? "stdin" : tarball);
    _cleanup_free_ char *norm = NULL, *cfg = NULL, *now = brig_now_rfc3339();
    _cleanup_close_ int fd = -1;
    struct entry *e;
    int r = -1;

    l.what = brig_xasprintf("import `%s`", q);
    if (name != NULL && brig_image_name_normalize(name, &norm, reterr) < 0)
        goto fail;
    fd = strcmp(tarball, "-") == 0 ? dup(STDIN_FILENO)
                                   : open(tarball, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        brig_error_errno(reterr, "open");
        goto fail;
    }
    if (load_begin(&l, s, "import", reterr) < 0)
        goto fail;
    e = entry_add(&l, "layer");
    {
        _cleanup_free_ char *diff = NULL;
        _cleanup_close_ int dfd = -1;
        e->dir = brig_xstrdup("L0");
        diff = brig_xasprintf("%s/diff", e->dir);
        if (mkdirat(l.stagefd, e->dir, 0700) < 0 || mkdirat(l.stagefd, diff, 0755) < 0 ||
            (dfd = openat(l.stagefd, diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
            brig_error_errno(reterr, "mkdir in the stage");
            goto fail;
        }
        if (image_unpack_layer_fd(dfd, fd, IMAGE_UNPACK_STRICT, "rootfs", &e->res, reterr) < 0)
            goto fail;
        e->staged = true;
    }
    cfg = brig_xasprintf("{\"architecture\":\"%s\",\"os\":\"linux\",\"created\":\"%s\","
                         "\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
                         "[\"sha256:%s\"]},\"history\":[{\"created\":\"%s\","
                         "\"created_by\":\"brig import\"}]}",
                         host_arch() ?: "unknown", now, e->res.diff_id, now);
    {
        struct entry *c = entry_add(&l, "config");
        char *layer_names[] = {"layer", NULL};
        char **names = brig_xmalloc0(sizeof(char *));
        c->data = TAKE_PTR(cfg);
        c->len = strlen(c->data);
        c->in_memory = true;
        if (norm != NULL)
            brig_strv_append(&names, norm);
        if (add_image(&l, c, layer_names, NULL, 1, names, reterr) < 0)
            goto fail;
    }
    if (load_commit(&l, NULL, reterr) < 0)
        goto fail;
    if (ret_id)
        *ret_id = brig_xstrdup(l.commits[0].id);
    r = 0;
    goto out;
fail:
    brig_error_wrap(reterr, "%s", l.what);
out:
    load_clear(&l);
    return r;
}

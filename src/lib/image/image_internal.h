/* What the image store's files share; not part of the engine's contract. */
#ifndef BRIG_IMAGE_INTERNAL_H
#define BRIG_IMAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/error.h"
#include "image/image.h"

/* ---- digest.c: SHA-256 ---- */
#define IMAGE_HEX_LEN 64
struct image_sha256 {
    uint32_t st[8];
    uint64_t len;
    uint8_t buf[64];
    size_t fill;
    bool portable; /* force the portable block function (tests) */
};
void image_sha256_init(struct image_sha256 *h);
void image_sha256_update(struct image_sha256 *h, const void *data, size_t len);
void image_sha256_final(struct image_sha256 *h, char hex[IMAGE_HEX_LEN + 1]);
void image_sha256_hex(const void *data, size_t len, char hex[IMAGE_HEX_LEN + 1]);
bool image_is_hex(const char *s, size_t len);
/* "sha256:<64 hex>" -> the hex part; NULL for anything else. */
const char *image_digest_hex(const char *digest);

/* A string from an archive, fit for a one-line message: control bytes
 * become '?', and it is cut at 200 bytes.  Caller frees. */
char *image_printable(const char *s);

/* ---- parse.c: the JSON documents of docker-archive and OCI ---- */
struct image_docker_entry {
    char *config;     /* path of the config inside the archive */
    char **repo_tags; /* as written (not normalized) */
    char **layers;    /* paths inside the archive, lowest first */
};
int image_parse_docker_manifest(const char *data, size_t len, struct image_docker_entry **ret,
                                size_t *ret_n, brig_error *reterr);
void image_docker_entries_free(struct image_docker_entry *v, size_t n);

struct image_descriptor {
    char *media_type;
    char hex[IMAGE_HEX_LEN + 1]; /* the sha256 digest's hex */
    int64_t size;                /* -1 when absent */
    char *ref_name;              /* io.containerd.image.name, else ...ref.name; NULL */
    char *arch, *os;             /* platform; NULL when absent */
};
void image_descriptors_free(struct image_descriptor *v, size_t n);
/* index.json or a nested index: its "manifests". */
int image_parse_oci_index(const char *data, size_t len, struct image_descriptor **ret,
                          size_t *ret_n, brig_error *reterr);
bool image_media_type_is_index(const char *mt);
/* An image manifest: its config (ret_config) and layers. */
int image_parse_oci_manifest(const char *data, size_t len, struct image_descriptor *ret_config,
                             struct image_descriptor **ret_layers, size_t *ret_n,
                             brig_error *reterr);
/* An image config: fills img's config fields (created, arch, os, env, ...)
 * and returns rootfs.diff_ids as hex strings. */
int image_parse_config(const char *data, size_t len, struct brig_image *img, char ***ret_diff_ids,
                       brig_error *reterr);

/* ---- name.c ---- */
/* Split a normalized "repo:tag" at the tag's colon (never the port's). */
const char *image_name_tag_sep(const char *name);

/* ---- unpack.c: one layer stream into a directory ---- */
/* A pull source: sets *buf and returns bytes (0 at the end, -1 with
 * *reterr set on failure). */
struct image_source {
    ssize_t (*read)(void *cookie, const void **buf, brig_error *reterr);
    void *cookie;
};
struct image_layer_result {
    char diff_id[IMAGE_HEX_LEN + 1]; /* sha256 of the uncompressed tar */
    char blob[IMAGE_HEX_LEN + 1];    /* sha256 of the bytes as read */
    uint64_t size;                   /* unpacked bytes (regular files) */
    uint64_t blob_size;
};
/* Unpack the tar stream `src` (any compression libarchive detects) into the
 * empty directory `dirfd` (overlayfs lowerdir format).  `what` names the
 * layer in messages.  Reads `src` to its end so the digests cover it all. */
/* IMAGE_UNPACK_STRICT: a tar that ends without its last block's padding is
 * an error (for import, where no digest checks the bytes; load accepts
 * what Go's archive/tar accepts, see unpack.c). */
#define IMAGE_UNPACK_STRICT 1
int image_unpack_layer(int dirfd, struct image_source *src, int flags, const char *what,
                       struct image_layer_result *res, brig_error *reterr);
/* Convenience sources. */
int image_unpack_layer_fd(int dirfd, int fd, int flags, const char *what,
                          struct image_layer_result *res, brig_error *reterr);
int image_unpack_layer_mem(int dirfd, const void *data, size_t len, int flags, const char *what,
                           struct image_layer_result *res, brig_error *reterr);
/* Check one entry path from a layer and return it made relative ("./a/b"
 * -> "a/b", "/a" -> "a", "" for the root).  Refuses "..". */
int image_entry_path(const char *path, char **ret, brig_error *reterr);

/* ---- store.c ---- */
struct brig_image_store {
    char *root;
    int dirfd, lockfd, tmpfd, layersfd;
    char *layers_dir;
    int lock_depth; /* flock is per open file: nested takers share it */
};
int image_store_lock(struct brig_image_store *s, bool exclusive, brig_error *reterr);
void image_store_unlock(struct brig_image_store *s);
/* A new staging directory tmp/<kind>-<pid>-<random>; its name in ret_name. */
int image_tmp_mkdir(struct brig_image_store *s, const char *kind, char **ret_name,
                    brig_error *reterr);
/* rm -rf NAME relative to dirfd (no symlink is followed). */
int image_rm_rf_at(int dirfd, const char *name, brig_error *reterr);

/* One image to add: the staged layers live in tmp/<stage>/<layer_dirs[i]>. */
struct image_commit {
    const char *config;
    size_t config_len;
    char id[IMAGE_HEX_LEN + 1];
    size_t n_layers;
    char **diff_ids;   /* hex */
    char **layer_dirs; /* names under the staging dir, or NULL when already in the store */
    uint64_t *layer_sizes;
    char **names; /* normalized names to give it; may be empty */
};
/* Under the exclusive lock: move the layers in, write the config blob, the
 * image record and the tags. */
int image_store_commit(struct brig_image_store *s, int stagefd, struct image_commit *c,
                       brig_error *reterr);
bool image_layer_exists(struct brig_image_store *s, const char *diff_id);

/* ---- archive.c / materialize.c ---- */
int image_copy_tree(int srcfd, int dstfd, brig_error *reterr);

#endif

/* The local image store: content-addressed blobs, unpacked layers, tags.
 *
 * Layout under the store root (the engine passes STORAGE/image):
 *     blobs/sha256/<hex>         image configs (<hex> = the image id); the
 *                                compressed layers are NOT kept: layers are
 *                                unpacked as they stream in, their digests
 *                                verified on the way
 *     layers/<diffid-hex>/diff/  an unpacked layer, in overlayfs' format:
 *                                whiteouts are 0:0 character devices, opaque
 *                                directories carry trusted.overlay.opaque=y,
 *                                so the directory is a ready lowerdir
 *     layers/<diffid-hex>/size   its unpacked size in bytes (decimal); a
 *                                layer directory without it is garbage
 *     images/<id>.json           one image: {"id", "layers": [diff id hex,
 *                                lowest first], "size"}
 *     tags.json                  every name: {"busybox:latest": "<id>"}, one
 *                                file so a name moves in one rename
 *     tmp/                       staging, "<kind>-<pid>-<random>"; anything
 *                                whose pid is gone is garbage (brig_image_gc)
 *     lock                       flock: exclusive while tags, images or
 *                                layers change, shared while read
 *
 * Every write lands in tmp/ first and is renamed into place, so a kill -9 at
 * any point leaves either the old store or the new one plus garbage in tmp/
 * (or a layer no image names, which gc also removes).  A layer is unpacked
 * with libarchive into tmp/ outside the lock (concurrent loads unpack in
 * parallel) and renamed to layers/ under it, only after its diff id (sha256
 * of the uncompressed tar) matched the config's and, where the archive names
 * one, its blob digest matched.  Nothing is fsync'd: a power cut may lose a
 * load that had finished (the store stays consistent: a record names only
 * layers renamed before it).
 *
 * Layer entries: ".." is refused; a leading "/" is rooted in the layer (as
 * containerd and GNU tar take it; umoci writes its root as "/"); every
 * parent is walked with RESOLVE_NO_SYMLINKS, so an entry through a symlink
 * (even one inside the layer) is refused, naming the entry.  Owners
 * (numeric), modes with setuid, mtimes, xattrs (security.capability too;
 * trusted.overlay.* and security.selinux from a tar are dropped), hard links
 * within the layer, device nodes and fifos are kept.
 *
 * Names are kept in docker's familiar form: "docker.io/library/busybox:latest"
 * and "busybox" both mean "busybox:latest"; "localhost/x" stays as written.
 * An image may also be named by its id or a unique id prefix (>= 4 hex),
 * with or without "sha256:". */
#ifndef BRIG_IMAGE_H
#define BRIG_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct brig_image_store;

/* Open (creating if needed) the store at `root`. */
int brig_image_store_open(const char *root, struct brig_image_store **ret, brig_error *reterr);
void brig_image_store_free(struct brig_image_store *s);
static inline void brig_image_store_freep(struct brig_image_store **s)
{
    if (*s)
        brig_image_store_free(*s);
}
#define _cleanup_image_store_ __attribute__((cleanup(brig_image_store_freep)))

/* One image, as the engine needs it to run a container and as `images` and
 * `inspect` show it.  Every string vector is NULL-terminated (never NULL). */
struct brig_image {
    char *id;         /* sha256 hex of the config blob (64 chars, no prefix) */
    char **repo_tags; /* familiar names "busybox:latest"; may be empty */
    char *created;    /* RFC 3339 from the config; NULL when absent */
    char *arch, *os;
    uint64_t size; /* sum of the unpacked layers' sizes */
    /* from the config's "config" object (docker/OCI image config) */
    char **env;           /* "K=V" */
    char **entrypoint;    /* empty when unset */
    char **cmd;           /* empty when unset */
    char *working_dir;    /* NULL when unset */
    char *user;           /* NULL when unset */
    char *stop_signal;    /* NULL when unset */
    char **exposed_ports; /* "80/tcp" */
    char **volumes;       /* "/data" */
    char **labels;        /* "k=v" */
    /* the unpacked layers, lowest first: absolute paths of layers/<hex>/diff */
    char **layers;
    size_t n_layers;
};
void brig_image_free(struct brig_image *img);

/* Load a docker-archive (`docker save`, `podman save`), an oci-archive
 * (`skopeo copy ... oci-archive:`, `buildah push`), plain or gzip/zstd/xz
 * compressed (libarchive detects), or an OCI image-layout directory.
 * Verifies every digest and diff id; a mismatch, a truncated archive, or a
 * layer entry that would land outside its layer (`..`, through a symlink)
 * fails with nothing left behind:
 *   "load `x.tar`: layer sha256:ab12…: digest mismatch (archive says …, content is …)".
 * `path` "-" reads stdin.  ret_names gets what was loaded: the names given
 * to images (or "sha256:<id>" for an untagged one), in archive order;
 * NULL-terminated, caller frees.  Runs brig_image_gc first. */
int brig_image_load(struct brig_image_store *s, const char *path, char ***ret_names,
                    brig_error *reterr);

/* `brig import TARBALL NAME[:TAG]`: one rootfs tarball (any compression
 * libarchive reads; "-" is stdin) as a one-layer image with an empty
 * config; `name` may be NULL (untagged).  Returns the new image's id.  The
 * tar must be complete (no digest vouches for its bytes). */
int brig_image_import(struct brig_image_store *s, const char *tarball, const char *name,
                      char **ret_id, brig_error *reterr);

/* Resolve a name, id or id prefix.  Not found:
 *   "image `x`: not found in the local store (brig load -i or brig import it first)" */
int brig_image_get(struct brig_image_store *s, const char *ref, struct brig_image **ret,
                   brig_error *reterr);

/* All images, newest first. */
int brig_image_list(struct brig_image_store *s, struct brig_image ***ret, size_t *ret_n,
                    brig_error *reterr);
void brig_image_list_free(struct brig_image **v, size_t n);

/* Give image `ref` the extra name `name` (moving it off another image). */
int brig_image_tag(struct brig_image_store *s, const char *ref, const char *name,
                   brig_error *reterr);

/* `brig rmi REF`: a name untags (the image goes when its last name goes and
 * `ref` was a name); an id removes the image and all its names, which needs
 * `force` when it has more than one name.  `in_use` (may be NULL) is asked
 * before anything is removed; when it returns true the removal is refused:
 *   "remove image `busybox`: in use by container `web` (1f2e…)".
 * Layers no other image uses go with the image.  `ret_lines` gets docker's
 * "Untagged: busybox:latest" / "Deleted: sha256:…" lines (NULL-terminated). */
typedef bool (*brig_image_in_use_fn)(const char *image_id, char **ret_user, void *data);
int brig_image_remove(struct brig_image_store *s, const char *ref, bool force,
                      brig_image_in_use_fn in_use, void *data, char ***ret_lines,
                      brig_error *reterr);

/* Remove what a crash left: tmp/ entries no live process is writing (their
 * owner's pid is in the name and gone), layers no image references.
 * Returns how many entries went.  Called by load/import/rmi before they
 * work, under the store lock. */
int brig_image_gc(struct brig_image_store *s, size_t *ret_removed, brig_error *reterr);

/* Where overlayfs is unavailable: copy the image's layers, lowest first,
 * into `dest` (an empty directory), applying whiteouts and opaque dirs. */
int brig_image_materialize(struct brig_image_store *s, const struct brig_image *img,
                           const char *dest, brig_error *reterr);

/* The layers directory (for short relative lowerdir= paths). */
const char *brig_image_store_layers_dir(const struct brig_image_store *s);

/* Normalize a user's name to the familiar stored form ("busybox" ->
 * "busybox:latest", "docker.io/library/x:1" -> "x:1").  Refuses what docker
 * refuses: "image name `Bad Name`: invalid reference format". */
int brig_image_name_normalize(const char *name, char **ret, brig_error *reterr);

#endif

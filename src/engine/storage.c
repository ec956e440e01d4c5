/* A container's rootfs: an overlay of its image's layers (read-only, shared
 * by every container of the image) with its own upper and work dirs, or a
 * copy of the layers where overlayfs is unavailable. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "run.h"
#include "sandbox/container.h"
#include "selinux/label.h"

static bool overlay_listed(void)
{
    _cleanup_free_ char *buf = NULL;
    _cleanup_error_ brig_error ignored = NULL;
    size_t len;
    if (brig_read_file_at(AT_FDCWD, "/proc/filesystems", 1 << 16, &buf, &len, &ignored) < 0)
        return false;
    return strstr(buf, "\toverlay\n") != NULL;
}

/* overlayfs may be a module nobody loaded yet (Debian's kernel): a mount
 * attempt makes the kernel load it (request_module("fs-overlay")), as
 * docker's modprobe would.  Without lowerdir= the attempt itself fails
 * with EINVAL and mounts nothing. */
static bool overlay_available(const char *scratch_dir)
{
    if (overlay_listed())
        return true;
    (void)mount("overlay", scratch_dir, "overlay", MS_RDONLY, "");
    return overlay_listed();
}

int storage_prepare(struct engine *e, struct ctr *c, const struct brig_image *img,
                    brig_error *reterr)
{
    static const char *const dirs[] = {"upper", "work", "bundle", "bundle/rootfs"};
    json_object *gd = json_object_new_object(), *data = json_object_new_object();
    _cleanup_free_ char *lower = NULL, *upper = NULL, *work = NULL, *merged = NULL;
    bool overlay =
        strcmp(e->conf.storage_driver ? e->conf.storage_driver : "overlay", "overlay") == 0;
    size_t n = 0;

    json_object_object_add(c->rec, "GraphDriver", gd);
    json_object_object_add(gd, "Data", data);
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(dirs); i++) {
        _cleanup_free_ char *p = brig_xasprintf("%s/%s", c->dir, dirs[i]);
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
            return brig_error_errno(reterr, "create `%s`", p);
    }
    merged = brig_xasprintf("%s/bundle/rootfs", c->dir);
    if (overlay && !overlay_available(merged)) {
        brig_log(BRIG_LOG_WARNING,
                 "overlayfs is not available on this kernel: copying the image's layers for "
                 "container `%s` (slower, uses more disk)",
                 ctr_name(c));
        overlay = false;
    }
    if (!overlay) {
        struct brig_image_store *s;
        if (engine_images(e, &s, reterr) < 0 || brig_image_materialize(s, img, merged, reterr) < 0)
            return brig_error_wrap(reterr, "copy image into container `%s`", ctr_name(c));
        json_object_object_add(gd, "Name", json_object_new_string("vfs"));
        json_object_object_add(data, "MergedDir", json_object_new_string(merged));
        return 0;
    }
    /* overlayfs lists the top layer first */
    for (size_t i = img->n_layers; i-- > 0;) {
        char *next = brig_xasprintf("%s%s%s", lower ? lower : "", lower ? ":" : "", img->layers[i]);
        free(lower);
        lower = next;
        n++;
    }
    if (n == 0) { /* overlayfs wants a lower dir: an empty one */
        lower = brig_xasprintf("%s/empty", c->dir);
        if (mkdir(lower, 0700) < 0 && errno != EEXIST)
            return brig_error_errno(reterr, "create `%s`", lower);
    }
    upper = brig_xasprintf("%s/upper", c->dir);
    work = brig_xasprintf("%s/work", c->dir);
    /* The merged root takes its owner and mode from the upper dir: give it
     * the image's, or a non-root user could not even look up /bin. */
    {
        struct stat st = {.st_mode = S_IFDIR | 0755};
        if (n > 0 && stat(img->layers[img->n_layers - 1], &st) < 0)
            return brig_error_errno(reterr, "stat layer `%s`", img->layers[img->n_layers - 1]);
        if (chmod(upper, st.st_mode & 07777) < 0 || chown(upper, st.st_uid, st.st_gid) < 0)
            return brig_error_errno(reterr, "set the mode of `%s`", upper);
    }
    json_object_object_add(gd, "Name", json_object_new_string("overlay"));
    json_object_object_add(data, "LowerDir", json_object_new_string(lower));
    json_object_object_add(data, "UpperDir", json_object_new_string(upper));
    json_object_object_add(data, "WorkDir", json_object_new_string(work));
    json_object_object_add(data, "MergedDir", json_object_new_string(merged));
    return 0;
}

/* The lowerdir list relative to the directory all layers share, so mount
 * data (one page at most) holds many more layers. */
static char *lower_relative(const char *lower, char **ret_dir)
{
    const char *first_end = strchr(lower, ':');
    size_t plen;
    const char *slash;
    _cleanup_free_ char *first =
        first_end ? brig_xstrndup(lower, (size_t)(first_end - lower)) : brig_xstrdup(lower);
    char *out = NULL;

    /* layers/<hex>/diff: the common prefix ends before <hex> */
    slash = strrchr(first, '/');
    if (slash == NULL || slash == first)
        return NULL;
    while (slash > first && slash[-1] != '/')
        slash--;
    plen = (size_t)(slash - first);
    for (const char *p = lower; *p;) {
        size_t k = strcspn(p, ":");
        if (k < plen || strncmp(p, first, plen) != 0) {
            free(out);
            return NULL;
        }
        char *next =
            brig_xasprintf("%s%s%.*s", out ? out : "", out ? ":" : "", (int)(k - plen), p + plen);
        free(out);
        out = next;
        p += k + (p[k] == ':');
    }
    *ret_dir = brig_xstrndup(first, plen);
    return out;
}

int storage_mount(struct engine *e, struct ctr *c, const char *mount_label, brig_error *reterr)
{
    const char *driver = ctr_get_str(c, "GraphDriver.Name");
    const char *lower = ctr_get_str(c, "GraphDriver.Data.LowerDir");
    const char *upper = ctr_get_str(c, "GraphDriver.Data.UpperDir");
    const char *work = ctr_get_str(c, "GraphDriver.Data.WorkDir");
    const char *merged = ctr_get_str(c, "GraphDriver.Data.MergedDir");
    _cleanup_free_ char *rel = NULL, *dir = NULL, *data = NULL, *ctx = NULL;
    _cleanup_close_ int cwd = -1;
    bool volatile_;
    int r;

    (void)e;
    if (driver == NULL || merged == NULL)
        return brig_error_set(reterr, 0, "container `%s`: record has no rootfs", ctr_name(c));
    if (strcmp(driver, "overlay") != 0)
        return 0;       /* a copy: labelled by the runtime's relabel */
    storage_unmount(c); /* a mount left by a crashed monitor */
    if (lower == NULL || upper == NULL || work == NULL)
        return brig_error_set(reterr, 0, "container `%s`: record has no overlay dirs", ctr_name(c));
    if (mount_label) {
        /* The upper and work dirs are the container's own, at its pair:
         * overlay creates copies-up and new files in them, and the kernel
         * checks the container's mmap/mprotect against those real inodes.
         * Only the two dirs: their contents got the pair at creation. */
        static const char *const own[] = {"upper", "work"};
        for (size_t i = 0; i < BRIG_ARRAY_SIZE(own); i++) {
            _cleanup_free_ char *p = brig_xasprintf("%s/%s", c->dir, own[i]);
            _cleanup_close_ int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0)
                return brig_error_errno(reterr, "open `%s`", p);
            if (brig_label_dir_ensure(fd, mount_label, reterr) < 0)
                return brig_error_wrap(reterr, "label `%s`", p);
        }
        ctx = brig_xasprintf(",context=\"%s\"", mount_label);
    }
    rel = lower_relative(lower, &dir);
    /* --rm: nothing of the upper dir outlives the container, so skip
     * overlay's syncs (podman does the same): its unmount, on the path of
     * every `run --rm`, drops from ~0.9 to ~0.1 ms here.  A volatile
     * mount leaves work/work/incompat/volatile/dirty, and overlay refuses
     * that workdir until it is gone (volatile or not): a --rm container
     * started again after its monitor was killed. */
    volatile_ = ctr_get_bool(c, "HostConfig.AutoRemove");
    if (volatile_) {
        _cleanup_free_ char *mark = brig_xasprintf("%s/work/incompat/volatile/dirty", work);
        for (int i = 0; i < 3 && (i ? rmdir(mark) : unlink(mark)) == 0; i++)
            (void)dirname(mark); /* dirty, then volatile/, then incompat/ */
    }
    data = brig_xasprintf("lowerdir=%s,upperdir=%s,workdir=%s%s%s", rel ? rel : lower, upper, work,
                          ctx ? ctx : "", volatile_ ? ",volatile" : "");
    if (strlen(data) >= 4096)
        return brig_error_set(reterr, 0,
                              "mount rootfs of `%s`: the image has too many layers for one "
                              "overlay mount",
                              ctr_name(c));
    if (rel) {
        cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (chdir(dir) < 0)
            return brig_error_errno(reterr, "mount rootfs of `%s`: enter `%s`", ctr_name(c), dir);
    }
    r = mount("overlay", merged, "overlay", MS_NODEV, data);
    if (r < 0 && errno == EINVAL && volatile_) {
        /* before Linux 5.10: the same without it */
        data[strlen(data) - strlen(",volatile")] = '\0';
        r = mount("overlay", merged, "overlay", MS_NODEV, data);
    }
    if (r < 0)
        brig_error_errno(reterr, "mount overlay rootfs of `%s` on `%s`", ctr_name(c), merged);
    if (cwd >= 0 && fchdir(cwd) < 0 && r == 0) {
        storage_unmount(c);
        return brig_error_errno(reterr, "return to the working directory");
    }
    return r;
}

void storage_unmount(struct ctr *c)
{
    const char *merged = ctr_get_str(c, "GraphDriver.Data.MergedDir");
    const char *driver = ctr_get_str(c, "GraphDriver.Name");
    if (merged == NULL || driver == NULL || strcmp(driver, "overlay") != 0)
        return;
    while (umount2(merged, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
        ;
}

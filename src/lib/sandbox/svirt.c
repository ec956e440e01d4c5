#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "core/util.h"
#include "sandbox/container.h"
#include "sandbox/svirt.h"
#include "selinux/context.h"
#include "selinux/mcs.h"
#include "selinux/relabel.h"

static const char *const opt_keys[] = {"type", "level", "user", "role", "filetype"};

static int svirt_opts_from_annotations(const struct brig_spec *spec, struct brig_label_opts *opts,
                                       brig_error *reterr)
{
    const char *v = brig_spec_annotation(spec, BRIG_ANN_SELINUX "disable");
    if (v && strcmp(v, "true") == 0 && brig_label_opts_add(opts, "disable", reterr) < 0)
        return -1;
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(opt_keys); i++) {
        _cleanup_free_ char *key = brig_xasprintf(BRIG_ANN_SELINUX "%s", opt_keys[i]);
        _cleanup_free_ char *opt = NULL;
        v = brig_spec_annotation(spec, key);
        if (v == NULL)
            continue;
        opt = brig_xasprintf("%s:%s", opt_keys[i], v);
        if (brig_label_opts_add(opts, opt, reterr) < 0)
            return brig_error_wrap(reterr, "annotations.%s", key);
    }
    return 0;
}

/* The label of a path as stored; NULL when none. */
static char *svirt_get_label(const char *path)
{
    char buf[512];
    ssize_t n = lgetxattr(path, "security.selinux", buf, sizeof(buf) - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return brig_xstrdup(buf);
}

/* Relabel a tree unless its top already has the label: the relabel labels
 * the top last, so a right top means a finished earlier pass and the walk
 * (thousands of getxattr calls on a real image) is skipped on every start. */
static int svirt_relabel(const char *path, const char *context, bool force, brig_error *reterr)
{
    /* Everything but the rootfs is a bind source: never followed through
     * a symlink, as the mount itself will not be. */
    struct brig_relabel_opts o = {.force = force, .no_symlinks = !force};
    _cleanup_free_ char *cur = svirt_get_label(path);
    if (cur && strcmp(cur, context) == 0)
        return 0;
    return brig_relabel(path, context, &o, NULL, reterr);
}

int brig_svirt_setup(int rootfd, const char *id, struct brig_spec *spec, const char *rootfs,
                     struct brig_svirt *ret, brig_error *reterr)
{
    struct brig_label_defaults d = {0};
    struct brig_label_opts opts = {0};
    _cleanup_free_ char *process = NULL, *mount = NULL, *shared = NULL, *rootfs_label = NULL;
    const char *v = brig_spec_annotation(spec, BRIG_ANN_SELINUX "auto");
    int r = -1;

    memset(ret, 0, sizeof(*ret));
    if (v && strcmp(v, "false") == 0)
        return 0;
    if (svirt_opts_from_annotations(spec, &opts, reterr) < 0)
        goto out;
    if (brig_label_defaults_load(&d, reterr) < 0)
        goto out;

    if (spec->process->selinux_label) {
        /* podman's way: labels decided by the engine, used as given. */
        const char *lvl = brig_context_level(spec->process->selinux_label);
        process = brig_xstrdup(spec->process->selinux_label);
        if (lvl) {
            if (brig_mcs_reserve(rootfd, id, lvl, reterr) < 0)
                goto out;
            ret->level = brig_xstrdup(lvl);
            ret->reserved = true;
        }
        mount = spec->linux_.mount_label ? brig_xstrdup(spec->linux_.mount_label)
                                         : brig_context_with_level(d.file, lvl ? lvl : "s0");
    } else {
        if (!opts.disable) {
            if (opts.level) {
                if (brig_mcs_reserve(rootfd, id, opts.level, reterr) < 0)
                    goto out;
                ret->level = brig_xstrdup(opts.level);
            } else if (brig_mcs_allocate(rootfd, id, &ret->level, reterr) < 0) {
                goto out;
            }
            ret->reserved = true;
        }
        if (brig_label_compute(&d, &opts, ret->level ? ret->level : "s0", &process, &mount,
                               reterr) < 0)
            goto out;
        if (spec->linux_.mount_label)
            mount = (free(mount), brig_xstrdup(spec->linux_.mount_label));
    }

    /* The rootfs: shared level when read-only (many containers may use one
     * image tree), the container's own level when it can write to it. */
    /* io.brig.selinux.rootfs=labelled: the engine mounted the rootfs with
     * context=, every file already carries the label and none can be set. */
    v = brig_spec_annotation(spec, BRIG_ANN_SELINUX "rootfs");
    if (mount && !(v && strcmp(v, "labelled") == 0)) {
        rootfs_label =
            spec->root_readonly ? brig_context_with_level(mount, "s0") : brig_xstrdup(mount);
        if (svirt_relabel(rootfs, rootfs_label, true, reterr) < 0)
            goto out;
    }
    shared = brig_context_with_level(mount ? mount : d.file, "s0");
    for (size_t i = 0; i < spec->n_mounts; i++) {
        struct brig_spec_mount *m = &spec->mounts[i];
        const char *target;
        if (m->opts.relabel == BRIG_RELABEL_NONE || m->source == NULL)
            continue;
        if (m->opts.relabel == BRIG_RELABEL_PRIVATE && mount == NULL) {
            brig_error_set(reterr, 0,
                           "mounts[%zu]: `Z` needs a private level, and this container has "
                           "none (SELinux label disabled)",
                           i);
            goto out;
        }
        target = m->opts.relabel == BRIG_RELABEL_SHARED ? shared : mount;
        if (svirt_relabel(m->source, target, false, reterr) < 0) {
            brig_error_wrap(reterr, "mounts[%zu] (`%s`)", i, m->destination);
            goto out;
        }
    }
    free(spec->process->selinux_label);
    spec->process->selinux_label = TAKE_PTR(process);
    free(spec->linux_.mount_label);
    spec->linux_.mount_label = TAKE_PTR(mount);
    r = 0;
out:
    if (r < 0)
        brig_svirt_undo(rootfd, id, ret);
    brig_label_defaults_clear(&d);
    brig_label_opts_clear(&opts);
    return r;
}

void brig_svirt_undo(int rootfd, const char *id, struct brig_svirt *sv)
{
    if (sv->reserved && sv->level) {
        _cleanup_error_ brig_error err = NULL;
        if (brig_mcs_release(rootfd, id, sv->level, &err) < 0)
            brig_log(BRIG_LOG_WARNING, "%s", err->msg);
    }
    free(sv->level);
    sv->level = NULL;
    sv->reserved = false;
}

int brig_svirt_release(int rootfd, const char *id, const char *process_label, brig_error *reterr)
{
    const char *lvl = process_label ? brig_context_level(process_label) : NULL;
    if (lvl == NULL)
        return 0;
    return brig_mcs_release(rootfd, id, lvl, reterr);
}

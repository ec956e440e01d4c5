#include <selinux/selinux.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "echeck.h"
#include "elabel.h"
#include "sandbox/svirt.h"
#include "selinux/context.h"
#include "selinux/mcs.h"

/* "type:T" and "type=T" are the same; "label:disable" too.  "check" is the
 * engine's own (check mode, echeck.h): the runtime never sees it. */
int elabel_opt_check(const char *opt, brig_error *reterr)
{
    struct brig_label_opts o = {0};
    struct brig_label_defaults d = {0};
    _cleanup_free_ char *p = NULL, *m = NULL;
    int r;
    if (strcmp(opt, "check") == 0)
        return 0;
    r = brig_label_opts_add(&o, opt, reterr);
    /* A type the policy lacks fails now, not at the first start (which
     * would leave a container behind). */
    if (r == 0 && (o.type || o.filetype || o.user || o.role) && is_selinux_enabled() > 0) {
        r = brig_label_defaults_load(&d, reterr);
        if (r == 0)
            r = brig_label_compute(&d, &o, "s0", &p, &m, reterr);
        brig_label_defaults_clear(&d);
    }
    brig_label_opts_clear(&o);
    return r;
}

static void ann_set(json_object *config, const char *key, const char *value)
{
    json_object *ann;
    if (!json_object_object_get_ex(config, "annotations", &ann)) {
        ann = json_object_new_object();
        json_object_object_add(config, "annotations", ann);
    }
    json_object_object_add(ann, key, json_object_new_string(value));
}

static void ann_del(json_object *config, const char *prefix)
{
    json_object *ann;
    if (!json_object_object_get_ex(config, "annotations", &ann))
        return;
    for (;;) {
        const char *found = NULL;
        json_object_object_foreach(ann, k, v)
        {
            (void)v;
            if (brig_str_has_prefix(k, prefix))
                found = k;
        }
        if (!found)
            return;
        json_object_object_del(ann, found);
    }
}

static bool wants_check(json_object *secopts)
{
    for (size_t i = 0; secopts && i < json_object_array_length(secopts); i++) {
        const char *s = json_object_get_string(json_object_array_get_idx(secopts, i));
        if ((strncmp(s, "label=", 6) == 0 || strncmp(s, "label:", 6) == 0) &&
            strcmp(s + 6, "check") == 0)
            return true;
    }
    return false;
}

void elabel_clear(struct elabel *l)
{
    free(l->process_label);
    free(l->mount_label);
    free(l->level);
    memset(l, 0, sizeof(*l));
}

void elabel_undo(struct engine *e, struct ctr *c, struct elabel *l)
{
    if (l->level) {
        _cleanup_error_ brig_error err = NULL;
        (void)brig_mcs_release(e->run_fd, c->id, l->level, &err);
    }
}

int elabel_setup(struct engine *e, struct ctr *c, json_object *config, struct elabel *ret,
                 brig_error *reterr)
{
    struct brig_label_opts opts = {0};
    struct brig_label_defaults d = {0};
    json_object *secopts = ctr_get(c, "HostConfig.SecurityOpt"), *process, *linux_;
    bool check = wants_check(secopts);
    int r = -1;

    memset(ret, 0, sizeof(*ret));
    json_object_object_get_ex(config, "process", &process);
    json_object_object_get_ex(config, "linux", &linux_);
    json_object_object_del(process, "selinuxLabel");
    json_object_object_del(linux_, "mountLabel");
    ann_del(config, BRIG_ANN_SELINUX);

    /* Check mode only means something where denials are logged. */
    if (check && (is_selinux_enabled() <= 0 || !e->conf.label))
        return brig_error_set(reterr, 0, "label=check: %s",
                              is_selinux_enabled() <= 0 ? "SELinux is disabled on this host"
                                                        : "labelling is off in brig.conf");
    if (is_selinux_enabled() <= 0)
        return 0; /* the runtime says once that nothing is labelled */
    if (!e->conf.label) {
        ann_set(config, BRIG_ANN_SELINUX "auto", "false");
        return 0;
    }
    ret->enabled = true;
    for (size_t i = 0; secopts && i < json_object_array_length(secopts); i++) {
        const char *s = json_object_get_string(json_object_array_get_idx(secopts, i));
        if ((strncmp(s, "label=", 6) == 0 || strncmp(s, "label:", 6) == 0) &&
            strcmp(s + 6, "check") != 0 && brig_label_opts_add(&opts, s + 6, reterr) < 0)
            goto out;
    }
    /* Check mode: the permissive check type, loaded on first use; every
     * other option (level, user, role, filetype) applies as usual. */
    if (check) {
        if (opts.disable || opts.type || ctr_get_bool(c, "HostConfig.Privileged")) {
            brig_error_set(reterr, 0,
                           "label=check: cannot be combined with label=disable, label=type "
                           "or --privileged");
            goto out;
        }
        if (echeck_ensure(e, reterr) < 0 ||
            brig_label_opts_add(&opts, "type:" ECHECK_TYPE, reterr) < 0)
            goto out;
    }
    /* --privileged implies label=disable, as docker defines it */
    if (ctr_get_bool(c, "HostConfig.Privileged") && !opts.disable &&
        brig_label_opts_add(&opts, "disable", reterr) < 0)
        goto out;
    if (!opts.type && e->conf.label_process_type) {
        _cleanup_free_ char *t = brig_xasprintf("type:%s", e->conf.label_process_type);
        if (brig_label_opts_add(&opts, t, reterr) < 0)
            goto out;
    }
    if (!opts.filetype && e->conf.label_file_type) {
        _cleanup_free_ char *t = brig_xasprintf("filetype:%s", e->conf.label_file_type);
        if (brig_label_opts_add(&opts, t, reterr) < 0)
            goto out;
    }
    if (brig_label_defaults_load(&d, reterr) < 0)
        goto out;
    if (!opts.disable) {
        /* A fresh pair at every start (seed 001): the old one was released
         * when the container stopped. */
        if (opts.level) {
            if (brig_mcs_reserve(e->run_fd, c->id, opts.level, reterr) < 0)
                goto out;
            ret->level = brig_xstrdup(opts.level);
        } else if (brig_mcs_allocate(e->run_fd, c->id, &ret->level, reterr) < 0) {
            goto out;
        }
    }
    if (brig_label_compute(&d, &opts, ret->level ? ret->level : "s0", &ret->process_label,
                           &ret->mount_label, reterr) < 0)
        goto out;
    json_object_object_add(process, "selinuxLabel", json_object_new_string(ret->process_label));
    if (ret->mount_label) {
        const char *driver = ctr_get_str(c, "GraphDriver.Name");
        json_object_object_add(linux_, "mountLabel", json_object_new_string(ret->mount_label));
        /* the overlay is mounted with context=: nothing to relabel; a copy
         * (vfs) is relabelled by the runtime like any rootfs */
        if (driver && strcmp(driver, "overlay") == 0)
            ann_set(config, BRIG_ANN_SELINUX "rootfs", "labelled");
    }
    if (check && ret->level)
        echeck_record(c, ret->level);
    r = 0;
out:
    if (r < 0) {
        elabel_undo(e, c, ret);
        elabel_clear(ret);
    }
    brig_label_opts_clear(&opts);
    brig_label_defaults_clear(&d);
    return r;
}

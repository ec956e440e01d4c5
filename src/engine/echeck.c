/* Check mode: the permissive container type and the record of its runs. */
#include "echeck.h"

#include <fcntl.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

#include "core/util.h"
#include "selinux/cilgen.h"

static bool check_type_loaded(void)
{
    return security_check_context("system_u:system_r:" ECHECK_TYPE ":s0") == 0;
}

char *echeck_module_text(brig_error *reterr)
{
    struct brig_cil_module m = {
        .module = ECHECK_MODULE,
        .type = ECHECK_TYPE,
        .container = NULL,
        .use = "brig run --security-opt label=check ... (loaded by brig on first use)",
        .permissive = true,
    };
    /* As a generated type does for its read-write mounts (cilgen.c): what
     * the container creates on host volumes stays at s0, so the files a
     * check run leaves (a log it rotated) are usable by the confined run
     * that follows, at another pair.  brig's own file types keep the
     * container's level (they are context= mounts or :Z/:z volumes). */
    static const char extra[] =
        "; Files it creates on host volumes stay at s0, as under a generated type.\n"
        "(typeattribute brig_check_host_file)\n"
        "(typeattributeset brig_check_host_file\n"
        "    (and file_type (not (or brig_container_file_t brig_container_ro_file_t))))\n"
        "(rangetransition " ECHECK_TYPE " brig_check_host_file file ((s0) (s0)))\n"
        "(rangetransition " ECHECK_TYPE " brig_check_host_file dir ((s0) (s0)))\n"
        "(rangetransition " ECHECK_TYPE " brig_check_host_file lnk_file ((s0) (s0)))\n";
    if (is_selinux_mls_enabled() == 1)
        m.extra = extra;
    return brig_cil_module_text(&m, NULL, reterr);
}

int echeck_ensure(struct engine *e, brig_error *reterr)
{
    _cleanup_close_ int lockfd = -1;
    _cleanup_free_ char *text = NULL;
    struct timespec t0, t1;

    if (check_type_loaded())
        return 0;
    lockfd = openat(e->run_fd, "selinux-check.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lockfd < 0)
        return brig_error_errno(reterr, "check mode: open `%s/selinux-check.lock`",
                                e->conf.run_root);
    if (flock(lockfd, LOCK_EX) < 0)
        return brig_error_errno(reterr, "check mode: lock `%s/selinux-check.lock`",
                                e->conf.run_root);
    if (check_type_loaded()) /* another brig loaded it while we waited */
        return 0;
    text = echeck_module_text(reterr);
    if (text == NULL)
        return -1;
    /* The one time a person waits for this, say why. */
    fprintf(stderr, "%s: loading the check-mode policy module `%s` (once per host)...\n",
            ENGINE_NAME, ECHECK_MODULE);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (brig_semodule_install(ECHECK_MODULE, text, strlen(text), reterr) < 0)
        return brig_error_wrap(reterr, "check mode (brig's policy module policy/brig.cil, with "
                                       "the `brig_container_base` attribute, must be installed)");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "%s: loaded `%s` in %.1f s\n", ENGINE_NAME, ECHECK_MODULE,
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (!check_type_loaded())
        return brig_error_set(reterr, 0,
                              "check mode: module `%s` is installed but `%s` is not in the "
                              "loaded policy (is the module disabled? see `semodule -l`)",
                              ECHECK_MODULE, ECHECK_TYPE);
    return 0;
}

void echeck_record(struct ctr *c, const char *level)
{
    json_object *chk, *levels;

    if (!json_object_object_get_ex(c->rec, "SELinuxCheck", &chk) ||
        !json_object_is_type(chk, json_type_object)) {
        chk = json_object_new_object();
        json_object_object_add(c->rec, "SELinuxCheck", chk);
    }
    json_object_object_add(chk, "Type", json_object_new_string(ECHECK_TYPE));
    if (!json_object_object_get_ex(chk, "Levels", &levels) ||
        !json_object_is_type(levels, json_type_array)) {
        levels = json_object_new_array();
        json_object_object_add(chk, "Levels", levels);
    }
    for (size_t i = 0; i < json_object_array_length(levels); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(levels, i)), level) == 0)
            return;
    json_object_array_add(levels, json_object_new_string(level));
}

char **echeck_levels(const struct ctr *c)
{
    json_object *levels = ctr_get(c, "SELinuxCheck.Levels");
    char **v = NULL;

    if (levels == NULL || !json_object_is_type(levels, json_type_array))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(levels); i++) {
        json_object *l = json_object_array_get_idx(levels, i);
        if (json_object_is_type(l, json_type_string))
            brig_strv_append(&v, json_object_get_string(l));
    }
    return v;
}

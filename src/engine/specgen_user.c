/* -u at start: names and groups from the image's /etc/passwd and /etc/group. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <selinux/selinux.h>

#include "core/util.h"
#include "run.h"
#include "spec/seccomp_profile.h"
#include "selinux/relabel.h"
#include "spec/spec.h"
#include "specgen_internal.h"
#include "elabel.h"

/* ---- users, at start ---- */

/* Find `name` (or uid) in an /etc/passwd-style file inside the rootfs:
 * field 0 name, 2 uid, 3 gid, 5 home. */
static bool passwd_find(int rootfd, const char *file, const char *key, bool by_id, char ***ret)
{
    _cleanup_error_ brig_error ignored = NULL;
    _cleanup_free_ char *buf = NULL;
    _cleanup_close_ int fd = brig_open_in_root(rootfd, file, O_RDONLY, 0, &ignored);
    char *line, *save = NULL;
    ssize_t n;

    if (fd < 0)
        return false;
    buf = brig_xmalloc0(1 << 20);
    n = brig_read_all(fd, buf, (1 << 20) - 1);
    if (n <= 0)
        return false;
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char **fields = NULL;
        char *p = line;
        for (;;) {
            size_t k = strcspn(p, ":");
            char *f = brig_xstrndup(p, k);
            brig_strv_append(&fields, f);
            free(f);
            if (p[k] == '\0')
                break;
            p += k + 1;
        }
        if (brig_strv_len(fields) >= 3 && strcmp(fields[by_id ? 2 : 0], key) == 0) {
            *ret = fields;
            return true;
        }
        brig_strv_free(fields);
    }
    return false;
}

/* An id field of the image's passwd or group file.  The file is the
 * image's to write, so only a plain decimal in range counts: atoi() would
 * read "x" or "" as 0 and turn a garbled entry into root or the root
 * group. */
static int passwd_id(const char *field, uint32_t *ret)
{
    uint64_t v;

    if (field == NULL || brig_parse_u64(field, &v) < 0 || v > UINT32_MAX)
        return -1;
    *ret = (uint32_t)v;
    return 0;
}

static int group_members(int rootfd, const char *user, uint32_t gid, json_object *ret)
{
    _cleanup_error_ brig_error ignored = NULL;
    _cleanup_free_ char *buf = NULL;
    _cleanup_close_ int fd = brig_open_in_root(rootfd, "/etc/group", O_RDONLY, 0, &ignored);
    char *line, *save = NULL;
    uint32_t g;
    ssize_t n;
    if (fd < 0)
        return 0;
    buf = brig_xmalloc0(1 << 20);
    n = brig_read_all(fd, buf, (1 << 20) - 1);
    if (n <= 0)
        return 0;
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[4] = {0}, *p = line;
        for (int i = 0; i < 4 && p; i++) {
            f[i] = p;
            p = strchr(p, ':');
            if (p)
                *p++ = '\0';
        }
        if (!f[2] || !f[3] || passwd_id(f[2], &g) < 0)
            continue;
        for (char *s2 = NULL, *m = strtok_r(f[3], ",", &s2); m; m = strtok_r(NULL, ",", &s2))
            if (strcmp(m, user) == 0 && g != gid)
                json_object_array_add(ret, json_object_new_int64((int64_t)g));
    }
    return 0;
}

int specgen_resolve_user(json_object *config, int rootfd, const char *user, brig_error *reterr)
{
    _cleanup_free_ char *u = brig_xstrdup(user && *user ? user : "0");
    _cleanup_strv_ char **pw = NULL, **gr = NULL;
    char *g = strchr(u, ':');
    uint64_t uid, gid = 0;
    uint32_t id;
    bool have_gid = false;
    const char *home = "/";
    json_object *process, *uo, *env, *groups = json_object_new_array();

    if (g)
        *g++ = '\0';
    if (brig_parse_u64(u, &uid) == 0) {
        if (passwd_find(rootfd, "/etc/passwd", u, true, &pw)) {
            if (passwd_id(pw[3], &id) < 0) {
                json_object_put(groups);
                return brig_error_set(
                    reterr, 0, "user `%s`: the image's /etc/passwd entry has no valid gid", u);
            }
            gid = id;
            have_gid = true;
            if (brig_strv_len(pw) > 5)
                home = pw[5];
        }
    } else if (passwd_find(rootfd, "/etc/passwd", u, false, &pw) && brig_strv_len(pw) >= 4) {
        uint32_t pgid;
        if (passwd_id(pw[2], &id) < 0 || passwd_id(pw[3], &pgid) < 0) {
            json_object_put(groups);
            return brig_error_set(reterr, 0,
                                  "user `%s`: the image's /etc/passwd entry has no valid uid and "
                                  "gid",
                                  u);
        }
        uid = id;
        gid = pgid;
        have_gid = true;
        if (brig_strv_len(pw) > 5)
            home = pw[5];
    } else {
        json_object_put(groups);
        return brig_error_set(reterr, 0,
                              "user `%s`: no such user in the image's /etc/passwd (give a "
                              "numeric uid instead)",
                              u);
    }
    if (g) {
        uint64_t v;
        if (brig_parse_u64(g, &v) == 0) {
            gid = v;
        } else if (passwd_find(rootfd, "/etc/group", g, false, &gr)) {
            if (passwd_id(gr[2], &id) < 0) {
                json_object_put(groups);
                return brig_error_set(
                    reterr, 0, "group `%s`: the image's /etc/group entry has no valid gid", g);
            }
            gid = id;
        } else {
            json_object_put(groups);
            return brig_error_set(reterr, 0, "group `%s`: no such group in the image's /etc/group",
                                  g);
        }
        have_gid = true;
    }
    (void)have_gid;
    if (uid > UINT32_MAX || gid > UINT32_MAX) {
        json_object_put(groups);
        return brig_error_set(reterr, 0, "user `%s`: id out of range", user);
    }
    if (pw)
        group_members(rootfd, pw[0], (uint32_t)gid, groups);
    json_object_object_get_ex(config, "process", &process);
    uo = json_object_new_object();
    json_object_object_add(uo, "uid", json_object_new_int64((int64_t)uid));
    json_object_object_add(uo, "gid", json_object_new_int64((int64_t)gid));
    json_object_object_add(uo, "additionalGids", groups);
    json_object_object_add(process, "user", uo);
    /* HOME from passwd unless the image or -e set it */
    if (json_object_object_get_ex(process, "env", &env)) {
        bool has_home = false;
        for (size_t i = 0; i < json_object_array_length(env); i++)
            has_home |=
                strncmp(json_object_get_string(json_object_array_get_idx(env, i)), "HOME=", 5) == 0;
        if (!has_home) {
            _cleanup_free_ char *h = brig_xasprintf("HOME=%s", home);
            json_object_array_add(env, json_object_new_string(h));
        }
    }
    return 0;
}

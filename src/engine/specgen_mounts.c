/* Mounts for a new container: -v, --mount, --tmpfs, the /etc files brig
 * binds in, and --privileged's devices. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
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

/* ---- mounts ---- */

static void mount_add(json_object *mounts, const char *dest, const char *type, const char *src,
                      char *const *opts)
{
    json_object *m = json_object_new_object();
    json_object_object_add(m, "destination", json_object_new_string(dest));
    json_object_object_add(m, "type", json_object_new_string(type));
    json_object_object_add(m, "source", json_object_new_string(src));
    json_object_object_add(m, "options", specgen_strv_json(opts));
    json_object_array_add(mounts, m);
}

/* Drop an earlier mount at `dest` (a user's volume replaces a default). */
static void mount_drop(json_object *mounts, const char *dest)
{
    for (size_t i = 0; i < json_object_array_length(mounts); i++) {
        json_object *d, *m = json_object_array_get_idx(mounts, i);
        if (json_object_object_get_ex(m, "destination", &d) &&
            strcmp(json_object_get_string(d), dest) == 0) {
            json_object_array_del_idx(mounts, i, 1);
            return;
        }
    }
}

bool specgen_path_clean_abs(const char *p)
{
    if (p[0] != '/')
        return false;
    for (const char *s = p; (s = strstr(s, "..")) != NULL; s += 2)
        if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
            return false;
    return true;
}

/* The docker record of a mount (inspect's Mounts). */
static void mount_record(json_object *recmounts, const char *type, const char *src, const char *dst,
                         const char *mode, bool rw, const char *prop)
{
    json_object *m = json_object_new_object();
    json_object_object_add(m, "Type", json_object_new_string(type));
    json_object_object_add(m, "Source", json_object_new_string(src));
    json_object_object_add(m, "Destination", json_object_new_string(dst));
    json_object_object_add(m, "Mode", json_object_new_string(mode));
    json_object_object_add(m, "RW", json_object_new_boolean(rw));
    json_object_object_add(m, "Propagation", json_object_new_string(prop));
    json_object_array_add(recmounts, m);
}

/* z/Z on a host system directory is refused at create, before anything
 * exists, whatever else is wrong (seed 002's /var/log:Z). */
static int relabel_refused(const char *spec, const char *src, brig_error *reterr)
{
    _cleanup_free_ char *real = realpath(src, NULL);
    const char *why = brig_relabel_refused(real ? real : src);
    if (why == NULL)
        return 0;
    return brig_error_set(reterr, 0, "volume `%s`: will not relabel `%s`: %s", spec,
                          real ? real : src, why);
}

/* -v SRC:DST[:OPTS] with OPTS from ro, rw, z, Z, (r)shared, (r)slave,
 * (r)private, nocopy, separated by commas. */
int specgen_volume_add(const char *spec, json_object *mounts, json_object *recmounts,
                       brig_error *reterr)
{
    _cleanup_free_ char *copy = brig_xstrdup(spec);
    _cleanup_strv_ char **opts = NULL;
    char *src = copy, *dst, *mo = NULL;
    bool ro = false, seen_rw = false;
    const char *prop = "rprivate", *relabel = "";
    struct stat st;

    dst = strchr(src, ':');
    if (dst == NULL)
        return brig_error_set(reterr, 0,
                              "volume `%s`: anonymous volumes are not supported; give "
                              "HOST-PATH:CONTAINER-PATH",
                              spec);
    *dst++ = '\0';
    mo = strchr(dst, ':');
    if (mo)
        *mo++ = '\0';
    if (*src == '\0' || *dst == '\0')
        return brig_error_set(reterr, 0, "volume `%s`: invalid spec: empty path", spec);
    if (src[0] != '/')
        return brig_error_set(reterr, 0,
                              "volume `%s`: named volumes are not supported; the source must "
                              "be an absolute host path",
                              spec);
    if (!specgen_path_clean_abs(dst))
        return brig_error_set(reterr, 0,
                              "volume `%s`: the destination must be an absolute path without "
                              "`..`",
                              spec);
    if (strcmp(dst, "/") == 0)
        return brig_error_set(reterr, 0, "volume `%s`: cannot mount over `/`", spec);
    brig_strv_append(&opts, "rbind");
    for (char *save = NULL, *t = mo ? strtok_r(mo, ",", &save) : NULL; t;
         t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "ro") == 0 || strcmp(t, "rw") == 0) {
            if (seen_rw)
                return brig_error_set(reterr, 0, "volume `%s`: ro/rw given twice", spec);
            seen_rw = true;
            ro = t[1] == 'o';
        } else if (strcmp(t, "z") == 0 || strcmp(t, "Z") == 0) {
            if (*relabel)
                return brig_error_set(reterr, 0, "volume `%s`: z/Z given twice", spec);
            relabel = t[0] == 'z' ? "z" : "Z";
        } else if (strcmp(t, "shared") == 0 || strcmp(t, "rshared") == 0 ||
                   strcmp(t, "slave") == 0 || strcmp(t, "rslave") == 0 ||
                   strcmp(t, "private") == 0 || strcmp(t, "rprivate") == 0) {
            prop = t;
        } else if (strcmp(t, "nocopy") == 0) {
            /* named volumes only; nothing to copy for a bind */
        } else {
            return brig_error_set(reterr, 0, "volume `%s`: unknown option `%s`", spec, t);
        }
    }
    if (*relabel && relabel_refused(spec, src, reterr) < 0)
        return -1;
    /* docker creates a missing host directory for -v (not for --mount). */
    if (stat(src, &st) < 0) {
        if (errno != ENOENT)
            return brig_error_errno(reterr, "volume `%s`: source `%s`", spec, src);
        if (brig_mkdir_p_at(AT_FDCWD, src, 0755, reterr) < 0)
            return brig_error_wrap(reterr, "volume `%s`", spec);
    }
    /* The path the user typed is resolved once, now, as docker does (so
     * `-v /var/run/x:/x` works where /var/run is a symlink); the runtime
     * then opens the result without following any symlink, refusing one
     * that a container with write access planted since. */
    _cleanup_free_ char *real = realpath(src, NULL);
    if (real == NULL)
        return brig_error_errno(reterr, "volume `%s`: resolve source `%s`", spec, src);
    brig_strv_append(&opts, ro ? "ro" : "rw");
    brig_strv_append(&opts, prop);
    if (*relabel)
        brig_strv_append(&opts, relabel);
    mount_drop(mounts, dst);
    mount_add(mounts, dst, "bind", real, opts);
    mount_record(recmounts, "bind", real, dst, relabel, !ro, prop);
    return 0;
}

/* The propagation modes a bind takes.  The value goes into config.json's
 * options as it is, where any other option word would be obeyed: "rw" would
 * make a readonly mount writable, "Z" relabel a source that relabel_refused()
 * never saw. */
static bool propagation_known(const char *p)
{
    static const char *const modes[] = {"shared",  "rshared",  "slave", "rslave",
                                        "private", "rprivate", NULL};
    for (const char *const *m = modes; *m; m++)
        if (strcmp(p, *m) == 0)
            return true;
    return false;
}

/* --mount type=bind|tmpfs,source=,target=,readonly,bind-propagation=,
 * tmpfs-size=,tmpfs-mode= */
int specgen_mount_add(const char *spec, json_object *mounts, json_object *recmounts,
                      brig_error *reterr)
{
    _cleanup_free_ char *copy = brig_xstrdup(spec), *data = NULL;
    _cleanup_strv_ char **opts = NULL;
    const char *type = "volume", *src = NULL, *dst = NULL, *prop = "rprivate", *relabel = "";
    const char *size = NULL, *mode = NULL;
    bool ro = false;
    struct stat st;

    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *v = strchr(t, '=');
        if (v)
            *v++ = '\0';
        if (strcmp(t, "type") == 0 && v)
            type = v;
        else if ((strcmp(t, "source") == 0 || strcmp(t, "src") == 0) && v)
            src = v;
        else if ((strcmp(t, "target") == 0 || strcmp(t, "destination") == 0 ||
                  strcmp(t, "dst") == 0) &&
                 v)
            dst = v;
        else if (strcmp(t, "readonly") == 0 || strcmp(t, "ro") == 0)
            ro = v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
        else if (strcmp(t, "bind-propagation") == 0 && v && propagation_known(v))
            prop = v;
        else if (strcmp(t, "relabel") == 0 && v &&
                 (strcmp(v, "shared") == 0 || strcmp(v, "private") == 0))
            relabel = v[0] == 's' ? "z" : "Z";
        else if (strcmp(t, "tmpfs-size") == 0 && v)
            size = v;
        else if (strcmp(t, "tmpfs-mode") == 0 && v)
            mode = v;
        else
            return brig_error_set(reterr, 0, "--mount `%s`: unknown or malformed field `%s`", spec,
                                  t);
    }
    if (dst == NULL || !specgen_path_clean_abs(dst) || strcmp(dst, "/") == 0)
        return brig_error_set(reterr, 0,
                              "--mount `%s`: target must be an absolute path other than `/`", spec);
    if (strcmp(type, "bind") == 0) {
        if (src == NULL || src[0] != '/')
            return brig_error_set(reterr, 0, "--mount `%s`: a bind needs an absolute source", spec);
        if (stat(src, &st) < 0)
            return brig_error_set(reterr, errno, "--mount `%s`: bind source path `%s`", spec, src);
        if (*relabel && relabel_refused(spec, src, reterr) < 0)
            return -1;
        /* Resolved once, as for -v (see specgen_volume_add). */
        _cleanup_free_ char *real = realpath(src, NULL);
        if (real == NULL)
            return brig_error_errno(reterr, "--mount `%s`: resolve source `%s`", spec, src);
        src = real;
        brig_strv_append(&opts, "rbind");
        brig_strv_append(&opts, ro ? "ro" : "rw");
        brig_strv_append(&opts, prop);
        if (*relabel)
            brig_strv_append(&opts, relabel);
        mount_drop(mounts, dst);
        mount_add(mounts, dst, "bind", src, opts);
        mount_record(recmounts, "bind", src, dst, relabel, !ro, prop);
        return 0;
    }
    if (strcmp(type, "tmpfs") == 0) {
        int64_t b;
        brig_strv_append(&opts, "nosuid");
        brig_strv_append(&opts, "nodev");
        brig_strv_append(&opts, "noexec");
        brig_strv_append(&opts, ro ? "ro" : "rw");
        if (size) {
            if (engine_parse_bytes(size, &b) < 0)
                return brig_error_set(reterr, 0, "--mount `%s`: tmpfs-size `%s` is not a size",
                                      spec, size);
            data = brig_xasprintf("size=%lld", (long long)b);
            brig_strv_append(&opts, data);
        }
        if (mode) {
            free(data);
            data = brig_xasprintf("mode=%s", mode);
            brig_strv_append(&opts, data);
        }
        mount_drop(mounts, dst);
        mount_add(mounts, dst, "tmpfs", "tmpfs", opts);
        mount_record(recmounts, "tmpfs", "", dst, "", !ro, "");
        return 0;
    }
    return brig_error_set(
        reterr, 0, "--mount `%s`: type `%s` is not supported (bind and tmpfs are)", spec, type);
}

/* What a tmpfs takes: the generic mount flags and tmpfs' own data keys.
 * Checked at create, so a typo fails there and not at a later start. */
static bool tmpfs_option_known(const char *opt)
{
    static const char *const flags[] = {"rw",          "ro",
                                        "exec",        "noexec",
                                        "suid",        "nosuid",
                                        "dev",         "nodev",
                                        "atime",       "noatime",
                                        "relatime",    "norelatime",
                                        "strictatime", "nostrictatime",
                                        "diratime",    "nodiratime",
                                        "sync",        "async",
                                        "dirsync",     "mand",
                                        "nomand",      "private",
                                        "rprivate",    "shared",
                                        "rshared",     "slave",
                                        "rslave",      "z",
                                        "Z",           "tmpcopyup",
                                        NULL};
    static const char *const keys[] = {
        "size=", "mode=", "uid=", "gid=", "nr_inodes=", "nr_blocks=", "huge=", "mpol=", NULL};
    for (const char *const *f = flags; *f; f++)
        if (strcmp(opt, *f) == 0)
            return true;
    for (const char *const *k = keys; *k; k++)
        if (strncmp(opt, *k, strlen(*k)) == 0 && opt[strlen(*k)] != '\0')
            return true;
    return strcmp(opt, "inode64") == 0 || strcmp(opt, "noswap") == 0;
}

/* --tmpfs /run[:rw,size=64m,mode=1777] */
int specgen_tmpfs_add(const char *spec, json_object *mounts, json_object *recmounts,
                      brig_error *reterr)
{
    _cleanup_free_ char *copy = brig_xstrdup(spec);
    _cleanup_strv_ char **opts = NULL;
    char *o = strchr(copy, ':');
    if (o)
        *o++ = '\0';
    if (!specgen_path_clean_abs(copy) || strcmp(copy, "/") == 0)
        return brig_error_set(reterr, 0, "--tmpfs `%s`: the path must be absolute, other than `/`",
                              spec);
    brig_strv_append(&opts, "noexec");
    brig_strv_append(&opts, "nosuid");
    brig_strv_append(&opts, "nodev");
    for (char *save = NULL, *t = o ? strtok_r(o, ",", &save) : NULL; t;
         t = strtok_r(NULL, ",", &save)) {
        if (!tmpfs_option_known(t))
            return brig_error_set(reterr, 0, "--tmpfs `%s`: unknown option `%s`", spec, t);
        brig_strv_append(&opts, t);
    }
    /* validated now, so a typo fails at create rather than at start */
    struct brig_mount_opts mo = {0};
    if (brig_spec_parse_mount_options(opts, &mo, reterr) < 0)
        return brig_error_wrap(reterr, "--tmpfs `%s`", spec);
    /* inspect's RW says what the mount will be: --tmpfs /x:ro is not */
    bool rw = (mo.flags & MS_RDONLY) == 0;
    brig_mount_opts_clear(&mo);
    mount_drop(mounts, copy);
    mount_add(mounts, copy, "tmpfs", "tmpfs", opts);
    mount_record(recmounts, "tmpfs", "", copy, "", rw, "");
    return 0;
}

/* --privileged: every host device, as docker gives. */
void specgen_privileged_devices(json_object *linux_)
{
    static const char *const skip[] = {"console", "tty",    "ptmx",    "null", "zero",
                                       "full",    "random", "urandom", NULL};
    _cleanup_closedir_ DIR *d = opendir("/dev");
    json_object *devs = specgen_obj_child(linux_, "devices");
    struct dirent *de;
    if (!json_object_is_type(devs, json_type_array)) {
        devs = json_object_new_array();
        json_object_object_add(linux_, "devices", devs);
    }
    while (d && (de = readdir(d)) != NULL) {
        struct stat st;
        bool skipped = false;
        for (const char *const *s = skip; *s; s++)
            skipped |= strcmp(de->d_name, *s) == 0;
        if (skipped || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
            continue;
        json_object *dv = json_object_new_object();
        _cleanup_free_ char *path = brig_xasprintf("/dev/%s", de->d_name);
        json_object_object_add(dv, "path", json_object_new_string(path));
        json_object_object_add(dv, "type", json_object_new_string(S_ISCHR(st.st_mode) ? "c" : "b"));
        json_object_object_add(dv, "major", json_object_new_int64(major(st.st_rdev)));
        json_object_object_add(dv, "minor", json_object_new_int64(minor(st.st_rdev)));
        json_object_object_add(dv, "fileMode", json_object_new_int(st.st_mode & 07777));
        json_object_object_add(dv, "uid", json_object_new_int(0));
        json_object_object_add(dv, "gid", json_object_new_int(0));
        json_object_array_add(devs, dv);
    }
    json_object *res = specgen_obj_child(linux_, "resources"), *dl = json_object_new_array(),
                *allow = json_object_new_object();
    json_object_object_add(allow, "allow", json_object_new_boolean(1));
    json_object_object_add(allow, "access", json_object_new_string("rwm"));
    json_object_array_add(dl, allow);
    json_object_object_add(res, "devices", dl);
}

/* Files the container sees as /etc/hostname, /etc/hosts, /etc/resolv.conf:
 * made in its directory and bound in, as docker does. */
int specgen_etc_files(struct ctr *c, const char *hostname, bool host_net, json_object *mounts,
                      brig_error *reterr)
{
    /* Z: the container's own files, labelled with its private level; on a
     * host without SELinux the runtime would only warn about it. */
    static const char *const opts_z[] = {"rbind", "rprivate", "rw", "Z", NULL};
    static const char *const opts_plain[] = {"rbind", "rprivate", "rw", NULL};
    const char *const *ro_opts = is_selinux_enabled() > 0 ? opts_z : opts_plain;
    _cleanup_free_ char *hosts = NULL, *resolv = NULL, *hn = brig_xasprintf("%s\n", hostname);
    size_t len;
    struct {
        const char *name, *text;
    } files[3];

    hosts = brig_xasprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                           "127.0.1.1\t%s\n",
                           hostname);
    if (host_net) {
        _cleanup_error_ brig_error ignored = NULL;
        if (brig_read_file_at(AT_FDCWD, "/etc/resolv.conf", 1 << 16, &resolv, &len, &ignored) < 0)
            resolv = brig_xstrdup("");
    } else {
        /* no network: nothing to resolve with, but programs expect the file */
        resolv = brig_xstrdup("# brig: --network none, no name servers\n");
    }
    files[0].name = "hostname", files[0].text = hn;
    files[1].name = "hosts", files[1].text = hosts;
    files[2].name = "resolv.conf", files[2].text = resolv;
    for (size_t i = 0; i < 3; i++) {
        _cleanup_free_ char *path = brig_xasprintf("%s/%s", c->dir, files[i].name),
                            *dest = brig_xasprintf("/etc/%s", files[i].name);
        if (brig_write_file_at(AT_FDCWD, path, files[i].text, strlen(files[i].text), 0644, reterr) <
            0)
            return -1;
        mount_drop(mounts, dest);
        mount_add(mounts, dest, "bind", path, (char *const *)ro_opts);
    }
    return 0;
}

/* z/Z on a host system directory is the first thing a user hears about,
 * before any other option's complaint: seed 002's
 * `-v /var/log:/var/log:Z --security-opt label:type:container_logger_t`
 * must say why /var/log cannot be relabelled even on a host that lacks
 * that type. */
int specgen_relabel_precheck(char *const *volumes, char *const *mounts, brig_error *reterr)
{
    for (char *const *v = volumes; v && *v; v++) {
        _cleanup_free_ char *copy = brig_xstrdup(*v);
        char *dst = strchr(copy, ':'), *opts = dst ? strchr(dst + 1, ':') : NULL;
        if (!opts || copy[0] != '/')
            continue;
        *dst = '\0';
        for (char *save = NULL, *t = strtok_r(opts + 1, ",", &save); t;
             t = strtok_r(NULL, ",", &save))
            if ((strcmp(t, "z") == 0 || strcmp(t, "Z") == 0) &&
                relabel_refused(*v, copy, reterr) < 0)
                return -1;
    }
    for (char *const *m = mounts; m && *m; m++) {
        _cleanup_free_ char *copy = brig_xstrdup(*m);
        const char *src = NULL;
        bool relabel = false;
        for (char *save = NULL, *t = strtok_r(copy, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
            if (strncmp(t, "source=", 7) == 0 || strncmp(t, "src=", 4) == 0)
                src = strchr(t, '=') + 1;
            else if (strncmp(t, "relabel=", 8) == 0)
                relabel = true;
        }
        if (relabel && src && src[0] == '/' && relabel_refused(*m, src, reterr) < 0)
            return -1;
    }
    return 0;
}

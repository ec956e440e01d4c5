/* The config.json `brig-runtime spec` writes: a busybox-friendly container
 * with a shell on a terminal, the three capabilities an unprivileged shell
 * needs, the usual /proc, /dev, /sys mounts and paths masked the way runc
 * and crun mask them.  The rootless variant is what an unprivileged user can
 * actually run: a user namespace mapping them to root, no new network
 * namespace and no sysfs mount (neither is allowed without real root). */
#include <json-c/json.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "spec/spec.h"

static json_object *strv_json(const char *const *v)
{
    json_object *arr = json_object_new_array();

    for (; *v != NULL; v++)
        json_object_array_add(arr, json_object_new_string(*v));
    return arr;
}

static void add_mount(json_object *mounts, const char *dest, const char *type, const char *source,
                      const char *const *options)
{
    json_object *m = json_object_new_object();

    json_object_object_add(m, "destination", json_object_new_string(dest));
    json_object_object_add(m, "type", json_object_new_string(type));
    json_object_object_add(m, "source", json_object_new_string(source));
    if (options != NULL)
        json_object_object_add(m, "options", strv_json(options));
    json_object_array_add(mounts, m);
}

static json_object *idmap_json(uint32_t host_id)
{
    json_object *arr = json_object_new_array(), *m = json_object_new_object();

    json_object_object_add(m, "containerID", json_object_new_int64(0));
    json_object_object_add(m, "hostID", json_object_new_int64(host_id));
    json_object_object_add(m, "size", json_object_new_int64(1));
    json_object_array_add(arr, m);
    return arr;
}

static json_object *process_json(void)
{
    static const char *const env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL};
    static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL};
    static const char *const args[] = {"sh", NULL};
    static const char *const sets[] = {"bounding", "effective", "permitted", "ambient"};
    json_object *p = json_object_new_object(), *user = json_object_new_object(),
                *capo = json_object_new_object(), *rlimits = json_object_new_array(),
                *nofile = json_object_new_object();

    json_object_object_add(p, "terminal", json_object_new_boolean(1));
    json_object_object_add(user, "uid", json_object_new_int64(0));
    json_object_object_add(user, "gid", json_object_new_int64(0));
    json_object_object_add(p, "user", user);
    json_object_object_add(p, "args", strv_json(args));
    json_object_object_add(p, "env", strv_json(env));
    json_object_object_add(p, "cwd", json_object_new_string("/"));
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(sets); i++)
        json_object_object_add(capo, sets[i], strv_json(caps));
    json_object_object_add(p, "capabilities", capo);
    json_object_object_add(nofile, "type", json_object_new_string("RLIMIT_NOFILE"));
    json_object_object_add(nofile, "hard", json_object_new_int64(1024));
    json_object_object_add(nofile, "soft", json_object_new_int64(1024));
    json_object_array_add(rlimits, nofile);
    json_object_object_add(p, "rlimits", rlimits);
    json_object_object_add(p, "noNewPrivileges", json_object_new_boolean(1));
    return p;
}

static json_object *mounts_json(bool rootless)
{
    static const char *const dev_opts[] = {"nosuid", "strictatime", "mode=755", "size=65536k",
                                           NULL};
    /* gid=5 (tty) only exists when the host's gid 5 is mapped in. */
    static const char *const pts_opts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
                                           "mode=0620", "gid=5",  NULL};
    static const char *const pts_opts_rootless[] = {"nosuid",        "noexec",    "newinstance",
                                                    "ptmxmode=0666", "mode=0620", NULL};
    static const char *const shm_opts[] = {"nosuid",    "noexec",      "nodev",
                                           "mode=1777", "size=65536k", NULL};
    static const char *const mq_opts[] = {"nosuid", "noexec", "nodev", NULL};
    static const char *const sys_opts[] = {"nosuid", "noexec", "nodev", "ro", NULL};
    static const char *const sys_bind_opts[] = {"rbind", "nosuid", "noexec", "nodev", "ro", NULL};
    static const char *const cg_opts[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
    json_object *mounts = json_object_new_array();

    add_mount(mounts, "/proc", "proc", "proc", NULL);
    add_mount(mounts, "/dev", "tmpfs", "tmpfs", dev_opts);
    add_mount(mounts, "/dev/pts", "devpts", "devpts", rootless ? pts_opts_rootless : pts_opts);
    add_mount(mounts, "/dev/shm", "tmpfs", "shm", shm_opts);
    add_mount(mounts, "/dev/mqueue", "mqueue", "mqueue", mq_opts);
    /* sysfs cannot be mounted from a user namespace that does not own the
     * network namespace; a recursive bind of the host's /sys can. */
    if (rootless)
        add_mount(mounts, "/sys", "none", "/sys", sys_bind_opts);
    else
        add_mount(mounts, "/sys", "sysfs", "sysfs", sys_opts);
    add_mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", cg_opts);
    return mounts;
}

static json_object *linux_json(bool rootless)
{
    static const char *const masked[] = {"/proc/acpi",
                                         "/proc/asound",
                                         "/proc/kcore",
                                         "/proc/keys",
                                         "/proc/latency_stats",
                                         "/proc/timer_list",
                                         "/proc/timer_stats",
                                         "/proc/sched_debug",
                                         "/sys/firmware",
                                         "/proc/scsi",
                                         NULL};
    static const char *const readonly[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
    static const char *const ns_root[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", NULL};
    static const char *const ns_rootless[] = {"pid", "ipc", "uts", "mount", "cgroup", "user", NULL};
    json_object *l = json_object_new_object(), *nss = json_object_new_array();

    for (const char *const *n = rootless ? ns_rootless : ns_root; *n != NULL; n++) {
        json_object *ns = json_object_new_object();
        json_object_object_add(ns, "type", json_object_new_string(*n));
        json_object_array_add(nss, ns);
    }
    if (rootless) {
        /* The calling user becomes root inside; nothing else is mapped, so
         * no setuid helper is needed.  No resources either: an unprivileged
         * user usually cannot write cgroup limits. */
        json_object_object_add(l, "uidMappings", idmap_json(getuid()));
        json_object_object_add(l, "gidMappings", idmap_json(getgid()));
    } else {
        /* Deny every device in the device cgroup; the runtime adds back the
         * standard ones (null, zero, tty, ...). */
        json_object *res = json_object_new_object(), *devs = json_object_new_array(),
                    *deny = json_object_new_object();
        json_object_object_add(deny, "allow", json_object_new_boolean(0));
        json_object_object_add(deny, "access", json_object_new_string("rwm"));
        json_object_array_add(devs, deny);
        json_object_object_add(res, "devices", devs);
        json_object_object_add(l, "resources", res);
    }
    json_object_object_add(l, "namespaces", nss);
    json_object_object_add(l, "maskedPaths", strv_json(masked));
    json_object_object_add(l, "readonlyPaths", strv_json(readonly));
    return l;
}

char *brig_spec_default_json(bool rootless)
{
    json_object *root = json_object_new_object(), *rootfs = json_object_new_object();
    char *out;

    json_object_object_add(root, "ociVersion", json_object_new_string("1.1.0"));
    json_object_object_add(root, "process", process_json());
    json_object_object_add(rootfs, "path", json_object_new_string("rootfs"));
    json_object_object_add(rootfs, "readonly", json_object_new_boolean(1));
    json_object_object_add(root, "root", rootfs);
    json_object_object_add(root, "hostname", json_object_new_string("brig"));
    json_object_object_add(root, "mounts", mounts_json(rootless));
    json_object_object_add(root, "linux", linux_json(rootless));

    out = brig_xstrdup(json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return out;
}

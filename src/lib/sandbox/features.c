/* `brig-runtime features`: what this build supports, in the runtime-spec's
 * features.md format, so engines can probe instead of guessing. */
#include <json-c/json.h>
#include <seccomp.h>
#include <string.h>

#include "core/util.h"
#include "sandbox/container.h"
#include "sandbox/hooks.h"
#include "selinux/label.h"

static json_object *strv_json(const char *const *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

char *brig_features_json(void)
{
    static const char *const mount_opts[] = {"async",   "atime",     "bind",        "defaults",
                                             "dev",     "diratime",  "dirsync",     "exec",
                                             "mand",    "noatime",   "nodev",       "nodiratime",
                                             "noexec",  "nomand",    "norelatime",  "nostrictatime",
                                             "nosuid",  "private",   "rbind",       "relatime",
                                             "remount", "ro",        "rprivate",    "rro",
                                             "rshared", "rslave",    "runbindable", "rw",
                                             "shared",  "slave",     "strictatime", "suid",
                                             "sync",    "tmpcopyup", "unbindable",  "z",
                                             "Z"};
    static const char *const namespaces[] = {"cgroup", "ipc",  "mount", "network",
                                             "pid",    "time", "user",  "uts"};
    static const char *const actions[] = {
        "SCMP_ACT_ALLOW",       "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",   "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"};
    static const char *const ops[] = {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                                      "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
                                      "SCMP_CMP_NE"};
    static const char *const archs[] = {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",
                                        "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
    static const char *const flags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                        "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
    json_object *root = json_object_new_object(), *hooks = json_object_new_array();
    json_object *lx = json_object_new_object(), *caps = json_object_new_array();
    json_object *cg = json_object_new_object(), *sc = json_object_new_object();
    json_object *obj, *ann = json_object_new_object();
    char *out;

    json_object_object_add(root, "ociVersionMin", json_object_new_string("1.0.0"));
    json_object_object_add(root, "ociVersionMax", json_object_new_string("1.1.0"));
    for (int k = 0; k < BRIG_HOOK__COUNT; k++)
        json_object_array_add(hooks,
                              json_object_new_string(brig_hook_kind_name((enum brig_hook_kind)k)));
    json_object_object_add(root, "hooks", hooks);
    json_object_object_add(root, "mountOptions",
                           strv_json(mount_opts, BRIG_ARRAY_SIZE(mount_opts)));
    json_object_object_add(lx, "namespaces", strv_json(namespaces, BRIG_ARRAY_SIZE(namespaces)));
    for (int c = 0; c <= brig_cap_last_cap(); c++)
        if (brig_cap_to_name(c))
            json_object_array_add(caps, json_object_new_string(brig_cap_to_name(c)));
    json_object_object_add(lx, "capabilities", caps);
    json_object_object_add(cg, "v1", json_object_new_boolean(1));
    json_object_object_add(cg, "v2", json_object_new_boolean(1));
    json_object_object_add(cg, "systemd", json_object_new_boolean(0));
    json_object_object_add(cg, "systemdUser", json_object_new_boolean(0));
    json_object_object_add(lx, "cgroup", cg);
    json_object_object_add(sc, "enabled", json_object_new_boolean(1));
    json_object_object_add(sc, "actions", strv_json(actions, BRIG_ARRAY_SIZE(actions)));
    json_object_object_add(sc, "operators", strv_json(ops, BRIG_ARRAY_SIZE(ops)));
    json_object_object_add(sc, "archs", strv_json(archs, BRIG_ARRAY_SIZE(archs)));
    json_object_object_add(sc, "knownFlags", strv_json(flags, BRIG_ARRAY_SIZE(flags)));
    json_object_object_add(sc, "supportedFlags", strv_json(flags, BRIG_ARRAY_SIZE(flags)));
    json_object_object_add(lx, "seccomp", sc);
    obj = json_object_new_object();
    json_object_object_add(obj, "enabled", json_object_new_boolean(0));
    json_object_object_add(lx, "apparmor", obj);
    obj = json_object_new_object();
    json_object_object_add(obj, "enabled", json_object_new_boolean(brig_selinux_enabled()));
    json_object_object_add(lx, "selinux", obj);
    json_object_object_add(root, "linux", lx);
    json_object_object_add(ann, "io.github.brig.version", json_object_new_string(BRIG_VERSION));
    json_object_object_add(ann, "io.github.seccomp.libseccomp.version",
                           json_object_new_string("2.5"));
    json_object_object_add(root, "annotations", ann);
    out = brig_xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return out;
}

/* config.json loader: a full config read from a real file lands in the
 * struct field by field; each validation error is checked by its exact text
 * (table: take a valid config, change one JSON path, expect one message). */
#include <errno.h>
#include <json-c/json.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "sandbox/seccomp.h"
#include "spec/spec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define BIT(c) (UINT64_C(1) << (c))

/* The data files sit beside this source.  Tests run from the build root
 * (meson), from the repository (tests/run-all.sh) or by hand, so look in
 * each place that can hold them: $BRIG_TEST_DATA, $BRIG_TOP/tests/unit/data,
 * beside __FILE__ (a path relative to the build root), and relative to this
 * executable (BUILD/tests/unit/test_spec). */
static char *data_path(const char *name)
{
    _cleanup_free_ char *src = brig_xstrdup(__FILE__), *exe = NULL;
    const char *env_data = getenv("BRIG_TEST_DATA"), *env_top = getenv("BRIG_TOP");
    char *dirs[5] = {NULL};
    char *slash, *found = NULL;
    size_t n = 0;

    if (env_data != NULL)
        dirs[n++] = brig_xasprintf("%s/spec", env_data);
    if (env_top != NULL)
        dirs[n++] = brig_xasprintf("%s/tests/unit/data/spec", env_top);
    slash = strrchr(src, '/');
    if (slash != NULL) {
        *slash = '\0';
        dirs[n++] = brig_xasprintf("%s/data/spec", src);
    }
    exe = realpath("/proc/self/exe", NULL);
    if (exe != NULL && (slash = strrchr(exe, '/')) != NULL) {
        *slash = '\0';
        dirs[n++] = brig_xasprintf("%s/../../../tests/unit/data/spec", exe);
    }
    dirs[n++] = brig_xstrdup("tests/unit/data/spec");
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *p = brig_xasprintf("%s/%s", dirs[i], name);
        if (found == NULL && access(p, R_OK) == 0)
            found = TAKE_PTR(p);
        free(dirs[i]);
    }
    if (found == NULL)
        fail_msg("test data `%s` not found (set BRIG_TEST_DATA to tests/unit/data)", name);
    return found;
}

static char *read_data(const char *name, size_t *len)
{
    _cleanup_free_ char *p = data_path(name);
    brig_error err = NULL;
    char *buf = NULL;

    if (brig_read_file_at(AT_FDCWD, p, 1 << 20, &buf, len, &err) < 0)
        fail_msg("%s", err->msg);
    return buf;
}

static void test_full_config(void **state)
{
    _cleanup_free_ char *p = data_path("full.json");
    _cleanup_error_ brig_error err = NULL;
    _cleanup_spec_ struct brig_spec *s = brig_spec_load_file(p, &err);
    struct brig_spec_process *pr;
    struct brig_spec_linux *l;
    struct brig_spec_resources *r;
    struct brig_spec_seccomp *sc;

    if (s == NULL)
        fail_msg("load: %s", err->msg);
    assert_string_equal(s->oci_version, "1.1.0");
    assert_string_equal(s->root_path, "/var/lib/brig/rootfs");
    assert_true(s->root_readonly);
    assert_string_equal(s->hostname, "box");
    assert_string_equal(s->domainname, "example.org");

    pr = s->process;
    assert_non_null(pr);
    assert_true(pr->terminal);
    assert_true(pr->has_console_size);
    assert_int_equal(pr->console_height, 25);
    assert_int_equal(pr->console_width, 80);
    assert_int_equal(pr->user.uid, 1000);
    assert_int_equal(pr->user.gid, 1001);
    assert_true(pr->user.has_umask);
    assert_int_equal(pr->user.umask, 022);
    assert_int_equal(pr->user.n_additional_gids, 2);
    assert_int_equal(pr->user.additional_gids[0], 5);
    assert_int_equal(pr->user.additional_gids[1], UINT32_MAX);
    assert_string_equal(pr->user.username, "alice");
    assert_int_equal(brig_strv_len(pr->args), 3);
    assert_string_equal(pr->args[2], "echo hi");
    assert_int_equal(brig_strv_len(pr->env), 3);
    assert_string_equal(pr->env[2], "EMPTY=");
    assert_string_equal(pr->cwd, "/home/alice");
    assert_true(pr->has_caps);
    assert_true(pr->caps.bounding ==
                (BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_CHECKPOINT_RESTORE)));
    assert_true(pr->caps.effective == BIT(CAP_KILL));
    assert_true(pr->caps.inheritable == 0);
    assert_true(pr->caps.permitted == (BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE)));
    assert_true(pr->caps.ambient == BIT(CAP_SYS_ADMIN));
    assert_int_equal(pr->n_rlimits, 2);
    assert_int_equal(pr->rlimits[0].resource, RLIMIT_NOFILE);
    assert_true(pr->rlimits[0].soft == 1024 && pr->rlimits[0].hard == 4096);
    assert_int_equal(pr->rlimits[1].resource, RLIMIT_CORE);
    assert_true(pr->rlimits[1].soft == UINT64_MAX && pr->rlimits[1].hard == UINT64_MAX);
    assert_true(pr->no_new_privileges);
    assert_string_equal(pr->apparmor_profile, "brig-default");
    assert_true(pr->has_oom_score_adj);
    assert_int_equal(pr->oom_score_adj, -500);
    assert_string_equal(pr->selinux_label, "system_u:system_r:container_t:s0:c1,c2");

    assert_int_equal(s->n_mounts, 3);
    assert_string_equal(s->mounts[0].destination, "/proc");
    assert_string_equal(s->mounts[0].type, "proc");
    assert_string_equal(s->mounts[0].source, "proc");
    assert_null(s->mounts[0].options);
    assert_null(s->mounts[0].opts.data);
    assert_true(s->mounts[1].opts.flags == (MS_NOSUID | MS_STRICTATIME));
    assert_string_equal(s->mounts[1].opts.data, "mode=755,size=65536k");
    assert_int_equal(brig_strv_len(s->mounts[1].options), 4);
    assert_null(s->mounts[2].type);
    assert_string_equal(s->mounts[2].source, "/srv/data");
    assert_true(s->mounts[2].opts.flags == (MS_BIND | MS_REC | MS_RDONLY | MS_NODEV));
    assert_true(s->mounts[2].opts.recursive_bind);
    assert_true(s->mounts[2].opts.propagation == (MS_PRIVATE | MS_REC));
    assert_int_equal(s->mounts[2].opts.relabel, BRIG_RELABEL_PRIVATE);
    assert_null(s->mounts[2].opts.data);

    assert_int_equal(s->hooks.n_hooks[BRIG_HOOK_PRESTART], 1);
    assert_string_equal(s->hooks.hooks[BRIG_HOOK_PRESTART][0].path, "/usr/bin/fix-mounts");
    assert_string_equal(s->hooks.hooks[BRIG_HOOK_PRESTART][0].args[1], "arg1");
    assert_string_equal(s->hooks.hooks[BRIG_HOOK_PRESTART][0].env[0], "KEY=value");
    assert_int_equal(s->hooks.hooks[BRIG_HOOK_PRESTART][0].timeout, 5);
    assert_int_equal(s->hooks.n_hooks[BRIG_HOOK_CREATE_RUNTIME], 2);
    assert_string_equal(s->hooks.hooks[BRIG_HOOK_CREATE_RUNTIME][1].path, "/bin/b");
    assert_int_equal(s->hooks.hooks[BRIG_HOOK_CREATE_RUNTIME][1].timeout, 0);
    assert_int_equal(s->hooks.n_hooks[BRIG_HOOK_CREATE_CONTAINER], 0);
    assert_int_equal(s->hooks.n_hooks[BRIG_HOOK_POSTSTOP], 1);
    assert_string_equal(s->hooks.hooks[BRIG_HOOK_POSTSTOP][0].args[1], "-f");

    assert_int_equal(s->n_annotations, 2);
    assert_string_equal(brig_spec_annotation(s, "com.example.key1"), "value1");
    assert_string_equal(brig_spec_annotation(s, "org.brig.empty"), "");
    assert_null(brig_spec_annotation(s, "missing"));

    l = &s->linux_;
    assert_int_equal(l->n_namespaces, 8);
    assert_int_equal(l->namespaces[0].type, CLONE_NEWPID);
    assert_null(l->namespaces[0].path);
    assert_int_equal(l->namespaces[1].type, CLONE_NEWNET);
    assert_string_equal(l->namespaces[1].path, "/var/run/netns/neta");
    assert_int_equal(l->namespaces[2].type, CLONE_NEWNS);
    assert_int_equal(l->namespaces[5].type, CLONE_NEWUSER);
    assert_int_equal(l->namespaces[6].type, CLONE_NEWCGROUP);
    assert_int_equal(l->namespaces[7].type, CLONE_NEWTIME);
    assert_int_equal(l->n_uid_mappings, 1);
    assert_int_equal(l->uid_mappings[0].host_id, 100000);
    assert_int_equal(l->uid_mappings[0].size, 65536);
    assert_int_equal(l->n_gid_mappings, 2);
    assert_int_equal(l->gid_mappings[1].container_id, 1);
    assert_int_equal(l->gid_mappings[1].host_id, 300000);
    assert_int_equal(l->n_devices, 3);
    assert_int_equal(l->devices[0].type, 'c');
    assert_string_equal(l->devices[0].path, "/dev/fuse");
    assert_int_equal(l->devices[0].major, 10);
    assert_int_equal(l->devices[0].minor, 229);
    assert_true(l->devices[0].has_mode && l->devices[0].has_uid && l->devices[0].has_gid);
    assert_int_equal(l->devices[0].file_mode, 0666);
    assert_false(l->devices[1].has_mode);
    assert_int_equal(l->devices[2].type, 'p');
    assert_string_equal(l->cgroups_path, "/brig/c1");

    assert_true(l->has_resources);
    r = &l->resources;
    assert_true(r->has_memory_limit && r->memory_limit == 536870912);
    assert_true(r->has_memory_reservation && r->memory_reservation == -1);
    assert_true(r->has_memory_swap && r->memory_swap == 1073741824);
    assert_true(r->has_memory_swappiness && r->memory_swappiness == 60);
    assert_true(r->disable_oom_killer);
    assert_true(r->has_cpu_shares && r->cpu_shares == 1024);
    assert_true(r->has_cpu_quota && r->cpu_quota == 50000);
    assert_true(r->has_cpu_period && r->cpu_period == 100000);
    assert_true(r->has_cpu_burst && r->cpu_burst == 1000);
    assert_true(r->has_cpu_idle && r->cpu_idle == 1);
    assert_string_equal(r->cpu_cpus, "0-1");
    assert_string_equal(r->cpu_mems, "0");
    assert_true(r->has_pids_limit && r->pids_limit == 32);
    assert_true(r->has_blkio_weight && r->blkio_weight == 500);
    assert_int_equal(r->n_devices, 3);
    assert_false(r->devices[0].allow);
    assert_int_equal(r->devices[0].type, 'a');
    assert_true(r->devices[0].major == -1 && r->devices[0].minor == -1);
    assert_string_equal(r->devices[0].access, "rwm");
    assert_true(r->devices[1].allow);
    assert_int_equal(r->devices[1].type, 'c');
    assert_true(r->devices[1].major == 10 && r->devices[1].minor == 229);
    assert_string_equal(r->devices[1].access, "rw");
    assert_true(r->devices[2].major == 8 && r->devices[2].minor == -1);
    assert_int_equal(r->n_unified, 2);
    assert_string_equal(r->unified[1].key, "io.weight");
    assert_string_equal(r->unified[1].value, "default 100");

    assert_true(l->rootfs_propagation == (MS_SLAVE | MS_REC));

    sc = l->seccomp;
    assert_non_null(sc);
    assert_int_equal(sc->default_action, SCMP_ACT_ERRNO(38));
    assert_int_equal(brig_strv_len(sc->architectures), 2);
    assert_string_equal(sc->architectures[1], "SCMP_ARCH_X86");
    assert_string_equal(sc->flags[0], "SECCOMP_FILTER_FLAG_LOG");
    assert_null(sc->listener_path);
    assert_int_equal(sc->n_rules, 5);
    assert_string_equal(sc->rules[0].names[1], "write");
    assert_int_equal(sc->rules[0].action, SCMP_ACT_ALLOW);
    assert_int_equal(sc->rules[0].n_args, 0);
    assert_int_equal(sc->rules[1].n_args, 2);
    assert_int_equal(sc->rules[1].args[0].index, 0);
    assert_true(sc->rules[1].args[0].value == 8);
    assert_int_equal(sc->rules[1].args[0].op, BRIG_SCMP_CMP_EQ);
    assert_int_equal(sc->rules[1].args[1].index, 5);
    assert_true(sc->rules[1].args[1].value == 255);
    assert_true(sc->rules[1].args[1].value_two == UINT32_MAX);
    assert_int_equal(sc->rules[1].args[1].op, BRIG_SCMP_CMP_MASKED_EQ);
    assert_int_equal(sc->rules[2].action, SCMP_ACT_ERRNO(EPERM));
    assert_int_equal(sc->rules[3].action, SCMP_ACT_TRACE(7));
    assert_int_equal(sc->rules[4].action, SCMP_ACT_KILL_PROCESS);

    assert_int_equal(l->n_sysctl, 2);
    assert_string_equal(l->sysctl[0].key, "net.ipv4.ip_forward");
    assert_string_equal(l->sysctl[0].value, "1");
    assert_string_equal(l->masked_paths[1], "/sys/firmware");
    assert_null(l->masked_paths[2]);
    assert_string_equal(l->readonly_paths[0], "/proc/sys");
    assert_string_equal(l->mount_label, "system_u:object_r:container_file_t:s0:c1,c2");
    assert_true(l->has_personality);
    assert_int_equal(l->personality, PER_LINUX32);
}

static void test_minimal_config(void **state)
{
    size_t len = 0;
    _cleanup_free_ char *buf = read_data("minimal.json", &len);
    _cleanup_error_ brig_error err = NULL;
    _cleanup_spec_ struct brig_spec *s = brig_spec_load_data(buf, len, &err);

    if (s == NULL)
        fail_msg("load: %s", err->msg);
    assert_string_equal(s->root_path, "rootfs");
    assert_false(s->root_readonly);
    assert_null(s->hostname);
    assert_false(s->process->terminal);
    assert_int_equal(s->process->user.uid, 0);
    assert_false(s->process->has_caps);
    assert_false(s->process->has_oom_score_adj);
    assert_null(s->process->env);
    assert_int_equal(s->n_mounts, 0);
    assert_int_equal(s->linux_.n_namespaces, 0);
    assert_false(s->linux_.has_resources);
    assert_null(s->linux_.seccomp);
    assert_int_equal(s->linux_.rootfs_propagation, 0);
    assert_false(s->linux_.has_personality);
}

/* ---- error table ------------------------------------------------------- */

/* Set (or, with value NULL, delete) the value at a dotted path in `root`;
 * numeric components index arrays. */
static void json_patch(json_object *root, const char *path, const char *value)
{
    _cleanup_free_ char *copy = brig_xstrdup(path);
    char *save = NULL, *tok, *next;
    json_object *cur = root;

    tok = strtok_r(copy, ".", &save);
    while (tok != NULL) {
        next = strtok_r(NULL, ".", &save);
        bool is_arr = json_object_is_type(cur, json_type_array);
        size_t idx = is_arr ? strtoul(tok, NULL, 10) : 0;
        if (next == NULL) {
            json_object *nv = value ? json_tokener_parse(value) : NULL;
            if (value != NULL && nv == NULL && strcmp(value, "null") != 0)
                fail_msg("bad patch value %s", value);
            if (is_arr) {
                if (value == NULL)
                    json_object_array_del_idx(cur, idx, 1);
                else
                    json_object_array_put_idx(cur, idx, nv);
            } else if (value == NULL) {
                json_object_object_del(cur, tok);
            } else {
                json_object_object_add(cur, tok, nv);
            }
            return;
        }
        cur = is_arr ? json_object_array_get_idx(cur, idx) : json_object_object_get(cur, tok);
        if (cur == NULL)
            fail_msg("patch path %s not in base config", path);
        tok = next;
    }
}

struct error_case {
    const char *path, *value, *message;
};

/* "DEL" as value deletes the field. */
#define DEL NULL
static const struct error_case error_cases[] = {
    {"ociVersion", DEL, "ociVersion: is required"},
    {"ociVersion", "1", "ociVersion: must be a string"},
    {"root", DEL, "root: is required"},
    {"root", "\"rootfs\"", "root: must be an object"},
    {"root.path", "\"\"", "root.path: must not be empty"},
    {"root.readonly", "\"yes\"", "root.readonly: must be a boolean"},
    {"hostname", "[]", "hostname: must be a string"},
    {"process", DEL, "process: is required"},
    {"process.args", "[]", "process.args: must be a non-empty array of strings"},
    {"process.args", "\"sh\"", "process.args: must be a non-empty array of strings"},
    {"process.args", DEL, "process.args: must be a non-empty array of strings"},
    {"process.args.1", "3", "process.args[1]: must be a string"},
    {"process.terminal", "1", "process.terminal: must be a boolean"},
    {"process.consoleSize.height", DEL, "process.consoleSize.height: is required"},
    {"process.user.uid", "-1", "process.user.uid: -1 is out of range (0..4294967295)"},
    {"process.user.uid", "4294967296",
     "process.user.uid: 4294967296 is out of range (0..4294967295)"},
    {"process.user.uid", "1.5", "process.user.uid: must be an integer"},
    {"process.user.gid", "\"0\"", "process.user.gid: must be an integer"},
    {"process.user.umask", "512", "process.user.umask: 512 is out of range (0..511)"},
    {"process.user.additionalGids.1", "-5",
     "process.user.additionalGids[1]: -5 is out of range (0..4294967295)"},
    {"process.cwd", DEL, "process.cwd: is required"},
    {"process.cwd", "\"home\"", "process.cwd: must be an absolute path, not \"home\""},
    {"process.cwd", "\"/a\\u0000b\"", "process.cwd: must not contain NUL bytes"},
    {"process.env.0", "\"NOEQUALS\"", "process.env[0]: must be \"KEY=VALUE\""},
    {"process.env.1", "\"=x\"", "process.env[1]: must be \"KEY=VALUE\""},
    {"process.capabilities", "[]", "process.capabilities: must be an object"},
    {"process.capabilities.bounding.1", "\"CAP_FOO\"",
     "process.capabilities.bounding[1]: unknown capability \"CAP_FOO\""},
    {"process.capabilities.ambient.0", "\"cap_sys_admin\"",
     "process.capabilities.ambient[0]: unknown capability \"cap_sys_admin\""},
    {"process.capabilities.effective.0", "21",
     "process.capabilities.effective[0]: must be a string"},
    {"process.rlimits.0.type", "\"RLIMIT_FOO\"",
     "process.rlimits[0].type: unknown rlimit type \"RLIMIT_FOO\""},
    {"process.rlimits.1.type", "\"RLIMIT_NOFILE\"",
     "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\""},
    {"process.rlimits.0.soft", "5000", "process.rlimits[0]: soft limit exceeds hard limit"},
    {"process.rlimits.0.hard", DEL, "process.rlimits[0].hard: is required"},
    {"process.rlimits.0", "7", "process.rlimits[0]: must be an object"},
    {"process.oomScoreAdj", "1001", "process.oomScoreAdj: 1001 is out of range (-1000..1000)"},
    {"process.noNewPrivileges", "\"true\"", "process.noNewPrivileges: must be a boolean"},
    {"mounts", "{}", "mounts: must be an array"},
    {"mounts.2.destination", "\"data\"",
     "mounts[2].destination: must be an absolute path, not \"data\""},
    {"mounts.0.destination", DEL, "mounts[0].destination: is required"},
    {"mounts.1.options.1", "false", "mounts[1].options[1]: must be a string"},
    {"mounts.2.options", "[\"z\",\"Z\"]", "mounts[2].options: mount options `z` and `Z` conflict"},
    {"mounts.2.options", "[\"ro\",\"\"]", "mounts[2].options: empty mount option at position 1"},
    {"hooks", "[]", "hooks: must be an object"},
    {"hooks.prestart.0.path", "\"fix\"",
     "hooks.prestart[0].path: must be an absolute path, not \"fix\""},
    {"hooks.poststop.0.path", DEL, "hooks.poststop[0].path: is required"},
    {"hooks.prestart.0.timeout", "0", "hooks.prestart[0].timeout: must be a positive integer"},
    {"hooks.prestart.0.timeout", "-3", "hooks.prestart[0].timeout: must be a positive integer"},
    {"hooks.createRuntime.1.args", "\"x\"", "hooks.createRuntime[1].args: must be an array"},
    {"annotations.bad", "1", "annotations.bad: must be a string"},
    {"linux", "\"x\"", "linux: must be an object"},
    {"linux.namespaces.2.type", "\"foo\"",
     "linux.namespaces[2].type: unknown namespace type \"foo\""},
    {"linux.namespaces.2.type", "\"pid\"",
     "linux.namespaces[2].type: duplicate namespace type \"pid\""},
    /* Document text in a message is escaped: an error stays one line. */
    {"linux.namespaces.2.type", "\"a\\nb\\u001b[2J\"",
     "linux.namespaces[2].type: unknown namespace type \"a\\x0ab\\x1b[2J\""},
    {"linux.namespaces.1.path", "\"netns\"",
     "linux.namespaces[1].path: must be an absolute path, not \"netns\""},
    {"linux.uidMappings.0.size", DEL, "linux.uidMappings[0].size: is required"},
    {"linux.gidMappings.1.hostID", "-1",
     "linux.gidMappings[1].hostID: -1 is out of range (0..4294967295)"},
    {"linux.devices.0.type", "\"x\"", "linux.devices[0].type: unknown device type \"x\""},
    {"linux.devices.1.major", DEL, "linux.devices[1].major: is required"},
    {"linux.devices.2.path", "\"dev/fifo\"",
     "linux.devices[2].path: must be an absolute path, not \"dev/fifo\""},
    {"linux.devices.0.fileMode", "4096",
     "linux.devices[0].fileMode: 4096 is out of range (0..4095)"},
    {"linux.resources.memory.swappiness", "101",
     "linux.resources.memory.swappiness: 101 is out of range (0..100)"},
    {"linux.resources.memory.limit", "-2",
     "linux.resources.memory.limit: -2 is out of range (-1..9223372036854775807)"},
    {"linux.resources.cpu.shares", "-1",
     "linux.resources.cpu.shares: -1 is out of range (0..18446744073709551615)"},
    {"linux.resources.cpu.quota", "9223372036854775808",
     "linux.resources.cpu.quota: 9223372036854775808 is out of range (-1..9223372036854775807)"},
    {"linux.resources.pids.limit", "\"x\"", "linux.resources.pids.limit: must be an integer"},
    {"linux.resources.blockIO.weight", "5",
     "linux.resources.blockIO.weight: 5 is out of range (10..1000)"},
    {"linux.resources.devices.1.access", "\"rwx\"",
     "linux.resources.devices[1].access: must be a combination of \"r\", \"w\", \"m\""},
    {"linux.resources.devices.1.access", "\"rr\"",
     "linux.resources.devices[1].access: must be a combination of \"r\", \"w\", \"m\""},
    {"linux.resources.devices.0.allow", DEL, "linux.resources.devices[0].allow: is required"},
    {"linux.resources.devices.2.type", "\"p\"",
     "linux.resources.devices[2].type: unknown device type \"p\""},
    {"linux.resources.unified.x", "2", "linux.resources.unified.x: must be a string"},
    {"linux.rootfsPropagation", "\"bogus\"",
     "linux.rootfsPropagation: unknown propagation \"bogus\""},
    {"linux.seccomp.defaultAction", DEL, "linux.seccomp.defaultAction: is required"},
    {"linux.seccomp.defaultErrnoRet", "65536",
     "linux.seccomp.defaultErrnoRet: 65536 is out of range (0..65535)"},
    {"linux.seccomp.syscalls.0.action", "\"X\"",
     "linux.seccomp.syscalls[0].action: unknown action \"X\""},
    {"linux.seccomp.syscalls.0.action", "\"SCMP_ACT_NOTIFY\"",
     "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported"},
    {"linux.seccomp.syscalls.0.errnoRet", "1",
     "linux.seccomp.syscalls[0].errnoRet: not supported by action \"SCMP_ACT_ALLOW\""},
    {"linux.seccomp.syscalls.0.names", "[]",
     "linux.seccomp.syscalls[0].names: must be a non-empty array of strings"},
    {"linux.seccomp.syscalls.1.args.0.index", "6",
     "linux.seccomp.syscalls[1].args[0].index: 6 is out of range (0..5)"},
    {"linux.seccomp.syscalls.1.args.1.op", "\"SCMP_CMP_XX\"",
     "linux.seccomp.syscalls[1].args[1].op: unknown operator \"SCMP_CMP_XX\""},
    {"linux.seccomp.syscalls.1.args.1.value", DEL,
     "linux.seccomp.syscalls[1].args[1].value: is required"},
    {"linux.seccomp.architectures.0", "null", "linux.seccomp.architectures[0]: must be a string"},
    {"linux.seccomp.listenerPath", "\"/run/agent.sock\"",
     "linux.seccomp.listenerPath: seccomp notify is not supported"},
    {"linux.sysctl", "{\"k\": true}", "linux.sysctl.k: must be a string"},
    {"linux.maskedPaths.0", "\"proc/kcore\"",
     "linux.maskedPaths[0]: must be an absolute path, not \"proc/kcore\""},
    {"linux.readonlyPaths", "\"/proc\"", "linux.readonlyPaths: must be an array"},
    {"linux.mountLabel", "5", "linux.mountLabel: must be a string"},
    {"linux.personality.domain", "\"X\"", "linux.personality.domain: unknown domain \"X\""},
};

static void test_error_messages(void **state)
{
    size_t len = 0;
    _cleanup_free_ char *base = read_data("full.json", &len);
    int failures = 0;

    for (size_t i = 0; i < BRIG_ARRAY_SIZE(error_cases); i++) {
        const struct error_case *c = &error_cases[i];
        json_object *root = json_tokener_parse(base);
        _cleanup_error_ brig_error err = NULL;
        struct brig_spec *s;
        const char *doc;

        assert_non_null(root);
        json_patch(root, c->path, c->value);
        doc = json_object_to_json_string(root);
        s = brig_spec_load_data(doc, strlen(doc), &err);
        if (s != NULL) {
            print_error("case %zu (%s): loaded, expected \"%s\"\n", i, c->path, c->message);
            brig_spec_free(s);
            failures++;
        } else if (strcmp(err->msg, c->message) != 0) {
            print_error("case %zu (%s):\n  got      \"%s\"\n  expected \"%s\"\n", i, c->path,
                        err->msg, c->message);
            failures++;
        }
        json_object_put(root);
    }
    assert_int_equal(failures, 0);
}

/* Syntax errors carry the byte offset and json-c's reason. */
static void test_syntax_errors(void **state)
{
    static const struct {
        const char *doc, *message;
    } cases[] = {
        {"", "config.json: invalid JSON at byte 0: unexpected end of input"},
        {"   \n", "config.json: invalid JSON at byte 4: unexpected end of input"},
        {"{\"ociVersion\": \"1.1\"",
         "config.json: invalid JSON at byte 20: unexpected end of input"},
        {"{\"a\":1,}", "config.json: invalid JSON at byte 7: unexpected character"},
        {"{\"a\":01}", "config.json: invalid JSON at byte 7: number expected"},
        {"{\"a\":1} x", "config.json: invalid JSON at byte 8: unexpected character"},
        {"[]", "config.json: must be a JSON object"},
        {"42", "config.json: must be a JSON object"},
        {"{}", "ociVersion: is required"},
    };

    for (size_t i = 0; i < BRIG_ARRAY_SIZE(cases); i++) {
        _cleanup_error_ brig_error err = NULL;
        struct brig_spec *s = brig_spec_load_data(cases[i].doc, strlen(cases[i].doc), &err);
        assert_null(s);
        assert_string_equal(err->msg, cases[i].message);
    }

    /* json-c stops at a NUL byte: what follows must still be refused. */
    {
        static const char doc[] = "{}\0{\"x\":1}";
        _cleanup_error_ brig_error err = NULL;
        assert_null(brig_spec_load_data(doc, sizeof(doc) - 1, &err));
        assert_string_equal(err->msg, "config.json: invalid JSON at byte 2: trailing data");
    }
}

static void test_load_file_errors(void **state)
{
    _cleanup_error_ brig_error err = NULL;
    _cleanup_free_ char *dir = NULL, *p = NULL;
    char tmpl[] = "/tmp/brig-spec-XXXXXX";
    struct brig_spec *s;

    s = brig_spec_load_file("/nonexistent/brig/config.json", &err);
    assert_null(s);
    assert_string_equal(err->msg,
                        "open `/nonexistent/brig/config.json`: No such file or directory");
    assert_int_equal(err->errnum, ENOENT);
    brig_error_free(&err);

    /* Validation errors are prefixed with the file so a user knows which. */
    dir = brig_xstrdup(mkdtemp(tmpl));
    p = brig_xasprintf("%s/config.json", dir);
    assert_int_equal(brig_write_file_at(AT_FDCWD, p, "{\"ociVersion\": 1}", 17, 0600, &err), 0);
    s = brig_spec_load_file(p, &err);
    assert_null(s);
    {
        _cleanup_free_ char *want = brig_xasprintf("load `%s`: ociVersion: must be a string", p);
        assert_string_equal(err->msg, want);
    }
    brig_error_free(&err);

    /* The bundle directory itself names its config.json. */
    s = brig_spec_load_file(dir, &err);
    assert_null(s);
    {
        _cleanup_free_ char *want = brig_xasprintf("load `%s`: ociVersion: must be a string", p);
        assert_string_equal(err->msg, want);
    }
    unlink(p);
    rmdir(dir);
}

static void test_default_json(void **state)
{
    for (int rootless = 0; rootless <= 1; rootless++) {
        _cleanup_free_ char *json = brig_spec_default_json(rootless);
        _cleanup_error_ brig_error err = NULL;
        _cleanup_spec_ struct brig_spec *s = brig_spec_load_data(json, strlen(json), &err);
        uint64_t want_caps = BIT(CAP_AUDIT_WRITE) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE);
        bool has_user = false, has_net = false;
        const struct brig_spec_mount *sys = NULL, *pts = NULL;

        if (s == NULL)
            fail_msg("default spec (rootless=%d) does not load: %s", rootless, err->msg);
        assert_string_equal(s->root_path, "rootfs");
        assert_true(s->root_readonly);
        assert_true(s->process->terminal);
        assert_string_equal(s->process->args[0], "sh");
        assert_null(s->process->args[1]);
        assert_string_equal(s->process->cwd, "/");
        assert_true(s->process->caps.bounding == want_caps);
        assert_true(s->process->caps.effective == want_caps);
        assert_true(s->process->caps.permitted == want_caps);
        assert_true(s->process->caps.ambient == want_caps);
        assert_true(s->process->no_new_privileges);
        assert_int_equal(s->process->n_rlimits, 1);
        assert_int_equal(s->process->rlimits[0].resource, RLIMIT_NOFILE);
        assert_int_equal(brig_strv_len(s->linux_.masked_paths), 10);
        assert_int_equal(brig_strv_len(s->linux_.readonly_paths), 5);
        for (size_t i = 0; i < s->linux_.n_namespaces; i++) {
            has_user |= s->linux_.namespaces[i].type == CLONE_NEWUSER;
            has_net |= s->linux_.namespaces[i].type == CLONE_NEWNET;
        }
        for (size_t i = 0; i < s->n_mounts; i++) {
            if (strcmp(s->mounts[i].destination, "/sys") == 0)
                sys = &s->mounts[i];
            if (strcmp(s->mounts[i].destination, "/dev/pts") == 0)
                pts = &s->mounts[i];
        }
        assert_int_equal(s->n_mounts, 7);
        assert_non_null(sys);
        assert_non_null(pts);
        if (!rootless) {
            assert_int_equal(s->linux_.n_namespaces, 6);
            assert_false(has_user);
            assert_true(has_net);
            assert_string_equal(sys->type, "sysfs");
            assert_true(strstr(pts->opts.data, "gid=5") != NULL);
            assert_true(s->linux_.has_resources);
            assert_false(s->linux_.resources.devices[0].allow);
        } else {
            assert_true(has_user);
            assert_false(has_net);
            assert_true(sys->opts.recursive_bind);
            assert_true(sys->opts.flags & MS_RDONLY);
            assert_null(strstr(pts->opts.data, "gid="));
            assert_int_equal(s->linux_.n_uid_mappings, 1);
            assert_int_equal(s->linux_.uid_mappings[0].container_id, 0);
            assert_int_equal(s->linux_.uid_mappings[0].host_id, getuid());
            assert_int_equal(s->linux_.uid_mappings[0].size, 1);
            assert_int_equal(s->linux_.gid_mappings[0].host_id, getgid());
            assert_false(s->linux_.has_resources);
        }
    }
}

static void test_process_json(void **state)
{
    static const char good[] = "{\"args\":[\"ls\",\"-l\"],\"cwd\":\"/tmp\",\"env\":[\"A=b\"],"
                               "\"user\":{\"uid\":7,\"gid\":8},\"terminal\":false,"
                               "\"capabilities\":{\"bounding\":[\"CAP_KILL\"]}}";
    static const struct {
        const char *doc, *message;
    } bad[] = {
        {"{\"cwd\":\"/\"}", "args: must be a non-empty array of strings"},
        {"{\"args\":[\"ls\"]}", "cwd: is required"},
        {"{\"args\":[\"ls\"],\"cwd\":\"/\",\"user\":{\"uid\":-1}}",
         "user.uid: -1 is out of range (0..4294967295)"},
        {"{\"args\":[\"ls\"", "process.json: invalid JSON at byte 13: unexpected end of input"},
    };
    _cleanup_error_ brig_error err = NULL;
    struct brig_spec_process *p = brig_spec_process_load_data(good, sizeof(good) - 1, &err);

    if (p == NULL)
        fail_msg("process.json: %s", err->msg);
    assert_string_equal(p->args[1], "-l");
    assert_string_equal(p->cwd, "/tmp");
    assert_int_equal(p->user.uid, 7);
    assert_int_equal(p->user.gid, 8);
    assert_true(p->has_caps && p->caps.bounding == BIT(CAP_KILL));
    brig_spec_process_free(p);

    for (size_t i = 0; i < BRIG_ARRAY_SIZE(bad); i++) {
        brig_error_free(&err);
        assert_null(brig_spec_process_load_data(bad[i].doc, strlen(bad[i].doc), &err));
        assert_string_equal(err->msg, bad[i].message);
    }
}

static void test_cap_names(void **state)
{
    assert_int_equal(brig_cap_last_cap(), CAP_CHECKPOINT_RESTORE);
    assert_int_equal(brig_cap_last_cap(), 40);
    for (int c = 0; c <= brig_cap_last_cap(); c++) {
        const char *n = brig_cap_to_name(c);
        assert_non_null(n);
        assert_true(brig_str_has_prefix(n, "CAP_"));
        assert_int_equal(brig_cap_from_name(n), c);
    }
    assert_int_equal(brig_cap_from_name("CAP_SYS_ADMIN"), 21);
    assert_int_equal(brig_cap_from_name("CAP_CHOWN"), 0);
    assert_int_equal(brig_cap_from_name("CAP_BPF"), 39);
    assert_int_equal(brig_cap_from_name("cap_sys_admin"), -1);
    assert_int_equal(brig_cap_from_name("SYS_ADMIN"), -1);
    assert_int_equal(brig_cap_from_name("CAP_"), -1);
    assert_int_equal(brig_cap_from_name(""), -1);
    assert_int_equal(brig_cap_from_name(NULL), -1);
    assert_null(brig_cap_to_name(-1));
    assert_null(brig_cap_to_name(41));
}

static void test_seccomp_names(void **state)
{
    static const struct {
        const char *name;
        unsigned errno_ret;
        bool has_errno;
        int ret;
        uint32_t action;
    } cases[] = {
        {"SCMP_ACT_KILL", 0, false, 0, SCMP_ACT_KILL},
        {"SCMP_ACT_KILL_PROCESS", 0, false, 0, SCMP_ACT_KILL_PROCESS},
        {"SCMP_ACT_KILL_THREAD", 0, false, 0, SCMP_ACT_KILL_THREAD},
        {"SCMP_ACT_TRAP", 0, false, 0, SCMP_ACT_TRAP},
        {"SCMP_ACT_ERRNO", 0, false, 0, SCMP_ACT_ERRNO(EPERM)},
        {"SCMP_ACT_ERRNO", ENOSYS, true, 0, SCMP_ACT_ERRNO(ENOSYS)},
        {"SCMP_ACT_ERRNO", 0, true, 0, SCMP_ACT_ERRNO(0)},
        {"SCMP_ACT_ERRNO", 65536, true, -1, 0},
        {"SCMP_ACT_TRACE", 0, false, 0, SCMP_ACT_TRACE(EPERM)},
        {"SCMP_ACT_TRACE", 42, true, 0, SCMP_ACT_TRACE(42)},
        {"SCMP_ACT_ALLOW", 0, false, 0, SCMP_ACT_ALLOW},
        {"SCMP_ACT_ALLOW", 1, true, -1, 0},
        {"SCMP_ACT_LOG", 0, false, 0, SCMP_ACT_LOG},
        {"SCMP_ACT_NOTIFY", 0, false, -1, 0},
        {"scmp_act_allow", 0, false, -1, 0},
        {"", 0, false, -1, 0},
    };
    static const struct {
        const char *name;
        int ret;
        enum brig_seccomp_op op;
    } ops[] = {
        {"SCMP_CMP_NE", 0, BRIG_SCMP_CMP_NE},
        {"SCMP_CMP_LT", 0, BRIG_SCMP_CMP_LT},
        {"SCMP_CMP_LE", 0, BRIG_SCMP_CMP_LE},
        {"SCMP_CMP_EQ", 0, BRIG_SCMP_CMP_EQ},
        {"SCMP_CMP_GE", 0, BRIG_SCMP_CMP_GE},
        {"SCMP_CMP_GT", 0, BRIG_SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", 0, BRIG_SCMP_CMP_MASKED_EQ},
        {"SCMP_CMP_XX", -1, 0},
        {"scmp_cmp_eq", -1, 0},
    };

    for (size_t i = 0; i < BRIG_ARRAY_SIZE(cases); i++) {
        uint32_t a = 0xdeadbeef;
        int r = brig_seccomp_action_from_name(cases[i].name, cases[i].errno_ret, cases[i].has_errno,
                                              &a);
        assert_int_equal(r, cases[i].ret);
        if (r == 0)
            assert_int_equal(a, cases[i].action);
    }
    assert_int_equal(brig_seccomp_action_from_name(NULL, 0, false, &(uint32_t){0}), -1);
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(ops); i++) {
        enum brig_seccomp_op op = 0;
        int r = brig_seccomp_op_from_name(ops[i].name, &op);
        assert_int_equal(r, ops[i].ret);
        if (r == 0) {
            assert_int_equal(op, ops[i].op);
            /* brig's numbering is libseccomp's, so the compiler can cast. */
            assert_int_equal((int)op, (int)(enum scmp_compare)ops[i].op);
        }
    }
    assert_int_equal(SCMP_CMP_MASKED_EQ, BRIG_SCMP_CMP_MASKED_EQ);
}

/* The sysctl classifier: which namespace a key needs, 0 for the host-wide
 * ones, -1 for a malformed key. */
static void test_sysctl_namespace(void **state)
{
    static const struct {
        const char *key;
        int want;
    } cases[] = {
        {"fs.mqueue.queues_max", CLONE_NEWIPC},
        {"fs/mqueue/msg_max", CLONE_NEWIPC},
        {"kernel.msgmax", CLONE_NEWIPC},
        {"kernel.msgmnb", CLONE_NEWIPC},
        {"kernel.msgmni", CLONE_NEWIPC},
        {"kernel.sem", CLONE_NEWIPC},
        {"kernel.shmall", CLONE_NEWIPC},
        {"kernel.shmmax", CLONE_NEWIPC},
        {"kernel.shmmni", CLONE_NEWIPC},
        {"kernel.shm_rmid_forced", CLONE_NEWIPC},
        {"net.ipv4.ip_forward", CLONE_NEWNET},
        {"net/ipv4/ping_group_range", CLONE_NEWNET},
        {"net.core.somaxconn", CLONE_NEWNET},
        {"kernel.hostname", CLONE_NEWUTS},
        {"kernel.domainname", CLONE_NEWUTS},
        /* one value for the whole host */
        {"kernel.pid_max", 0},
        {"kernel.shmmaxx", 0},
        {"kernel.semx", 0},
        {"kernel.core_pattern", 0},
        {"vm.swappiness", 0},
        {"fs.file-max", 0},
        {"fs.mqueue", 0},
        {"fs.mqueuex.a", 0},
        {"netfilter.x", 0},
        {"user.max_user_namespaces", 0},
        /* malformed */
        {"", -1},
        {".net.ipv4.ip_forward", -1},
        {"net.ipv4.", -1},
        {"net..ipv4", -1},
        {"net/../kernel/pid_max", -1},
        {"/net/ipv4/ip_forward", -1},
        {"net.ipv4.ip_forward\n", -1},
        {"net.ipv4.\x1bip", -1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = brig_sysctl_namespace(cases[i].key);
        if (got != cases[i].want)
            fail_msg("sysctl `%s`: got %d, want %d", cases[i].key, got, cases[i].want);
    }
    assert_int_equal(brig_sysctl_namespace(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),      cmocka_unit_test(test_minimal_config),
        cmocka_unit_test(test_error_messages),   cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_load_file_errors), cmocka_unit_test(test_default_json),
        cmocka_unit_test(test_process_json),     cmocka_unit_test(test_cap_names),
        cmocka_unit_test(test_seccomp_names),    cmocka_unit_test(test_sysctl_namespace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

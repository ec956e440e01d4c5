/* Container lifecycle: create, start, run, kill, delete, state, pause,
 * resume, ps, update, list.
 *
 * A created container is a process that has finished its setup and blocks
 * reading ROOT/ID/exec.fifo (through an fd it got at clone time); `start`
 * writes one byte into it and lets it exec.  Everything create makes (state directory, cgroup,
 * process) is undone on any failure before it returns. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "core/util.h"
#include "sandbox/container.h"
#include "sandbox/hooks.h"
#include "sandbox/internal.h"
#include "sandbox/seccomp.h"
#include "sandbox/svirt.h"
#include "selinux/mcs.h"
#include "selinux/label.h"
#include "state/state.h"

#define CONFIG_COPY "config.json"
#define EXEC_FIFO "exec.fifo"
#define BRIG_CLONE_INTO_CGROUP 0x200000000ULL /* linux/sched.h, 5.7 */
/* Present when config.json has poststart/poststop hooks: start and delete
 * then parse the config copy; otherwise they skip that work. */
#define HOOKS_MARK "hooks"

static int pidfd_open_checked(const struct brig_state *st)
{
    uint64_t t;
    int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
    if (fd < 0)
        return -1;
    /* The pidfd pins this exact process; the start time proves it is the
     * container's init and not a recycled pid. */
    if (brig_proc_start_time(st->pid, &t) < 0 || t != st->pid_start_time) {
        close(fd);
        errno = ESRCH;
        return -1;
    }
    return fd;
}

/* Load the copy of config.json kept in the state directory. */
static struct brig_spec *container_load_config(int rootfd, const char *id, brig_error *reterr)
{
    _cleanup_free_ char *path = brig_xasprintf("%s/" CONFIG_COPY, id), *data = NULL;
    size_t len = 0;

    if (brig_read_file_at(rootfd, path, 16 << 20, &data, &len, reterr) < 0)
        return NULL;
    return brig_spec_load_data(data, len, reterr);
}

static bool has_hooks(int rootfd, const char *id)
{
    _cleanup_free_ char *p = brig_xasprintf("%s/" HOOKS_MARK, id);
    return faccessat(rootfd, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static void container_run_hooks_warn(enum brig_hook_kind kind, const struct brig_spec *spec,
                                     const char *state_json)
{
    _cleanup_error_ brig_error err = NULL;
    if (spec->hooks.n_hooks[kind] == 0)
        return;
    if (brig_hooks_run(kind, spec->hooks.hooks[kind], spec->hooks.n_hooks[kind], state_json, &err) <
        0)
        brig_log(BRIG_LOG_WARNING, "%s", err->msg);
}

static int write_id_map(pid_t pid, const char *file, const struct brig_spec_idmap *m, size_t n,
                        brig_error *reterr)
{
    _cleanup_free_ char *buf = brig_xstrdup(""), *path = NULL;
    for (size_t i = 0; i < n; i++) {
        char *next =
            brig_xasprintf("%s%u %u %u\n", buf, m[i].container_id, m[i].host_id, m[i].size);
        free(buf);
        buf = next;
    }
    path = brig_xasprintf("/proc/%d/%s", (int)pid, file);
    if (brig_write_file_at(AT_FDCWD, path, buf, strlen(buf), 0, reterr) < 0)
        return brig_error_wrap(reterr, "linux.%s: write mapping",
                               strcmp(file, "uid_map") == 0 ? "uidMappings" : "gidMappings");
    return 0;
}

struct create_result {
    pid_t pid;
    int pty_master; /* kept for `run` to relay when no console socket */
};

/* clone3 straight into the cgroup2 directory `cgroup_fd` when there is
 * one (no migration: see cgroup_enter.c); plain clone otherwise, or when
 * the kernel (< 5.7), a seccomp filter around us or the cgroup refuses it:
 * the migration that follows then reports what is wrong, if anything. */
static pid_t container_clone(unsigned long flags, int cgroup_fd, bool *ret_in_unified)
{
    *ret_in_unified = false;
    if (cgroup_fd >= 0) {
        /* struct clone_args (linux/sched.h, CLONE_ARGS_SIZE_VER2) */
        struct {
            uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
                set_tid, set_tid_size, cgroup;
        } args = {.flags = flags | BRIG_CLONE_INTO_CGROUP,
                  .exit_signal = SIGCHLD,
                  .cgroup = (uint64_t)cgroup_fd};
        pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
        if (pid >= 0) {
            *ret_in_unified = true;
            return pid;
        }
    }
    return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
}

/* Whether the namespace `st` (an fstat of an ns fd or path) is the host's
 * own: the one pid 1 or the runtime itself lives in. */
static bool ns_is_host(const struct stat *st, const char *name)
{
    char path[64];
    struct stat hs;

    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "/proc/%s/ns/%s", i == 0 ? "1" : "self", name);
        if (stat(path, &hs) == 0 && hs.st_ino == st->st_ino && hs.st_dev == st->st_dev)
            return true;
    }
    return false;
}

static const char *sysctl_ns_name(int type)
{
    return type == CLONE_NEWIPC ? "ipc" : type == CLONE_NEWNET ? "net" : "uts";
}

static const char *sysctl_ns_human(int type)
{
    return type == CLONE_NEWIPC ? "IPC" : type == CLONE_NEWNET ? "network" : "UTS";
}

/* Whether some sysctl of the config lives in namespace `type`. */
static bool spec_sysctl_needs(const struct brig_spec *spec, int type)
{
    for (size_t i = 0; i < spec->linux_.n_sysctl; i++)
        if (brig_sysctl_namespace(spec->linux_.sysctl[i].key) == type)
            return true;
    return false;
}

/* A sysctl written by the init lands in whatever namespace the init is in:
 * the host's when the container shares it.  So each one must belong to a
 * namespace the container owns, a new one or a joined one that is not the
 * host's (runc's rule).  Checked before create makes anything. */
static int container_check_sysctl(const struct brig_spec *spec, brig_error *reterr)
{
    for (size_t i = 0; i < spec->linux_.n_sysctl; i++) {
        const char *key = spec->linux_.sysctl[i].key;
        const struct brig_spec_namespace *own = NULL;
        int type = brig_sysctl_namespace(key);
        struct stat st;

        if (type < 0)
            return brig_error_set(reterr, 0, "linux.sysctl: \"%s\" is not a valid sysctl name",
                                  key);
        if (type == 0)
            return brig_error_set(reterr, 0,
                                  "linux.sysctl: \"%s\" is not namespaced: setting it would "
                                  "change the host",
                                  key);
        for (size_t j = 0; j < spec->linux_.n_namespaces; j++)
            if (spec->linux_.namespaces[j].type == type)
                own = &spec->linux_.namespaces[j];
        if (own == NULL)
            return brig_error_set(reterr, 0,
                                  "linux.sysctl: \"%s\" needs the container's own %s namespace",
                                  key, sysctl_ns_human(type));
        if (own->path == NULL)
            continue;
        if (stat(own->path, &st) < 0)
            return brig_error_errno(reterr, "linux.sysctl: \"%s\": namespace `%s`", key, own->path);
        if (ns_is_host(&st, sysctl_ns_name(type)))
            return brig_error_set(reterr, 0,
                                  "linux.sysctl: \"%s\" needs the container's own %s namespace "
                                  "(`%s` is the host's)",
                                  key, sysctl_ns_human(type), own->path);
    }
    return 0;
}

static int container_check_spec(const struct brig_spec *spec, const struct brig_create_opts *o,
                                bool keep_pty, int *ret_new_flags, brig_error *reterr)
{
    int flags = 0;

    if (spec->process == NULL)
        return brig_error_set(reterr, 0, "process: required to create a container");
    for (size_t i = 0; i < spec->linux_.n_namespaces; i++)
        if (spec->linux_.namespaces[i].path == NULL)
            flags |= spec->linux_.namespaces[i].type;
    if (!(flags & CLONE_NEWNS)) {
        bool joined = false;
        for (size_t i = 0; i < spec->linux_.n_namespaces; i++)
            joined |= spec->linux_.namespaces[i].type == CLONE_NEWNS;
        if (!joined)
            return brig_error_set(reterr, 0,
                                  "linux.namespaces: a mount namespace is required (brig "
                                  "never sets a container up in the host's)");
    }
    if ((spec->hostname || spec->domainname) && !(flags & CLONE_NEWUTS))
        return brig_error_set(reterr, 0,
                              "hostname: setting it requires a new uts namespace in "
                              "linux.namespaces");
    if (container_check_sysctl(spec, reterr) < 0)
        return -1;
    if ((flags & CLONE_NEWUSER) && spec->linux_.n_uid_mappings == 0)
        return brig_error_set(reterr, 0, "linux.uidMappings: required with a new user namespace");
    if (spec->process->terminal && o->console_socket == NULL && !keep_pty)
        return brig_error_set(reterr, 0,
                              "process.terminal: a terminal needs --console-socket (or "
                              "`run` without --detach)");
    *ret_new_flags = flags;
    return 0;
}

struct state_record {
    int rootfd;
    struct brig_state *st;
};

static int state_record_cgroup(const struct brig_cgroup *cg, void *arg, brig_error *reterr)
{
    struct state_record *rec = arg;
    free(rec->st->cgroup);
    rec->st->cgroup = brig_cgroup_serialize(cg);
    return brig_state_save(rec->rootfd, rec->st, reterr);
}

static int container_create(const struct brig_create_opts *o, bool keep_pty,
                            struct create_result *res, brig_error *reterr)
{
    _cleanup_close_ int rootfd = -1, lockfd = -1, dirfd = -1, fifo_fd = -1, master = -1;
    _cleanup_close_ int procfd = -1;
    _cleanup_spec_ struct brig_spec *spec = NULL;
    _cleanup_cgroup_ struct brig_cgroup *cg = NULL;
    _cleanup_state_ struct brig_state *st = NULL;
    _cleanup_free_ char *bundle = NULL, *config_path = NULL, *data = NULL, *rootfs = NULL;
    _cleanup_free_ char *state_json = NULL, *rootfs_join = NULL;
    struct brig_seccomp_filter *seccomp = NULL;
    struct brig_init_ctx ctx = {0};
    struct brig_svirt sv = {0};
    int socks[2] = {-1, -1}, new_flags = 0, clone_flags, cgfd = -1;
    bool selinux, dir_made = false, in_unified = false;
    size_t len = 0;
    pid_t pid = -1;
    struct stat sb;

    if (brig_validate_id(o->id, reterr) < 0)
        return -1;
    bundle = realpath(o->bundle ? o->bundle : ".", NULL);
    if (bundle == NULL)
        return brig_error_errno(reterr, "bundle `%s`", o->bundle ? o->bundle : ".");
    config_path =
        o->config_path ? brig_xstrdup(o->config_path) : brig_xasprintf("%s/config.json", bundle);
    if (brig_read_file_at(AT_FDCWD, config_path, 16 << 20, &data, &len, reterr) < 0)
        return -1;
    spec = brig_spec_load_data(data, len, reterr);
    if (spec == NULL)
        return brig_error_wrap(reterr, "`%s`", config_path);
    if (container_check_spec(spec, o, keep_pty, &new_flags, reterr) < 0)
        return -1;

    rootfs_join = spec->root_path[0] == '/' ? brig_xstrdup(spec->root_path)
                                            : brig_xasprintf("%s/%s", bundle, spec->root_path);
    rootfs = realpath(rootfs_join, NULL);
    if (rootfs == NULL || stat(rootfs, &sb) < 0 || !S_ISDIR(sb.st_mode))
        return brig_error_set(reterr, rootfs ? ENOTDIR : errno, "root.path: rootfs `%s`",
                              rootfs_join);

    selinux = brig_selinux_enabled();
    if (selinux) {
        if (spec->process->selinux_label &&
            brig_label_validate(spec->process->selinux_label, reterr) < 0)
            return brig_error_wrap(reterr, "process.selinuxLabel");
        if (spec->linux_.mount_label && brig_label_validate(spec->linux_.mount_label, reterr) < 0)
            return brig_error_wrap(reterr, "linux.mountLabel");
    } else {
        bool relabel = false;
        for (size_t i = 0; i < spec->n_mounts; i++)
            relabel |= spec->mounts[i].opts.relabel != BRIG_RELABEL_NONE;
        if (spec->process->selinux_label || spec->linux_.mount_label || relabel)
            brig_log(BRIG_LOG_WARNING, "SELinux is not enabled on this host: labels and z/Z "
                                       "mount options in config.json are ignored");
    }
    rootfd = brig_state_root_open(o->root, reterr);
    if (rootfd < 0)
        goto fail;
    if (spec->linux_.seccomp &&
        brig_seccomp_compile_cached(rootfd, spec->linux_.seccomp, &seccomp, reterr) < 0)
        goto fail;
    if (brig_state_dir_create(rootfd, o->id, reterr) < 0)
        goto fail;
    dir_made = true;
    lockfd = brig_state_lock(rootfd, o->id, reterr);
    if (lockfd < 0)
        goto fail;
    dirfd = openat(rootfd, o->id, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        brig_error_errno(reterr, "open state directory of `%s`", o->id);
        goto fail;
    }
    if (brig_write_file_at(dirfd, CONFIG_COPY, data, len, 0600, reterr) < 0)
        goto fail;
    if ((spec->hooks.n_hooks[BRIG_HOOK_POSTSTART] || spec->hooks.n_hooks[BRIG_HOOK_POSTSTOP]) &&
        brig_write_file_at(dirfd, HOOKS_MARK, "", 0, 0600, reterr) < 0)
        goto fail;

    if (selinux && brig_svirt_setup(rootfd, o->id, spec, rootfs, &sv, reterr) < 0)
        goto fail;
    if (o->systemd_cgroup)
        brig_log(BRIG_LOG_WARNING,
                 "--systemd-cgroup: brig does not talk to systemd; the cgroup of "
                 "\"slice:prefix:name\" is made directly in cgroupfs, unknown to systemd");

    st = brig_xmalloc0(sizeof(*st));
    st->id = brig_xstrdup(o->id);
    st->bundle = brig_xstrdup(bundle);
    st->rootfs = brig_xstrdup(rootfs);
    st->created = brig_now_rfc3339();
    st->creating = true;
    if (selinux) {
        st->process_label = brig_xstrdup(spec->process->selinux_label);
        st->mount_label = brig_xstrdup(spec->linux_.mount_label);
    }
    st->owner = brig_xstrdup("root");
    st->systemd_cgroup = o->systemd_cgroup;
    st->ns_flags = new_flags;
    st->config_path = brig_xstrdup(config_path);
    if (spec->n_annotations) {
        st->annotations = brig_xmalloc0(spec->n_annotations * sizeof(*st->annotations));
        for (size_t i = 0; i < spec->n_annotations; i++) {
            st->annotations[i].key = brig_xstrdup(spec->annotations[i].key);
            st->annotations[i].value = brig_xstrdup(spec->annotations[i].value);
        }
        st->n_annotations = spec->n_annotations;
    }
    /* Saved with no pid before the first cgroup mkdir (by the record
     * callback), so that if this process is killed from here on `delete`
     * finds every cgroup directory it may have made and the MCS level. */
    {
        struct state_record rec = {.rootfd = rootfd, .st = st};
        cg =
            brig_cgroup_create_recorded(spec->linux_.cgroups_path, o->id,
                                        spec->linux_.has_resources ? &spec->linux_.resources : NULL,
                                        o->systemd_cgroup, state_record_cgroup, &rec, reterr);
    }
    if (cg == NULL)
        goto fail;
    free(st->cgroup);
    st->cgroup = brig_cgroup_serialize(cg);

    if (mkfifoat(dirfd, EXEC_FIFO, 0600) < 0) {
        brig_error_errno(reterr, "create exec fifo");
        goto fail;
    }
    /* O_RDWR: the open does not wait for a writer, and while the init holds
     * this fd its read blocks until `start` writes (instead of seeing EOF).
     * The init inherits the fd, so it never reopens the fifo: that would
     * need /proc/self/fd inside the container, which a config may not
     * mount. */
    fifo_fd = openat(dirfd, EXEC_FIFO, O_RDWR | O_CLOEXEC);
    if (fifo_fd < 0) {
        brig_error_errno(reterr, "open exec fifo");
        goto fail;
    }

    /* Namespaces to join are opened now, in the runtime's view of paths. */
    for (size_t i = 0; i < spec->linux_.n_namespaces; i++) {
        const struct brig_spec_namespace *ns = &spec->linux_.namespaces[i];
        int fd;
        if (ns->path == NULL)
            continue;
        fd = open(ns->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            brig_error_errno(reterr, "linux.namespaces[%zu]: open `%s`", i, ns->path);
            goto fail;
        }
        if ((ns->type == CLONE_NEWIPC || ns->type == CLONE_NEWNET || ns->type == CLONE_NEWUTS) &&
            spec_sysctl_needs(spec, ns->type)) {
            /* The path was checked before anything was made; what counts
             * is the namespace this fd holds, should the path now name
             * another one. */
            struct stat nst;
            if (fstat(fd, &nst) < 0 || ns_is_host(&nst, sysctl_ns_name(ns->type))) {
                close(fd);
                brig_error_set(reterr, 0,
                               "linux.sysctl: the container's own %s namespace is needed "
                               "(`%s` is the host's)",
                               sysctl_ns_human(ns->type), ns->path);
                goto fail;
            }
        }
        if (ns->type == CLONE_NEWPID) {
            /* setns on a pid namespace only affects children: do it here,
             * so the clone below lands in it. */
            int r = setns(fd, CLONE_NEWPID);
            close(fd);
            if (r < 0) {
                brig_error_errno(reterr, "linux.namespaces[%zu]: join `%s`", i, ns->path);
                goto fail;
            }
            continue;
        }
        ctx.ns_fds[ctx.n_ns] = fd;
        ctx.ns_types[ctx.n_ns++] = ns->type;
    }

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0) {
        brig_error_errno(reterr, "create sync socket");
        goto fail;
    }

    ctx.spec = spec;
    ctx.rootfs = rootfs;
    ctx.bundle = bundle;
    ctx.cg = cg;
    ctx.seccomp = seccomp;
    ctx.sync_sock = socks[1];
    ctx.fifo_fd = fifo_fd;
    procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    ctx.host_proc_fd = procfd;
    if (procfd < 0) {
        brig_error_errno(reterr, "open `/proc`");
        goto fail;
    }
    ctx.new_userns = (new_flags & CLONE_NEWUSER) != 0;
    ctx.new_cgroupns = (new_flags & CLONE_NEWCGROUP) != 0;
    ctx.new_utsns = (new_flags & CLONE_NEWUTS) != 0;
    ctx.new_netns = (new_flags & CLONE_NEWNET) != 0;
    ctx.no_pivot = o->no_pivot;
    ctx.no_new_keyring = o->no_new_keyring;
    ctx.selinux = selinux;
    ctx.preserve_fds = o->preserve_fds;
    ctx.process_label = spec->process->selinux_label;
    ctx.mount_label = spec->linux_.mount_label;

    /* One clone creates every new namespace at once, owned by the new user
     * namespace when there is one.  When a user namespace is joined by path,
     * the rest must be created after joining it (in the child), so only the
     * pid namespace is made here. */
    clone_flags = new_flags;
    for (size_t i = 0; i < ctx.n_ns; i++)
        if (ctx.ns_types[i] == CLONE_NEWUSER) {
            clone_flags = new_flags & CLONE_NEWPID;
            ctx.new_ns_flags = new_flags & ~CLONE_NEWPID;
        }
    /* A cgroup namespace is rooted at the cgroup its creator is in: the
     * child unshares it only after we have moved it into its own cgroup. */
    if (clone_flags & CLONE_NEWCGROUP) {
        clone_flags &= ~CLONE_NEWCGROUP;
        ctx.new_ns_flags |= CLONE_NEWCGROUP;
    }
    cgfd = brig_cgroup_open_unified(cg);
    pid = container_clone((unsigned long)clone_flags, cgfd, &in_unified);
    if (cgfd >= 0)
        close(cgfd);
    if (pid < 0) {
        brig_error_errno(reterr, "clone container process");
        goto fail;
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* nothing ignored survives into the container's program */
        brig_signals_reset_ignored();
        close(socks[0]);
        /* flock() belongs to the open file: a copy kept by the init would
         * hold the container's lock until it execs. */
        close(lockfd);
        close(rootfd);
        close(dirfd);
        brig_init_run(&ctx);
    }
    close(socks[1]);
    socks[1] = -1;
    for (size_t i = 0; i < ctx.n_ns; i++)
        close(ctx.ns_fds[i]);
    ctx.n_ns = 0;

    /* The init's pid is on disk before anything else can go wrong: a
     * runtime killed from here on leaves a state that names it (the start
     * time guards against its pid being reused), and delete --force kills
     * it even when it never reached the cgroup. */
    st->pid = pid;
    if (brig_proc_start_time(pid, &st->pid_start_time) < 0) {
        brig_error_errno(reterr, "read start time of container process %d", (int)pid);
        goto fail;
    }
    if (brig_state_save(rootfd, st, reterr) < 0)
        goto fail;

    if (new_flags & CLONE_NEWUSER) {
        if (write_id_map(pid, "uid_map", spec->linux_.uid_mappings, spec->linux_.n_uid_mappings,
                         reterr) < 0 ||
            write_id_map(pid, "gid_map", spec->linux_.gid_mappings, spec->linux_.n_gid_mappings,
                         reterr) < 0)
            goto fail;
    }
    if (brig_cgroup_enter_rest(cg, pid, in_unified, reterr) < 0)
        goto fail;
    if (brig_sync_send(socks[0], BRIG_SYNC_GO, NULL, 0, -1, reterr) < 0)
        goto fail;
    if (brig_sync_expect(socks[0], BRIG_SYNC_MOUNTED, NULL, NULL, reterr) < 0)
        goto fail;

    state_json = brig_state_to_json(st, BRIG_STATUS_CREATING);
    for (int k = BRIG_HOOK_PRESTART; k <= BRIG_HOOK_CREATE_RUNTIME; k++)
        if (brig_hooks_run((enum brig_hook_kind)k, spec->hooks.hooks[k], spec->hooks.n_hooks[k],
                           state_json, reterr) < 0)
            goto fail;
    if (brig_sync_send(socks[0], BRIG_SYNC_HOOKS, state_json, strlen(state_json), -1, reterr) < 0)
        goto fail;
    if (spec->process->terminal) {
        if (brig_sync_expect(socks[0], BRIG_SYNC_PTY, NULL, &master, reterr) < 0)
            goto fail;
        if (o->console_socket && brig_console_send(o->console_socket, master, reterr) < 0)
            goto fail;
    }
    if (brig_sync_expect(socks[0], BRIG_SYNC_READY, NULL, NULL, reterr) < 0)
        goto fail;
    if (o->pid_file) {
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
        if (brig_write_file_atomic_at(AT_FDCWD, o->pid_file, buf, (size_t)n, 0644, reterr) < 0)
            goto fail;
    }
    st->creating = false;
    if (brig_state_save(rootfd, st, reterr) < 0)
        goto fail;
    close(socks[0]);
    brig_seccomp_free(seccomp);
    free(sv.level);
    res->pid = pid;
    res->pty_master = o->console_socket ? -1 : TAKE_FD(master);
    return 0;

fail:
    if (socks[0] >= 0)
        close(socks[0]);
    if (socks[1] >= 0)
        close(socks[1]);
    for (size_t i = 0; i < ctx.n_ns; i++)
        close(ctx.ns_fds[i]);
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    if (cg) {
        _cleanup_error_ brig_error e2 = NULL;
        if (brig_cgroup_destroy(cg, &e2) < 0)
            brig_log(BRIG_LOG_WARNING, "%s", e2->msg);
    }
    brig_svirt_undo(rootfd, o->id, &sv);
    if (dir_made) {
        _cleanup_error_ brig_error e2 = NULL;
        if (brig_state_remove(rootfd, o->id, &e2) < 0)
            brig_log(BRIG_LOG_WARNING, "%s", e2->msg);
    }
    brig_seccomp_free(seccomp);
    return -1;
}

int brig_container_create(const struct brig_create_opts *o, brig_error *reterr)
{
    struct create_result res = {.pid = -1, .pty_master = -1};
    if (container_create(o, false, &res, reterr) < 0)
        return brig_error_wrap(reterr, "create container `%s`", o->id);
    if (res.pty_master >= 0)
        close(res.pty_master);
    return 0;
}

static struct brig_state *load_with_status(int rootfd, const char *id, enum brig_status *status,
                                           brig_error *reterr)
{
    _cleanup_state_ struct brig_state *st = NULL;
    if (brig_validate_id(id, reterr) < 0)
        return NULL;
    st = brig_state_load(rootfd, id, reterr);
    if (st == NULL)
        return NULL;
    if (brig_state_status(rootfd, st, status, reterr) < 0)
        return NULL;
    return TAKE_PTR(st);
}

static int container_start(int rootfd, const char *id, brig_error *reterr)
{
    _cleanup_close_ int lockfd = -1, fifo = -1;
    _cleanup_state_ struct brig_state *st = NULL;
    _cleanup_spec_ struct brig_spec *spec = NULL;
    _cleanup_free_ char *fifo_path = brig_xasprintf("%s/" EXEC_FIFO, id), *json = NULL;
    enum brig_status status;

    lockfd = brig_state_lock(rootfd, id, reterr);
    if (lockfd < 0)
        return -1;
    st = load_with_status(rootfd, id, &status, reterr);
    if (st == NULL)
        return -1;
    if (status != BRIG_STATUS_CREATED)
        return brig_error_set(reterr, 0, "container `%s` is %s, not created", id,
                              brig_status_name(status));
    /* O_NONBLOCK: with no reader left (the init died) the open fails with
     * ENXIO instead of hanging; one byte always fits in the pipe. */
    fifo = openat(rootfd, fifo_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fifo < 0 && errno == ENXIO)
        return brig_error_set(reterr, 0, "container `%s`: its process exited before start", id);
    if (fifo < 0)
        return brig_error_errno(reterr, "open exec fifo");
    if (!brig_state_init_alive(st))
        return brig_error_set(reterr, 0, "container `%s`: its process exited before start", id);
    if (brig_write_all(fifo, "0", 1) < 0)
        return brig_error_errno(reterr, "write exec fifo");
    unlinkat(rootfd, fifo_path, 0);
    st->started = true;
    if (brig_state_save(rootfd, st, reterr) < 0)
        return -1;
    if (!has_hooks(rootfd, id))
        return 0;
    spec = container_load_config(rootfd, id, reterr);
    if (spec == NULL)
        return -1;
    if (spec->hooks.n_hooks[BRIG_HOOK_POSTSTART]) {
        json = brig_state_to_json(st, BRIG_STATUS_RUNNING);
        container_run_hooks_warn(BRIG_HOOK_POSTSTART, spec, json);
    }
    return 0;
}

int brig_container_start(const char *root, const char *id, brig_error *reterr)
{
    _cleanup_close_ int rootfd = brig_state_root_open(root, reterr);
    if (rootfd < 0 || container_start(rootfd, id, reterr) < 0)
        return brig_error_wrap(reterr, "start container `%s`", id);
    return 0;
}

/* Kill everything in the container and wait for the init to be gone. */
static int container_kill_wait(const struct brig_state *st, const struct brig_cgroup *cg,
                               brig_error *reterr)
{
    _cleanup_close_ int pidfd = pidfd_open_checked(st);
    bool frozen = false;

    if (cg) {
        if (brig_cgroup_is_frozen(cg, &frozen, reterr) == 0 && frozen)
            brig_cgroup_freeze(cg, false, reterr);
        brig_error_free(reterr);
        if (brig_cgroup_kill_all(cg, SIGKILL, reterr) < 0)
            brig_error_free(reterr);
    }
    if (pidfd < 0)
        return 0;
    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    for (int i = 0; i < 100; i++) {
        struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
        if (poll(&pfd, 1, 100) > 0)
            return 0;
    }
    return brig_error_set(reterr, ETIMEDOUT, "process %d did not exit after SIGKILL", (int)st->pid);
}

static int container_delete(int rootfd, const char *id, bool force, brig_error *reterr)
{
    _cleanup_close_ int lockfd = -1;
    _cleanup_state_ struct brig_state *st = NULL;
    _cleanup_spec_ struct brig_spec *spec = NULL;
    _cleanup_cgroup_ struct brig_cgroup *cg = NULL;
    _cleanup_free_ char *json = NULL;
    enum brig_status status;

    if (brig_validate_id(id, reterr) < 0)
        return -1;
    if (!brig_state_exists(rootfd, id)) {
        /* errnum ENOENT (not in the message): `delete --force` of a
         * container that is already gone succeeds, as runc's does. */
        brig_error_set(reterr, 0, "container `%s` does not exist", id);
        if (reterr != NULL && *reterr != NULL)
            (*reterr)->errnum = ENOENT;
        return -1;
    }
    lockfd = brig_state_lock(rootfd, id, reterr);
    if (lockfd < 0)
        return -1;
    st = load_with_status(rootfd, id, &status, reterr);
    if (st == NULL) {
        size_t freed = 0;
        if ((*reterr)->errnum != ENOENT)
            return -1;
        /* A directory without state.json: a create killed before its first
         * save, which comes before any cgroup or process exists (the lock
         * we hold proves that create is over); only the directory and
         * perhaps an MCS reservation remain. */
        brig_error_free(reterr);
        if (brig_state_remove(rootfd, id, reterr) < 0)
            return -1;
        return brig_mcs_reconcile(rootfd, &freed, reterr);
    }
    if ((status == BRIG_STATUS_RUNNING || status == BRIG_STATUS_PAUSED) && !force)
        return brig_error_set(reterr, 0, "container `%s` is %s: stop it first or use --force", id,
                              brig_status_name(status));
    if (st->cgroup) {
        cg = brig_cgroup_deserialize(st->cgroup, reterr);
        if (cg == NULL)
            return -1;
    }
    /* Whatever the status, nothing may outlive the container in its
     * cgroup: a create killed before saving its final state leaves an
     * init (and perhaps more) that only the cgroup and the early-saved
     * pid still name. */
    if (container_kill_wait(st, cg, reterr) < 0)
        return -1;
    spec = has_hooks(rootfd, id) ? container_load_config(rootfd, id, reterr) : NULL;
    if (spec == NULL && *reterr != NULL) {
        brig_log(BRIG_LOG_WARNING, "poststop hooks of `%s` not run: %s", id, (*reterr)->msg);
        brig_error_free(reterr);
    } else if (spec && spec->hooks.n_hooks[BRIG_HOOK_POSTSTOP]) {
        json = brig_state_to_json(st, BRIG_STATUS_STOPPED);
        container_run_hooks_warn(BRIG_HOOK_POSTSTOP, spec, json);
    }
    if (cg && brig_cgroup_destroy(cg, reterr) < 0)
        return -1;
    if (brig_state_remove(rootfd, id, reterr) < 0)
        return -1;
    /* Released last: the pair stays reserved until nothing of the
     * container is left that could still carry its level. */
    return brig_svirt_release(rootfd, id, st->process_label, reterr);
}

int brig_container_delete(const char *root, const char *id, bool force, brig_error *reterr)
{
    _cleanup_close_ int rootfd = brig_state_root_open(root, reterr);
    if (rootfd < 0 || container_delete(rootfd, id, force, reterr) < 0)
        return brig_error_wrap(reterr, "delete container `%s`", id);
    return 0;
}

int brig_container_run(const struct brig_run_opts *o, int *ret_status, brig_error *reterr)
{
    struct create_result res = {.pid = -1, .pty_master = -1};
    _cleanup_close_ int rootfd = -1;
    sigset_t all, old;
    int r;

    *ret_status = 0;
    /* Block signals before the container exists so none is lost between
     * its creation and the forwarding loop (the child unblocks them). */
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGABRT);
    if (!o->detach)
        sigprocmask(SIG_BLOCK, &all, &old);
    if (container_create(&o->create, !o->detach, &res, reterr) < 0) {
        if (!o->detach)
            sigprocmask(SIG_SETMASK, &old, NULL);
        return brig_error_wrap(reterr, "run container `%s`", o->create.id);
    }
    rootfd = brig_state_root_open(o->create.root, reterr);
    if (rootfd < 0 || container_start(rootfd, o->create.id, reterr) < 0) {
        _cleanup_error_ brig_error e2 = NULL;
        if (rootfd >= 0)
            container_delete(rootfd, o->create.id, true, &e2);
        if (res.pty_master >= 0)
            close(res.pty_master);
        if (!o->detach)
            sigprocmask(SIG_SETMASK, &old, NULL);
        return brig_error_wrap(reterr, "run container `%s`", o->create.id);
    }
    if (o->detach) {
        if (res.pty_master >= 0)
            close(res.pty_master);
        return 0;
    }
    r = brig_wait_forward(res.pid, res.pty_master, ret_status, reterr);
    if (res.pty_master >= 0)
        close(res.pty_master);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (r < 0)
        return -1;
    if (!o->keep && container_delete(rootfd, o->create.id, true, reterr) < 0)
        return brig_error_wrap(reterr, "delete container `%s`", o->create.id);
    return 0;
}

int brig_container_kill(const char *root, const char *id, int sig, bool all, brig_error *reterr)
{
    _cleanup_close_ int rootfd = brig_state_root_open(root, reterr), pidfd = -1;
    _cleanup_state_ struct brig_state *st = NULL;
    _cleanup_cgroup_ struct brig_cgroup *cg = NULL;
    enum brig_status status;

    if (rootfd < 0)
        return -1;
    st = load_with_status(rootfd, id, &status, reterr);
    if (st == NULL)
        return brig_error_wrap(reterr, "kill container `%s`", id);
    if (status == BRIG_STATUS_STOPPED)
        return brig_error_set(reterr, 0, "kill container `%s`: it is not running", id);
    if (all && st->cgroup) {
        cg = brig_cgroup_deserialize(st->cgroup, reterr);
        if (cg == NULL || brig_cgroup_kill_all(cg, sig, reterr) < 0)
            return brig_error_wrap(reterr, "kill container `%s`", id);
        return 0;
    }
    pidfd = pidfd_open_checked(st);
    if (pidfd < 0 || syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
        return brig_error_errno(reterr, "kill container `%s`: signal %d", id, sig);
    return 0;
}

int brig_container_state(const char *root, const char *id, char **ret_json, brig_error *reterr)
{
    _cleanup_close_ int rootfd = brig_state_root_open(root, reterr);
    _cleanup_state_ struct brig_state *st = NULL;
    enum brig_status status;

    if (rootfd < 0)
        return -1;
    st = load_with_status(rootfd, id, &status, reterr);
    if (st == NULL)
        return -1;
    *ret_json = brig_state_to_json(st, status);
    return 0;
}

static struct brig_cgroup *load_cgroup(int rootfd, const char *id, enum brig_status *status,
                                       brig_error *reterr)
{
    _cleanup_state_ struct brig_state *st = load_with_status(rootfd, id, status, reterr);
    if (st == NULL)
        return NULL;
    if (st->cgroup == NULL) {
        brig_error_set(reterr, 0, "container `%s` has no cgroup", id);
        return NULL;
    }
    return brig_cgroup_deserialize(st->cgroup, reterr);
}

static int container_freeze(const char *root, const char *id, bool frozen, brig_error *reterr)
{
    _cleanup_close_ int rootfd = brig_state_root_open(root, reterr), lockfd = -1;
    _cleanup_cgroup_ struct brig_cgroup *cg = NULL;
    enum brig_status status, want = frozen ? BRIG_STATUS_RUNNING : BRIG_STATUS_PAUSED;

    if (rootfd < 0)
        return -1;
    lockfd = brig_state_lock(rootfd, id, reterr);
    if (lockfd < 0)
        return -1;
    cg = load_cgroup(rootfd, id, &status, reterr);
    if (cg == NULL)
        return -1;
    if (status != want)
        return brig_error_set(reterr, 0, "container `%s` is %s, not %s", id,
                              brig_status_name(status), brig_status_name(want));
    return brig_cgroup_freeze(cg, frozen, reterr);
}

int brig_container_pause(const char *root, const char *id, brig_error *reterr)
{
    if (container_freeze(root, id, true, reterr) < 0)
        return brig_error_wrap(reterr, "pause container `%s`", id);
    return 0;
}

int brig_container_resume(const char *root, const char *id, brig_error *reterr)
{
    if (container_freeze(root, id, false, reterr) < 0)
        return brig_error_wrap(reterr, "resume container `%s`", id);
    return 0;
}

int brig_container_ps(const char *root, const char *id, pid_t **ret_pids, size_t *ret_n,
                      brig_error *reterr)
{
    _cleanup_close_ int rootfd = brig_state_root_open(root, reterr);
    _cleanup_cgroup_ struct brig_cgroup *cg = NULL;
    enum brig_status status;

    if (rootfd < 0)
        return -1;
    cg = load_cgroup(rootfd, id, &status, reterr);
    if (cg == NULL)
        return -1;
    if (status == BRIG_STATUS_STOPPED) {
        *ret_pids = NULL;
        *ret_n = 0;
        return 0;
    }
    return brig_cgroup_pids(cg, ret_pids, ret_n, reterr);
}

int brig_container_update(const char *root, const char *id, const struct brig_spec_resources *res,
                          brig_error *reterr)
{
    _cleanup_close_ int rootfd = brig_state_root_open(root, reterr), lockfd = -1;
    _cleanup_cgroup_ struct brig_cgroup *cg = NULL;
    enum brig_status status;

    if (rootfd < 0)
        return -1;
    lockfd = brig_state_lock(rootfd, id, reterr);
    if (lockfd < 0)
        return -1;
    cg = load_cgroup(rootfd, id, &status, reterr);
    if (cg == NULL ||
        (status == BRIG_STATUS_STOPPED &&
         brig_error_set(reterr, 0, "container `%s` is stopped", id) < 0) ||
        brig_cgroup_update(cg, res, reterr) < 0)
        return brig_error_wrap(reterr, "update container `%s`", id);
    return 0;
}

int brig_container_list(const char *root, struct brig_container_info **ret, size_t *ret_n,
                        brig_error *reterr)
{
    _cleanup_close_ int rootfd = brig_state_root_open(root, reterr);
    _cleanup_strv_ char **ids = NULL;
    struct brig_container_info *v;
    size_t n = 0;

    if (rootfd < 0 || brig_state_list(rootfd, &ids, reterr) < 0)
        return -1;
    {
        /* Reservations whose container is gone (a runtime killed mid-create
         * whose directory was removed by hand, say) are freed here. */
        _cleanup_error_ brig_error err = NULL;
        size_t freed = 0;
        if (brig_mcs_reconcile(rootfd, &freed, &err) < 0)
            brig_log(BRIG_LOG_WARNING, "%s", err->msg);
    }
    v = brig_xmalloc0((brig_strv_len(ids) + 1) * sizeof(*v));
    for (char **id = ids; *id; id++) {
        _cleanup_error_ brig_error err = NULL;
        _cleanup_state_ struct brig_state *st = NULL;
        enum brig_status status;
        st = load_with_status(rootfd, *id, &status, &err);
        if (st == NULL) {
            if (err == NULL || err->errnum != ENOENT)
                continue;
            /* No state yet: a create in progress (it holds the lock) or
             * one killed before its first save.  Listed either way, so
             * that nothing under the root is invisible to `delete`. */
            v[n].id = brig_xstrdup(*id);
            v[n].status =
                brig_state_lock_busy(rootfd, *id) ? BRIG_STATUS_CREATING : BRIG_STATUS_STOPPED;
            n++;
            continue;
        }
        if (status == BRIG_STATUS_STOPPED && st->creating && brig_state_lock_busy(rootfd, *id))
            status = BRIG_STATUS_CREATING;
        v[n].id = brig_xstrdup(st->id);
        v[n].pid = status == BRIG_STATUS_STOPPED ? 0 : st->pid;
        v[n].status = status;
        v[n].bundle = brig_xstrdup(st->bundle);
        v[n].created = brig_xstrdup(st->created);
        v[n].owner = brig_xstrdup(st->owner);
        n++;
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

void brig_container_info_free(struct brig_container_info *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].id);
        free(v[i].bundle);
        free(v[i].created);
        free(v[i].owner);
    }
    free(v);
}

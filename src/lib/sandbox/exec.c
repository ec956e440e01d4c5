/* exec: a new process inside a running container.
 *
 * The runtime joins the container's pid namespace itself (setns on a pid
 * namespace only moves future children), forks, puts the child in the
 * container's cgroup, and the child joins the other namespaces and becomes
 * the process.  Success is the sync socket closing on execve (it is
 * O_CLOEXEC); any failure before that arrives as an error message. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "sandbox/caps.h"
#include "sandbox/container.h"
#include "sandbox/internal.h"
#include "selinux/label.h"

/* Join order: user first (it grants the rights for the others), mnt late
 * (after it our paths are the container's). */
static const struct {
    const char *name;
    int type;
} exec_ns[] = {
    {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS},
    {"net", CLONE_NEWNET},   {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS},
};

struct exec_child {
    int sock;
    int ns_fds[BRIG_ARRAY_SIZE(exec_ns)];
    bool joined_user;
    const struct brig_finish_ctx *finish;
    const struct brig_spec_process *p;
};

static __attribute__((noreturn)) void exec_child_run(struct exec_child *c)
{
    _cleanup_error_ brig_error err = NULL;
    _cleanup_free_ char *exe = NULL;
    struct brig_finish_ctx f = *c->finish;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* Until execve we are the runtime binary inside the container: keep
     * /proc/PID/exe out of its reach (CVE-2019-5736). */
    prctl(PR_SET_DUMPABLE, 0);
    if (brig_sync_expect(c->sock, BRIG_SYNC_GO, NULL, NULL, &err) < 0)
        _exit(1);
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(exec_ns); i++) {
        if (c->ns_fds[i] < 0)
            continue;
        if (setns(c->ns_fds[i], exec_ns[i].type) < 0) {
            brig_error_errno(&err, "join %s namespace", exec_ns[i].name);
            brig_sync_fail(c->sock, err);
        }
        close(c->ns_fds[i]);
    }
    if (c->p->terminal) {
        if (setsid() < 0) {
            brig_error_errno(&err, "setsid");
            brig_sync_fail(c->sock, err);
        }
        if (brig_process_setup_pty(c->sock, c->p, &err) < 0)
            brig_sync_fail(c->sock, err);
    }
    if (brig_process_chdir(c->p->cwd ? c->p->cwd : "/", &err) < 0 ||
        brig_process_set_rlimits(c->p, &err) < 0 || brig_process_find_exec(c->p, &exe, &err) < 0)
        brig_sync_fail(c->sock, err);
    if (c->p->has_oom_score_adj) {
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%d", c->p->oom_score_adj);
        if (brig_write_file_at(AT_FDCWD, "/proc/self/oom_score_adj", buf, (size_t)n, 0, &err) < 0)
            brig_sync_fail(c->sock, err);
    }
    f.path = exe;
    /* The death signal survives execve: the process must outlive a
     * runtime that exits (--detach) or is killed. */
    prctl(PR_SET_PDEATHSIG, 0);
    brig_process_finish(&f, &err);
    brig_sync_fail(c->sock, err);
}

static bool same_ns(pid_t pid, const char *name)
{
    char a[64], b[64];
    struct stat sa, sb;
    snprintf(a, sizeof(a), "/proc/%d/ns/%s", (int)pid, name);
    snprintf(b, sizeof(b), "/proc/self/ns/%s", name);
    if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
        return true;
    return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

static int container_exec(const struct brig_exec_opts *o, int *ret_status, brig_error *reterr)
{
    _cleanup_close_ int rootfd = -1, pidns = -1, master = -1, procfd = -1;
    _cleanup_state_ struct brig_state *st = NULL;
    _cleanup_spec_ struct brig_spec *spec = NULL;
    _cleanup_cgroup_ struct brig_cgroup *cg = NULL;
    _cleanup_free_ char *cfg_path = NULL, *data = NULL;
    struct brig_seccomp_filter *seccomp = NULL;
    struct brig_spec_process *p = o->process;
    struct brig_finish_ctx finish = {0};
    struct exec_child child = {.sock = -1};
    enum brig_status status;
    int socks[2] = {-1, -1}, ret = -1;
    bool selinux = brig_selinux_enabled();
    size_t len = 0;
    pid_t pid = -1;

    for (size_t i = 0; i < BRIG_ARRAY_SIZE(exec_ns); i++)
        child.ns_fds[i] = -1;
    if (p == NULL || p->args == NULL || p->args[0] == NULL)
        return brig_error_set(reterr, 0, "process.args: must be a non-empty array of strings");
    if (p->terminal && o->console_socket == NULL && o->detach)
        return brig_error_set(reterr, 0,
                              "process.terminal: --detach with a terminal needs "
                              "--console-socket");
    if (brig_validate_id(o->id, reterr) < 0)
        return -1;
    rootfd = brig_state_root_open(o->root, reterr);
    if (rootfd < 0)
        return -1;
    st = brig_state_load(rootfd, o->id, reterr);
    if (st == NULL || brig_state_status(rootfd, st, &status, reterr) < 0)
        return -1;
    if (status != BRIG_STATUS_RUNNING && status != BRIG_STATUS_CREATED)
        return brig_error_set(reterr, 0, "container `%s` is %s", o->id, brig_status_name(status));
    cfg_path = brig_xasprintf("%s/config.json", o->id);
    if (brig_read_file_at(rootfd, cfg_path, 16 << 20, &data, &len, reterr) < 0)
        return -1;
    spec = brig_spec_load_data(data, len, reterr);
    if (spec == NULL)
        return -1;
    if (st->cgroup && (cg = brig_cgroup_deserialize(st->cgroup, reterr)) == NULL)
        return -1;

    /* What the process does not say, it takes from the container. */
    if (!o->has_caps_override && spec->process->has_caps) {
        const struct brig_spec_caps *cc = &spec->process->caps;
        if (p->has_caps) { /* --cap: added to the container's */
            p->caps.bounding |= cc->bounding;
            p->caps.effective |= cc->effective;
            p->caps.permitted |= cc->permitted;
            p->caps.inheritable |= cc->inheritable;
            p->caps.ambient |= cc->ambient;
        } else {
            p->caps = *cc;
        }
        p->has_caps = true;
    }
    if (spec->process->no_new_privileges)
        p->no_new_privileges = true;
    if (p->env == NULL)
        p->env = brig_strv_dup(spec->process->env);
    if (spec->linux_.seccomp &&
        brig_seccomp_compile_cached(rootfd, spec->linux_.seccomp, &seccomp, reterr) < 0)
        return -1;
    finish.process = p;
    finish.seccomp = seccomp;
    finish.exec_label = p->selinux_label ? p->selinux_label : st->process_label;
    finish.selinux = selinux;
    finish.preserve_fds = o->preserve_fds;
    /* Decided here, in the host's mount namespace: the child reads nothing
     * that decides privileges after joining the container's (a fake
     * /proc/self/setgroups saying "deny" would keep the runtime's groups). */
    procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (procfd < 0) {
        brig_error_errno(reterr, "open `/proc`");
        goto out;
    }
    finish.deny_setgroups = brig_caps_setgroups_denied(procfd, st->pid);

    for (size_t i = 0; i < BRIG_ARRAY_SIZE(exec_ns); i++) {
        char path[64];
        if (same_ns(st->pid, exec_ns[i].name))
            continue;
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)st->pid, exec_ns[i].name);
        child.ns_fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (child.ns_fds[i] < 0) {
            brig_error_errno(reterr, "open `%s`", path);
            goto out;
        }
        if (exec_ns[i].type == CLONE_NEWUSER)
            child.joined_user = true;
    }
    if (!same_ns(st->pid, "pid")) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)st->pid);
        pidns = open(path, O_RDONLY | O_CLOEXEC);
        brig_sanitizer_check_leaks_now();
        if (pidns < 0 || setns(pidns, CLONE_NEWPID) < 0) {
            brig_error_errno(reterr, "join pid namespace of `%s`", o->id);
            goto out;
        }
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0) {
        brig_error_errno(reterr, "create sync socket");
        goto out;
    }
    child.sock = socks[1];
    child.finish = &finish;
    child.p = p;
    pid = fork();
    if (pid < 0) {
        brig_error_errno(reterr, "fork");
        goto out;
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        brig_signals_reset_ignored();
        close(socks[0]);
        exec_child_run(&child);
    }
    close(socks[1]);
    socks[1] = -1;
    if (cg && brig_cgroup_enter(cg, pid, reterr) < 0)
        goto out;
    if (brig_sync_send(socks[0], BRIG_SYNC_GO, NULL, 0, -1, reterr) < 0)
        goto out;
    for (;;) {
        _cleanup_free_ char *payload = NULL;
        char type;
        int fd = -1;
        if (brig_sync_recv(socks[0], &type, &payload, &fd, reterr) < 0) {
            if ((*reterr)->errnum != EPIPE)
                goto out;
            /* EOF: the socket closed on execve: the process runs. */
            brig_error_free(reterr);
            break;
        }
        if (type == BRIG_SYNC_ERROR) {
            brig_error_set(reterr, 0, "%s", payload);
            goto out;
        }
        if (type == BRIG_SYNC_PTY) {
            if (o->console_socket) {
                int r = brig_console_send(o->console_socket, fd, reterr);
                close(fd);
                if (r < 0)
                    goto out;
            } else {
                master = fd;
            }
        } else if (fd >= 0) {
            close(fd);
        }
    }
    if (o->pid_file) {
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
        if (brig_write_file_atomic_at(AT_FDCWD, o->pid_file, buf, (size_t)n, 0644, reterr) < 0)
            goto out;
    }
    if (o->detach) {
        pid = -1; /* left running, reparented when we exit */
        ret = 0;
        goto out;
    }
    ret = brig_wait_forward(pid, master, ret_status, reterr);
    pid = -1;
out:
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(exec_ns); i++)
        if (child.ns_fds[i] >= 0)
            close(child.ns_fds[i]);
    if (socks[0] >= 0)
        close(socks[0]);
    if (socks[1] >= 0)
        close(socks[1]);
    brig_seccomp_free(seccomp);
    return ret;
}

int brig_container_exec(const struct brig_exec_opts *o, int *ret_status, brig_error *reterr)
{
    *ret_status = 0;
    if (container_exec(o, ret_status, reterr) < 0)
        return brig_error_wrap(reterr, "exec in container `%s`", o->id);
    return 0;
}

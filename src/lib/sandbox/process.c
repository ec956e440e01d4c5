/* The container process: from the clone to execve of the user's program.
 *
 * Order matters and each step says why it is where it is:
 *   wait GO          the runtime has written id maps and put us in the cgroup,
 *                    so nothing below runs unmapped or unlimited
 *   join namespaces  by path (user first: it grants the rights for the rest)
 *   rootfs prepare   spec mounts, /dev
 *   MOUNTED/HOOKS    runtime runs prestart+createRuntime hooks meanwhile
 *   createContainer  hooks, in our namespaces, before pivot_root
 *   pivot, finalize  masked/readonly paths, read-only root
 *   sysctl, hostname, pty, rlimits, oom score, personality, cwd, exec lookup
 *   READY, exec.fifo wait until `start`
 *   startContainer   hooks
 *   label, caps+user, no_new_privs, seccomp, fd hygiene, execve
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "core/util.h"
#include "sandbox/caps.h"
#include "sandbox/hooks.h"
#include "sandbox/internal.h"
#include "sandbox/rootfs.h"
#include "selinux/label.h"

static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

int brig_process_find_exec(const struct brig_spec_process *p, char **ret, brig_error *reterr)
{
    const char *name = p->args[0], *path = default_path;
    _cleanup_free_ char *copy = NULL;
    char *save = NULL, *dir;
    int last_errno = ENOENT;

    if (strchr(name, '/') != NULL) {
        if (access(name, X_OK) < 0)
            return brig_error_errno(reterr, "exec `%s`", name);
        *ret = brig_xstrdup(name);
        return 0;
    }
    for (char **e = p->env; e && *e; e++)
        if (brig_str_has_prefix(*e, "PATH="))
            path = *e + 5;
    copy = brig_xstrdup(path);
    for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        _cleanup_free_ char *cand = brig_xasprintf("%s/%s", *dir ? dir : ".", name);
        struct stat st;
        if (stat(cand, &st) < 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        if (access(cand, X_OK) < 0) {
            last_errno = errno;
            continue;
        }
        *ret = TAKE_PTR(cand);
        return 0;
    }
    return brig_error_set(reterr, last_errno, "exec `%s`: executable file not found in $PATH",
                          name);
}

int brig_process_set_rlimits(const struct brig_spec_process *p, brig_error *reterr)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
        if (setrlimit(p->rlimits[i].resource, &rl) < 0)
            return brig_error_errno(reterr, "process.rlimits[%zu]: set limit", i);
    }
    return 0;
}

int brig_process_chdir(const char *cwd, brig_error *reterr)
{
    char buf[PATH_MAX];

    /* A missing cwd is created (runc and crun do); we are inside the
     * container root here, so the path cannot lead out. */
    if (chdir(cwd) < 0) {
        if (errno != ENOENT)
            return brig_error_errno(reterr, "process.cwd: chdir `%s`", cwd);
        if (brig_mkdir_p_at(AT_FDCWD, cwd, 0755, reterr) < 0)
            return brig_error_wrap(reterr, "process.cwd: create `%s`", cwd);
        if (chdir(cwd) < 0)
            return brig_error_errno(reterr, "process.cwd: chdir `%s`", cwd);
    }
    /* A cwd reached through a host directory fd is outside our root; the
     * kernel then prefixes getcwd's answer with "(unreachable)". */
    if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
        return brig_error_set(reterr, EPERM, "process.cwd: `%s` is outside the container root",
                              cwd);
    return 0;
}

int brig_process_setup_pty(int sync_sock, const struct brig_spec_process *p, brig_error *reterr)
{
    _cleanup_close_ int master = -1, slave = -1;
    int unlock = 0;

    master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return brig_error_errno(reterr, "open `/dev/ptmx`");
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
        return brig_error_errno(reterr, "unlock pty");
    /* TIOCGPTPEER opens the slave through the master, not by a path a
     * container could have replaced. */
    slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        return brig_error_errno(reterr, "open pty peer");
    if (p->has_console_size) {
        struct winsize ws = {.ws_row = (unsigned short)p->console_height,
                             .ws_col = (unsigned short)p->console_width};
        ioctl(slave, TIOCSWINSZ, &ws);
    }
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return brig_error_errno(reterr, "set controlling terminal");
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0)
            return brig_error_errno(reterr, "dup pty onto fd %d", fd);
    if (brig_sync_send(sync_sock, BRIG_SYNC_PTY, NULL, 0, master, reterr) < 0)
        return -1;
    return 0;
}

int brig_process_finish(const struct brig_finish_ctx *f, brig_error *reterr)
{
    const struct brig_spec_process *p = f->process;
    struct brig_spec_caps caps = {0};

    if (f->selinux && f->exec_label != NULL && brig_label_set_exec(f->exec_label, reterr) < 0)
        return -1;
    if (p->has_caps)
        caps = p->caps;
    /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
     * caps step may drop: load it first then (as runc does). */
    if (f->seccomp != NULL && !p->no_new_privileges && brig_seccomp_load(f->seccomp, reterr) < 0)
        return -1;
    /* No capabilities object: the process keeps what it has (runc and crun
     * agree); only the user changes. */
    if (p->has_caps ? brig_caps_apply(&caps, &p->user, f->deny_setgroups, reterr) < 0
                    : brig_caps_set_user(&p->user, f->deny_setgroups, reterr) < 0)
        return -1;
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return brig_error_errno(reterr, "set no_new_privs");
    if (p->user.has_umask)
        umask(p->user.umask);
    else
        umask(022);
    if (brig_fds_cloexec_from(3 + f->preserve_fds, reterr) < 0)
        return -1;
    /* Last: from here every syscall is filtered, so nothing but execve. */
    if (f->seccomp != NULL && p->no_new_privileges && brig_seccomp_load(f->seccomp, reterr) < 0)
        return -1;
    execve(f->path, p->args, p->env ? p->env : (char *[]){NULL});
    return brig_error_errno(reterr, "exec `%s`", p->args[0]);
}

static int init_join_namespaces(struct brig_init_ctx *c, brig_error *reterr)
{
    /* The user namespace first: joining it is what grants the capabilities
     * needed to join the others. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < c->n_ns; i++) {
            bool is_user = c->ns_types[i] == CLONE_NEWUSER;
            if ((pass == 0) != is_user || c->ns_fds[i] < 0)
                continue;
            if (setns(c->ns_fds[i], c->ns_types[i]) < 0)
                return brig_error_errno(reterr, "join namespace");
            close(c->ns_fds[i]);
            c->ns_fds[i] = -1;
        }
    }
    if (c->new_ns_flags != 0 && unshare(c->new_ns_flags) < 0)
        return brig_error_errno(reterr, "create namespaces");
    return 0;
}

static int init_sysctl(const struct brig_spec *spec, brig_error *reterr)
{
    for (size_t i = 0; i < spec->linux_.n_sysctl; i++) {
        const char *key = spec->linux_.sysctl[i].key, *val = spec->linux_.sysctl[i].value;
        _cleanup_free_ char *path = NULL;

        if (strstr(key, "..") != NULL || key[0] == '/' || key[0] == '.')
            return brig_error_set(reterr, 0, "linux.sysctl: invalid key `%s`", key);
        path = brig_xasprintf("/proc/sys/%s", key);
        for (char *s = path + strlen("/proc/sys/"); *s; s++)
            if (*s == '.')
                *s = '/';
        if (brig_write_file_at(AT_FDCWD, path, val, strlen(val), 0, reterr) < 0)
            return brig_error_wrap(reterr, "linux.sysctl: set `%s`", key);
    }
    return 0;
}

static int init_wait_start(struct brig_init_ctx *c, brig_error *reterr)
{
    char b;
    ssize_t n;

    if (c->fifo_fd < 0)
        return 0;
    /* Block on the fd the runtime opened (O_RDWR) before the clone, never
     * on a path: the state directory is out of reach after pivot_root and
     * /proc/self/fd needs a /proc the config may not mount.  Holding the
     * write side too, we never see EOF; `start` writes the byte. */
    do
        n = read(c->fifo_fd, &b, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        return brig_error_set(reterr, n < 0 ? errno : 0, "wait on exec fifo");
    close(c->fifo_fd);
    c->fifo_fd = -1;
    return 0;
}

/* A new network namespace starts with `lo` down; runc and crun bring it
 * up, and programs expect 127.0.0.1 to work with --network none. */
static int init_loopback_up(brig_error *reterr)
{
    struct ifreq ifr = {0};
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return brig_error_errno(reterr, "bring up loopback: socket");
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return brig_error_errno(reterr, "bring up loopback: get flags");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        return brig_error_errno(reterr, "bring up loopback");
    return 0;
}

void brig_init_run(struct brig_init_ctx *c)
{
    _cleanup_error_ brig_error err = NULL;
    const struct brig_spec *spec = c->spec;
    const struct brig_spec_process *p = spec->process;
    _cleanup_free_ char *state_json = NULL, *exe = NULL;
    struct brig_rootfs_ctx rc = {
        .spec = spec,
        .rootfs = c->rootfs,
        .cg = c->cg,
        .new_cgroupns = c->new_cgroupns,
        .in_userns = c->new_userns,
        .no_pivot = c->no_pivot,
        .mount_label = c->selinux ? c->mount_label : NULL,
        .proc_fd = c->host_proc_fd,
    };
    int sock = c->sync_sock;

    /* Until `create` returns, a dead runtime means a dead container: no
     * half-made container may outlive it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* Until execve this process is the runtime binary living in the
     * container's namespaces: non-dumpable, /proc/PID/exe cannot be opened
     * by the container's processes (CVE-2019-5736).  execve resets it. */
    prctl(PR_SET_DUMPABLE, 0);
    if (getppid() == 1)
        _exit(1);
    if (brig_sync_expect(sock, BRIG_SYNC_GO, NULL, NULL, &err) < 0)
        _exit(1);
    if (c->new_userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
        brig_error_errno(&err, "become root in the user namespace (is uid 0 mapped?)");
        brig_sync_fail(sock, err);
    }
    if (init_join_namespaces(c, &err) < 0)
        brig_sync_fail(sock, err);
    /* Read through the host's /proc, opened by the runtime before the
     * clone: a joined mount namespace could show a /proc of the container's
     * making, and the answer decides whether the runtime's own groups are
     * replaced. */
    if (c->host_proc_fd >= 0)
        c->deny_setgroups = brig_caps_setgroups_denied(c->host_proc_fd, 0);
    if (c->new_utsns) {
        if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
            brig_error_errno(&err, "hostname: set `%s`", spec->hostname);
            brig_sync_fail(sock, err);
        }
        if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0) {
            brig_error_errno(&err, "domainname: set `%s`", spec->domainname);
            brig_sync_fail(sock, err);
        }
    }
    if (c->new_netns && init_loopback_up(&err) < 0)
        brig_sync_fail(sock, err);
    /* Relative bind sources are relative to the bundle. */
    if (c->bundle && chdir(c->bundle) < 0) {
        brig_error_errno(&err, "chdir to bundle `%s`", c->bundle);
        brig_sync_fail(sock, err);
    }
    if (brig_rootfs_prepare(&rc, &err) < 0)
        brig_sync_fail(sock, err);
    if (brig_sync_send(sock, BRIG_SYNC_MOUNTED, NULL, 0, -1, &err) < 0 ||
        brig_sync_expect(sock, BRIG_SYNC_HOOKS, &state_json, NULL, &err) < 0)
        _exit(1);
    if (brig_hooks_run(BRIG_HOOK_CREATE_CONTAINER, spec->hooks.hooks[BRIG_HOOK_CREATE_CONTAINER],
                       spec->hooks.n_hooks[BRIG_HOOK_CREATE_CONTAINER], state_json, &err) < 0)
        brig_sync_fail(sock, err);
    /* sysctls and the pty before finalize: /proc/sys is usually among the
     * read-only paths and /dev may be read-only, which would stop us too. */
    if (brig_rootfs_pivot(&rc, &err) < 0 || init_sysctl(spec, &err) < 0)
        brig_sync_fail(sock, err);
    if (setsid() < 0) {
        brig_error_errno(&err, "setsid");
        brig_sync_fail(sock, err);
    }
    if (p->terminal && brig_process_setup_pty(sock, p, &err) < 0)
        brig_sync_fail(sock, err);
    if (brig_rootfs_finalize(&rc, &err) < 0)
        brig_sync_fail(sock, err);
    /* The runtime's /proc served only the steps above: nothing of the
     * host's stays open in the container from here. */
    if (c->host_proc_fd >= 0) {
        close(c->host_proc_fd);
        c->host_proc_fd = -1;
        rc.proc_fd = -1;
    }
    if (brig_process_set_rlimits(p, &err) < 0)
        brig_sync_fail(sock, err);
    /* In a user namespace a non-dumpable process's /proc/self files belong
     * to the host's root, and we may not write our own oom_score_adj or
     * attr/exec; the container has no other process yet that could use the
     * window. */
    if (c->new_userns)
        prctl(PR_SET_DUMPABLE, 1);
    if (p->has_oom_score_adj) {
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
        if (brig_write_file_at(AT_FDCWD, "/proc/self/oom_score_adj", buf, (size_t)n, 0, &err) < 0)
            brig_sync_fail(sock, err);
    }
    if (spec->linux_.has_personality && personality(spec->linux_.personality) < 0) {
        brig_error_errno(&err, "linux.personality: set");
        brig_sync_fail(sock, err);
    }
    if (!c->no_new_keyring) {
        const char *kl = c->selinux ? c->process_label : NULL;
        if ((kl ? brig_label_set_keyring(kl, &err) : brig_keyring_join_new(NULL, &err)) < 0)
            brig_sync_fail(sock, err);
    }
    if (brig_process_chdir(p->cwd, &err) < 0)
        brig_sync_fail(sock, err);
    /* Look the program up now, so a typo fails `create`, not `start`. */
    if (brig_process_find_exec(p, &exe, &err) < 0)
        brig_sync_fail(sock, err);

    /* From here the runtime that created us exits: do not die with it. */
    prctl(PR_SET_PDEATHSIG, 0);
    if (brig_sync_send(sock, BRIG_SYNC_READY, NULL, 0, -1, &err) < 0)
        _exit(1);
    close(sock);
    if (init_wait_start(c, &err) < 0)
        goto fail;
    if (brig_hooks_run(BRIG_HOOK_START_CONTAINER, spec->hooks.hooks[BRIG_HOOK_START_CONTAINER],
                       spec->hooks.n_hooks[BRIG_HOOK_START_CONTAINER], state_json, &err) < 0)
        goto fail;
    {
        struct brig_finish_ctx f = {
            .process = p,
            .seccomp = c->seccomp,
            .exec_label = c->process_label,
            .selinux = c->selinux,
            .preserve_fds = c->preserve_fds,
            .deny_setgroups = c->deny_setgroups,
            .path = exe,
        };
        brig_process_finish(&f, &err);
    }
fail:
    /* Past READY nobody listens on the sync socket: the container's own
     * stderr is where the user looks. */
    dprintf(2, "brig-runtime: %s\n", err ? err->msg : "container init failed");
    _exit(127);
}

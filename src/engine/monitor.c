/* The per-container monitor (see monitor.h): its start, its main loop, and
 * the records it leaves (monitor.pid, exit.json).  The attached client's
 * side of monitor_start lives in monitor_client.c.
 *
 * Start path cost matters (`brig run --rm IMG /bin/true`): no exec, no
 * threads; one extra fork for the daemonizing double fork, a handful of
 * pipes, and one status line back to the caller. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "core/util.h"
#include "logfile.h"
#include "monitor.h"
#include "monitor_internal.h"
#include "sandbox/container.h"
#include "state/state.h"

#define EXIT_FILE "exit.json"
#define PID_FILE "monitor.pid"

/* ---- records ------------------------------------------------------------- */

/* /proc/PID/stat: the state letter and the start time (field 22). */
static int proc_stat(pid_t pid, char *ret_state, uint64_t *ret_start)
{
    char path[64], buf[1024];
    _cleanup_close_ int fd = -1;
    ssize_t n;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    /* comm may hold spaces and parentheses: fields start after the last ')'. */
    char *p = strrchr(buf, ')');
    if (p == NULL || p[1] != ' ')
        return -1;
    p += 2;
    *ret_state = *p;
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (p == NULL)
            return -1;
        p++;
    }
    *ret_start = strtoull(p, NULL, 10);
    return 0;
}

pid_t monitor_pid(const char *ctr_dir)
{
    _cleanup_free_ char *path = brig_xasprintf("%s/" PID_FILE, ctr_dir), *buf = NULL;
    _cleanup_error_ brig_error err = NULL;
    unsigned long long start = 0, now = 0;
    size_t len;
    int pid = 0;
    char state;

    if (brig_read_file_at(AT_FDCWD, path, 128, &buf, &len, &err) < 0)
        return 0;
    if (sscanf(buf, "%d %llu", &pid, &start) != 2 || pid <= 0)
        return 0;
    /* The pid alone proves nothing after a reboot or a crash: it must be
     * the same process (start time), and alive (not a zombie). */
    if (proc_stat(pid, &state, (uint64_t *)&now) < 0 || now != start || state == 'Z' ||
        state == 'X')
        return 0;
    return (pid_t)pid;
}

int monitor_wait_done(const char *ctr_dir, int timeout_ms)
{
    pid_t pid = monitor_pid(ctr_dir);
    _cleanup_close_ int pidfd = -1;

    if (pid == 0)
        return 0;
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    /* Opened after the check: make sure the pid still is the monitor. */
    if (pidfd < 0 || monitor_pid(ctr_dir) != pid)
        return 0;
    for (;;) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        int r = poll(&p, 1, timeout_ms);
        if (r > 0)
            return 0;
        if (r == 0)
            return 1;
        if (errno != EINTR)
            return 0;
    }
}

int monitor_read_exit(const char *ctr_dir, struct monitor_exit *ret, brig_error *reterr)
{
    _cleanup_free_ char *path = brig_xasprintf("%s/" EXIT_FILE, ctr_dir), *buf = NULL;
    json_object *o, *v;
    size_t len;

    memset(ret, 0, sizeof(*ret));
    if (brig_read_file_at(AT_FDCWD, path, 4096, &buf, &len, reterr) < 0) {
        if ((*reterr)->errnum == ENOENT) {
            brig_error_free(reterr);
            return 1;
        }
        return -1;
    }
    o = json_tokener_parse(buf);
    if (o == NULL || !json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, "ExitCode", &v) || !json_object_is_type(v, json_type_int)) {
        json_object_put(o);
        return brig_error_set(reterr, 0, "`%s`: not an exit record", path);
    }
    ret->exit_code = json_object_get_int(v);
    if (json_object_object_get_ex(o, "FinishedAt", &v) && json_object_is_type(v, json_type_string))
        ret->finished_at = brig_xstrdup(json_object_get_string(v));
    if (json_object_object_get_ex(o, "OOMKilled", &v))
        ret->oom_killed = json_object_get_boolean(v);
    json_object_put(o);
    return 0;
}

void monitor_exit_clear(struct monitor_exit *x)
{
    free(x->finished_at);
    x->finished_at = NULL;
}

void monitor_clear_exit(const char *ctr_dir)
{
    _cleanup_free_ char *path = brig_xasprintf("%s/" EXIT_FILE, ctr_dir);
    unlink(path);
}

/* ---- the monitor process ------------------------------------------------- */

/* An fd we own and poll, with at most one pending chunk toward its
 * destination (for stdin: the caller's bytes not yet taken by the
 * container). */
struct mon {
    const struct monitor_opts *o;
    struct logfile *log;
    int report;          /* to the caller: "ok", "err MSG", "exit N" lines */
    int winch;           /* from the attached caller: one byte per SIGWINCH */
    int sfd;             /* signalfd: SIGCHLD */
    int out, err;        /* read ends of the container's stdout/stderr (or the pty master in out) */
    int in;              /* write end of the container's stdin (or the pty master) */
    int cin, cout, cerr; /* the attached caller's stdin/stdout/stderr, -1 when not attached */
    bool cin_open, cout_ok;
    char inbuf[8192];
    size_t inlen, inoff;
};

static void mon_report(struct mon *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mon_report(struct mon *m, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    int n;
    if (m->report < 0)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    /* One line, whatever the message holds. */
    for (int i = 0; i < n; i++)
        if (buf[i] == '\n')
            buf[i] = ' ';
    buf[n++] = '\n';
    brig_write_all(m->report, buf, (size_t)n);
}

/* Copy to the attached caller; on any failure (EPIPE: its reader went,
 * EIO: its terminal hung up) stop copying and keep logging. */
static void mon_to_client(struct mon *m, int fd, const char *p, size_t n)
{
    while (m->cout_ok && n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            poll(&pf, 1, -1);
            continue;
        }
        if (w <= 0) {
            m->cout_ok = false;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Read once from a container output; false at EOF (or EIO on a pty whose
 * slave side is closed everywhere). */
static bool mon_copy_out(struct mon *m, int fd, enum log_stream s)
{
    char buf[65536];
    _cleanup_error_ brig_error err = NULL;
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    /* A full disk must not stop the container: the bytes still reach an
     * attached client, and the next write tries again. */
    logfile_write(m->log, s, buf, (size_t)n, &err);
    if (m->cout >= 0)
        mon_to_client(m, s == LOG_STDERR ? m->cerr : m->cout, buf, (size_t)n);
    return true;
}

static void mon_close_in(struct mon *m)
{
    /* With a pty the master is also the output: EOF of the caller's
     * stdin only stops the copy (docker does the same with -t). */
    if (m->in >= 0 && m->in != m->out)
        close(m->in);
    m->in = -1;
    m->cin_open = false;
}

/* The caller's stdin into the container, never blocking on a container
 * that does not read: at most one chunk is pending. */
static void mon_copy_in(struct mon *m, short cin_ev, short in_ev)
{
    if (m->inlen == 0 && (cin_ev & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = read(m->cin, m->inbuf, sizeof(m->inbuf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        if (n <= 0) {
            mon_close_in(m);
            return;
        }
        m->inlen = (size_t)n;
        m->inoff = 0;
        in_ev = POLLOUT;
    }
    if (m->inlen > 0 && (in_ev & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t w = write(m->in, m->inbuf + m->inoff, m->inlen - m->inoff);
        if (w < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        if (w < 0) { /* EPIPE: the container closed its stdin */
            m->inlen = 0;
            mon_close_in(m);
            return;
        }
        m->inoff += (size_t)w;
        if (m->inoff == m->inlen)
            m->inlen = 0;
    }
}

static void mon_set_winsize(struct mon *m)
{
    struct winsize ws;
    if ((m->cin >= 0 && ioctl(m->cin, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) ||
        (m->cout >= 0 && ioctl(m->cout, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0))
        ioctl(m->out, TIOCSWINSZ, &ws);
}

/* Wait for the init's exit, copying everything meanwhile. */
static int mon_loop(struct mon *m)
{
    bool out_open = true, err_open = m->err >= 0;
    int status = 0;

    for (;;) {
        struct pollfd p[6] = {
            {.fd = m->sfd, .events = POLLIN},
            {.fd = out_open ? m->out : -1, .events = POLLIN},
            {.fd = err_open ? m->err : -1, .events = POLLIN},
            {.fd = m->cin_open && m->inlen == 0 ? m->cin : -1, .events = POLLIN},
            {.fd = m->inlen > 0 ? m->in : -1, .events = POLLOUT},
            {.fd = m->winch, .events = POLLIN},
        };
        if (poll(p, 6, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            out_open = mon_copy_out(m, m->out, LOG_STDOUT);
        if (p[2].revents)
            err_open = mon_copy_out(m, m->err, LOG_STDERR);
        if (p[3].revents || p[4].revents)
            mon_copy_in(m, p[3].revents, p[4].revents);
        if (p[5].revents) {
            char b[64];
            ssize_t n = read(m->winch, b, sizeof(b));
            if (n > 0)
                mon_set_winsize(m);
            else if (n == 0 || errno != EAGAIN) {
                /* The caller is gone: no more resizes. */
                close(m->winch);
                m->winch = -1;
            }
        }
        if (p[0].revents) {
            struct signalfd_siginfo si;
            while (read(m->sfd, &si, sizeof(si)) == sizeof(si))
                ;
            /* The init is our only child (libbrig reaps its hooks itself). */
            if (waitpid(-1, &status, WNOHANG) > 0)
                break;
        }
    }
    /* Drain: every process of the container's pid namespace is gone with
     * its init, so the pipes report EOF once their data is read.  Stop at
     * EAGAIN too, in case a process outside it (shared pid namespace) still
     * holds a pipe. */
    while (out_open || err_open) {
        struct pollfd p[2] = {{.fd = out_open ? m->out : -1, .events = POLLIN},
                              {.fd = err_open ? m->err : -1, .events = POLLIN}};
        if (poll(p, 2, 0) <= 0)
            break;
        if (p[0].revents)
            out_open = mon_copy_out(m, m->out, LOG_STDOUT);
        if (p[1].revents)
            err_open = mon_copy_out(m, m->err, LOG_STDERR);
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 255;
}

/* Did the kernel OOM-kill anything in the container's cgroup?  Read from
 * the serialized cgroup in the runtime state before delete removes it:
 * memory.events (v2, or the unified tree of hybrid) or v1's
 * memory.oom_control, both counting `oom_kill`. */
static bool mon_oom_killed(const char *run_root, const char *id)
{
    _cleanup_close_ int rootfd = -1;
    _cleanup_state_ struct brig_state *st = NULL;
    _cleanup_error_ brig_error err = NULL;
    _cleanup_free_ char *copy = NULL;
    char *save = NULL;
    bool oom = false;

    rootfd = open(run_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return false;
    st = brig_state_load(rootfd, id, &err);
    if (st == NULL || st->cgroup == NULL)
        return false;
    copy = brig_xstrdup(st->cgroup);
    /* "h\tKIND\tCREATED\tCONTROLLERS\tMOUNTPOINT\tPATH" lines. */
    for (char *line = strtok_r(copy, "\n", &save); line && !oom;
         line = strtok_r(NULL, "\n", &save)) {
        char *f[6], *fs = NULL, *file;
        size_t k = 0;
        for (char *t = strtok_r(line, "\t", &fs); t && k < 6; t = strtok_r(NULL, "\t", &fs))
            f[k++] = t;
        if (k != 6 || strcmp(f[0], "h") != 0)
            continue;
        if (strcmp(f[1], "unified") == 0)
            file = "memory.events";
        else if (strcmp(f[1], "v1") == 0 && strstr(f[3], "memory"))
            file = "memory.oom_control";
        else
            continue;
        _cleanup_free_ char *path = brig_xasprintf("%s%s/%s", f[4], f[5], file), *buf = NULL;
        size_t len;
        if (brig_read_file_at(AT_FDCWD, path, 4096, &buf, &len, &err) < 0) {
            brig_error_free(&err);
            continue;
        }
        char *p = strstr(buf, "oom_kill ");
        if (p && (p == buf || p[-1] == '\n'))
            oom = strtoull(p + 9, NULL, 10) > 0;
    }
    return oom;
}

static void mon_record_exit(int ctr_dirfd, int code, bool oom)
{
    _cleanup_free_ char *now = brig_now_rfc3339(), *json = NULL;
    _cleanup_error_ brig_error err = NULL;
    json = brig_xasprintf("{\"ExitCode\":%d,\"FinishedAt\":\"%s\",\"OOMKilled\":%s}\n", code, now,
                          oom ? "true" : "false");
    brig_write_file_atomic_at(ctr_dirfd, EXIT_FILE, json, strlen(json), 0644, &err);
}

/* The console socket: a listener in a private directory (sun_path is 108
 * bytes, so not under a deep storage root).  libbrig connects and sends
 * the master during create; the connection waits in the backlog until we
 * accept it after create returns, so one process suffices. */
static int console_listen(char dir[static 64], char path[static 80], brig_error *reterr)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd;
    snprintf(dir, 64, "/tmp/brig-console-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        dir[0] = 0;
        return brig_error_errno(reterr, "create console socket directory");
    }
    snprintf(path, 80, "%s/sock", dir);
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1) < 0) {
        brig_error_errno(reterr, "listen on console socket `%s`", path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int console_receive(int lfd, brig_error *reterr)
{
    _cleanup_close_ int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    char name[64], cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *cm;
    int fd = -1;

    if (conn < 0)
        return brig_error_errno(reterr, "accept on console socket");
    if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) < 0)
        return brig_error_errno(reterr, "receive the pty master");
    cm = CMSG_FIRSTHDR(&msg);
    if (cm == NULL || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
        cm->cmsg_len != CMSG_LEN(sizeof(int)))
        return brig_error_set(reterr, EPROTO, "receive the pty master");
    memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    return fd;
}

static void mon_log_cb(int level, const char *msg, void *data)
{
    /* libbrig's warnings are brig's, not the container's: never in its log
     * (`brig logs` shows what the container wrote).  An attached caller
     * sees them on its stderr, as brig itself would print them. */
    struct mon *m = data;
    if (level <= BRIG_LOG_WARNING && m->cerr >= 0)
        dprintf(m->cerr, "%s: %s: %s\n", "brig", level == BRIG_LOG_ERROR ? "error" : "warning",
                msg);
}

/* Close every fd but ours: the caller's others (a lock, a socket) must not
 * stay open for the container's whole life. */
static void mon_close_others(const int *keep, size_t n)
{
    int sorted[16];
    unsigned from = 3;
    memcpy(sorted, keep, n * sizeof(int));
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            int t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        if (sorted[i] < (int)from)
            continue;
        if ((unsigned)sorted[i] > from)
            syscall(SYS_close_range, from, (unsigned)sorted[i] - 1, 0);
        from = (unsigned)sorted[i] + 1;
    }
    syscall(SYS_close_range, from, ~0U, 0);
}

/* Set up stdio, create and start the container; report the result.
 * Returns 0 when the container runs. */
static int mon_start_container(struct mon *m, brig_error *reterr)
{
    const struct monitor_opts *o = m->o;
    int pout[2] = {-1, -1}, perr[2] = {-1, -1}, pin[2] = {-1, -1}, lfd = -1, r = -1;
    char cdir[64] = "", cpath[80] = "";
    struct brig_create_opts co = {.root = o->run_root, .id = o->id, .bundle = o->bundle};
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);

    if (null < 0)
        return brig_error_errno(reterr, "open `/dev/null`");
    if (o->tty) {
        lfd = console_listen(cdir, cpath, reterr);
        if (lfd < 0)
            goto out;
        co.console_socket = cpath;
        /* The init makes the pty its stdio; hooks get nothing. */
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    } else {
        if (pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0 ||
            (o->open_stdin && pipe2(pin, O_CLOEXEC) < 0)) {
            brig_error_errno(reterr, "create stdio pipes");
            goto out;
        }
        /* libbrig's init inherits 0-2 (dup2 clears close-on-exec). */
        dup2(o->open_stdin ? pin[0] : null, 0);
        dup2(pout[1], 1);
        dup2(perr[1], 2);
    }
    r = brig_container_create(&co, reterr);
    /* Our own 0-2 go back to /dev/null at once: a copy of the container's
     * pipe ends here would keep them from ever reporting EOF. */
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (r < 0)
        goto out;
    r = -1;
    if (o->tty) {
        int master = console_receive(lfd, reterr);
        if (master < 0)
            goto fail_delete;
        m->out = master;
        m->in = o->open_stdin ? master : -1;
        fcntl(master, F_SETFL, O_NONBLOCK);
        mon_set_winsize(m);
    } else {
        m->out = TAKE_FD(pout[0]);
        m->err = TAKE_FD(perr[0]);
        fcntl(m->out, F_SETFL, O_NONBLOCK);
        fcntl(m->err, F_SETFL, O_NONBLOCK);
        if (o->open_stdin) {
            m->in = TAKE_FD(pin[1]);
            fcntl(m->in, F_SETFL, O_NONBLOCK);
        }
    }
    if (brig_container_start(o->run_root, o->id, reterr) < 0)
        goto fail_delete;
    r = 0;
    goto out;

fail_delete : {
    _cleanup_error_ brig_error e2 = NULL;
    brig_container_delete(o->run_root, o->id, true, &e2);
}
out:
    if (lfd >= 0)
        close(lfd);
    if (cpath[0])
        unlink(cpath);
    if (cdir[0])
        rmdir(cdir);
    for (int i = 0; i < 2; i++) {
        if (pout[i] >= 0)
            close(pout[i]);
        if (perr[i] >= 0)
            close(perr[i]);
        if (pin[i] >= 0)
            close(pin[i]);
    }
    close(null);
    return r;
}

static int mon_write_pid(int ctr_dirfd, brig_error *reterr)
{
    char buf[64], state;
    uint64_t start = 0;
    pid_t self = getpid();
    if (proc_stat(self, &state, &start) < 0)
        return brig_error_errno(reterr, "read own start time");
    int n = snprintf(buf, sizeof(buf), "%d %llu\n", (int)self, (unsigned long long)start);
    return brig_write_file_atomic_at(ctr_dirfd, PID_FILE, buf, (size_t)n, 0644, reterr);
}

/* A path that stays right after chdir("/"). */
static const char *mon_abs(const char *path, const char *cwd)
{
    if (path == NULL || path[0] == '/' || cwd == NULL)
        return path;
    return brig_xasprintf("%s/%s", cwd, path);
}

void monitor_main(const struct monitor_opts *opts, int report, int winch, bool attach)
{
    _cleanup_error_ brig_error err = NULL;
    _cleanup_free_ char *cwd = getcwd(NULL, 0);
    struct monitor_opts abs = *opts, *o = &abs;
    struct mon m = {.o = o,
                    .report = report,
                    .winch = winch,
                    .sfd = -1,
                    .out = -1,
                    .err = -1,
                    .in = -1,
                    .cin = -1,
                    .cout = -1,
                    .cerr = -1};
    sigset_t mask;
    int dirfd = -1, code;

    /* The caller blocked signals around the fork; ours start clean. */
    /* SIG_IGN survives execve: the container must not inherit an ignored
     * signal from the caller (nohup's SIGHUP) or from us (SIGPIPE below,
     * set only once the init is cloned).  libbrig's init does not reset
     * dispositions itself. */
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    /* `ps` shows what it is (argv stays the caller's). */
    prctl(PR_SET_NAME, "brig-monitor");
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_SETMASK, &mask, NULL);
    abs.run_root = mon_abs(opts->run_root, cwd);
    abs.bundle = mon_abs(opts->bundle, cwd);
    abs.ctr_dir = mon_abs(opts->ctr_dir, cwd);

    if (attach) {
        m.cin = fcntl(0, F_DUPFD_CLOEXEC, 3);
        m.cout = fcntl(1, F_DUPFD_CLOEXEC, 3);
        m.cerr = fcntl(2, F_DUPFD_CLOEXEC, 3);
        m.cout_ok = m.cout >= 0 && m.cerr >= 0;
        m.cin_open = o->open_stdin && m.cin >= 0;
    }
    {
        int keep[] = {report, winch, m.cin, m.cout, m.cerr};
        int k[5];
        size_t n = 0;
        for (size_t i = 0; i < 5; i++)
            if (keep[i] >= 0)
                k[n++] = keep[i];
        mon_close_others(k, n);
    }
    m.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    dirfd = open(o->ctr_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (m.sfd < 0 || dirfd < 0) {
        if (m.sfd < 0)
            mon_report(&m, "err start container `%s`: signalfd: %s", o->id, strerror(errno));
        else
            mon_report(&m, "err start container `%s`: open container directory `%s`: %s", o->id,
                       o->ctr_dir, strerror(errno));
        _exit(1);
    }
    /* First, so that from the moment a container may exist, whoever looks
     * (`brig ps`, `wait`, `rm`) sees the monitor that will record its end. */
    if (mon_write_pid(dirfd, &err) < 0) {
        mon_report(&m, "err start container `%s`: %s", o->id, err->msg);
        _exit(1);
    }
    if (logfile_open(o->ctr_dir, o->log_max_size, o->log_max_files, &m.log, &err) < 0 ||
        (brig_set_log(mon_log_cb, &m), mon_start_container(&m, &err)) < 0) {
        logfile_close(m.log);
        unlinkat(dirfd, PID_FILE, 0);
        mon_report(&m, "err %s", err->msg);
        _exit(1);
    }
    /* A gone attached caller must not kill us through its pipe (EPIPE
     * instead), nor its terminal's hangup. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    mon_report(&m, "ok");
    if (!attach) {
        close(m.report);
        m.report = -1;
    }
    /* Off the caller's directory: it may be a mount someone will unmount. */
    if (chdir("/") < 0) {
    }

    code = mon_loop(&m);
    logfile_close(m.log);
    m.log = NULL;
    mon_record_exit(dirfd, code, mon_oom_killed(o->run_root, o->id));
    /* A cgroup can stay busy for a moment after its last task is reaped
     * (libbrig retries briefly; a loaded host may need longer).  Retry
     * before giving up: what is left here stays for `brig rm` to finish. */
    for (int i = 0; i < 5 && brig_container_delete(o->run_root, o->id, true, &err) < 0; i++) {
        bool gone = strstr(err->msg, "does not exist") != NULL;
        brig_error_free(&err);
        if (gone)
            break;
        usleep(100 * 1000);
    }
    if (o->cleanup)
        o->cleanup(o->cleanup_data, code);
    unlinkat(dirfd, PID_FILE, 0);
    mon_report(&m, "exit %d", code);
    if (o->after_report)
        o->after_report(o->cleanup_data);
    _exit(0);
}

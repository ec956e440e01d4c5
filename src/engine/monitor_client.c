/* monitor_start: the caller's side.  Forks the monitor (twice, with
 * setsid, so it belongs to no one's session and survives the caller),
 * reads its one-line verdict, and when attached stays until the monitor
 * says the container is gone: proxying signals to the container, relaying
 * SIGWINCH, keeping the terminal raw for -it and restoring it on every
 * way out. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "core/util.h"
#include "monitor.h"
#include "monitor_internal.h"
#include "sandbox/container.h"

/* docker's --sig-proxy set. */
static const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

struct line_reader {
    char buf[4096];
    size_t len;
};

/* Next line from the monitor (without "\n"); 0 at EOF. */
static int read_line(int fd, struct line_reader *r, char *out, size_t outsz)
{
    for (;;) {
        char *nl = memchr(r->buf, '\n', r->len);
        if (nl) {
            size_t n = (size_t)(nl - r->buf);
            size_t c = n < outsz - 1 ? n : outsz - 1;
            memcpy(out, r->buf, c);
            out[c] = 0;
            memmove(r->buf, nl + 1, r->len - n - 1);
            r->len -= n + 1;
            return 1;
        }
        if (r->len == sizeof(r->buf))
            r->len = 0; /* a line longer than any the monitor writes */
        ssize_t k = read(fd, r->buf + r->len, sizeof(r->buf) - r->len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return 0;
        r->len += (size_t)k;
    }
}

/* Attached: wait for "exit N", proxying signals meanwhile. */
static int client_wait(const struct monitor_opts *o, int rep, struct line_reader *lr, int winch,
                       int sfd, int *ret_code, brig_error *reterr)
{
    char line[4096];

    for (;;) {
        /* A fast container's "exit" may have come with "ok". */
        bool ready = memchr(lr->buf, '\n', lr->len) != NULL;
        struct pollfd p[2] = {{.fd = rep, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        if (!ready && poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return brig_error_errno(reterr, "wait for container `%s`", o->id);
        }
        if (p[1].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                _cleanup_error_ brig_error err = NULL;
                if ((int)si.ssi_signo == SIGWINCH) {
                    if (winch >= 0 && write(winch, "w", 1) < 0) {
                        /* full (the monitor resizes once for many) or gone */
                    }
                    continue;
                }
                /* The container may be exiting already: nothing to say. */
                brig_container_kill(o->run_root, o->id, (int)si.ssi_signo, false, &err);
            }
        }
        if (ready || p[0].revents) {
            /* The monitor writes whole lines: read them all now. */
            while (read_line(rep, lr, line, sizeof(line)) == 1) {
                int code;
                if (sscanf(line, "exit %d", &code) == 1) {
                    *ret_code = code;
                    return 0;
                }
            }
            /* EOF without "exit": the monitor was killed.  Its record, if
             * it got that far, is the truth. */
            struct monitor_exit x;
            if (monitor_read_exit(o->ctr_dir, &x, reterr) == 0) {
                *ret_code = x.exit_code;
                monitor_exit_clear(&x);
                return 0;
            }
            if (*reterr == NULL)
                brig_error_set(reterr, 0, "the monitor of container `%s` died", o->id);
            return -1;
        }
    }
}

int monitor_start(const struct monitor_opts *o, int *ret_exit_code, brig_error *reterr)
{
    _cleanup_close_ int rep_r = -1, rep_w = -1, winch_r = -1, winch_w = -1, sfd = -1;
    struct termios saved;
    bool raw = false;
    sigset_t mask, old;
    int fds[2], r = -1;
    char line[4096];
    struct line_reader lr = {.len = 0};
    pid_t pid;

    *ret_exit_code = 0;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return brig_error_errno(reterr, "start container `%s`: create pipe", o->id);
    rep_r = fds[0];
    rep_w = fds[1];
    if (o->attach && o->tty) {
        if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
            return brig_error_errno(reterr, "start container `%s`: create pipe", o->id);
        winch_r = fds[0];
        winch_w = fds[1];
    }
    /* Blocked before the fork so no signal slips between the container's
     * start and the proxy loop (the monitor resets its own mask). */
    sigemptyset(&mask);
    if (o->attach) {
        for (size_t i = 0; i < BRIG_ARRAY_SIZE(proxied); i++)
            sigaddset(&mask, proxied[i]);
        sigaddset(&mask, SIGWINCH);
    }
    sigprocmask(SIG_BLOCK, &mask, &old);
    if (o->attach && o->tty && o->open_stdin && isatty(0) && tcgetattr(0, &saved) == 0) {
        struct termios t = saved;
        cfmakeraw(&t);
        raw = tcsetattr(0, TCSANOW, &t) == 0;
    }

    pid = fork();
    if (pid < 0) {
        brig_error_errno(reterr, "start container `%s`: fork monitor", o->id);
        goto out;
    }
    if (pid == 0) {
        close(rep_r);
        if (winch_w >= 0)
            close(winch_w);
        /* A session of its own: no terminal's SIGINT or SIGHUP reaches it. */
        setsid();
        pid_t m = fork();
        if (m < 0) {
            dprintf(rep_w, "err fork monitor: %s\n", strerror(errno));
            _exit(1);
        }
        if (m > 0)
            _exit(0);
        monitor_main(o, rep_w, winch_r, o->attach);
    }
    close(TAKE_FD(rep_w));
    if (winch_r >= 0)
        close(TAKE_FD(winch_r));
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;

    if (read_line(rep_r, &lr, line, sizeof(line)) != 1) {
        brig_error_set(reterr, 0, "start container `%s`: the monitor exited before it started",
                       o->id);
        goto out;
    }
    if (strncmp(line, "err ", 4) == 0) {
        brig_error_set(reterr, 0, "%s", line + 4);
        goto out;
    }
    if (strcmp(line, "ok") != 0) {
        brig_error_set(reterr, 0, "start container `%s`: the monitor said `%s`", o->id, line);
        goto out;
    }
    /* Done long ago (it only writes a byte), but a WNOHANG that came too
     * early would leave it a zombie for as long as an attached run lasts. */
    brig_cgroup_prime_reap(o->reap);
    if (o->running)
        o->running(o->cleanup_data);
    if (!o->attach) {
        r = 0;
        goto out;
    }
    sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        brig_error_errno(reterr, "signalfd");
        goto out;
    }
    r = client_wait(o, rep_r, &lr, winch_w, sfd, ret_exit_code, reterr);

out:
    if (raw)
        tcsetattr(0, TCSANOW, &saved);
    if (sfd >= 0) {
        /* Consume what came in the meantime: unblocking must not deliver a
         * proxied SIGINT to us after the container got it. */
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof(si)) == sizeof(si))
            ;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
}

/* Attached run/exec: the runtime stays in the foreground, forwards the
 * signals it gets to the container process, relays a pty when it owns one,
 * and returns the process's status the way a shell reports it. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "core/util.h"
#include "sandbox/internal.h"

int brig_console_send(const char *socket_path, int master, brig_error *reterr)
{
    _cleanup_close_ int sock = -1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    char cbuf[CMSG_SPACE(sizeof(int))];
    char name[] = "/dev/ptmx";
    struct iovec iov = {.iov_base = name, .iov_len = sizeof(name) - 1};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *cm;

    if (strlen(socket_path) >= sizeof(addr.sun_path))
        return brig_error_set(reterr, ENAMETOOLONG, "console socket `%s`", socket_path);
    strcpy(addr.sun_path, socket_path);
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        return brig_error_errno(reterr, "connect to console socket `%s`", socket_path);
    memset(cbuf, 0, sizeof(cbuf));
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &master, sizeof(int));
    if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
        return brig_error_errno(reterr, "send pty to console socket `%s`", socket_path);
    return 0;
}

static void copy_once(int from, int to, bool *open_flag)
{
    char buf[8192];
    ssize_t n = read(from, buf, sizeof(buf));
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN))
            *open_flag = false;
        return;
    }
    brig_write_all(to, buf, (size_t)n);
}

int brig_wait_forward(pid_t pid, int pty_master, int *ret_status, brig_error *reterr)
{
    _cleanup_close_ int sfd = -1, pidfd = -1;
    struct termios saved, raw;
    bool restore_tty = false, in_open = pty_master >= 0, master_open = pty_master >= 0;
    sigset_t mask;
    int wstatus = 0;

    sigfillset(&mask);
    sigdelset(&mask, SIGSEGV);
    sigdelset(&mask, SIGBUS);
    sigdelset(&mask, SIGILL);
    sigdelset(&mask, SIGFPE);
    sigdelset(&mask, SIGABRT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return brig_error_errno(reterr, "signalfd");
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return brig_error_errno(reterr, "pidfd_open %d", (int)pid);

    if (pty_master >= 0 && isatty(0) && tcgetattr(0, &saved) == 0) {
        struct winsize ws;
        raw = saved;
        cfmakeraw(&raw);
        tcsetattr(0, TCSANOW, &raw);
        restore_tty = true;
        if (ioctl(0, TIOCGWINSZ, &ws) == 0)
            ioctl(pty_master, TIOCSWINSZ, &ws);
    }

    for (;;) {
        struct pollfd pfd[4] = {
            {.fd = pidfd, .events = POLLIN},
            {.fd = sfd, .events = POLLIN},
            {.fd = in_open ? 0 : -1, .events = POLLIN},
            {.fd = master_open ? pty_master : -1, .events = POLLIN},
        };
        if (poll(pfd, 4, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGCHLD)
                    continue;
                if (si.ssi_signo == SIGWINCH && pty_master >= 0) {
                    struct winsize ws;
                    if (ioctl(0, TIOCGWINSZ, &ws) == 0)
                        ioctl(pty_master, TIOCSWINSZ, &ws);
                }
                syscall(SYS_pidfd_send_signal, pidfd, si.ssi_signo, NULL, 0);
            }
        }
        if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))
            copy_once(0, pty_master, &in_open);
        if (pfd[3].revents & (POLLIN | POLLHUP | POLLERR))
            copy_once(pty_master, 1, &master_open);
        if (pfd[0].revents & POLLIN)
            break;
    }
    /* Drain what the process wrote before it exited. */
    while (master_open) {
        struct pollfd p = {.fd = pty_master, .events = POLLIN};
        if (poll(&p, 1, 0) <= 0)
            break;
        copy_once(pty_master, 1, &master_open);
    }
    if (restore_tty)
        tcsetattr(0, TCSANOW, &saved);
    while (waitpid(pid, &wstatus, 0) < 0) {
        if (errno != EINTR)
            return brig_error_errno(reterr, "wait for process %d", (int)pid);
    }
    if (WIFEXITED(wstatus))
        *ret_status = WEXITSTATUS(wstatus);
    else if (WIFSIGNALED(wstatus))
        *ret_status = 128 + WTERMSIG(wstatus);
    else
        *ret_status = 255;
    return 0;
}

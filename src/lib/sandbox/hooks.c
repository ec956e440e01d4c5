/* OCI hooks: fork+exec each hook with the state JSON on its stdin and wait
 * for it under its timeout.
 *
 * The runtime waits on the hook's pid (a pidfd), never on its output: a hook
 * that starts a daemon keeping stdout open must not hang the runtime.  The
 * state is written without blocking inside the same poll loop, so a hook
 * that never reads a large state still meets its timeout. */
#include "sandbox/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

const char *brig_hook_kind_name(enum brig_hook_kind kind)
{
    static const char *const names[BRIG_HOOK__COUNT] = {
        [BRIG_HOOK_PRESTART] = "prestart",
        [BRIG_HOOK_CREATE_RUNTIME] = "createRuntime",
        [BRIG_HOOK_CREATE_CONTAINER] = "createContainer",
        [BRIG_HOOK_START_CONTAINER] = "startContainer",
        [BRIG_HOOK_POSTSTART] = "poststart",
        [BRIG_HOOK_POSTSTOP] = "poststop",
    };

    if ((unsigned)kind >= BRIG_HOOK__COUNT)
        return "unknown";
    return names[kind];
}

/* Between fork and execve only async-signal-safe calls: the runtime may have
 * other threads, and one of them may hold the malloc lock. */
static _Noreturn void hook_child(const struct brig_spec_hook *hook, char *const *argv,
                                 char *const *envp, int stdin_fd, int err_fd)
{
    sigset_t none;
    int e;

    /* The parent blocks SIGPIPE while it writes; the hook gets a clean
     * signal state, as if started from a shell. */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);

    if (stdin_fd == 0) {
        fcntl(0, F_SETFD, 0);
    } else if (dup2(stdin_fd, 0) < 0) {
        goto fail;
    }
    /* stdout joins stderr: the runtime's stdout may be the container's
     * stdio or a console socket, never a place for hook chatter. */
    if (dup2(2, 1) < 0)
        goto fail;
    /* Nothing of the runtime's (state dir locks, sync sockets, the console
     * master) may reach the hook.  CLOEXEC rather than close, so err_fd
     * survives until execve succeeds. */
    if (close_range(3, UINT_MAX, CLOSE_RANGE_CLOEXEC) < 0) {
        struct rlimit rl;
        unsigned long max = 65536;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < max)
            max = rl.rlim_cur;
        for (unsigned long fd = 3; fd < max; fd++)
            fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    }
    execve(hook->path, argv, envp);
fail:
    e = errno;
    (void)!write(err_fd, &e, sizeof(e));
    _exit(127);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Feed as much of the state as the pipe takes.  Returns 1 when done (all
 * written, or the hook closed its stdin: not reading is its right), 0 to
 * wait for more room, -1 on a real error. */
static int feed_state(int fd, const char *data, size_t len, size_t *off, bool *got_epipe)
{
    while (*off < len) {
        ssize_t n = write(fd, data + *off, len - *off);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return 0;
            if (errno == EPIPE) {
                *got_epipe = true;
                return 1;
            }
            return -1;
        }
        *off += (size_t)n;
    }
    return 1;
}

/* Wait for the hook to exit while writing its stdin, up to timeout_s (0 =
 * no limit).  Returns 0 with *status set, or 1 on timeout (the hook is
 * killed and reaped), or -1 on error. */
static int wait_hook(pid_t pid, int pidfd, int wfd, const char *state, int timeout_s,
                     bool *got_epipe, int *status, brig_error *reterr)
{
    int64_t deadline = timeout_s > 0 ? now_ms() + (int64_t)timeout_s * 1000 : -1;
    size_t len = state != NULL ? strlen(state) : 0, off = 0;
    _cleanup_close_ int w = wfd;

    if (len == 0) {
        brig_closep(&w);
        w = -1;
    }

    for (;;) {
        struct pollfd pfd[2];
        nfds_t n = 0;
        int timeout_ms = -1, r;
        pid_t done;

        if (pidfd >= 0)
            pfd[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
        if (w >= 0)
            pfd[n++] = (struct pollfd){.fd = w, .events = POLLOUT};
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();

            timeout_ms = left > 0 ? (int)(left < INT_MAX ? left : INT_MAX) : 0;
        }
        /* Without a pidfd (kernel < 5.3) the exit is noticed by polling. */
        if (pidfd < 0 && (timeout_ms < 0 || timeout_ms > 20))
            timeout_ms = 20;

        r = poll(pfd, n, timeout_ms);
        if (r < 0 && errno != EINTR)
            return brig_error_errno(reterr, "poll");

        for (nfds_t i = 0; r > 0 && i < n; i++) {
            int fed;

            if (pfd[i].fd != w || pfd[i].revents == 0)
                continue;
            fed = feed_state(w, state, len, &off, got_epipe);
            if (fed < 0)
                return brig_error_errno(reterr, "write state to stdin");
            if (fed == 1) {
                /* EOF tells the hook the state is complete. */
                brig_closep(&w);
                w = -1;
            }
        }

        done = waitpid(pid, status, WNOHANG);
        if (done == pid)
            return 0;
        if (done < 0 && errno != EINTR)
            return brig_error_errno(reterr, "wait");
        if (deadline >= 0 && now_ms() >= deadline) {
            if (pidfd >= 0)
                pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
            else
                kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
            return 1;
        }
    }
}

static int run_hook(enum brig_hook_kind kind, const struct brig_spec_hook *hook,
                    const char *state_json, brig_error *reterr)
{
    const char *kname = brig_hook_kind_name(kind);
    char *default_argv[] = {hook->path, NULL};
    char *empty_env[] = {NULL};
    char *const *argv = (hook->args != NULL && hook->args[0] != NULL) ? hook->args : default_argv;
    char *const *envp = hook->env != NULL ? hook->env : empty_env;
    _cleanup_close_ int in_r = -1, in_w = -1, err_r = -1, err_w = -1, pidfd = -1;
    int fds[2], exec_errno = 0, status = 0, r;
    bool got_epipe = false, sigpipe_was_pending;
    sigset_t pipe_set, old_mask, pending;
    ssize_t n;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) < 0)
        return brig_error_errno(reterr, "%s hook `%s`: pipe", kname, hook->path);
    in_r = fds[0];
    in_w = fds[1];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return brig_error_errno(reterr, "%s hook `%s`: pipe", kname, hook->path);
    err_r = fds[0];
    err_w = fds[1];

    pid = fork();
    if (pid < 0)
        return brig_error_errno(reterr, "%s hook `%s`: fork", kname, hook->path);
    if (pid == 0)
        hook_child(hook, argv, envp, in_r, err_w);

    brig_closep(&in_r);
    in_r = -1;
    brig_closep(&err_w);
    err_w = -1;
    /* EOF (close-on-exec) means execve succeeded; an int is its errno. */
    do
        n = read(err_r, &exec_errno, sizeof(exec_errno));
    while (n < 0 && errno == EINTR);
    if (n == sizeof(exec_errno)) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return brig_error_set(reterr, exec_errno, "%s hook `%s`: exec", kname, hook->path);
    }

    pidfd = pidfd_open(pid, 0);
    if (fcntl(in_w, F_SETFL, O_NONBLOCK) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return brig_error_errno(reterr, "%s hook `%s`: set stdin non-blocking", kname, hook->path);
    }

    /* A hook that exits without reading its stdin makes the write fail
     * with EPIPE, and the SIGPIPE that comes with it must not kill the
     * runtime.  Block it on this thread for the write, then swallow the one
     * we caused (never one that was already pending for someone else). */
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
    sigpending(&pending);
    sigpipe_was_pending = sigismember(&pending, SIGPIPE);

    r = wait_hook(pid, pidfd, TAKE_FD(in_w), state_json, hook->timeout, &got_epipe, &status,
                  reterr);

    if (got_epipe && !sigpipe_was_pending) {
        struct timespec zero = {0, 0};

        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);

    if (r < 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return brig_error_wrap(reterr, "%s hook `%s`", kname, hook->path);
    }
    if (r == 1)
        return brig_error_set(reterr, 0, "%s hook `%s`: timed out after %d s", kname, hook->path,
                              hook->timeout);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        return brig_error_set(reterr, 0, "%s hook `%s`: exited with status %d", kname, hook->path,
                              WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const char *abbrev = sigabbrev_np(WTERMSIG(status));

        if (abbrev != NULL)
            return brig_error_set(reterr, 0, "%s hook `%s`: killed by signal SIG%s", kname,
                                  hook->path, abbrev);
        return brig_error_set(reterr, 0, "%s hook `%s`: killed by signal %d", kname, hook->path,
                              WTERMSIG(status));
    }
    return 0;
}

int brig_hooks_run(enum brig_hook_kind kind, const struct brig_spec_hook *hooks, size_t n,
                   const char *state_json, brig_error *reterr)
{
    for (size_t i = 0; i < n; i++)
        if (run_hook(kind, &hooks[i], state_json, reterr) < 0)
            return -1;
    return 0;
}

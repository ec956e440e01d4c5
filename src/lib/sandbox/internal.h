/* Shared between the lifecycle (container.c), the container init
 * (process.c) and exec (exec.c).  Not part of libbrig's API. */
#ifndef BRIG_SANDBOX_INTERNAL_H
#define BRIG_SANDBOX_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "core/error.h"
#include "sandbox/seccomp.h"
#include "spec/spec.h"

/* The runtime and the process it cloned talk over a SOCK_SEQPACKET pair:
 * one message = one type byte + payload (+ at most one fd). */
enum brig_sync_msg {
    BRIG_SYNC_GO = 'g',      /* runtime -> child: ids mapped, cgroup entered */
    BRIG_SYNC_MOUNTED = 'm', /* child -> runtime: mounts done, run createRuntime hooks */
    BRIG_SYNC_HOOKS = 'h',   /* runtime -> child: hooks ran; payload = state JSON */
    BRIG_SYNC_PTY = 'p',     /* child -> runtime: pty master attached */
    BRIG_SYNC_READY = 'r',   /* child -> runtime: about to wait for start */
    BRIG_SYNC_ERROR = 'e',   /* child -> runtime: payload = error message */
};
#define BRIG_SYNC_MAX (256 * 1024)

int brig_sync_send(int sock, char type, const void *payload, size_t len, int fd,
                   brig_error *reterr);
/* Receive one message; *ret_payload is NUL-terminated (caller frees), *ret_fd
 * is -1 unless an fd came along.  EOF is an error "... exited before ...". */
int brig_sync_recv(int sock, char *ret_type, char **ret_payload, int *ret_fd, brig_error *reterr);
/* Receive and require `want`; a BRIG_SYNC_ERROR becomes *reterr. */
int brig_sync_expect(int sock, char want, char **ret_payload, int *ret_fd, brig_error *reterr);
/* From the child: report an error and exit.  Never returns. */
__attribute__((noreturn)) void brig_sync_fail(int sock, brig_error err);

/* Everything the container init needs, prepared by the runtime before the
 * clone so the child does no parsing and little allocation. */
struct brig_init_ctx {
    const struct brig_spec *spec;
    const char *rootfs;
    const char *bundle;
    const struct brig_cgroup *cg;
    const struct brig_seccomp_filter *seccomp;
    int sync_sock;       /* child's end */
    int fifo_fd;         /* ROOT/ID/exec.fifo opened O_RDWR, -1 for none */
    int host_proc_fd;    /* the runtime's /proc, for decisions the container must not sway */
    bool deny_setgroups; /* set by the init from host_proc_fd */
    int ns_fds[8];       /* namespaces to join, by index of ns_types; -1 = none */
    int ns_types[8];
    size_t n_ns;
    int new_ns_flags; /* CLONE_NEW* the clone did not create yet (user joined) */
    bool new_userns, new_cgroupns, new_utsns, new_netns;
    bool no_pivot;
    bool no_new_keyring;
    bool selinux; /* labels are applied (SELinux enabled) */
    int preserve_fds;
    const char *process_label;
    const char *mount_label;
};

/* The cloned child's whole life: never returns. */
__attribute__((noreturn)) void brig_init_run(struct brig_init_ctx *c);

/* The last steps shared by the init and exec'd processes: rlimits, cwd,
 * terminal is done by the caller; then label, user+caps, no_new_privs,
 * seccomp, fd hygiene and execve.  Returns only on error. */
struct brig_finish_ctx {
    const struct brig_spec_process *process;
    const struct brig_seccomp_filter *seccomp;
    const char *exec_label;
    bool selinux;
    bool deny_setgroups; /* decided from the host's /proc, see caps.h */
    int preserve_fds;
    const char *path; /* resolved executable */
};
int brig_process_finish(const struct brig_finish_ctx *f, brig_error *reterr);
/* Look up args[0] in the container's PATH (from the process env), as execvp
 * would, but never in the runtime's own PATH.  Must be called inside the
 * container's root. */
int brig_process_find_exec(const struct brig_spec_process *p, char **ret, brig_error *reterr);
int brig_process_set_rlimits(const struct brig_spec_process *p, brig_error *reterr);
/* chdir into the process cwd and prove it is inside the root: getcwd() of a
 * directory reached through a leaked host fd reports "(unreachable)"
 * (CVE-2024-21626). */
int brig_process_chdir(const char *cwd, brig_error *reterr);
/* New pty: master sent to `sync_sock`, slave becomes stdio and the
 * controlling terminal. */
int brig_process_setup_pty(int sync_sock, const struct brig_spec_process *p, brig_error *reterr);

/* Signal forwarding + wait (+ pty relay when pty_master >= 0) for run/exec
 * attached.  Returns the shell-style status. */
int brig_wait_forward(pid_t pid, int pty_master, int *ret_status, brig_error *reterr);
/* Hand a pty master to a --console-socket listener. */
int brig_console_send(const char *socket_path, int master, brig_error *reterr);

#endif

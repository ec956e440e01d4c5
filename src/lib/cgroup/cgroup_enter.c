/* Putting the container's init into its cgroup, fast.
 *
 * A write to cgroup.procs takes the kernel's one, global
 * cgroup_threadgroup_rwsem for writing.  Unless the hierarchy was mounted
 * with `favordynmods`, the first writer after a quiet spell waits for a
 * whole RCU grace period before it gets the lock (measured here: 6-11 ms,
 * more than the rest of a container's start); writers that come while
 * that period is running, or just after it, do not wait again.  Two ways
 * around it:
 *
 *   - cgroup2 (v2 hosts, and the unified tree of a hybrid one): clone3()
 *     with CLONE_INTO_CGROUP makes the init a member from its birth, with
 *     no migration and no lock taken for writing (crun does the same);
 *   - v1 hierarchies can only be entered by a write, so brig_cgroup_prime()
 *     starts the grace period early, in a throwaway child, while the
 *     caller parses, mounts and forks; by the time the init is moved the
 *     period is over.  It is an optimisation only: if the child cannot do
 *     its write, entering is as slow as before, never wrong. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup_internal.h"
#include "core/util.h"

#define PRIME_MAX 4

int brig_cgroup_enter(const struct brig_cgroup *cg, pid_t pid, brig_error *reterr)
{
    return brig_cgroup_enter_rest(cg, pid, false, reterr);
}

int brig_cgroup_enter_rest(const struct brig_cgroup *cg, pid_t pid, bool in_unified,
                           brig_error *reterr)
{
    for (size_t i = 0; i < cg->n_hiers; i++) {
        if (in_unified && cg->hiers[i].kind == BRIG_CG_KIND_UNIFIED)
            continue;
        if (brig_cg_writef(cg->hiers[i].dir, "cgroup.procs", reterr, "%d", (int)pid) < 0)
            return brig_error_wrap(reterr, "enter cgroup `%s`", cg->hiers[i].path);
    }
    return 0;
}

int brig_cgroup_open_unified(const struct brig_cgroup *cg)
{
    const struct brig_cg_hier *h = brig_cg_find(cg, NULL);
    if (h == NULL)
        return -1;
    return open(h->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* Where the calling process's cgroup.procs files probably are, from
 * /proc/self/cgroup and the usual mount points (a guess is enough: the
 * lock is global, any hierarchy will do). */
static size_t prime_paths(bool hybrid, char *ret[PRIME_MAX])
{
    _cleanup_free_ char *self = NULL;
    _cleanup_error_ brig_error err = NULL;
    size_t len, n = 0;
    char *save = NULL;

    if (brig_read_file_at(AT_FDCWD, "/proc/self/cgroup", 1 << 16, &self, &len, &err) < 0)
        return 0;
    for (char *line = strtok_r(self, "\n", &save); line && n < PRIME_MAX;
         line = strtok_r(NULL, "\n", &save)) {
        char *ctrls = strchr(line, ':'), *path;
        if (ctrls == NULL || (path = strchr(ctrls + 1, ':')) == NULL)
            continue;
        *path++ = '\0';
        ctrls++;
        if (*ctrls == '\0') {
            if (hybrid)
                ret[n++] = brig_xasprintf("/sys/fs/cgroup/unified%s/cgroup.procs", path);
        } else {
            if (strncmp(ctrls, "name=", 5) == 0)
                ctrls += 5;
            ret[n++] = brig_xasprintf("/sys/fs/cgroup/%s%s/cgroup.procs", ctrls, path);
        }
    }
    return n;
}

pid_t brig_cgroup_prime(void)
{
    enum brig_cgroup_mode mode;
    char *paths[PRIME_MAX] = {0};
    size_t n;
    pid_t pid;

    /* Pure v2 needs no write (CLONE_INTO_CGROUP). */
    if (brig_cgroup_detect_mode(&mode, NULL) < 0 || mode == BRIG_CGROUP_V2)
        return -1;
    n = prime_paths(mode == BRIG_CGROUP_HYBRID, paths);
    if (n == 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        /* Our own pid into our own cgroup: nothing moves, but the write
         * takes the lock, which is all we want. */
        for (size_t i = 0; i < n; i++) {
            int fd = open(paths[i], O_WRONLY | O_CLOEXEC);
            if (fd >= 0) {
                (void)!write(fd, "0", 1);
                _exit(0);
            }
        }
        _exit(1);
    }
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    return pid;
}

void brig_cgroup_prime_reap(pid_t pid)
{
    if (pid <= 0)
        return;
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

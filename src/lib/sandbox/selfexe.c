/* Re-executing from a read-only clone of our own binary (CVE-2019-5736).
 *
 * Invariant: when brig_selfexe_ensure_cloned() returns 0, /proc/self/exe of
 * this process, and of every process forked from it, names a file that
 * cannot be opened for writing (EROFS) or cannot be changed (sealed memfd).
 * A container that makes one of our processes re-execute /proc/self/exe
 * gets that clone, never the host's binary.
 *
 * The clone is, as runc 1.2 does it, a bind mount of the binary itself,
 * cloned with open_tree(OPEN_TREE_CLONE) and made read-only before anything
 * executes it.  It is never attached to any mount namespace: nobody can
 * remount it writable, it needs no cleanup, and it goes away when the last
 * process running it exits.  The kernel reuses the binary's page cache, so
 * the cost is three syscalls plus the execve.  Where the kernel refuses a
 * mount clone (no open_tree, no CAP_SYS_ADMIN over our mount namespace) the
 * fallback is a memfd copy sealed against writes, as crun does. */
#include "sandbox/selfexe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* Every seal that matters: no writes, no size change (a truncate is how the
 * exploit empties the file), and no way to lift them again. */
#define SELFEXE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

bool brig_selfexe_fd_is_protected(int fd)
{
    struct statfs sfs;
    int seals;

    /* ST_RDONLY is the mount's flag as well as the superblock's: a
     * read-only bind of a writable filesystem reports it, and an open for
     * writing through that mount fails with EROFS. */
    if (fstatfs(fd, &sfs) == 0 && (sfs.f_flags & ST_RDONLY))
        return true;
    seals = fcntl(fd, F_GET_SEALS);
    return seals >= 0 && (seals & SELFEXE_SEALS) == SELFEXE_SEALS;
}

static int selfexe_execveat(int fd, char **argv)
{
    /* execveat(2) has no glibc wrapper on Debian 12's glibc. */
    return (int)syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
}

/* A detached read-only bind mount of the binary behind /proc/self/exe.
 * open_tree follows the magic link to the very file we run from, so no
 * path on the host is looked up again (nothing to race). */
static int selfexe_clone_mount(brig_error *reterr)
{
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV};
    _cleanup_close_ int fd = -1;

    fd = open_tree(AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (fd < 0)
        return brig_error_errno(reterr, "clone `/proc/self/exe` as a mount");
    if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
        return brig_error_errno(reterr, "make the clone of `/proc/self/exe` read-only");
    return TAKE_FD(fd);
}

/* A sealed memfd copy of the binary: the fallback where mounts are refused. */
static int selfexe_clone_memfd(brig_error *reterr)
{
    _cleanup_close_ int src = -1, fd = -1;
    struct stat st;
    off_t off = 0;

    src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (src < 0)
        return brig_error_errno(reterr, "open `/proc/self/exe`");
    if (fstat(src, &st) < 0)
        return brig_error_errno(reterr, "stat `/proc/self/exe`");
    /* MFD_EXEC: with vm.memfd_noexec=1 a memfd is not executable unless
     * asked; kernels before 6.3 do not know the flag. */
    fd = memfd_create("brig-exe", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (fd < 0 && errno == EINVAL)
        fd = memfd_create("brig-exe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return brig_error_errno(reterr, "copy `/proc/self/exe`: memfd_create");
    while (off < st.st_size) {
        ssize_t n = sendfile(fd, src, &off, (size_t)(st.st_size - off));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return brig_error_errno(reterr, "copy `/proc/self/exe` to a memfd");
        if (n == 0)
            return brig_error_set(reterr, 0, "copy `/proc/self/exe`: file shrank while copied");
    }
    if (fcntl(fd, F_ADD_SEALS, SELFEXE_SEALS) < 0)
        return brig_error_errno(reterr, "seal the copy of `/proc/self/exe`");
    return TAKE_FD(fd);
}

int brig_selfexe_ensure_cloned(char **argv, brig_error *reterr)
{
    _cleanup_close_ int self = -1, clone = -1;
    _cleanup_error_ brig_error mount_err = NULL;
    bool reexecuted = getenv(BRIG_SELFEXE_ENV) != NULL;

    /* Read and drop the marker first: nothing we start may inherit it. */
    if (reexecuted)
        unsetenv(BRIG_SELFEXE_ENV);
    self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (self < 0)
        return brig_error_errno(reterr, "protect our binary: open `/proc/self/exe`");
    if (brig_selfexe_fd_is_protected(self))
        return 0;
    /* We were re-executed from a clone and still run from something
     * writable: refuse instead of re-executing forever. */
    if (reexecuted)
        return brig_error_set(reterr, 0,
                              "protect our binary: `/proc/self/exe` is still writable after "
                              "re-executing from a read-only clone");

    clone = selfexe_clone_mount(&mount_err);
    if (clone < 0) {
        clone = selfexe_clone_memfd(reterr);
        if (clone < 0)
            return brig_error_wrap(reterr, "protect our binary (%s)", mount_err->msg);
    }
    if (setenv(BRIG_SELFEXE_ENV, "1", 1) < 0)
        return brig_error_errno(reterr, "protect our binary: setenv");
    selfexe_execveat(clone, argv);
    {
        int saved = errno;
        unsetenv(BRIG_SELFEXE_ENV);
        errno = saved;
    }
    return brig_error_errno(reterr, "protect our binary: re-execute from its read-only clone");
}

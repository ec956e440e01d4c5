/* Running from a read-only clone of our own binary (CVE-2019-5736).
 *
 * Invariant: when brig_selfexe_ensure_cloned() returns 0, /proc/self/exe of
 * this process, and of every process forked from it, names a file that
 * cannot be opened for writing (EROFS) or cannot be changed (sealed memfd),
 * and no mapping of this process names the writable host file.  A container
 * that makes one of our processes re-execute /proc/self/exe gets that clone,
 * never the host's binary.
 *
 * The clone is, as runc 1.2 does it, a bind mount of the binary itself,
 * cloned with open_tree(OPEN_TREE_CLONE) and made read-only before anything
 * uses it.  It is never attached to any mount namespace: nobody can remount
 * it writable, it needs no cleanup, and it goes away with the last process
 * that maps it.  Where the kernel refuses a mount clone (no open_tree, no
 * CAP_SYS_ADMIN over our mount namespace) the clone is a memfd copy sealed
 * against writes, as crun does.
 *
 * Moving onto the clone does not re-execute: an execve of a dynamically
 * linked binary costs milliseconds of CPU on a loaded host, every call.
 * Instead every mapping of the binary is replaced, in place, by the same
 * pages of the clone (the same inode's page cache for the mount clone; the
 * writable segments' current contents copied), and PR_SET_MM_EXE_FILE points
 * /proc/self/exe at the clone.  The kernel refuses that while any mapping
 * still names the old file, so success proves none is left.  Where that is
 * refused (no CAP_SYS_RESOURCE, an unexpected layout) the fallback is to
 * re-execute from the clone, with an environment marker so that the new
 * image refuses rather than loops if it is still not protected. */
#include "sandbox/selfexe.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/prctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/util.h"
#include "sandbox/container.h"

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

/* The address ranges of our binary's writable segments (the relocated
 * RELRO part included): only their contents may differ from the file. */
struct selfexe_writable {
    uintptr_t start[4], end[4];
    size_t n;
};

static int selfexe_phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    struct selfexe_writable *w = data;

    for (size_t i = 0; i < info->dlpi_phnum && w->n < BRIG_ARRAY_SIZE(w->start); i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) {
            w->start[w->n] = info->dlpi_addr + ph->p_vaddr;
            w->end[w->n] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            w->n++;
        }
    }
    return 1; /* the first object is the main program */
}

/* Copy a live segment word by word: ASan poisons the redzones between our
 * globals, and a compiler would turn a plain loop into a memcpy call. */
__attribute__((no_sanitize("address"))) static void
selfexe_copy(volatile uintptr_t *dst, const volatile uintptr_t *src, size_t len)
{
    for (size_t i = 0; i < len / sizeof(uintptr_t); i++)
        dst[i] = src[i];
}

/* Replace the mapping [start, end) of our binary by the same range of the
 * clone, atomically (one mmap MAP_FIXED, or an mremap over it): the bytes
 * seen at every address stay the same, so code running from it, us
 * included, never notices. */
static int selfexe_remap_one(int fd, uintptr_t start, uintptr_t end, int prot, off_t off,
                             bool writable, brig_error *reterr)
{
    size_t len = end - start;
    void *tmp;

    /* Never written: the file's bytes are the mapping's bytes. */
    if (!writable) {
        if (mmap((void *)start, len, prot, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, off) ==
            MAP_FAILED)
            return brig_error_errno(reterr, "map the clone at %#jx", (uintmax_t)start);
        return 0;
    }
    /* Relocated or written: carry the current bytes over. */
    tmp = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_POPULATE, fd, off);
    if (tmp == MAP_FAILED)
        return brig_error_errno(reterr, "map the clone at %#jx", (uintmax_t)start);
    selfexe_copy(tmp, (const void *)start, len);
    if (prot != (PROT_READ | PROT_WRITE) && mprotect(tmp, len, prot) < 0) {
        brig_error_errno(reterr, "protect the clone's copy at %#jx", (uintmax_t)start);
        munmap(tmp, len);
        return -1;
    }
    if (mremap(tmp, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)start) == MAP_FAILED) {
        brig_error_errno(reterr, "move the clone's mapping to %#jx", (uintmax_t)start);
        munmap(tmp, len);
        return -1;
    }
    return 0;
}

/* PR_SET_MM_EXE_FILE wants CAP_SYS_RESOURCE, which a root whose bounding set
 * lacks it (some sandboxes, some CI) does not have; PR_SET_MM_MAP with an
 * exe_fd wants CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN instead.  That call
 * also rewrites the mm's layout fields, so it is given their current values
 * from /proc/self/stat (the auxv is left as it is). */
static int selfexe_set_exe_file(int fd, brig_error *reterr)
{
    struct prctl_mm_map map = {.exe_fd = (uint32_t)fd};
    unsigned long long v[52] = {0};
    _cleanup_free_ char *buf = NULL;
    char *p, *save = NULL;
    int k = 3;

    if (prctl(PR_SET_MM, PR_SET_MM_EXE_FILE, (unsigned long)fd, 0, 0) == 0)
        return 0;
    if (errno != EPERM)
        return brig_error_errno(reterr, "point `/proc/self/exe` at the clone");
    if (brig_read_file_at(AT_FDCWD, "/proc/self/stat", 4096, &buf, NULL, reterr) < 0)
        return -1;
    /* Fields are numbered from 1; the comm (2) may hold spaces and ')'. */
    p = strrchr(buf, ')');
    if (p == NULL)
        return brig_error_set(reterr, 0, "parse `/proc/self/stat`");
    for (char *tok = strtok_r(p + 1, " \n", &save); tok != NULL && k < 52;
         tok = strtok_r(NULL, " \n", &save))
        v[k++] = strtoull(tok, NULL, 10);
    if (k < 52)
        return brig_error_set(reterr, 0, "parse `/proc/self/stat`: %d fields", k - 1);
    map.start_code = v[26];
    map.end_code = v[27];
    map.start_stack = v[28];
    map.start_data = v[45];
    map.end_data = v[46];
    map.start_brk = v[47];
    map.brk = (uint64_t)syscall(SYS_brk, 0);
    map.arg_start = v[48];
    map.arg_end = v[49];
    map.env_start = v[50];
    map.env_end = v[51];
    if (prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&map, sizeof(map), 0) < 0)
        return brig_error_errno(reterr, "point `/proc/self/exe` at the clone (PR_SET_MM_MAP)");
    return 0;
}

/* Every mapping of the file behind `self` moves to `clone` (a readable fd
 * on the same bytes), then /proc/self/exe does.  Single-threaded callers
 * only: another thread could map or run through a range mid-move. */
static int selfexe_remap(int self, int clone, brig_error *reterr)
{
    struct selfexe_writable w = {.n = 0};
    struct {
        uintptr_t start, end;
        off_t off;
        int prot;
    } r[32];
    size_t n = 0;
    _cleanup_free_ char *buf = NULL;
    char *line, *next;
    struct stat st;

    if (fstat(self, &st) < 0)
        return brig_error_errno(reterr, "stat `/proc/self/exe`");
    dl_iterate_phdr(selfexe_phdr_cb, &w);
    /* Read it all first: the file must not be read while mappings move. */
    if (brig_read_file_at(AT_FDCWD, "/proc/self/maps", 1 << 20, &buf, NULL, reterr) < 0)
        return -1;
    /* "start-end perms offset major:minor inode path", all numbers hex
     * but the inode. */
    for (line = buf; *line != '\0'; line = next) {
        unsigned long long start, end, off, ino;
        unsigned long maj, min;
        char *p = line, *perms;

        next = strchrnul(line, '\n');
        if (*next == '\n')
            *next++ = '\0';
        start = strtoull(p, &p, 16);
        end = strtoull(p + 1, &p, 16);
        perms = p + 1;
        off = strtoull(p + 6, &p, 16);
        maj = strtoul(p + 1, &p, 16);
        min = strtoul(p + 1, &p, 16);
        ino = strtoull(p + 1, &p, 10);
        if (perms[4] != ' ' || *p != ' ')
            return brig_error_set(reterr, 0, "parse `/proc/self/maps`: `%s`", line);
        if (ino != st.st_ino || maj != major(st.st_dev) || min != minor(st.st_dev))
            continue;
        if (n == BRIG_ARRAY_SIZE(r) || perms[3] != 'p')
            return brig_error_set(reterr, 0, "map of our binary: unexpected layout");
        r[n].start = start;
        r[n].end = end;
        r[n].off = (off_t)off;
        r[n].prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
                    (perms[2] == 'x' ? PROT_EXEC : 0);
        n++;
    }
    if (n == 0)
        return brig_error_set(reterr, 0, "map of our binary: no mapping of `/proc/self/exe`");
    for (size_t i = 0; i < n; i++) {
        bool writable = false;
        for (size_t j = 0; j < w.n; j++)
            writable |= r[i].start < w.end[j] && w.start[j] < r[i].end;
        /* A PROT_NONE gap was never written and cannot be read. */
        writable &= (r[i].prot & PROT_READ) != 0;
        if (selfexe_remap_one(clone, r[i].start, r[i].end, r[i].prot, r[i].off, writable, reterr) <
            0)
            return -1;
    }
    /* EBUSY here means some mapping still names the host file. */
    return selfexe_set_exe_file(clone, reterr);
}

int brig_selfexe_ensure_cloned(char **argv, brig_error *reterr)
{
    _cleanup_close_ int self = -1, tree = -1, clone = -1, now = -1;
    _cleanup_error_ brig_error mount_err = NULL, remap_err = NULL;
    bool reexecuted = getenv(BRIG_SELFEXE_ENV) != NULL;

    /* Read and drop the marker first: nothing we start may inherit it. */
    if (reexecuted)
        unsetenv(BRIG_SELFEXE_ENV);
    self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (self < 0)
        return brig_error_errno(reterr, "protect our binary: open `/proc/self/exe`");
    if (brig_selfexe_fd_is_protected(self)) {
        /* Kernels before 6.12 name a process executed through a fd after
         * the fd's number: keep `ps` and comm-based tooling seeing brig. */
        if (reexecuted && argv[0] != NULL) {
            const char *base = strrchr(argv[0], '/');
            prctl(PR_SET_NAME, base != NULL ? base + 1 : argv[0]);
        }
        return 0;
    }
    tree = selfexe_clone_mount(&mount_err);
    if (tree >= 0) {
        char path[BRIG_FD_PATH_MAX];

        /* A readable file on the read-only mount, for mmap and the exe. */
        brig_fd_path(tree, path);
        clone = open(path, O_RDONLY | O_CLOEXEC);
        if (clone < 0)
            brig_error_errno(&mount_err, "open the clone of `/proc/self/exe`");
    }
    if (clone < 0) {
        clone = selfexe_clone_memfd(reterr);
        if (clone < 0)
            return brig_error_wrap(reterr, "protect our binary (%s)", mount_err->msg);
    }

    if (selfexe_remap(self, clone, &remap_err) == 0) {
        now = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (now >= 0 && brig_selfexe_fd_is_protected(now))
            return 0;
        brig_error_set(&remap_err, 0, "`/proc/self/exe` is still writable");
    }
    /* We were re-executed from a clone and still run from something
     * writable: refuse instead of re-executing forever. */
    if (reexecuted)
        return brig_error_set(reterr, 0,
                              "protect our binary: `/proc/self/exe` is still writable after "
                              "re-executing from a read-only clone (%s)",
                              remap_err->msg);
    brig_log(BRIG_LOG_DEBUG, "protect our binary: %s; re-executing from the clone instead",
             remap_err->msg);
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

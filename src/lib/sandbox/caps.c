/* Capabilities and the user switch with capset(2)/prctl(2), no libcap.
 *
 * Everything here acts on the calling thread only (the kernel keeps
 * credentials per thread).  It runs in the single-threaded container
 * process, possibly created with a raw clone(), so the id changes are raw
 * syscalls: glibc's wrappers broadcast to every thread glibc believes
 * exists, and after a raw clone that bookkeeping belongs to the parent. */
#include "sandbox/caps.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/util.h"

_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "additional_gids are passed as gid_t");

/* 32-bit x86 and arm have 16-bit legacy id syscalls; the *32 ones are the
 * real ones there.  Elsewhere only the plain names exist. */
#ifdef SYS_setresuid32
#define BRIG_SYS_setresuid SYS_setresuid32
#define BRIG_SYS_setresgid SYS_setresgid32
#define BRIG_SYS_setgroups SYS_setgroups32
#else
#define BRIG_SYS_setresuid SYS_setresuid
#define BRIG_SYS_setresgid SYS_setresgid
#define BRIG_SYS_setgroups SYS_setgroups
#endif

static int last_cap_cached = -1;

/* The kernel itself answers: PR_CAPBSET_READ fails with EINVAL exactly past
 * its last capability.  /proc/sys/kernel/cap_last_cap is not asked: in an
 * exec'd process /proc is the container's, and a container with
 * CAP_SYS_ADMIN can mount a tmpfs over /proc/sys/kernel whose cap_last_cap
 * says 5, after which only caps 0..5 would leave the bounding set.  The
 * answer decides which capabilities are dropped, so nothing the container
 * can write may feed it. */
static int last_cap_from_kernel(void)
{
    int lo = 0, hi = 63;

    /* Capability 0 always exists; find the highest n the kernel accepts. */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (prctl(PR_CAPBSET_READ, (unsigned long)mid, 0, 0, 0) >= 0)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

int brig_caps_last_cap(void)
{
    int last = __atomic_load_n(&last_cap_cached, __ATOMIC_RELAXED);

    if (last >= 0)
        return last;
    last = last_cap_from_kernel();
    __atomic_store_n(&last_cap_cached, last, __ATOMIC_RELAXED);
    return last;
}

static const char *cap_name(int cap, char buf[24])
{
    const char *name = brig_cap_to_name(cap);

    if (name != NULL)
        return name;
    snprintf(buf, 24, "capability %d", cap);
    return buf;
}

int brig_caps_set_user(const struct brig_spec_user *user, bool deny_setgroups, brig_error *reterr)
{
    /* Always set the list, even empty: the runtime's own supplementary
     * groups (root's, often including disk or docker) must not follow the
     * process into the container. */
    if (!deny_setgroups &&
        syscall(BRIG_SYS_setgroups, user->n_additional_gids, user->additional_gids) < 0)
        return brig_error_errno(reterr, "setgroups (%zu additional groups)",
                                user->n_additional_gids);
    /* gid before uid: once the uid is not 0 the right to change gids is gone. */
    if (syscall(BRIG_SYS_setresgid, user->gid, user->gid, user->gid) < 0)
        return brig_error_errno(reterr, "setresgid %u", user->gid);
    if (syscall(BRIG_SYS_setresuid, user->uid, user->uid, user->uid) < 0)
        return brig_error_errno(reterr, "setresuid %u", user->uid);
    return 0;
}

static int drop_bounding(uint64_t keep, int last, brig_error *reterr)
{
    char buf[24];

    for (int c = 0; c <= last; c++) {
        if (keep & (1ULL << c))
            continue;
        /* Already gone needs no CAP_SETPCAP (exec in a container does this
         * again). */
        if (prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) == 0)
            continue;
        if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0)
            return brig_error_errno(reterr, "drop `%s` from the bounding set", cap_name(c, buf));
    }
    return 0;
}

static int set_caps(uint64_t effective, uint64_t permitted, uint64_t inheritable,
                    brig_error *reterr)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
        data[i].effective = (uint32_t)(effective >> (32 * i));
        data[i].permitted = (uint32_t)(permitted >> (32 * i));
        data[i].inheritable = (uint32_t)(inheritable >> (32 * i));
    }
    if (syscall(SYS_capset, &hdr, data) < 0)
        return brig_error_errno(reterr,
                                "set capabilities (effective %#llx, permitted %#llx, "
                                "inheritable %#llx)",
                                (unsigned long long)effective, (unsigned long long)permitted,
                                (unsigned long long)inheritable);
    return 0;
}

static int set_ambient(uint64_t ambient, uint64_t allowed, int last, brig_error *reterr)
{
    char buf[24];

    /* Clear first: an ambient cap inherited from whoever started the
     * runtime would otherwise survive execve into the container. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
        /* Kernels before 4.3 have no ambient set, so nothing can leak. */
        if (errno == EINVAL && ambient == 0)
            return 0;
        return brig_error_errno(reterr, "clear the ambient capabilities");
    }
    /* The kernel only raises an ambient cap that is both permitted and
     * inheritable.  `runc spec` lists ambient caps without inheritable ones,
     * and runc ignores the refusal; brig skips them the same way, so such a
     * config runs and nothing beyond what the spec allows becomes ambient. */
    for (int c = 0; c <= last; c++) {
        if (!(ambient & (1ULL << c)) || !(allowed & (1ULL << c)))
            continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)c, 0, 0) < 0)
            return brig_error_errno(reterr,
                                    "raise ambient capability `%s` (it must be permitted and "
                                    "inheritable)",
                                    cap_name(c, buf));
    }
    return 0;
}

int brig_caps_apply(const struct brig_spec_caps *caps, const struct brig_spec_user *user,
                    bool deny_setgroups, brig_error *reterr)
{
    int last = brig_caps_last_cap();
    /* Capabilities the running kernel does not know are ignored, as runc
     * does: a profile naming CAP_CHECKPOINT_RESTORE must still start on an
     * older kernel, and an unknown bit cannot grant anything. */
    uint64_t known = last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;

    if (drop_bounding(caps->bounding & known, last, reterr) < 0)
        return -1;

    if (user != NULL) {
        /* Without KEEPCAPS the switch away from uid 0 empties the permitted
         * set, and step 3 could no longer keep what the spec asks for. */
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
            return brig_error_errno(reterr, "set PR_SET_KEEPCAPS");
        /* Where setgroups is denied (rootless user namespace) the
         * additional gids cannot be set at all; runc and crun then skip
         * them silently, and so does brig.  The caller decided that from the
         * host's view (brig_caps_setgroups_denied): skipping keeps whatever
         * groups the runtime has, so a container must not be able to ask
         * for it. */
        if (brig_caps_set_user(user, deny_setgroups, reterr) < 0)
            return -1;
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
            return brig_error_errno(reterr, "clear PR_SET_KEEPCAPS");
    }

    /* The kernel clears the effective set on the uid switch and keeps the
     * permitted one; capset now leaves exactly what the spec names.  The
     * inheritable set is always written, so one inherited from the
     * runtime's parent is gone (CVE-2022-29162). */
    if (set_caps(caps->effective & known, caps->permitted & known, caps->inheritable & known,
                 reterr) < 0)
        return -1;
    return set_ambient(caps->ambient & known, caps->permitted & caps->inheritable, last, reterr);
}

bool brig_caps_setgroups_denied(int procfd, pid_t pid)
{
    _cleanup_close_ int fd = -1;
    char path[32], buf[8] = {0};

    if (pid > 0)
        snprintf(path, sizeof(path), "%d/setgroups", (int)pid);
    else
        snprintf(path, sizeof(path), "self/setgroups");
    fd = openat(procfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    if (read(fd, buf, sizeof(buf) - 1) <= 0)
        return false;
    return brig_str_has_prefix(buf, "deny");
}

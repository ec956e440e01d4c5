/* Applying SELinux labels to the container process, its keyring and its
 * mounts.  On a host without SELinux every labeling call is a no-op that
 * succeeds; the session keyring is joined either way, since keeping the
 * runtime's keyring out of the container is not an SELinux matter. */
#include "selinux/label.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/magic.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/util.h"

/* Permission bits of a key (linux/key.h, not exported to userspace). */
#define BRIG_KEY_USR_SEARCH 0x00080000u
#define BRIG_KEY_OTH_SEARCH 0x00000008u

static int selinux_state = -1; /* -1 unknown, 0 disabled, 1 enabled */

/* Cached on first use.  The runtime asks before it clones the container
 * process, so the child inherits the answer: inside the container's mount
 * namespace selinuxfs is usually not mounted and a fresh probe there would
 * wrongly say "disabled" and skip the label. */
bool brig_selinux_enabled(void)
{
    int s = __atomic_load_n(&selinux_state, __ATOMIC_RELAXED);

    if (s < 0) {
        s = is_selinux_enabled() == 1;
        __atomic_store_n(&selinux_state, s, __ATOMIC_RELAXED);
    }
    return s == 1;
}

int brig_label_validate(const char *label, brig_error *reterr)
{
    if (!brig_selinux_enabled() || label == NULL || label[0] == '\0')
        return 0;
    if (security_check_context(label) < 0)
        return brig_error_set(reterr, 0,
                              "SELinux label `%s`: invalid context (not defined by the loaded "
                              "policy)",
                              label);
    return 0;
}

/* Write one of this thread's /proc attr files.  The fstatfs check is the
 * security invariant: by the time this runs the process may live in the
 * container's rootfs, whose owner could have put a tmpfs (with a plain file
 * named attr/exec) over /proc; then the write would succeed and label
 * nothing.  A NULL label resets the attribute to the policy default. */
static int write_thread_attr(const char *attr, const char *label, brig_error *reterr)
{
    _cleanup_close_ int fd = -1;
    char path[64];
    struct statfs sfs;
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/thread-self/attr/%s", attr);
    fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return brig_error_errno(reterr, "open `%s`", path);
    if (fstatfs(fd, &sfs) < 0)
        return brig_error_errno(reterr, "statfs `%s`", path);
    if (sfs.f_type != PROC_SUPER_MAGIC)
        return brig_error_set(reterr, 0, "open `%s`: is not on procfs", path);
    /* With the NUL, as libselinux writes it; a zero-length write resets. */
    do
        n = write(fd, label, label != NULL ? strlen(label) + 1 : 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return brig_error_errno(reterr, "write SELinux label `%s` to `%s`",
                                label != NULL ? label : "", path);
    return 0;
}

int brig_label_set_exec(const char *label, brig_error *reterr)
{
    if (!brig_selinux_enabled() || label == NULL || label[0] == '\0')
        return 0;
    return write_thread_attr("exec", label, reterr);
}

int brig_label_set_keyring(const char *label, brig_error *reterr)
{
    bool labeled = brig_selinux_enabled() && label != NULL && label[0] != '\0';
    brig_error reset_err = NULL;
    int r;

    if (labeled && write_thread_attr("keycreate", label, reterr) < 0)
        return -1;
    r = brig_keyring_join_new(NULL, reterr);
    /* keycreate is only for this one keyring; later ones (the runtime's,
     * if this thread goes on) get the policy's default again. */
    if (labeled && write_thread_attr("keycreate", NULL, &reset_err) < 0) {
        if (r == 0) {
            *reterr = reset_err;
            return -1;
        }
        brig_error_free(&reset_err);
    }
    return r;
}

int brig_label_set_fscreate(const char *label, brig_error *reterr)
{
    if (!brig_selinux_enabled() || (label != NULL && label[0] == '\0'))
        return 0;
    return write_thread_attr("fscreate", label, reterr);
}

int brig_label_fd(int fd, const char *label, brig_error *reterr)
{
    if (!brig_selinux_enabled() || label == NULL || label[0] == '\0')
        return 0;
    if (fsetxattr(fd, "security.selinux", label, strlen(label) + 1, 0) < 0)
        return brig_error_errno(reterr, "set SELinux label `%s`", label);
    return 0;
}

int brig_label_dir_ensure(int fd, const char *label, brig_error *reterr)
{
    char buf[512];
    ssize_t n;

    if (!brig_selinux_enabled() || label == NULL || label[0] == '\0')
        return 0;
    n = fgetxattr(fd, "security.selinux", buf, sizeof(buf) - 1);
    if (n > 0) {
        buf[n] = '\0';
        if (strcmp(buf, label) == 0)
            return 0;
    }
    return brig_label_fd(fd, label, reterr);
}

/* In a user namespace the uid map is anything but the identity map of
 * the whole range. */
static bool in_user_namespace(void)
{
    char *buf = NULL;
    size_t len;
    brig_error err = NULL;
    unsigned long a, b, c;
    bool userns = false;

    if (brig_read_file_at(AT_FDCWD, "/proc/self/uid_map", 4096, &buf, &len, &err) < 0) {
        brig_error_free(&err);
        return false;
    }
    if (sscanf(buf, "%lu %lu %lu", &a, &b, &c) != 3 || a != 0 || b != 0 || c != 4294967295UL)
        userns = true;
    free(buf);
    return userns;
}

int brig_keyring_join_new(const char *name, brig_error *reterr)
{
    char desc[2048];
    const char *shown = name != NULL ? name : "(anonymous)";
    char *perm_field, *end;
    unsigned long perm;
    long id, n;

    /* A new session keyring, so nothing the runtime's session holds (a
     * user's kerberos or ecryptfs keys) is reachable from the container.
     * Only ENOSYS (kernel without CONFIG_KEYS, or a seccomp profile of an
     * outer container that reports it) is tolerated, as runc does: with no
     * keyrings there is nothing to share.  Every other failure (EDQUOT
     * when the owner's key quota is used up, EPERM/EACCES from an outer
     * seccomp or LSM) is an error, because carrying on would leave the
     * runtime's keyring in the container. */
    id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name);
    if (id < 0) {
        if (errno == ENOSYS)
            return 0;
        return brig_error_errno(reterr, "join session keyring `%s`", shown);
    }

    /* "type;uid;gid;perm;description": keep every bit the kernel gave, add
     * search for the keyring's owner uid (or for "other" in a user
     * namespace, where processes of the container may not map to the
     * owner), as runc does, so the container's processes can still search
     * it after switching to the container user.  Read, write, link and
     * setattr stay with the possessor only. */
    n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof(desc));
    if (n < 0)
        return brig_error_errno(reterr, "describe session keyring `%s`", shown);
    if ((size_t)n > sizeof(desc))
        return brig_error_set(reterr, 0, "describe session keyring `%s`: description too long",
                              shown);
    desc[sizeof(desc) - 1] = '\0';
    perm_field = desc;
    for (int i = 0; i < 3 && perm_field != NULL; i++) {
        perm_field = strchr(perm_field, ';');
        if (perm_field != NULL)
            perm_field++;
    }
    if (perm_field == NULL)
        return brig_error_set(reterr, 0, "describe session keyring `%s`: malformed `%s`", shown,
                              desc);
    errno = 0;
    perm = strtoul(perm_field, &end, 16);
    if (errno != 0 || end == perm_field || *end != ';')
        return brig_error_set(reterr, 0, "describe session keyring `%s`: bad permissions in `%s`",
                              shown, desc);
    perm |= in_user_namespace() ? BRIG_KEY_OTH_SEARCH : BRIG_KEY_USR_SEARCH;
    if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, (unsigned long)(uint32_t)perm) < 0)
        return brig_error_errno(reterr, "set permissions %#lx on session keyring `%s`", perm,
                                shown);
    return 0;
}

char *brig_label_of_pid(int pid)
{
    char path[64];
    char *buf = NULL;
    size_t len = 0;
    brig_error err = NULL;

    if (!brig_selinux_enabled())
        return NULL;
    snprintf(path, sizeof(path), "/proc/%d/attr/current", pid);
    if (brig_read_file_at(AT_FDCWD, path, 4096, &buf, &len, &err) < 0) {
        brig_error_free(&err);
        return NULL;
    }
    /* The kernel ends the context with a NUL (some LSMs with a newline). */
    while (len > 0 && (buf[len - 1] == '\0' || buf[len - 1] == '\n'))
        buf[--len] = '\0';
    if (len == 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Pure string work, whatever the host: the caller passes a NULL label when
 * it does not label (SELinux off, or label=disable), so the same mount
 * options are produced for a given spec everywhere.  The label is quoted
 * because MCS levels hold commas ("s0:c1,c2") and mount data is
 * comma-separated. */
char *brig_label_mount_data(const char *data, const char *mount_label)
{
    bool has_data = data != NULL && data[0] != '\0';

    if (mount_label == NULL || mount_label[0] == '\0')
        return data != NULL ? brig_xstrdup(data) : NULL;
    if (!has_data)
        return brig_xasprintf("context=\"%s\"", mount_label);
    return brig_xasprintf("%s,context=\"%s\"", data, mount_label);
}

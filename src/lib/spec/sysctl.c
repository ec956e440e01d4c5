/* Which kernel namespace a sysctl belongs to.
 *
 * Only a sysctl that lives in a namespace the container owns can be set
 * for it; everything else is one value for the whole host.  The lists are
 * the kernel's (ipc/ipc_sysctl.c, ipc/mq_sysctl.c, kernel/utsname_sysctl.c,
 * every net.* table registered per network namespace) and match runc's
 * validator, so a config that runc refuses brig refuses too. */
#include <sched.h>
#include <string.h>

#include "core/cleanup.h"
#include "core/util.h"
#include "spec/spec.h"

static const char *const ipc_keys[] = {
    "kernel.msgmax",      "kernel.msgmnb",      "kernel.msgmni",      "kernel.sem",
    "kernel.shmall",      "kernel.shmmax",      "kernel.shmmni",      "kernel.shm_rmid_forced",
    "kernel.msg_next_id", "kernel.sem_next_id", "kernel.shm_next_id",
};

static const char *const uts_keys[] = {"kernel.hostname", "kernel.domainname"};

static bool in_list(const char *key, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, list[i]) == 0)
            return true;
    return false;
}

int brig_sysctl_namespace(const char *key)
{
    _cleanup_free_ char *k = NULL;
    size_t n;

    if (key == NULL || *key == '\0')
        return -1;
    /* "net/ipv4/ip_forward" is the same sysctl as "net.ipv4.ip_forward"
     * (the init writes /proc/sys/ with dots turned into slashes), so both
     * spellings are classified alike. */
    k = brig_xstrdup(key);
    for (char *s = k; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return -1;
        if (*s == '/')
            *s = '.';
    }
    n = strlen(k);
    if (k[0] == '.' || k[n - 1] == '.' || strstr(k, "..") != NULL)
        return -1;
    if (in_list(k, ipc_keys, BRIG_ARRAY_SIZE(ipc_keys)) || brig_str_has_prefix(k, "fs.mqueue."))
        return CLONE_NEWIPC;
    if (in_list(k, uts_keys, BRIG_ARRAY_SIZE(uts_keys)))
        return CLONE_NEWUTS;
    if (brig_str_has_prefix(k, "net."))
        return CLONE_NEWNET;
    return 0;
}

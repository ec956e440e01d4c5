/* The OCI spec's seccomp action and operator names mapped to libseccomp
 * values.  Lives with the config parser (not in sandbox/seccomp.c) so a bad
 * profile is refused when config.json is loaded, before anything is set up. */
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <string.h>

#include "core/cleanup.h"
#include "sandbox/seccomp.h"

static const struct {
    const char *name;
    uint32_t action;
    bool takes_errno; /* the low 16 bits carry errnoRet */
} actions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    /* SCMP_ACT_NOTIFY is deliberately absent: brig has no seccomp agent
     * support, and a filter that notifies nobody would hang the container. */
};

int brig_seccomp_action_from_name(const char *name, unsigned errno_ret, bool has_errno,
                                  uint32_t *ret)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(actions); i++) {
        if (strcmp(actions[i].name, name) != 0)
            continue;
        if (!actions[i].takes_errno) {
            /* runtime-spec: an errnoRet on an action without one is an error. */
            if (has_errno)
                return -1;
            *ret = actions[i].action;
            return 0;
        }
        /* The spec's default for both ERRNO and TRACE is EPERM (runc agrees). */
        if (!has_errno)
            errno_ret = EPERM;
        if (errno_ret > 0xffff)
            return -1;
        *ret = actions[i].action | errno_ret;
        return 0;
    }
    return -1;
}

int brig_seccomp_op_from_name(const char *name, enum brig_seccomp_op *ret)
{
    static const struct {
        const char *name;
        enum brig_seccomp_op op;
    } ops[] = {
        {"SCMP_CMP_NE", BRIG_SCMP_CMP_NE},
        {"SCMP_CMP_LT", BRIG_SCMP_CMP_LT},
        {"SCMP_CMP_LE", BRIG_SCMP_CMP_LE},
        {"SCMP_CMP_EQ", BRIG_SCMP_CMP_EQ},
        {"SCMP_CMP_GE", BRIG_SCMP_CMP_GE},
        {"SCMP_CMP_GT", BRIG_SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", BRIG_SCMP_CMP_MASKED_EQ},
    };
    /* The header promises libseccomp's numbering; keep it honest. */
    _Static_assert((int)BRIG_SCMP_CMP_NE == (int)SCMP_CMP_NE, "op numbering");
    _Static_assert((int)BRIG_SCMP_CMP_MASKED_EQ == (int)SCMP_CMP_MASKED_EQ, "op numbering");

    if (name == NULL)
        return -1;
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(ops); i++) {
        if (strcmp(ops[i].name, name) == 0) {
            *ret = ops[i].op;
            return 0;
        }
    }
    return -1;
}

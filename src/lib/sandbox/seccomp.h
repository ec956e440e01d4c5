/* seccomp: the spec's filter compiled with libseccomp in the runtime (before
 * any process is cloned, so a bad profile fails early and cheaply), loaded
 * in the container process as its very last step before execve. */
#ifndef BRIG_SECCOMP_H
#define BRIG_SECCOMP_H

#include <stddef.h>

#include "core/error.h"
#include "spec/spec.h"

struct brig_seccomp_filter; /* a compiled BPF program + the seccomp(2) flags */

/* Compile.  Syscall names unknown to libseccomp are skipped (as runc and crun
 * do, so profiles written for newer kernels load); unknown architectures,
 * flags or actions are errors naming the JSON path ("linux.seccomp.flags[0]:
 * unknown flag `X`"). */
int brig_seccomp_compile(const struct brig_spec_seccomp *sc, struct brig_seccomp_filter **ret,
                         brig_error *reterr);
/* Compile through the cache under the runtime root (ROOT/@seccomp): a
 * profile compiled before is read back instead of compiled again.  A cache
 * that cannot be read or written only costs the compile.  rootfd < 0: no
 * cache. */
int brig_seccomp_compile_cached(int rootfd, const struct brig_spec_seccomp *sc,
                                struct brig_seccomp_filter **ret, brig_error *reterr);
/* Install in the calling thread via seccomp(SECCOMP_SET_MODE_FILTER).  Needs
 * no_new_privs or CAP_SYS_ADMIN.  Async-signal-safe: no allocation. */
int brig_seccomp_load(const struct brig_seccomp_filter *f, brig_error *reterr);
size_t brig_seccomp_instructions(const struct brig_seccomp_filter *f); /* BPF length */
void brig_seccomp_free(struct brig_seccomp_filter *f);

/* Map the spec's names to libseccomp values; -1 when unknown.  Used by the
 * config parser so errors are caught at load time. */
int brig_seccomp_action_from_name(const char *name, unsigned errno_ret, bool has_errno,
                                  uint32_t *ret);
int brig_seccomp_op_from_name(const char *name, enum brig_seccomp_op *ret);

#endif

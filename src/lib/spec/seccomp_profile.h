/* Seccomp profiles in docker's format, and brig's built-in default.
 *
 * docker's format (what `--security-opt seccomp=FILE` takes):
 *   {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
 *    "archMap": [{"architecture": "SCMP_ARCH_X86_64",
 *                 "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
 *    "syscalls": [{"names": ["read", ...], "action": "SCMP_ACT_ALLOW",
 *                  "args": [...], "errnoRet": 1,
 *                  "includes": {"caps": ["CAP_SYS_ADMIN"], "arches": [...]},
 *                  "excludes": {"caps": [...], "arches": [...]}}]}
 * An OCI linux.seccomp object (defaultAction, architectures, syscalls) is
 * accepted as well.  Rules whose includes/excludes do not match the
 * container's capabilities or this machine's architecture are dropped.
 *
 * brig's default profile is an allowlist (docs/seccomp.md): what a normal
 * program needs; syscalls that reach the kernel's attack surface without
 * the matching capability get EPERM; anything the profile does not know
 * (a syscall newer than the profile) gets ENOSYS, so a new glibc falls back
 * to the old call instead of failing. */
#ifndef BRIG_SECCOMP_PROFILE_H
#define BRIG_SECCOMP_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* The built-in default profile (docker's format, static text). */
const char *brig_seccomp_default_profile(void);

/* Convert a profile (docker's or OCI's format) to an OCI linux.seccomp JSON
 * object (text, caller frees) for a container with bounding capability set
 * `caps` (bit N = capability N).  Errors name the JSON path:
 *   "seccomp profile: syscalls[3].action: unknown action `SCMP_ACT_FOO`" */
int brig_seccomp_profile_to_oci(const char *profile, size_t len, uint64_t caps, char **ret_json,
                                brig_error *reterr);
/* The same, through a cache in `dirfd`/@seccomp (the runtime's state root,
 * beside its compiled filters): the conversion costs ~5M instructions, two
 * thirds of `brig create`.  Entries keep their whole key (text, caps,
 * architecture, kernel release) and are used only on an exact match; the
 * text returned is valid JSON.  dirfd < 0: no cache. */
int brig_seccomp_profile_to_oci_cached(int dirfd, const char *profile, size_t len, uint64_t caps,
                                       char **ret_json, brig_error *reterr);

#endif

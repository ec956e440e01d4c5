/* The binary a process runs from before it enters a container.
 *
 * A process that enters a container is, until its final execve, the host's
 * brig or brig-runtime binary living in the container's namespaces.  If the
 * container makes that process execute `#!/proc/self/exe`, the kernel runs
 * the host binary again inside the container, and any container process can
 * then reopen /proc/PID/exe for writing and replace the host binary
 * (CVE-2019-5736).  Being non-dumpable until execve does not cover that
 * re-exec, so the binary itself must be unwritable through every path the
 * container can reach: before entering anything, the CLIs re-execute
 * themselves from a read-only clone of their own binary. */
#ifndef BRIG_SANDBOX_SELFEXE_H
#define BRIG_SANDBOX_SELFEXE_H

#include <stdbool.h>

#include "core/error.h"

/* Set on the re-exec so that the new image refuses, rather than loops, if
 * its /proc/self/exe is still writable.  Removed from the environment as
 * soon as it is read. */
#define BRIG_SELFEXE_ENV "_BRIG_EXE_CLONED"

/* Make sure /proc/self/exe cannot be written through: return 0 at once when
 * it already cannot (a read-only mount, a sealed memfd); otherwise move this
 * process onto a read-only clone of its binary and return 0, or, where the
 * kernel refuses the move, re-execute argv from the clone (no return).
 * The clone is a detached read-only bind mount of the binary (writes through
 * it fail with EROFS, it disappears with the last process using it), or
 * where the kernel refuses that (no open_tree, no privilege over mounts) a
 * sealed memfd copy.  Returns -1 with *reterr set when neither can be had:
 * the caller must not enter a container then.  Call it while the process
 * has a single thread: its mappings move under it. */
int brig_selfexe_ensure_cloned(char **argv, brig_error *reterr);

/* Whether the binary behind fd (an open /proc/self/exe, any mode) cannot be
 * written through that path: on a read-only mount, or a memfd sealed
 * against writes and size changes. */
bool brig_selfexe_fd_is_protected(int fd);

#endif

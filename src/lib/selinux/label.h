/* Applying SELinux labels (computing and allocating them is mcs.c's job, in
 * the SVirt issue).  Everything here is a no-op that returns 0 when SELinux
 * is not enabled on the host; callers decide whether to warn. */
#ifndef BRIG_LABEL_H
#define BRIG_LABEL_H

#include <stdbool.h>

#include "core/error.h"

bool brig_selinux_enabled(void);
/* Refuse a label the loaded policy does not know: "SELinux label `X`: invalid
 * context (not defined by the loaded policy)". */
int brig_label_validate(const char *label, brig_error *reterr);
/* Set the label the next execve of this thread gets: writes
 * /proc/thread-self/attr/exec after checking (fstatfs) that the file really
 * is on procfs, so a container that mounted something over /proc cannot make
 * the write go elsewhere. */
int brig_label_set_exec(const char *label, brig_error *reterr);
/* Label for keyrings this thread creates (attr/keycreate), then join a new
 * session keyring so the container never shares the runtime's. */
int brig_label_set_keyring(const char *label, brig_error *reterr);
/* Label for files this thread creates from now on (attr/fscreate); NULL
 * goes back to the policy's default (the parent directory's type).  A
 * label set at creation is never seen wrong by anyone, where a relabel
 * pass afterwards leaves a window and costs a second walk. */
int brig_label_set_fscreate(const char *label, brig_error *reterr);
/* Label an open file or directory (fsetxattr security.selinux). */
int brig_label_fd(int fd, const char *label, brig_error *reterr);
/* Label a directory unless it already has that label: one directory, its
 * children keep theirs (what they inherited at their own creation). */
int brig_label_dir_ensure(int fd, const char *label, brig_error *reterr);
/* Make the session keyring (with or without a label). */
int brig_keyring_join_new(const char *name, brig_error *reterr);
/* The context of a process ("/proc/PID/attr/current"); NULL when none. */
char *brig_label_of_pid(int pid);
/* Append ",context=\"LABEL\"" (or "context=..." when data is empty) to
 * mount data, for filesystems that take it; returns a new string. */
char *brig_label_mount_data(const char *data, const char *mount_label);

#endif

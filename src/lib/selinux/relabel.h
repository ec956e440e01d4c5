/* Relabelling files for containers (`:z`, `:Z`, the rootfs).
 *
 *   z  the shared level: FILETYPE:s0 (every container may use it)
 *   Z  the container's private level: FILETYPE:s0:cX,cY
 *
 * A refusal list guards host directories whose relabelling would break the
 * host ("/", /bin, /boot, /dev, /etc, /home, /lib, /lib64, /opt, /proc,
 * /root, /run, /sbin, /srv, /sys, /tmp, /usr, /var, /var/lib, /var/log and
 * the invoking user's home), compared after resolving symlinks.  Entries
 * already labelled right are skipped (no write, no ctime bump).  The walk is
 * parallel; the top directory is labelled last, so an interrupted relabel is
 * visibly unfinished and is redone next time.  Works on hosts without
 * SELinux too (the label is an xattr; only its validation needs a policy). */
#ifndef BRIG_RELABEL_H
#define BRIG_RELABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct brig_relabel_progress {
    uint64_t visited; /* entries looked at */
    uint64_t changed; /* entries relabelled */
};
typedef void (*brig_relabel_progress_fn)(const struct brig_relabel_progress *p, void *data);

struct brig_relabel_opts {
    int threads;                       /* 0 = number of online cpus, at most 8 */
    brig_relabel_progress_fn progress; /* called at most ~10 times a second; may be NULL */
    void *progress_data;
    bool force; /* skip the refusal list (for the rootfs) */
    /* Refuse a symlink anywhere in the path (bind sources): the top is
     * opened once with RESOLVE_NO_SYMLINKS and everything, the refusal
     * list included, works from that fd, so a swapped component cannot
     * steer the relabel to a host directory. */
    bool no_symlinks;
};

/* Is `path` on the refusal list?  Returns the reason or NULL. */
const char *brig_relabel_refused(const char *path);
/* Relabel `path` and everything below it (not following symlinks, not
 * crossing into other filesystems) to `context`.  On a filesystem without
 * xattr support: "relabel `PATH`: the filesystem does not support extended
 * attributes (mount it with context=... or use a volume on another fs)". */
int brig_relabel(const char *path, const char *context, const struct brig_relabel_opts *opts,
                 struct brig_relabel_progress *ret_stats, brig_error *reterr);

#endif

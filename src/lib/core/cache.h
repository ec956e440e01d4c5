/* A small on-disk cache of derived data (a compiled seccomp program, a
 * converted profile) under a state directory, so that a container start
 * does not redo work whose inputs have not changed.
 *
 * An entry is the file DIR/KIND-<FNV-1a of KEY> holding a header, the
 * whole KEY and the data.  A read compares the whole key: a hash collision
 * or a stale format costs a miss, never a wrong answer.  Writes are atomic
 * (a concurrent reader sees an old entry or the whole new one) and best
 * effort: a cache that cannot be written only makes the next start slower.
 */
#ifndef BRIG_CORE_CACHE_H
#define BRIG_CORE_CACHE_H

#include <stddef.h>

/* The data stored for KEY, NUL-terminated in *ret (free it), or -1. */
int brig_cache_get(int dirfd, const char *dir, const char *kind, const void *key, size_t klen,
                   char **ret, size_t *ret_len);
void brig_cache_put(int dirfd, const char *dir, const char *kind, const void *key, size_t klen,
                    const void *data, size_t len);

#endif

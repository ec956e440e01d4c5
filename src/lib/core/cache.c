#include "core/cache.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"

/* The format: "brig-cache 1 <key length>\n", the key, the data. */
#define CACHE_MAGIC "brig-cache 1 "
#define CACHE_MAX (16 << 20)

static uint64_t fnv1a64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static char *cache_path(const char *dir, const char *kind, const void *key, size_t klen)
{
    return brig_xasprintf("%s/%s-%016llx", dir, kind, (unsigned long long)fnv1a64(key, klen));
}

int brig_cache_get(int dirfd, const char *dir, const char *kind, const void *key, size_t klen,
                   char **ret, size_t *ret_len)
{
    _cleanup_error_ brig_error ignored = NULL;
    _cleanup_free_ char *path = cache_path(dir, kind, key, klen), *buf = NULL;
    char head[64];
    size_t len, off;

    if (dirfd < 0 || brig_read_file_at(dirfd, path, CACHE_MAX, &buf, &len, &ignored) < 0)
        return -1;
    off = (size_t)snprintf(head, sizeof(head), CACHE_MAGIC "%zu\n", klen);
    if (len < off + klen || memcmp(buf, head, off) != 0 || memcmp(buf + off, key, klen) != 0)
        return -1;
    off += klen;
    *ret_len = len - off;
    *ret = brig_xmalloc0(*ret_len + 1);
    memcpy(*ret, buf + off, *ret_len);
    return 0;
}

void brig_cache_put(int dirfd, const char *dir, const char *kind, const void *key, size_t klen,
                    const void *data, size_t len)
{
    _cleanup_error_ brig_error ignored = NULL;
    _cleanup_free_ char *path = cache_path(dir, kind, key, klen), *buf = NULL;
    char head[64];
    size_t hlen = (size_t)snprintf(head, sizeof(head), CACHE_MAGIC "%zu\n", klen);

    if (dirfd < 0 || (mkdirat(dirfd, dir, 0700) < 0 && errno != EEXIST))
        return;
    buf = brig_xmalloc0(hlen + klen + len);
    memcpy(buf, head, hlen);
    memcpy(buf + hlen, key, klen);
    memcpy(buf + hlen + klen, data, len);
    (void)brig_write_file_atomic_at(dirfd, path, buf, hlen + klen + len, 0600, &ignored);
}

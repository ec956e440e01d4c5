/* Tar streams built in memory with libarchive's writer, for the image
 * store's tests: layers with every kind of entry, and the bad ones
 * (escaping paths, links through symlinks) real tools would never write. */
#ifndef BRIG_TEST_TARBUILD_H
#define BRIG_TEST_TARBUILD_H

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct tb {
    struct archive *a;
    char *buf;
    size_t cap, used;
};

static inline void tb_begin(struct tb *t)
{
    t->cap = 64 << 20;
    t->buf = malloc(t->cap);
    t->used = 0;
    t->a = archive_write_new();
    archive_write_set_format_pax_restricted(t->a);
    archive_write_set_bytes_in_last_block(t->a, 1);
    archive_write_open_memory(t->a, t->buf, t->cap, &t->used);
}

static inline struct archive_entry *tb_entry(const char *path, mode_t type, mode_t perm, int uid,
                                             int gid)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_uid(e, uid);
    archive_entry_set_gid(e, gid);
    archive_entry_set_mtime(e, 1700000000, 0);
    return e;
}

static inline void tb_put(struct tb *t, struct archive_entry *e, const void *data, size_t len)
{
    archive_entry_set_size(e, (la_int64_t)len);
    if (archive_write_header(t->a, e) != ARCHIVE_OK)
        abort();
    if (len > 0 && archive_write_data(t->a, data, len) != (la_ssize_t)len)
        abort();
    archive_entry_free(e);
}

static inline void tb_file(struct tb *t, const char *path, mode_t perm, int uid, int gid,
                           const char *data)
{
    tb_put(t, tb_entry(path, AE_IFREG, perm, uid, gid), data, strlen(data));
}

static inline void tb_dir(struct tb *t, const char *path, mode_t perm, int uid, int gid)
{
    tb_put(t, tb_entry(path, AE_IFDIR, perm, uid, gid), NULL, 0);
}

static inline void tb_symlink(struct tb *t, const char *path, const char *target)
{
    struct archive_entry *e = tb_entry(path, AE_IFLNK, 0777, 0, 0);
    archive_entry_set_symlink(e, target);
    tb_put(t, e, NULL, 0);
}

static inline void tb_hardlink(struct tb *t, const char *path, const char *target)
{
    struct archive_entry *e = tb_entry(path, AE_IFREG, 0644, 0, 0);
    archive_entry_set_hardlink(e, target);
    tb_put(t, e, NULL, 0);
}

/* Finish; returns the tar's bytes (caller frees) and length. */
static inline char *tb_end(struct tb *t, size_t *len)
{
    archive_write_close(t->a);
    archive_write_free(t->a);
    *len = t->used;
    return t->buf;
}

/* gzip a buffer (libarchive's raw format with the gzip filter). */
static inline char *tb_gzip(const char *data, size_t len, size_t *out_len)
{
    struct archive *a = archive_write_new();
    size_t cap = len + (1 << 16), used = 0;
    char *buf = malloc(cap);
    struct archive_entry *e = archive_entry_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_raw(a);
    archive_write_set_bytes_in_last_block(a, 1);
    archive_write_open_memory(a, buf, cap, &used);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_pathname(e, "x");
    archive_entry_set_size(e, (la_int64_t)len);
    if (archive_write_header(a, e) != ARCHIVE_OK)
        abort();
    archive_write_data(a, data, len);
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    *out_len = used;
    return buf;
}

#endif

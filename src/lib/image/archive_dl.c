/* libarchive through dlopen(): see archive_dl.h for why.
 *
 * Each function below has libarchive's own name and prototype (checked
 * against <archive.h>), so archive.c and unpack.c call libarchive as if it
 * were linked.  The definitions are hidden: where the real library is also
 * linked (the unit tests build their tarballs with it), the executable must
 * not export them, or libarchive's calls to its own functions (it calls
 * archive_set_error everywhere) would bind to these forwarders.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "image/archive_dl.h"

#define ARCHIVE_SONAME "libarchive.so.13"

/* Every libarchive function src/lib/image calls; a new one goes here and
 * gets a forwarder below (the build fails on a forwarder without a slot). */
#define ARCHIVE_FUNCS(X)                                                                           \
    X(archive_entry_atime)                                                                         \
    X(archive_entry_atime_is_set)                                                                  \
    X(archive_entry_atime_nsec)                                                                    \
    X(archive_entry_filetype)                                                                      \
    X(archive_entry_gid)                                                                           \
    X(archive_entry_hardlink)                                                                      \
    X(archive_entry_mtime)                                                                         \
    X(archive_entry_mtime_nsec)                                                                    \
    X(archive_entry_pathname)                                                                      \
    X(archive_entry_perm)                                                                          \
    X(archive_entry_rdev)                                                                          \
    X(archive_entry_size)                                                                          \
    X(archive_entry_symlink)                                                                       \
    X(archive_entry_uid)                                                                           \
    X(archive_entry_xattr_next)                                                                    \
    X(archive_entry_xattr_reset)                                                                   \
    X(archive_errno)                                                                               \
    X(archive_error_string)                                                                        \
    X(archive_filter_code)                                                                         \
    X(archive_read_data)                                                                           \
    X(archive_read_data_block)                                                                     \
    X(archive_read_free)                                                                           \
    X(archive_read_new)                                                                            \
    X(archive_read_next_header)                                                                    \
    X(archive_read_open)                                                                           \
    X(archive_read_support_filter_all)                                                             \
    X(archive_read_support_format_raw)                                                             \
    X(archive_read_support_format_tar)                                                             \
    X(archive_set_error)

/* One pointer per function, typed from libarchive's own declaration. */
#define SLOT(f) static __typeof__(&f) dl_##f;
ARCHIVE_FUNCS(SLOT)
#undef SLOT

static const struct {
    const char *name;
    void *slot; /* the address of dl_<name> */
} archive_syms[] = {
#define ENTRY(f) {#f, &dl_##f},
    ARCHIVE_FUNCS(ENTRY)
#undef ENTRY
};

static bool archive_loaded;

int brig_archive_load(brig_error *reterr)
{
    void *h;
    if (archive_loaded)
        return 0;
    /* RTLD_LOCAL: its dependencies (libxml2, ICU, ...) stay out of the
     * global scope, so nothing brig loads later binds to them by chance.
     * RTLD_NOW: a broken install fails here, not in the middle of a layer. */
    h = dlopen(ARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        return brig_error_set(reterr, 0, "load libarchive: %s", dlerror());
    for (size_t i = 0; i < sizeof(archive_syms) / sizeof(archive_syms[0]); i++) {
        void *sym;
        dlerror();
        sym = dlsym(h, archive_syms[i].name);
        if (sym == NULL) {
            const char *why = dlerror();
            brig_error_set(reterr, 0, "load libarchive: %s",
                           why ? why : "a function resolved to NULL");
            /* None of the slots is used before archive_loaded is set, so
             * the ones already filled can stay. */
            dlclose(h);
            return -1;
        }
        /* A function pointer cannot be assigned from void * in ISO C;
         * copying the bytes is what POSIX's dlsym() relies on. */
        memcpy(archive_syms[i].slot, &sym, sizeof(sym));
    }
    /* Never closed: its objects may live as long as brig does. */
    archive_loaded = true;
    return 0;
}

/* The forwarders.  Each assumes brig_archive_load() succeeded. */
#define FWD __attribute__((visibility("hidden")))

/* The getters of an entry and of an archive: one argument, passed on. */
#define FWD_ENTRY(ret, f)                                                                          \
    FWD ret f(struct archive_entry *e)                                                             \
    {                                                                                              \
        return dl_##f(e);                                                                          \
    }
#define FWD_ARCHIVE(ret, f)                                                                        \
    FWD ret f(struct archive *a)                                                                   \
    {                                                                                              \
        return dl_##f(a);                                                                          \
    }

FWD_ENTRY(time_t, archive_entry_atime)
FWD_ENTRY(int, archive_entry_atime_is_set)
FWD_ENTRY(long, archive_entry_atime_nsec)
FWD_ENTRY(__LA_MODE_T, archive_entry_filetype)
FWD_ENTRY(la_int64_t, archive_entry_gid)
FWD_ENTRY(const char *, archive_entry_hardlink)
FWD_ENTRY(time_t, archive_entry_mtime)
FWD_ENTRY(long, archive_entry_mtime_nsec)
FWD_ENTRY(const char *, archive_entry_pathname)
FWD_ENTRY(__LA_MODE_T, archive_entry_perm)
FWD_ENTRY(dev_t, archive_entry_rdev)
FWD_ENTRY(la_int64_t, archive_entry_size)
FWD_ENTRY(const char *, archive_entry_symlink)
FWD_ENTRY(la_int64_t, archive_entry_uid)
FWD_ENTRY(int, archive_entry_xattr_reset)
FWD_ARCHIVE(int, archive_errno)
FWD_ARCHIVE(const char *, archive_error_string)
FWD_ARCHIVE(int, archive_read_support_filter_all)
FWD_ARCHIVE(int, archive_read_support_format_raw)
FWD_ARCHIVE(int, archive_read_support_format_tar)

FWD int archive_entry_xattr_next(struct archive_entry *e, const char **name, const void **value,
                                 size_t *size)
{
    return dl_archive_entry_xattr_next(e, name, value, size);
}

FWD int archive_filter_code(struct archive *a, int n)
{
    return dl_archive_filter_code(a, n);
}

FWD la_ssize_t archive_read_data(struct archive *a, void *buf, size_t len)
{
    return dl_archive_read_data(a, buf, len);
}

FWD int archive_read_data_block(struct archive *a, const void **buf, size_t *size,
                                la_int64_t *offset)
{
    return dl_archive_read_data_block(a, buf, size, offset);
}

FWD int archive_read_free(struct archive *a)
{
    /* NULL is a no-op in libarchive; callers' cleanup paths rely on that
     * even when the load failed and nothing was created. */
    if (a == NULL)
        return ARCHIVE_OK;
    return dl_archive_read_free(a);
}

FWD struct archive *archive_read_new(void)
{
    return dl_archive_read_new();
}

FWD int archive_read_next_header(struct archive *a, struct archive_entry **e)
{
    return dl_archive_read_next_header(a, e);
}

FWD int archive_read_open(struct archive *a, void *client, archive_open_callback *open_cb,
                          archive_read_callback *read_cb, archive_close_callback *close_cb)
{
    return dl_archive_read_open(a, client, open_cb, read_cb, close_cb);
}

/* Variadic, and libarchive has no va_list variant: format here, hand over
 * the finished text.  A NULL fmt clears the error, as in libarchive. */
FWD void archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    if (fmt == NULL) {
        dl_archive_set_error(a, err, NULL);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dl_archive_set_error(a, err, "%s", msg);
}

/* libFuzzer harness: a (possibly compressed) tar stream through the layer
 * unpacker.  Whatever the stream holds, nothing outside the layer directory
 * may change, and a failure is one line.
 *
 * How an escape is seen, wherever it goes: the unpack runs in a worker
 * thread that has its own mount namespace (unshare(CLONE_NEWNS) is per
 * thread; the coverage counters stay shared with libFuzzer's thread, which
 * keeps the host's namespace to write its corpus and crash files).  There
 * every mount is remounted read-only except the layer directory, a bind
 * mount of itself on a tmpfs at TOP:
 *     TOP/layer           the unpack target, the only writable place
 *     TOP/canary/...      a sentinel tree: files, a directory, symlinks
 *     TOP/sibling         a file beside the layer
 *     TOP/outside         a file reached through TOP/canary/link
 * So a write anywhere else fails with EROFS, which the unpacker reports and
 * the harness takes as an escape; and after every input TOP is audited
 * against its first snapshot (names, types, modes, owners, sizes, times,
 * contents, link targets), which also catches what the read-only mounts
 * would not (a host without mount namespaces falls back to the audit alone
 * and says so).  TOP's path is fixed, so corpus inputs can aim at it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "image/image_internal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOP "/tmp/brig-fuzz-layer"

static char top[64] = TOP; /* a mkdtemp() directory without a namespace */
static int topfd = -1, layerfd = -1;
static bool confined; /* everything but the layer is read-only */

/* ---- the snapshot of everything around the layer ---- */

struct node {
    char path[128];
    struct stat st;
    char data[128]; /* a file's contents or a link's target */
    ssize_t len;
};
static struct node snap[32];
static size_t n_snap;

static size_t take(struct node *out, size_t max)
{
    static const char *const paths[] = {
        ".",           "canary",          "canary/secret", "canary/dir", "canary/dir/file",
        "canary/link", "canary/dangling", "sibling",       "outside",    NULL};
    size_t n = 0;

    for (const char *const *p = paths; *p && n < max; p++, n++) {
        struct node *x = &out[n];
        memset(x, 0, sizeof(*x));
        snprintf(x->path, sizeof(x->path), "%s", *p);
        x->len = -1;
        if (fstatat(topfd, *p, &x->st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* gone: differs from the snapshot */
        if (S_ISLNK(x->st.st_mode)) {
            x->len = readlinkat(topfd, *p, x->data, sizeof(x->data));
        } else if (S_ISREG(x->st.st_mode)) {
            int fd = openat(topfd, *p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            x->len = fd < 0 ? -1 : read(fd, x->data, sizeof(x->data));
            if (fd >= 0)
                close(fd);
        }
    }
    return n;
}

static bool same(const struct node *a, const struct node *b)
{
    /* atime moves on reads; everything a write changes is compared */
    return strcmp(a->path, b->path) == 0 && a->st.st_ino == b->st.st_ino &&
           a->st.st_mode == b->st.st_mode && a->st.st_uid == b->st.st_uid &&
           a->st.st_gid == b->st.st_gid && a->st.st_nlink == b->st.st_nlink &&
           a->st.st_size == b->st.st_size && a->st.st_mtim.tv_sec == b->st.st_mtim.tv_sec &&
           a->st.st_mtim.tv_nsec == b->st.st_mtim.tv_nsec &&
           a->st.st_ctim.tv_sec == b->st.st_ctim.tv_sec &&
           a->st.st_ctim.tv_nsec == b->st.st_ctim.tv_nsec && a->len == b->len &&
           (a->len <= 0 || memcmp(a->data, b->data, (size_t)a->len) == 0);
}

static void audit(void)
{
    struct node now[32];
    size_t n = take(now, 32);
    DIR *d;
    struct dirent *de;
    int fd;

    for (size_t i = 0; i < n; i++)
        if (!same(&now[i], &snap[i])) {
            fprintf(stderr, "escape: `%s/%s` changed outside the layer\n", top, now[i].path);
            abort();
        }
    /* nothing new beside the layer or in the sentinel tree */
    static const char *const dirs[] = {".", "canary", "canary/dir", NULL};
    static const char *const names[] = {"layer", "canary", "sibling",  "outside", "secret",
                                        "dir",   "link",   "dangling", "file",    NULL};
    for (const char *const *dn = dirs; *dn; dn++) {
        fd = openat(topfd, *dn, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || (d = fdopendir(fd)) == NULL)
            abort();
        while ((de = readdir(d)) != NULL) {
            bool known = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
            for (const char *const *k = names; *k && !known; k++)
                known = strcmp(de->d_name, *k) == 0;
            if (!known) {
                fprintf(stderr, "escape: `%s/%s/%s` appeared outside the layer\n", top, *dn,
                        de->d_name);
                abort();
            }
        }
        closedir(d);
    }
}

/* ---- the confinement ---- */

static void put(const char *path, const char *text)
{
    int fd = openat(topfd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        abort();
    close(fd);
}

static void build_tree(void)
{
    if (mkdirat(topfd, "layer", 0755) < 0 || mkdirat(topfd, "canary", 0755) < 0 ||
        mkdirat(topfd, "canary/dir", 0700) < 0)
        abort();
    put("canary/secret", "the host's secret\n");
    put("canary/dir/file", "inside a directory beside the layer\n");
    put("sibling", "beside the layer\n");
    put("outside", "reached through a symlink\n");
    char target[96];
    snprintf(target, sizeof(target), "%s/outside", top);
    if (symlinkat(target, topfd, "canary/link") < 0 ||
        symlinkat("../nowhere", topfd, "canary/dangling") < 0)
        abort();
}

/* "\040" in mountinfo is a space, and so on. */
static void unoctal(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            *o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 3;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

static unsigned long keep_flags(const char *mp)
{
    struct statvfs sv;
    unsigned long f = 0;
    if (statvfs(mp, &sv) < 0)
        return 0;
    f |= sv.f_flag & ST_NOSUID ? MS_NOSUID : 0;
    f |= sv.f_flag & ST_NODEV ? MS_NODEV : 0;
    f |= sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0;
    f |= sv.f_flag & ST_NOATIME ? MS_NOATIME : 0;
    f |= sv.f_flag & ST_NODIRATIME ? MS_NODIRATIME : 0;
    f |= sv.f_flag & ST_RELATIME ? MS_RELATIME : 0;
    return f;
}

/* In this thread's own mount namespace: TOP a tmpfs with the tree, the
 * layer a writable bind mount, every other mount read-only.  Returns
 * false (and changes nothing the host sees) when that is not possible. */
static bool confine(void)
{
    char layer[96], line[4096];
    FILE *mi;
    bool ok = true;

    if (unshare(CLONE_NEWNS) < 0) {
        fprintf(stderr,
                "fuzz_layer: no mount namespace (%s): the audit alone watches for "
                "escapes\n",
                strerror(errno));
        return false;
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        (mkdir(TOP, 0700) < 0 && errno != EEXIST) ||
        mount("tmpfs", TOP, "tmpfs", 0, "size=64m,mode=0755") < 0)
        abort(); /* the namespace is ours: these cannot fail for root */
    topfd = open(TOP, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (topfd < 0)
        abort();
    build_tree();
    snprintf(layer, sizeof(layer), "%s/layer", TOP);
    if (mount(layer, layer, NULL, MS_BIND, NULL) < 0)
        abort();
    /* Every mount but the layer read-only, deepest last so none is
     * skipped; one that cannot be reached (mounted over) is left, since
     * nothing can write through it by path either. */
    mi = fopen("/proc/thread-self/mountinfo", "re");
    if (mi == NULL)
        abort();
    while (fgets(line, sizeof(line), mi) != NULL) {
        char *save = NULL, *mp = NULL, *t = strtok_r(line, " ", &save);
        for (int i = 1; t && i < 5; i++)
            mp = t = strtok_r(NULL, " ", &save);
        if (mp == NULL)
            continue;
        unoctal(mp);
        if (strcmp(mp, layer) == 0)
            continue;
        if (mount(NULL, mp, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep_flags(mp), NULL) < 0 &&
            (strcmp(mp, "/") == 0 || strcmp(mp, TOP) == 0 || strcmp(mp, "/tmp") == 0)) {
            fprintf(stderr, "fuzz_layer: remount `%s` read-only: %s\n", mp, strerror(errno));
            ok = false;
        }
    }
    fclose(mi);
    if (!ok)
        abort();
    /* the confinement holds: a write beside the layer fails */
    if (openat(topfd, "probe", O_WRONLY | O_CREAT | O_CLOEXEC, 0600) >= 0 || errno != EROFS)
        abort();
    return true;
}

/* ---- the worker thread ---- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static const uint8_t *job_data;
static size_t job_size;
static bool job_ready, job_done, setup_done;

static void clear_layer(void)
{
    brig_error err = NULL;
    DIR *d;
    struct dirent *de;
    int fd = fcntl(layerfd, F_DUPFD_CLOEXEC, 3);

    if (fd < 0 || (d = fdopendir(fd)) == NULL)
        abort();
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
            image_rm_rf_at(layerfd, de->d_name, &err) < 0)
            abort();
    closedir(d);
    /* a "." entry may have changed the root itself */
    if (fchmod(layerfd, 0755) < 0 || fchown(layerfd, 0, 0) < 0)
        abort();
}

static void unpack_one(const uint8_t *data, size_t size)
{
    brig_error err = NULL;
    struct image_layer_result res;

    if (image_unpack_layer_mem(layerfd, data, size, 0, "layer `fuzz`", &res, &err) < 0) {
        fuzz_check_error(err);
        /* only a write outside the layer meets a read-only mount */
        if (confined && (err->errnum == EROFS || strstr(err->msg, strerror(EROFS)) != NULL)) {
            fprintf(stderr, "escape: %s\n", err->msg);
            abort();
        }
        brig_error_free(&err);
    } else if (strlen(res.diff_id) != 64 || res.blob_size != size) {
        abort();
    }
    audit();
    clear_layer();
}

static void *worker(void *arg)
{
    (void)arg;
    confined = confine();
    if (!confined) {
        strcpy(top, "/tmp/brig-fuzz-layer-XXXXXX");
        if (mkdtemp(top) == NULL || (topfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
            abort();
        build_tree();
    }
    layerfd = openat(topfd, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (layerfd < 0)
        abort();
    n_snap = take(snap, 32);
    pthread_mutex_lock(&mu);
    setup_done = true;
    pthread_cond_broadcast(&cv);
    for (;;) {
        while (!job_ready)
            pthread_cond_wait(&cv, &mu);
        job_ready = false;
        pthread_mutex_unlock(&mu);
        unpack_one(job_data, job_size);
        pthread_mutex_lock(&mu);
        job_done = true;
        pthread_cond_broadcast(&cv);
    }
    return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    pthread_t t;
    (void)argc;
    (void)argv;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        abort();
    pthread_mutex_lock(&mu);
    while (!setup_done)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pthread_mutex_lock(&mu);
    job_data = data;
    job_size = size;
    job_done = false;
    job_ready = true;
    pthread_cond_broadcast(&cv);
    while (!job_done)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return 0;
}

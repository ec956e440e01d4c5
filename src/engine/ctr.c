/* Container records, names and live state (see ctr.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "ctr.h"
#include "monitor.h"
#include "state/state.h"

#define RECORD "record.json"

static int rm_rf_at(int parent, const char *name);

/* A removed container's directory, renamed to be emptied at leisure. */
#define TRASH_PREFIX ".rm-"

static int random_bytes(void *buf, size_t n, brig_error *reterr)
{
    if (getrandom(buf, n, 0) != (ssize_t)n)
        return brig_error_errno(reterr, "read random bytes");
    return 0;
}

static char *ctr_new_id(brig_error *reterr)
{
    unsigned char b[32];
    char *id;
    if (random_bytes(b, sizeof(b), reterr) < 0)
        return NULL;
    id = brig_xmalloc0(65);
    for (size_t i = 0; i < sizeof(b); i++)
        sprintf(id + 2 * i, "%02x", b[i]);
    return id;
}

/* docker's names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
static int name_validate(const char *name, brig_error *reterr)
{
    size_t n = strlen(name);
    bool ok = n > 0 && n <= 128;
    for (size_t i = 0; ok && i < n; i++) {
        char ch = name[i];
        bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        ok = alnum || (i > 0 && (ch == '_' || ch == '.' || ch == '-'));
    }
    if (!ok)
        return brig_error_set(reterr, 0,
                              "invalid container name `%s`: only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                              "allowed",
                              name);
    return 0;
}

static char *name_generate(void)
{
    static const char *const adj[] = {"brave", "calm",  "eager",  "fond",  "gentle", "happy",
                                      "jolly", "keen",  "lucid",  "merry", "nifty",  "proud",
                                      "quiet", "sharp", "tender", "vivid", "witty",  "zen"};
    static const char *const noun[] = {
        "curie",   "darwin", "euler",   "fermat",  "galois",   "hopper", "kepler",  "lovelace",
        "noether", "pascal", "ritchie", "shannon", "thompson", "turing", "wozniak", "yalow"};
    unsigned r[3] = {0};
    (void)getrandom(r, sizeof(r), 0);
    return brig_xasprintf("%s_%s%u", adj[r[0] % BRIG_ARRAY_SIZE(adj)],
                          noun[r[1] % BRIG_ARRAY_SIZE(noun)], r[2] % 100);
}

/* Take `name` for `id`: one symlinkat, atomic across processes. */
static int name_take(struct engine *e, const char *name, const char *id, brig_error *reterr)
{
    if (symlinkat(id, e->names_fd, name) == 0)
        return 0;
    if (errno == EEXIST) {
        char other[80] = "";
        ssize_t n = readlinkat(e->names_fd, name, other, sizeof(other) - 1);
        other[n > 0 ? n : 0] = '\0';
        return brig_error_set(reterr, EEXIST,
                              "container name `/%s` is already in use by container `%s`: remove "
                              "or rename that container to reuse the name",
                              name, other);
    }
    return brig_error_errno(reterr, "take container name `%s`", name);
}

static void ctr_free_fields(struct ctr *c)
{
    if (c->lockfd >= 0)
        close(c->lockfd);
    if (c->rec)
        json_object_put(c->rec);
    if (c->config)
        json_object_put(c->config);
    free(c->id);
    free(c->dir);
}

void ctr_free(struct ctr *c)
{
    ctr_free_fields(c);
    free(c);
}

int ctr_new(struct engine *e, const char *name, struct ctr **ret, brig_error *reterr)
{
    _cleanup_free_ char *id = ctr_new_id(reterr), *gen = NULL, *slashed = NULL;
    struct ctr *c;
    int r;

    if (id == NULL)
        return -1;
    if (name) {
        if (name[0] == '/')
            name++;
        if (name_validate(name, reterr) < 0)
            return -1;
    }
    /* The directory first, locked, then the name: a name always points at
     * a directory, and a directory being made is never taken for garbage
     * (ctr_gc skips what it cannot lock).  Between the mkdir and the lock
     * there is no lock file to tell "being made" from "left by a kill -9":
     * that window is covered by a shared flock on containers/, which the gc
     * must take exclusively before it removes a directory without one. */
    if (flock(e->containers_fd, LOCK_SH) < 0)
        return brig_error_errno(reterr, "lock the container store");
    if (mkdirat(e->containers_fd, id, 0700) < 0) {
        brig_error_errno(reterr, "create container directory `%s`", id);
        flock(e->containers_fd, LOCK_UN);
        return -1;
    }
    c = brig_xmalloc0(sizeof(*c));
    c->lockfd = -1;
    c->id = TAKE_PTR(id);
    c->dir = brig_xasprintf("%s/containers/%s", e->conf.storage_root, c->id);
    r = ctr_lock(c, reterr);
    flock(e->containers_fd, LOCK_UN);
    if (r < 0)
        goto fail;
    if (name) {
        if (name_take(e, name, c->id, reterr) < 0)
            goto fail;
    } else {
        /* A generated name may collide; a few tries, then the id's prefix. */
        for (int i = 0; i < 8 && name == NULL; i++) {
            free(gen);
            gen = name_generate();
            if (symlinkat(c->id, e->names_fd, gen) == 0)
                name = gen;
        }
        if (name == NULL) {
            free(gen);
            gen = brig_xasprintf("c%.15s", c->id);
            if (name_take(e, gen, c->id, reterr) < 0)
                goto fail;
            name = gen;
        }
    }
    c->rec = json_object_new_object();
    json_object_object_add(c->rec, "Id", json_object_new_string(c->id));
    slashed = brig_xasprintf("/%s", name);
    json_object_object_add(c->rec, "Name", json_object_new_string(slashed));
    *ret = c;
    return 0;
fail:
    (void)rm_rf_at(e->containers_fd, c->id);
    ctr_free(c);
    return -1;
}

static int ctr_load(struct engine *e, const char *id, struct ctr **ret, brig_error *reterr)
{
    _cleanup_free_ char *path = brig_xasprintf("%s/" RECORD, id), *buf = NULL;
    size_t len;
    json_object *rec;
    struct ctr *c;

    if (brig_read_file_at(e->containers_fd, path, 16 << 20, &buf, &len, reterr) < 0)
        return brig_error_wrap(reterr, "container `%.12s`", id);
    rec = json_tokener_parse(buf);
    if (rec == NULL || !json_object_is_type(rec, json_type_object)) {
        json_object_put(rec);
        return brig_error_set(reterr, 0, "container `%.12s`: record.json is not valid JSON", id);
    }
    c = brig_xmalloc0(sizeof(*c));
    c->lockfd = -1;
    c->id = brig_xstrdup(id);
    c->dir = brig_xasprintf("%s/containers/%s", e->conf.storage_root, id);
    c->rec = rec;
    *ret = c;
    return 0;
}

static bool is_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

int engine_ctr_lookup(struct engine *e, const char *ref, char **ret_id, brig_error *reterr)
{
    char buf[80];
    ssize_t n;
    struct stat st;

    if (ref == NULL || *ref == '\0')
        return brig_error_set(reterr, 0, "container name or id must not be empty");
    if (ref[0] == '/')
        ref++;
    /* A name first, as docker does; then a full id; then a unique prefix. */
    if (strchr(ref, '/') == NULL && strcmp(ref, ".") != 0 && strcmp(ref, "..") != 0) {
        n = readlinkat(e->names_fd, ref, buf, sizeof(buf) - 1);
        if (n > 0) {
            buf[n] = '\0';
            if (fstatat(e->containers_fd, buf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                *ret_id = brig_xstrdup(buf);
                return 0;
            }
        }
    }
    if (is_hex(ref) && strlen(ref) <= 64) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        char *found = NULL;
        int fd = openat(e->containers_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0)
            d = fdopendir(fd);
        while (d && (de = readdir(d)) != NULL) {
            if (strncmp(de->d_name, ref, strlen(ref)) != 0 || de->d_name[0] == '.')
                continue;
            if (found) {
                free(found);
                return brig_error_set(reterr, 0,
                                      "container `%s`: the prefix matches more than one "
                                      "container; give more of the id",
                                      ref);
            }
            found = brig_xstrdup(de->d_name);
        }
        if (found) {
            *ret_id = found;
            return 0;
        }
    }
    return brig_error_set(reterr, ENOENT, "container `%s`: no such container", ref);
}

int ctr_open(struct engine *e, const char *ref, struct ctr **ret, brig_error *reterr)
{
    _cleanup_free_ char *id = NULL;
    if (engine_ctr_lookup(e, ref, &id, reterr) < 0)
        return -1;
    return ctr_load(e, id, ret, reterr);
}

int ctr_save(struct ctr *c, brig_error *reterr)
{
    const char *txt = json_object_to_json_string_ext(c->rec, JSON_C_TO_STRING_PLAIN |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
    _cleanup_free_ char *path = brig_xasprintf("%s/" RECORD, c->dir);
    if (brig_write_file_atomic_at(AT_FDCWD, path, txt, strlen(txt), 0600, reterr) < 0)
        return brig_error_wrap(reterr, "save container `%s`", ctr_name(c));
    return 0;
}

int ctr_lock(struct ctr *c, brig_error *reterr)
{
    /* A POSIX record lock, not flock: it belongs to this process, so the
     * monitor forked while it is held does not keep it. */
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    _cleanup_free_ char *path = NULL;
    if (c->lockfd >= 0)
        return 0;
    path = brig_xasprintf("%s/lock", c->dir);
    c->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (c->lockfd < 0)
        return brig_error_errno(reterr, "lock container `%s`", ctr_name(c));
    while (fcntl(c->lockfd, F_SETLKW, &fl) < 0) {
        if (errno == EINTR)
            continue;
        close(c->lockfd);
        c->lockfd = -1;
        return brig_error_errno(reterr, "lock container `%s`", ctr_name(c));
    }
    return 0;
}

void ctr_unlock(struct ctr *c)
{
    if (c->lockfd >= 0)
        close(c->lockfd);
    c->lockfd = -1;
}

static int rm_rf_at(int parent, const char *name)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d;
    struct dirent *de;

    if (fd < 0)
        return unlinkat(parent, name, 0) == 0 || errno == ENOENT ? 0 : -1;
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN)
            (void)rm_rf_at(dirfd(d), de->d_name);
        else
            (void)unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
    return unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT ? 0 : -1;
}

int ctr_remove_detach(struct engine *e, struct ctr *c, char **ret_trash, brig_error *reterr)
{
    _cleanup_free_ char *trash = brig_xasprintf(TRASH_PREFIX "%s", c->id);
    char buf[80];
    ssize_t n = readlinkat(e->names_fd, ctr_name(c), buf, sizeof(buf) - 1);
    if (n > 0) {
        buf[n] = '\0';
        if (strcmp(buf, c->id) == 0)
            (void)unlinkat(e->names_fd, ctr_name(c), 0);
    }
    /* One rename and the container is gone for everyone (ps skips dot
     * entries); its files can go after.  Gone already: a --rm container's
     * monitor removed it while `rm -f` waited for it to stop. */
    *ret_trash = NULL;
    if (renameat(e->containers_fd, c->id, e->containers_fd, trash) < 0)
        return errno == ENOENT
                   ? 0
                   : brig_error_errno(reterr, "remove container directory `%s`", c->dir);
    *ret_trash = TAKE_PTR(trash);
    return 0;
}

void ctr_trash_remove(struct engine *e, const char *trash)
{
    (void)rm_rf_at(e->containers_fd, trash);
}

int ctr_remove(struct engine *e, struct ctr *c, brig_error *reterr)
{
    _cleanup_free_ char *trash = NULL;
    if (ctr_remove_detach(e, c, &trash, reterr) < 0)
        return -1;
    if (trash && rm_rf_at(e->containers_fd, trash) < 0)
        return brig_error_errno(reterr, "remove container directory `%s`", c->dir);
    return 0;
}

int ctr_rename(struct engine *e, struct ctr *c, const char *name, brig_error *reterr)
{
    _cleanup_free_ char *old = brig_xstrdup(ctr_name(c)), *slashed = NULL;
    if (name[0] == '/')
        name++;
    if (name_validate(name, reterr) < 0)
        return -1;
    if (strcmp(name, old) == 0)
        return brig_error_set(reterr, 0, "rename `%s`: the new name is the same as the old", old);
    if (name_take(e, name, c->id, reterr) < 0)
        return -1;
    slashed = brig_xasprintf("/%s", name);
    json_object_object_add(c->rec, "Name", json_object_new_string(slashed));
    if (ctr_save(c, reterr) < 0) {
        (void)unlinkat(e->names_fd, name, 0);
        return -1;
    }
    (void)unlinkat(e->names_fd, old, 0);
    return 0;
}

const char *ctr_name(const struct ctr *c)
{
    const char *n = ctr_get_str(c, "Name");
    return n ? (n[0] == '/' ? n + 1 : n) : c->id;
}

json_object *ctr_get(const struct ctr *c, const char *path)
{
    json_object *o = c->rec;
    char key[128];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        if (!json_object_object_get_ex(o, key, &o))
            return NULL;
        path += n + (path[n] == '.');
    }
    return o;
}

const char *ctr_get_str(const struct ctr *c, const char *path)
{
    json_object *o = ctr_get(c, path);
    return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

bool ctr_get_bool(const struct ctr *c, const char *path)
{
    json_object *o = ctr_get(c, path);
    return o && json_object_get_boolean(o);
}

void ctr_state_clear(struct ctr_state *s)
{
    free(s->started_at);
    free(s->finished_at);
    memset(s, 0, sizeof(*s));
}

int ctr_state_get(struct engine *e, struct ctr *c, struct ctr_state *ret, brig_error *reterr)
{
    _cleanup_state_ struct brig_state *st = NULL;
    struct monitor_exit x = {0};
    const char *started = ctr_get_str(c, "State.StartedAt");
    int r;

    memset(ret, 0, sizeof(*ret));
    ret->started_at = brig_xstrdup(started ? started : CTR_ZERO_TIME);
    ret->monitor_alive = monitor_pid(c->dir) > 0;
    r = monitor_read_exit(c->dir, &x, reterr);
    if (r < 0)
        return -1;
    if (r == 0) {
        ret->exit_code = x.exit_code;
        ret->oom_killed = x.oom_killed;
        /* An exit record without a FinishedAt string still reads as a
         * time: ps and inspect print this field as it is. */
        ret->finished_at = x.finished_at ? TAKE_PTR(x.finished_at) : brig_xstrdup(CTR_ZERO_TIME);
    } else {
        ret->finished_at = brig_xstrdup(CTR_ZERO_TIME);
    }
    monitor_exit_clear(&x);

    /* The runtime's view wins while it has one: it is computed from the
     * live process, so a crashed brig or monitor cannot make it lie. */
    if (brig_state_exists(e->run_fd, c->id)) {
        _cleanup_error_ brig_error ignored = NULL;
        enum brig_status s;
        st = brig_state_load(e->run_fd, c->id, &ignored);
        if (st && brig_state_status(e->run_fd, st, &s, &ignored) == 0) {
            switch (s) {
            case BRIG_STATUS_RUNNING:
                ret->status = "running";
                ret->pid = st->pid;
                return 0;
            case BRIG_STATUS_PAUSED:
                ret->status = "paused";
                ret->pid = st->pid;
                return 0;
            case BRIG_STATUS_CREATING:
            case BRIG_STATUS_CREATED:
                ret->status = "created";
                return 0;
            case BRIG_STATUS_STOPPED:
                break;
            }
        }
    }
    if (r == 0) {
        ret->status = "exited";
    } else if (started == NULL) {
        ret->status = "created";
    } else if (ret->monitor_alive) {
        ret->status = "created"; /* between the monitor's fork and create */
    } else {
        /* Started, no exit recorded, no monitor: the monitor was killed.
         * docker would say "dead"; the exit code is unknown. */
        ret->status = "exited";
        ret->exit_code = -1;
    }
    return 0;
}

/* A container directory without a record is what a killed create left.
 * If nobody holds its lock (a create in progress does), remove it and the
 * name that points at it. */
static void ctr_gc_one(struct engine *e, const char *id, bool store_locked)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    _cleanup_free_ char *lock = brig_xasprintf("%s/lock", id);
    _cleanup_close_ int fd = openat(e->containers_fd, lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    int nfd;

    /* Held: a create in progress.  No lock file: made by a create that was
     * killed before it could lock, unless one is in that window now (only
     * known while we hold the store's flock exclusively). */
    if (fd >= 0 ? fcntl(fd, F_SETLK, &fl) < 0 : !store_locked)
        return;
    nfd = openat(e->names_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (nfd >= 0 && (d = fdopendir(nfd)) != NULL) {
        while ((de = readdir(d)) != NULL) {
            char buf[80];
            ssize_t n = readlinkat(e->names_fd, de->d_name, buf, sizeof(buf) - 1);
            if (n > 0 && (buf[n] = '\0', strcmp(buf, id) == 0))
                (void)unlinkat(e->names_fd, de->d_name, 0);
        }
    } else if (nfd >= 0) {
        close(nfd);
    }
    (void)rm_rf_at(e->containers_fd, id);
}

int ctr_list(struct engine *e, char ***ret_ids, brig_error *reterr)
{
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    char **ids = NULL;
    size_t n = 0;
    struct mtime {
        char *id;
        struct timespec t;
    } *v = NULL;
    bool store_locked = false;
    int fd = openat(e->containers_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return brig_error_errno(reterr, "list containers");
    }
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        _cleanup_free_ char *rec = brig_xasprintf("%s/" RECORD, de->d_name);
        if (de->d_name[0] == '.') {
            /* what a monitor killed while it emptied a removed container
             * left (if it is still at it, both finish the same job) */
            if (strncmp(de->d_name, TRASH_PREFIX, strlen(TRASH_PREFIX)) == 0)
                (void)rm_rf_at(e->containers_fd, de->d_name);
            continue;
        }
        if (fstatat(e->containers_fd, rec, &st, 0) < 0) {
            if (!store_locked)
                store_locked = flock(e->containers_fd, LOCK_EX | LOCK_NB) == 0;
            ctr_gc_one(e, de->d_name, store_locked); /* half made: no record */
            continue;
        }
        struct stat dst;
        if (fstatat(e->containers_fd, de->d_name, &dst, 0) < 0)
            continue;
        v = brig_xrealloc(v, (n + 1) * sizeof(*v));
        v[n].id = brig_xstrdup(de->d_name);
        v[n].t = dst.st_ctim;
        n++;
    }
    if (store_locked)
        flock(e->containers_fd, LOCK_UN);
    /* newest first, as docker ps lists */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            struct timespec a = v[j - 1].t, b = v[j].t;
            if (a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec >= b.tv_nsec))
                break;
            struct mtime tmp = v[j - 1];
            v[j - 1] = v[j];
            v[j] = tmp;
        }
    ids = brig_xmalloc0((n + 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = v[i].id;
    free(v);
    *ret_ids = ids;
    return 0;
}

bool engine_ctr_is_running(struct engine *e, const char *id)
{
    _cleanup_ctr_ struct ctr *c = NULL;
    _cleanup_error_ brig_error err = NULL;
    struct ctr_state s;
    bool running;
    if (ctr_load(e, id, &c, &err) < 0 || ctr_state_get(e, c, &s, &err) < 0)
        return false;
    running = strcmp(s.status, "running") == 0 || strcmp(s.status, "paused") == 0 ||
              (strcmp(s.status, "created") == 0 && s.monitor_alive);
    ctr_state_clear(&s);
    return running;
}

char *engine_ctr_dir(struct engine *e, const char *id)
{
    return brig_xasprintf("%s/containers/%s", e->conf.storage_root, id);
}

bool engine_image_in_use(const char *image_id, char **ret_user, void *data)
{
    struct engine *e = data;
    _cleanup_error_ brig_error err = NULL;
    char **ids = NULL;
    bool used = false;

    if (ctr_list(e, &ids, &err) < 0)
        return true; /* cannot tell: refuse rather than break a container */
    for (char **id = ids; *id && !used; id++) {
        _cleanup_ctr_ struct ctr *c = NULL;
        const char *img;
        if (ctr_load(e, *id, &c, &err) < 0)
            continue;
        img = ctr_get_str(c, "Image");
        if (img && strcmp(img, image_id) == 0) {
            used = true;
            if (ret_user)
                *ret_user = brig_xasprintf("%s (%.12s)", ctr_name(c), c->id);
        }
    }
    brig_strv_free(ids);
    return used;
}

/* Container state on disk: the directory layout, the lock, and the status
 * computed from the live process (see state.h for the layout). */
#include "state/state.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "core/util.h"

/* A state file is small; anything bigger is not ours. */
#define STATE_FILE_MAX (4u << 20)

const char *brig_status_name(enum brig_status s)
{
    switch (s) {
    case BRIG_STATUS_CREATING:
        return "creating";
    case BRIG_STATUS_CREATED:
        return "created";
    case BRIG_STATUS_RUNNING:
        return "running";
    case BRIG_STATUS_PAUSED:
        return "paused";
    case BRIG_STATUS_STOPPED:
        return "stopped";
    }
    return "unknown";
}

void brig_state_free(struct brig_state *st)
{
    if (st == NULL)
        return;
    free(st->id);
    free(st->bundle);
    free(st->rootfs);
    free(st->created);
    free(st->cgroup);
    free(st->process_label);
    free(st->mount_label);
    free(st->owner);
    for (size_t i = 0; i < st->n_annotations; i++) {
        free(st->annotations[i].key);
        free(st->annotations[i].value);
    }
    free(st->annotations);
    free(st->config_path);
    free(st);
}

int brig_state_root_open(const char *root, brig_error *reterr)
{
    int fd;

    if (root == NULL || *root == '\0')
        return brig_error_set(reterr, 0, "open state root: empty path");
    /* 0700: the state names pids, bundles and labels of every container;
     * only root (the runtime's owner) reads it, as runc's /run/runc. */
    if (brig_mkdir_p_at(AT_FDCWD, root, 0700, reterr) < 0)
        return brig_error_wrap(reterr, "create state root `%s`", root);
    fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return brig_error_errno(reterr, "open state root `%s`", root);
    return fd;
}

int brig_state_dir_create(int rootfd, const char *id, brig_error *reterr)
{
    /* The id becomes a directory name: it must never carry '/' or "..". */
    if (brig_validate_id(id, reterr) < 0)
        return -1;
    if (mkdirat(rootfd, id, 0700) < 0) {
        if (errno == EEXIST)
            return brig_error_set(reterr, 0, "container `%s` already exists", id);
        return brig_error_errno(reterr, "create state directory of `%s`", id);
    }
    return 0;
}

int brig_state_lock(int rootfd, const char *id, brig_error *reterr)
{
    _cleanup_free_ char *path = NULL;
    _cleanup_close_ int fd = -1;

    if (brig_validate_id(id, reterr) < 0)
        return -1;
    path = brig_xasprintf("%s/lock", id);
    /* O_NOFOLLOW: the lock lives in a root-only directory, but never
     * follow a planted symlink when creating a file as root. */
    fd = openat(rootfd, path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0) {
        if (errno == ENOENT)
            return brig_error_set(reterr, 0, "container `%s` does not exist", id);
        return brig_error_errno(reterr, "open lock of container `%s`", id);
    }
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR)
            return brig_error_errno(reterr, "lock container `%s`", id);
    }
    return TAKE_FD(fd);
}

bool brig_state_lock_busy(int rootfd, const char *id)
{
    _cleanup_free_ char *path = NULL;
    _cleanup_close_ int fd = -1;

    if (brig_validate_id(id, NULL) < 0)
        return false;
    path = brig_xasprintf("%s/lock", id);
    fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0)
        return false;
    /* Shared and non-blocking: only an exclusive holder (create, start,
     * delete) makes this fail, and a reader never waits on one. */
    return flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

bool brig_state_exists(int rootfd, const char *id)
{
    struct stat sb;

    if (brig_validate_id(id, NULL) < 0)
        return false;
    return fstatat(rootfd, id, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode);
}

static void json_add_str(struct json_object *o, const char *key, const char *val)
{
    if (val != NULL)
        json_object_object_add(o, key, json_object_new_string(val));
}

static struct json_object *annotations_to_json(const struct brig_state *st)
{
    struct json_object *a = json_object_new_object();

    for (size_t i = 0; i < st->n_annotations; i++)
        json_object_object_add(
            a, st->annotations[i].key,
            json_object_new_string(st->annotations[i].value ? st->annotations[i].value : ""));
    return a;
}

/* Paths are written as is: json-c escapes '/' unless told not to. */
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int brig_state_save(int rootfd, const struct brig_state *st, brig_error *reterr)
{
    struct json_object *o;
    _cleanup_free_ char *path = NULL;
    const char *s;
    int r;

    if (brig_validate_id(st->id, reterr) < 0)
        return -1;
    o = json_object_new_object();
    json_add_str(o, "id", st->id);
    json_object_object_add(o, "pid", json_object_new_int64(st->pid));
    json_object_object_add(o, "pidStartTime", json_object_new_uint64(st->pid_start_time));
    json_add_str(o, "bundle", st->bundle);
    json_add_str(o, "rootfs", st->rootfs);
    json_add_str(o, "created", st->created);
    json_add_str(o, "cgroup", st->cgroup);
    json_add_str(o, "processLabel", st->process_label);
    json_add_str(o, "mountLabel", st->mount_label);
    json_add_str(o, "owner", st->owner);
    json_object_object_add(o, "systemdCgroup", json_object_new_boolean(st->systemd_cgroup));
    json_object_object_add(o, "started", json_object_new_boolean(st->started));
    if (st->creating)
        json_object_object_add(o, "creating", json_object_new_boolean(true));
    json_object_object_add(o, "annotations", annotations_to_json(st));
    json_object_object_add(o, "nsFlags", json_object_new_int64(st->ns_flags));
    json_add_str(o, "configPath", st->config_path);

    s = json_object_to_json_string_ext(o, JSON_FLAGS);
    path = brig_xasprintf("%s/state.json", st->id);
    /* Atomic: a concurrent `state`/`list` sees the old or the new file. */
    r = brig_write_file_atomic_at(rootfd, path, s, strlen(s), 0600, reterr);
    json_object_put(o);
    if (r < 0)
        return brig_error_wrap(reterr, "save state of container `%s`", st->id);
    return 0;
}

/* Optional string field: absent or null gives NULL; any other type is an
 * error so a corrupted file is reported, not half-trusted. */
static int json_get_str(struct json_object *o, const char *key, char **ret, brig_error *reterr)
{
    struct json_object *v;

    *ret = NULL;
    if (!json_object_object_get_ex(o, key, &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return brig_error_set(reterr, 0, "`%s`: not a string", key);
    /* A NUL inside ("\u0000") would cut the value short: the id check
     * below and every path or label would see only its first part. */
    if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
        return brig_error_set(reterr, 0, "`%s`: contains a NUL byte", key);
    *ret = brig_xstrdup(json_object_get_string(v));
    return 0;
}

static int json_get_int(struct json_object *o, const char *key, json_type type, bool *present,
                        struct json_object **ret, brig_error *reterr)
{
    struct json_object *v;

    *present = false;
    if (!json_object_object_get_ex(o, key, &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, type))
        return brig_error_set(reterr, 0, "`%s`: wrong type", key);
    *present = true;
    *ret = v;
    return 0;
}

static int state_from_json(struct json_object *o, struct brig_state *st, brig_error *reterr)
{
    struct json_object *v = NULL;
    bool present;

    if (!json_object_is_type(o, json_type_object))
        return brig_error_set(reterr, 0, "not a JSON object");
    if (json_get_str(o, "id", &st->id, reterr) < 0 ||
        json_get_str(o, "bundle", &st->bundle, reterr) < 0 ||
        json_get_str(o, "rootfs", &st->rootfs, reterr) < 0 ||
        json_get_str(o, "created", &st->created, reterr) < 0 ||
        json_get_str(o, "cgroup", &st->cgroup, reterr) < 0 ||
        json_get_str(o, "processLabel", &st->process_label, reterr) < 0 ||
        json_get_str(o, "mountLabel", &st->mount_label, reterr) < 0 ||
        json_get_str(o, "owner", &st->owner, reterr) < 0 ||
        json_get_str(o, "configPath", &st->config_path, reterr) < 0)
        return -1;
    if (json_get_int(o, "pid", json_type_int, &present, &v, reterr) < 0)
        return -1;
    if (present) {
        int64_t pid = json_object_get_int64(v);
        if (pid < 0 || pid > INT32_MAX)
            return brig_error_set(reterr, 0, "`pid`: out of range");
        st->pid = (pid_t)pid;
    }
    if (json_get_int(o, "pidStartTime", json_type_int, &present, &v, reterr) < 0)
        return -1;
    if (present) {
        /* json-c reads a negative number as 0 here: refuse it instead. */
        if (json_object_get_int64(v) < 0)
            return brig_error_set(reterr, 0, "`pidStartTime`: out of range");
        st->pid_start_time = json_object_get_uint64(v);
    }
    if (json_get_int(o, "nsFlags", json_type_int, &present, &v, reterr) < 0)
        return -1;
    if (present) {
        /* Only CLONE_NEW* bits, all of which fit an int: a value past it
         * would otherwise be cut to other bits, which exec then joins. */
        int64_t f = json_object_get_int64(v);
        if (f < 0 || f > INT32_MAX)
            return brig_error_set(reterr, 0, "`nsFlags`: out of range");
        st->ns_flags = (int)f;
    }
    if (json_get_int(o, "systemdCgroup", json_type_boolean, &present, &v, reterr) < 0)
        return -1;
    if (present)
        st->systemd_cgroup = json_object_get_boolean(v);
    if (json_get_int(o, "started", json_type_boolean, &present, &v, reterr) < 0)
        return -1;
    if (present)
        st->started = json_object_get_boolean(v);
    if (json_get_int(o, "creating", json_type_boolean, &present, &v, reterr) < 0)
        return -1;
    if (present)
        st->creating = json_object_get_boolean(v);
    if (json_get_int(o, "annotations", json_type_object, &present, &v, reterr) < 0)
        return -1;
    if (present) {
        size_t n = (size_t)json_object_object_length(v), i = 0;
        st->annotations = brig_xmalloc0((n ? n : 1) * sizeof(*st->annotations));
        json_object_object_foreach(v, key, val)
        {
            if (!json_object_is_type(val, json_type_string))
                return brig_error_set(reterr, 0, "`annotations.%s`: not a string", key);
            if (strlen(json_object_get_string(val)) != (size_t)json_object_get_string_len(val))
                return brig_error_set(reterr, 0, "`annotations.%s`: contains a NUL byte", key);
            st->annotations[i].key = brig_xstrdup(key);
            st->annotations[i].value = brig_xstrdup(json_object_get_string(val));
            st->n_annotations = ++i;
        }
    }
    return 0;
}

struct brig_state *brig_state_load(int rootfd, const char *id, brig_error *reterr)
{
    _cleanup_free_ char *path = NULL, *buf = NULL;
    _cleanup_state_ struct brig_state *st = NULL;
    struct json_tokener *tok;
    struct json_object *o;
    size_t len = 0;
    int r;

    if (brig_validate_id(id, reterr) < 0)
        return NULL;
    path = brig_xasprintf("%s/state.json", id);
    if (brig_read_file_at(rootfd, path, STATE_FILE_MAX, &buf, &len, reterr) < 0) {
        if (reterr != NULL && *reterr != NULL && (*reterr)->errnum == ENOENT) {
            /* errnum stays ENOENT so callers can tell "absent" from
             * "broken", but the message is the plain one users expect. */
            brig_error_set(reterr, 0, "container `%s` does not exist", id);
            if (*reterr != NULL)
                (*reterr)->errnum = ENOENT;
            return NULL;
        }
        brig_error_wrap(reterr, "load state of container `%s`", id);
        return NULL;
    }
    tok = json_tokener_new();
    o = json_tokener_parse_ex(tok, buf, (int)len);
    if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
        enum json_tokener_error e = json_tokener_get_error(tok);
        /* A truncated file leaves the tokener waiting for more input. */
        brig_error_set(reterr, 0, "load state of container `%s`: invalid JSON: %s", id,
                       e == json_tokener_continue ? "unexpected end of input"
                                                  : json_tokener_error_desc(e));
        json_object_put(o);
        json_tokener_free(tok);
        return NULL;
    }
    json_tokener_free(tok);
    st = brig_xmalloc0(sizeof(*st));
    r = state_from_json(o, st, reterr);
    json_object_put(o);
    if (r < 0) {
        brig_error_wrap(reterr, "load state of container `%s`", id);
        return NULL;
    }
    /* The directory name is the authority: a file claiming another id was
     * copied or tampered with and must not steer actions on that other id. */
    if (st->id == NULL || strcmp(st->id, id) != 0) {
        /* The file's id is shown only when it is one: anything else could
         * carry a newline or an escape into the message. */
        brig_error_set(reterr, 0, "load state of container `%s`: id in state file is `%s`", id,
                       st->id == NULL                        ? "(none)"
                       : brig_validate_id(st->id, NULL) == 0 ? st->id
                                                             : "(not a container id)");
        return NULL;
    }
    return TAKE_PTR(st);
}

/* Remove parentfd/name and everything below it without following symlinks: the state
 * directory is root's, but a removal must never walk out of it. */
static int remove_tree_at(int parentfd, const char *name, brig_error *reterr)
{
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    int fd;

    fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        if (errno == ENOTDIR || errno == ELOOP) {
            if (unlinkat(parentfd, name, 0) < 0 && errno != ENOENT)
                return brig_error_errno(reterr, "remove `%s`", name);
            return 0;
        }
        return brig_error_errno(reterr, "open `%s`", name);
    }
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return brig_error_errno(reterr, "open `%s`", name);
    }
    while ((errno = 0, de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0 || errno == ENOENT)
            continue;
        if (errno != EISDIR && errno != EPERM)
            return brig_error_errno(reterr, "remove `%s/%s`", name, de->d_name);
        if (remove_tree_at(dirfd(d), de->d_name, reterr) < 0)
            return brig_error_wrap(reterr, "remove `%s`", name);
    }
    if (errno != 0)
        return brig_error_errno(reterr, "read directory `%s`", name);
    if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return brig_error_errno(reterr, "remove `%s`", name);
    return 0;
}

int brig_state_remove(int rootfd, const char *id, brig_error *reterr)
{
    if (brig_validate_id(id, reterr) < 0)
        return -1;
    if (remove_tree_at(rootfd, id, reterr) < 0)
        return brig_error_wrap(reterr, "remove state of container `%s`", id);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int brig_state_list(int rootfd, char ***ret_ids, brig_error *reterr)
{
    _cleanup_closedir_ DIR *d = NULL;
    _cleanup_strv_ char **ids = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int fd;

    /* fdopendir takes the fd, and the caller keeps rootfd. */
    fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return brig_error_errno(reterr, "open state root");
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return brig_error_errno(reterr, "open state root");
    }
    ids = brig_xmalloc0(sizeof(char *));
    while ((errno = 0, de = readdir(d)) != NULL) {
        struct stat sb;

        if (de->d_name[0] == '.')
            continue;
        if (de->d_type != DT_DIR) {
            if (de->d_type != DT_UNKNOWN)
                continue;
            if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(sb.st_mode))
                continue;
        }
        /* Other files may share the root (locks, reservations): only names
         * that could be container ids are containers. */
        if (brig_validate_id(de->d_name, NULL) < 0)
            continue;
        if (n + 1 >= cap) {
            cap = cap ? cap * 2 : 16;
            ids = brig_xrealloc(ids, (cap + 1) * sizeof(char *));
        }
        ids[n++] = brig_xstrdup(de->d_name);
        ids[n] = NULL;
    }
    if (errno != 0)
        return brig_error_errno(reterr, "read state root");
    qsort(ids, n, sizeof(char *), cmp_str);
    *ret_ids = TAKE_PTR(ids);
    return 0;
}

/* Fields 3 (state) and 22 (starttime) of /proc/PID/stat.  Field 2 (comm)
 * is in parentheses and may itself contain spaces and ')', so parsing
 * starts after the LAST ')' in the line. */
static int proc_stat_read(pid_t pid, char *ret_state, uint64_t *ret_start)
{
    char path[64], buf[1024];
    _cleanup_close_ int fd = -1;
    ssize_t n;
    char *p, *save = NULL, *tok;
    int field;

    if (pid <= 0) {
        errno = ESRCH;
        return -1;
    }
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = brig_read_all(fd, buf, sizeof(buf) - 1);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (p == NULL) {
        errno = EINVAL;
        return -1;
    }
    field = 3;
    for (tok = strtok_r(p + 1, " \n", &save); tok != NULL;
         tok = strtok_r(NULL, " \n", &save), field++) {
        if (field == 3 && ret_state != NULL)
            *ret_state = tok[0];
        if (field == 22) {
            uint64_t v;
            if (brig_parse_u64(tok, &v) < 0) {
                errno = EINVAL;
                return -1;
            }
            if (ret_start != NULL)
                *ret_start = v;
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

int brig_proc_start_time(pid_t pid, uint64_t *ret)
{
    return proc_stat_read(pid, NULL, ret);
}

bool brig_state_init_alive(const struct brig_state *st)
{
    char state = '?';
    uint64_t start = 0;

    if (st == NULL || st->pid <= 0)
        return false;
    if (proc_stat_read(st->pid, &state, &start) < 0)
        return false;
    /* A zombie has exited; only its parent's wait is missing. */
    if (state == 'Z' || state == 'X' || state == 'x')
        return false;
    /* Pids are recycled: a different start time is a different process,
     * which must never be signalled or reported as the container. */
    return start == st->pid_start_time;
}

int brig_state_status(int rootfd, const struct brig_state *st, enum brig_status *ret,
                      brig_error *reterr)
{
    _cleanup_free_ char *fifo = NULL;
    _cleanup_cgroup_ struct brig_cgroup *cg = NULL;
    bool frozen = false;

    if (!brig_state_init_alive(st)) {
        *ret = BRIG_STATUS_STOPPED;
        return 0;
    }
    if (st->creating) {
        *ret = BRIG_STATUS_CREATING;
        return 0;
    }
    if (brig_validate_id(st->id, reterr) < 0)
        return -1;
    fifo = brig_xasprintf("%s/exec.fifo", st->id);
    if (faccessat(rootfd, fifo, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
        *ret = BRIG_STATUS_CREATED;
        return 0;
    }
    if (st->cgroup != NULL && *st->cgroup != '\0') {
        cg = brig_cgroup_deserialize(st->cgroup, reterr);
        if (cg == NULL)
            return brig_error_wrap(reterr, "status of container `%s`", st->id);
        if (brig_cgroup_is_frozen(cg, &frozen, reterr) < 0)
            return brig_error_wrap(reterr, "status of container `%s`", st->id);
    }
    *ret = frozen ? BRIG_STATUS_PAUSED : BRIG_STATUS_RUNNING;
    return 0;
}

char *brig_state_to_json(const struct brig_state *st, enum brig_status status)
{
    struct json_object *o = json_object_new_object();
    char *s;

    json_object_object_add(o, "ociVersion", json_object_new_string("1.1.0"));
    json_add_str(o, "id", st->id);
    json_object_object_add(o, "status", json_object_new_string(brig_status_name(status)));
    /* As runc: a stopped container reports pid 0, never a pid that may
     * already belong to someone else. */
    json_object_object_add(o, "pid",
                           json_object_new_int(status == BRIG_STATUS_STOPPED ? 0 : st->pid));
    json_add_str(o, "bundle", st->bundle);
    json_add_str(o, "rootfs", st->rootfs);
    json_add_str(o, "created", st->created);
    json_add_str(o, "owner", st->owner);
    /* Optional in the OCI state; omitted when empty, as runc does. */
    if (st->n_annotations > 0)
        json_object_object_add(o, "annotations", annotations_to_json(st));
    json_add_str(o, "selinuxProcessLabel", st->process_label);
    json_add_str(o, "selinuxMountLabel", st->mount_label);
    s = brig_xstrdup(json_object_to_json_string_ext(o, JSON_FLAGS));
    json_object_put(o);
    return s;
}

/* Unit tests for src/lib/state: the on-disk layout, the lock, and the status
 * computed from real processes (forked here, never mocked). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup/cgroup.h"
#include "core/util.h"
#include "state/state.h"

struct fixture {
    char dir[64];
    int rootfd;
};

static int setup(void **state)
{
    struct fixture *f = brig_xmalloc0(sizeof(*f));
    brig_error err = NULL;

    snprintf(f->dir, sizeof(f->dir), "/tmp/brig-test-state-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    /* A root below the temp dir that does not exist yet: root_open makes it. */
    _cleanup_free_ char *root = brig_xasprintf("%s/a/root", f->dir);
    f->rootfd = brig_state_root_open(root, &err);
    assert_null(err);
    assert_true(f->rootfd >= 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    _cleanup_free_ char *cmd = brig_xasprintf("rm -rf '%s'", f->dir);
    close(f->rootfd);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static struct brig_state *state_new(const char *id, pid_t pid, uint64_t start)
{
    struct brig_state *st = brig_xmalloc0(sizeof(*st));
    st->id = brig_xstrdup(id);
    st->pid = pid;
    st->pid_start_time = start;
    st->bundle = brig_xstrdup("/tmp/bundle");
    st->rootfs = brig_xstrdup("/tmp/bundle/rootfs");
    st->created = brig_xstrdup("2024-01-02T03:04:05.123456789Z");
    st->owner = brig_xstrdup("root");
    return st;
}

static void save_ok(int rootfd, const struct brig_state *st)
{
    brig_error err = NULL;
    if (!brig_state_exists(rootfd, st->id)) {
        assert_int_equal(brig_state_dir_create(rootfd, st->id, &err), 0);
        assert_null(err);
    }
    assert_int_equal(brig_state_save(rootfd, st, &err), 0);
    assert_null(err);
}

static enum brig_status status_of(int rootfd, const struct brig_state *st)
{
    brig_error err = NULL;
    enum brig_status s = BRIG_STATUS_CREATING;
    assert_int_equal(brig_state_status(rootfd, st, &s, &err), 0);
    assert_null(err);
    return s;
}

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    _cleanup_state_ struct brig_state *st = state_new("c1", 1234, 987654321012ULL);
    _cleanup_state_ struct brig_state *got = NULL;
    brig_error err = NULL;

    st->cgroup = brig_xstrdup("{\"mode\":\"hybrid\",\"path\":\"/brig/c1\"}");
    st->process_label = brig_xstrdup("system_u:system_r:container_t:s0:c1,c2");
    st->mount_label = brig_xstrdup("system_u:object_r:container_file_t:s0:c1,c2");
    st->systemd_cgroup = true;
    st->started = true;
    st->ns_flags = 0x7e020000;
    st->config_path = brig_xstrdup("/tmp/bundle/config.json");
    st->n_annotations = 2;
    st->annotations = brig_xmalloc0(2 * sizeof(*st->annotations));
    st->annotations[0].key = brig_xstrdup("org.example/key");
    st->annotations[0].value = brig_xstrdup("value with \"quotes\" and /slashes/");
    st->annotations[1].key = brig_xstrdup("empty");
    st->annotations[1].value = brig_xstrdup("");
    save_ok(f->rootfd, st);

    got = brig_state_load(f->rootfd, "c1", &err);
    assert_null(err);
    assert_non_null(got);
    assert_string_equal(got->id, "c1");
    assert_int_equal(got->pid, 1234);
    assert_true(got->pid_start_time == 987654321012ULL);
    assert_string_equal(got->bundle, st->bundle);
    assert_string_equal(got->rootfs, st->rootfs);
    assert_string_equal(got->created, st->created);
    assert_string_equal(got->cgroup, st->cgroup);
    assert_string_equal(got->process_label, st->process_label);
    assert_string_equal(got->mount_label, st->mount_label);
    assert_string_equal(got->owner, "root");
    assert_true(got->systemd_cgroup);
    assert_true(got->started);
    assert_int_equal(got->ns_flags, 0x7e020000);
    assert_string_equal(got->config_path, st->config_path);
    assert_int_equal(got->n_annotations, 2);
    for (size_t i = 0; i < 2; i++) {
        bool found = false;
        for (size_t j = 0; j < got->n_annotations; j++)
            if (strcmp(got->annotations[j].key, st->annotations[i].key) == 0) {
                assert_string_equal(got->annotations[j].value, st->annotations[i].value);
                found = true;
            }
        assert_true(found);
    }

    /* The OCI state carries annotations and labels when set. */
    char *json = brig_state_to_json(got, BRIG_STATUS_RUNNING);
    struct json_object *o = json_tokener_parse(json), *v, *a;
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "annotations", &v));
    assert_true(json_object_object_get_ex(v, "org.example/key", &a));
    assert_string_equal(json_object_get_string(a), st->annotations[0].value);
    assert_true(json_object_object_get_ex(o, "selinuxProcessLabel", &v));
    assert_string_equal(json_object_get_string(v), st->process_label);
    assert_true(json_object_object_get_ex(o, "selinuxMountLabel", &v));
    assert_string_equal(json_object_get_string(v), st->mount_label);
    assert_true(json_object_object_get_ex(o, "status", &v));
    assert_string_equal(json_object_get_string(v), "running");
    json_object_put(o);
    free(json);

    /* Unset optional fields stay unset. */
    _cleanup_state_ struct brig_state *bare = state_new("c2", 0, 0);
    _cleanup_state_ struct brig_state *got2 = NULL;
    save_ok(f->rootfd, bare);
    got2 = brig_state_load(f->rootfd, "c2", &err);
    assert_non_null(got2);
    assert_null(got2->cgroup);
    assert_null(got2->process_label);
    assert_null(got2->mount_label);
    assert_false(got2->started);
    assert_int_equal(got2->n_annotations, 0);
}

static void test_load_missing(void **state)
{
    struct fixture *f = *state;
    brig_error err = NULL;

    assert_null(brig_state_load(f->rootfd, "nope", &err));
    assert_non_null(err);
    assert_int_equal(err->errnum, ENOENT);
    assert_string_equal(err->msg, "container `nope` does not exist");
    brig_error_free(&err);
    assert_false(brig_state_exists(f->rootfd, "nope"));

    /* Ids that could escape the root are refused before any path is built. */
    assert_null(brig_state_load(f->rootfd, "../etc", &err));
    assert_non_null(err);
    brig_error_free(&err);
    assert_int_equal(brig_state_dir_create(f->rootfd, "a/b", &err), -1);
    brig_error_free(&err);
}

static void test_load_mismatched_id(void **state)
{
    struct fixture *f = *state;
    brig_error err = NULL;
    _cleanup_state_ struct brig_state *st = state_new("victim", 1, 1);
    const char *json = "{\"id\":\"other\",\"pid\":1}";

    save_ok(f->rootfd, st);
    assert_int_equal(
        brig_write_file_at(f->rootfd, "victim/state.json", json, strlen(json), 0600, &err), 0);
    assert_null(brig_state_load(f->rootfd, "victim", &err));
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "`other`"));
    brig_error_free(&err);

    assert_int_equal(brig_write_file_at(f->rootfd, "victim/state.json", "{", 1, 0600, &err), 0);
    assert_null(brig_state_load(f->rootfd, "victim", &err));
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "invalid JSON"));
    brig_error_free(&err);
}

static void test_dir_create_twice(void **state)
{
    struct fixture *f = *state;
    brig_error err = NULL;
    struct stat sb;

    assert_int_equal(brig_state_dir_create(f->rootfd, "dup", &err), 0);
    assert_int_equal(fstatat(f->rootfd, "dup", &sb, 0), 0);
    assert_int_equal(sb.st_mode & 07777, 0700);
    assert_true(brig_state_exists(f->rootfd, "dup"));
    assert_int_equal(brig_state_dir_create(f->rootfd, "dup", &err), -1);
    assert_non_null(err);
    assert_string_equal(err->msg, "container `dup` already exists");
    brig_error_free(&err);
}

/* Child: try a non-blocking lock on ROOT/ID/lock; exit 0 if it would block,
 * 1 if it got the lock, 2 on any other failure. */
static int try_lock_in_child(int rootfd, const char *id)
{
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0) {
        char path[256];
        int fd;
        snprintf(path, sizeof(path), "%s/lock", id);
        fd = openat(rootfd, path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
            _exit(2);
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            _exit(1);
        _exit(errno == EWOULDBLOCK ? 0 : 2);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_lock_excludes(void **state)
{
    struct fixture *f = *state;
    brig_error err = NULL;
    int fd;

    assert_int_equal(brig_state_dir_create(f->rootfd, "locked", &err), 0);
    fd = brig_state_lock(f->rootfd, "locked", &err);
    assert_null(err);
    assert_true(fd >= 0);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(try_lock_in_child(f->rootfd, "locked"), 0);
    close(fd);
    assert_int_equal(try_lock_in_child(f->rootfd, "locked"), 1);

    /* No lock for a container that is not there. */
    assert_int_equal(brig_state_lock(f->rootfd, "ghost", &err), -1);
    assert_non_null(err);
    assert_string_equal(err->msg, "container `ghost` does not exist");
    brig_error_free(&err);
}

static pid_t spawn_sleeper(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (;;)
            pause();
    }
    return pid;
}

static void test_status_of_real_process(void **state)
{
    struct fixture *f = *state;
    pid_t pid = spawn_sleeper();
    uint64_t start = 0;
    _cleanup_state_ struct brig_state *st = NULL;
    int status;

    assert_int_equal(brig_proc_start_time(pid, &start), 0);
    assert_true(start > 0);
    st = state_new("live", pid, start);
    save_ok(f->rootfd, st);
    assert_true(brig_state_init_alive(st));
    assert_int_equal(status_of(f->rootfd, st), BRIG_STATUS_RUNNING);

    /* Killed but not yet reaped: a zombie is not alive. */
    assert_int_equal(kill(pid, SIGKILL), 0);
    for (int i = 0; i < 200; i++) {
        if (!brig_state_init_alive(st))
            break;
        usleep(10000);
    }
    assert_false(brig_state_init_alive(st));
    assert_int_equal(status_of(f->rootfd, st), BRIG_STATUS_STOPPED);

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status_of(f->rootfd, st), BRIG_STATUS_STOPPED);
    assert_int_equal(brig_proc_start_time(pid, &start), -1);

    char *json = brig_state_to_json(st, BRIG_STATUS_STOPPED);
    struct json_object *o = json_tokener_parse(json), *v;
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "pid", &v));
    assert_int_equal(json_object_get_int(v), 0);
    json_object_put(o);
    free(json);
}

static void test_recycled_pid_is_stopped(void **state)
{
    struct fixture *f = *state;
    uint64_t start = 0;
    _cleanup_state_ struct brig_state *st = NULL;

    /* Our own pid is alive, but with another start time it stands for a
     * process that is gone and whose pid was reused. */
    assert_int_equal(brig_proc_start_time(getpid(), &start), 0);
    st = state_new("recycled", getpid(), start + 1);
    save_ok(f->rootfd, st);
    assert_false(brig_state_init_alive(st));
    assert_int_equal(status_of(f->rootfd, st), BRIG_STATUS_STOPPED);
    st->pid_start_time = start;
    assert_true(brig_state_init_alive(st));
    st->pid = 0;
    assert_false(brig_state_init_alive(st));
}

static void test_exec_fifo_means_created(void **state)
{
    struct fixture *f = *state;
    uint64_t start = 0;
    _cleanup_state_ struct brig_state *st = NULL;

    assert_int_equal(brig_proc_start_time(getpid(), &start), 0);
    st = state_new("fifo", getpid(), start);
    save_ok(f->rootfd, st);
    assert_int_equal(status_of(f->rootfd, st), BRIG_STATUS_RUNNING);
    assert_int_equal(mkfifoat(f->rootfd, "fifo/exec.fifo", 0600), 0);
    assert_int_equal(status_of(f->rootfd, st), BRIG_STATUS_CREATED);

    char *json = brig_state_to_json(st, BRIG_STATUS_CREATED);
    struct json_object *o = json_tokener_parse(json), *v;
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "status", &v));
    assert_string_equal(json_object_get_string(v), "created");
    assert_true(json_object_object_get_ex(o, "pid", &v));
    assert_int_equal(json_object_get_int(v), getpid());
    assert_true(json_object_object_get_ex(o, "ociVersion", &v));
    assert_string_equal(json_object_get_string(v), "1.1.0");
    assert_true(json_object_object_get_ex(o, "bundle", &v));
    assert_string_equal(json_object_get_string(v), "/tmp/bundle");
    assert_false(json_object_object_get_ex(o, "annotations", &v));
    assert_false(json_object_object_get_ex(o, "selinuxProcessLabel", &v));
    /* Paths are printed as is, not with escaped slashes. */
    assert_null(strstr(json, "\\/"));
    json_object_put(o);
    free(json);
}

static void test_frozen_cgroup_means_paused(void **state)
{
    struct fixture *f = *state;
    _cleanup_cgroup_ struct brig_cgroup *cg = NULL;
    _cleanup_state_ struct brig_state *st = NULL;
    _cleanup_free_ char *path = brig_xasprintf("/brig-test-state-%d", (int)getpid());
    brig_error err = NULL;
    uint64_t start = 0;
    pid_t pid;
    int status;

    cg = brig_cgroup_create(path, "paused", NULL, false, &err);
    if (cg == NULL) {
        /* Only a host without a writable freezer hierarchy lands here. */
        if (err != NULL && (err->errnum == EROFS || err->errnum == EACCES)) {
            printf("# skip: cannot create a cgroup here: %s\n", err->msg);
            brig_error_free(&err);
            skip();
        }
        fail_msg("create cgroup: %s", err ? err->msg : "?");
    }
    pid = spawn_sleeper();
    assert_int_equal(brig_cgroup_enter(cg, pid, &err), 0);
    assert_int_equal(brig_proc_start_time(pid, &start), 0);
    st = state_new("paused", pid, start);
    st->cgroup = brig_cgroup_serialize(cg);
    assert_non_null(st->cgroup);
    save_ok(f->rootfd, st);

    assert_int_equal(status_of(f->rootfd, st), BRIG_STATUS_RUNNING);
    assert_int_equal(brig_cgroup_freeze(cg, true, &err), 0);
    assert_int_equal(status_of(f->rootfd, st), BRIG_STATUS_PAUSED);
    assert_int_equal(brig_cgroup_freeze(cg, false, &err), 0);
    assert_int_equal(status_of(f->rootfd, st), BRIG_STATUS_RUNNING);

    /* The state file carries the cgroup to a later process. */
    _cleanup_state_ struct brig_state *got = brig_state_load(f->rootfd, "paused", &err);
    assert_non_null(got);
    assert_string_equal(got->cgroup, st->cgroup);

    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status_of(f->rootfd, st), BRIG_STATUS_STOPPED);
    assert_int_equal(brig_cgroup_destroy(cg, &err), 0);
}

static void test_start_time_with_odd_comm(void **state)
{
    uint64_t before = 0, after = 0;
    char old[17] = {0};

    (void)state;
    /* A process controls its own comm: one with spaces and ')' must not
     * shift the fields a naive parser would count. */
    assert_int_equal(prctl(PR_GET_NAME, old, 0, 0, 0), 0);
    assert_int_equal(brig_proc_start_time(getpid(), &before), 0);
    assert_int_equal(prctl(PR_SET_NAME, "a) b ) 1 2 3", 0, 0, 0), 0);
    assert_int_equal(brig_proc_start_time(getpid(), &after), 0);
    assert_int_equal(prctl(PR_SET_NAME, old, 0, 0, 0), 0);
    assert_true(before == after);
    assert_true(before > 0);
    assert_int_equal(brig_proc_start_time(0, &after), -1);
    assert_int_equal(brig_proc_start_time(-5, &after), -1);
}

static void test_list_and_remove(void **state)
{
    struct fixture *f = *state;
    brig_error err = NULL;
    _cleanup_strv_ char **ids = NULL;
    const char *make[] = {"zeta", "alpha", "mid"};

    for (size_t i = 0; i < 3; i++) {
        _cleanup_state_ struct brig_state *st = state_new(make[i], 0, 0);
        save_ok(f->rootfd, st);
    }
    /* Not containers: a plain file and a hidden entry. */
    assert_int_equal(brig_write_file_at(f->rootfd, "afile", "x", 1, 0600, &err), 0);
    assert_int_equal(mkdirat(f->rootfd, ".hidden", 0700), 0);

    assert_int_equal(brig_state_list(f->rootfd, &ids, &err), 0);
    assert_null(err);
    assert_int_equal(brig_strv_len(ids), 3);
    assert_string_equal(ids[0], "alpha");
    assert_string_equal(ids[1], "mid");
    assert_string_equal(ids[2], "zeta");

    /* Remove takes nested content too, and is idempotent. */
    assert_int_equal(mkdirat(f->rootfd, "mid/sub", 0700), 0);
    assert_int_equal(symlinkat("/etc", f->rootfd, "mid/sub/link"), 0);
    assert_int_equal(brig_state_remove(f->rootfd, "mid", &err), 0);
    assert_null(err);
    assert_false(brig_state_exists(f->rootfd, "mid"));
    assert_int_equal(access("/etc/passwd", F_OK), 0);
    assert_int_equal(brig_state_remove(f->rootfd, "mid", &err), 0);

    brig_strv_free(ids);
    ids = NULL;
    assert_int_equal(brig_state_list(f->rootfd, &ids, &err), 0);
    assert_int_equal(brig_strv_len(ids), 2);
    assert_string_equal(ids[0], "alpha");
    assert_string_equal(ids[1], "zeta");
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(brig_status_name(BRIG_STATUS_CREATING), "creating");
    assert_string_equal(brig_status_name(BRIG_STATUS_CREATED), "created");
    assert_string_equal(brig_status_name(BRIG_STATUS_RUNNING), "running");
    assert_string_equal(brig_status_name(BRIG_STATUS_PAUSED), "paused");
    assert_string_equal(brig_status_name(BRIG_STATUS_STOPPED), "stopped");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_mismatched_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir_create_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_excludes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_of_real_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recycled_pid_is_stopped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_fifo_means_created, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frozen_cgroup_means_paused, setup, teardown),
        cmocka_unit_test(test_start_time_with_odd_comm),
        cmocka_unit_test_setup_teardown(test_list_and_remove, setup, teardown),
        cmocka_unit_test(test_status_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

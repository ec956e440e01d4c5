/* libFuzzer harness: the engine's container record (src/engine/ctr.c),
 * loaded as every verb loads it: record.json in the container's directory,
 * opened by id.  Text after a line "--exit--" is the monitor's exit.json
 * in the same directory, which the live state reads beside the record.
 *
 * What a loaded record must give: the accessors the verbs use answer with
 * the type they promise (a string accessor never hands back a number's
 * text), ps's time fields parse or are refused without harm, the state is
 * one of docker's words, and a record saved back loads as the same JSON. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctr.h"
#include "fuzz_common.h"
#include "monitor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct engine e = {.storage_fd = -1, .run_fd = -1, .containers_fd = -1, .names_fd = -1};
static char top[64];

static int opendir_at(int dfd, const char *name)
{
    if (mkdirat(dfd, name, 0700) < 0)
        abort();
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        abort();
    return fd;
}

static void setup(void)
{
    snprintf(top, sizeof(top), "%s", fuzz_scratch_dir("ctr"));
    e.storage_fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    e.conf.storage_root = top;
    e.containers_fd = opendir_at(e.storage_fd, "containers");
    e.names_fd = opendir_at(e.storage_fd, "names");
    e.run_fd = opendir_at(e.storage_fd, "run");
    close(opendir_at(e.containers_fd, ID));
}

static void put(const char *name, const void *buf, size_t len)
{
    char path[128];
    snprintf(path, sizeof(path), ID "/%s", name);
    if (buf == NULL) {
        unlinkat(e.containers_fd, path, 0);
        return;
    }
    int fd = openat(e.containers_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (len && write(fd, buf, len) != (ssize_t)len))
        abort();
    close(fd);
}

/* Every dotted path some verb reads from a record. */
static const char *const str_paths[] = {
    "Name",
    "Path",
    "Created",
    "Image",
    "ImageName",
    "ProcessLabel",
    "State.StartedAt",
    "Config.StopSignal",
    "Config.Image",
    "Config.User",
    "HostConfig.SeccompProfile",
    "GraphDriver.Name",
    "GraphDriver.Data.LowerDir",
    "GraphDriver.Data.UpperDir",
    "GraphDriver.Data.WorkDir",
    "GraphDriver.Data.MergedDir",
};
static const char *const bool_paths[] = {"HostConfig.AutoRemove", "HostConfig.Privileged",
                                         "Config.Tty", "Config.OpenStdin"};
static const char *const any_paths[] = {"Args",
                                        "Mounts",
                                        "Config.Labels",
                                        "Config.Cmd",
                                        "Config.StopTimeout",
                                        "HostConfig.Binds",
                                        "HostConfig.CapAdd",
                                        "HostConfig.SecurityOpt",
                                        "SELinuxCheck.Levels",
                                        "a.b.c.d.e.f.g.h"};

static void check_record(struct ctr *c)
{
    for (size_t i = 0; i < sizeof(str_paths) / sizeof(*str_paths); i++) {
        const char *s = ctr_get_str(c, str_paths[i]);
        json_object *o = ctr_get(c, str_paths[i]);
        if (s != NULL && (o == NULL || !json_object_is_type(o, json_type_string) ||
                          strcmp(s, json_object_get_string(o)) != 0))
            abort();
        if (s == NULL && o != NULL && json_object_is_type(o, json_type_string))
            abort();
    }
    for (size_t i = 0; i < sizeof(bool_paths) / sizeof(*bool_paths); i++)
        (void)ctr_get_bool(c, bool_paths[i]);
    for (size_t i = 0; i < sizeof(any_paths) / sizeof(*any_paths); i++)
        (void)json_object_to_json_string(ctr_get(c, any_paths[i]));

    const char *name = ctr_name(c);
    if (name == NULL)
        abort();

    /* ps: "Created" as a time and as "2 minutes ago" */
    double t;
    const char *created = ctr_get_str(c, "Created");
    if (created != NULL)
        (void)engine_parse_time(created, &t);
    free(engine_human_ago(created));
}

static void check_state(struct ctr *c)
{
    static const char *const words[] = {"created",    "running", "paused",
                                        "restarting", "exited",  "dead"};
    struct ctr_state st;
    brig_error err = NULL;

    if (ctr_state_get(&e, c, &st, &err) < 0) {
        fuzz_check_error(err); /* only a broken exit.json */
        brig_error_free(&err);
        ctr_state_clear(&st);
        return;
    }
    bool known = false;
    for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
        known = known || (st.status && strcmp(st.status, words[i]) == 0);
    if (!known || st.started_at == NULL || st.finished_at == NULL)
        abort();
    /* Nothing runs here: the record and exit.json cannot make it so. */
    if (st.pid != 0 || strcmp(st.status, "running") == 0 || strcmp(st.status, "paused") == 0)
        abort();
    ctr_state_clear(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char sep[] = "\n--exit--\n";
    const char *rec = (const char *)data, *exit_json = NULL;
    size_t rec_len = size, exit_len = 0;
    struct ctr *c = NULL;
    brig_error err = NULL;

    if (e.containers_fd < 0)
        setup();
    const char *s = memmem(data, size, sep, sizeof(sep) - 1);
    if (s != NULL) {
        rec_len = (size_t)(s - rec);
        exit_json = s + sizeof(sep) - 1;
        exit_len = size - rec_len - (sizeof(sep) - 1);
    }
    put("record.json", rec, rec_len);
    put("exit.json", exit_json, exit_len);

    if (ctr_open(&e, ID, &c, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
        return 0;
    }
    if (c->rec == NULL || !json_object_is_type(c->rec, json_type_object))
        abort();
    check_record(c);
    check_state(c);

    /* What a verb saves after changing nothing loads back as it was. */
    json_object *before = json_object_get(c->rec);
    if (ctr_save(c, &err) < 0)
        abort();
    ctr_free(c);
    c = NULL;
    if (ctr_open(&e, ID, &c, &err) < 0) {
        fprintf(stderr, "saved record does not load: %s\n", err->msg);
        abort();
    }
    if (!json_object_equal(before, c->rec)) {
        fprintf(stderr, "saved record differs:\n%s\n%s\n", json_object_to_json_string(before),
                json_object_to_json_string(c->rec));
        abort();
    }
    json_object_put(before);
    ctr_free(c);
    return 0;
}

/* libFuzzer harness: state.json (src/lib/state/state.c), loaded as every
 * runtime verb loads it: ROOT/ID/state.json, by id.
 *
 * Oracles: a state that loads names the directory's id; saved back, it
 * loads to the same state, and saving that gives the same bytes again;
 * every field the input set is saved with the value it had (a load never
 * half-trusts a field by silently changing it); the OCI state `state`
 * prints is one JSON object. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/util.h"
#include "fuzz_common.h"
#include "state/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ID "fuzz-ctr"

static int rootfd = -1;

static char *read_state(void)
{
    char *buf = NULL;
    size_t len;
    brig_error err = NULL;
    if (brig_read_file_at(rootfd, ID "/state.json", 1 << 24, &buf, &len, &err) < 0)
        abort();
    return buf;
}

static bool str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool state_eq(const struct brig_state *a, const struct brig_state *b)
{
    if (!str_eq(a->id, b->id) || a->pid != b->pid || a->pid_start_time != b->pid_start_time ||
        !str_eq(a->bundle, b->bundle) || !str_eq(a->rootfs, b->rootfs) ||
        !str_eq(a->created, b->created) || !str_eq(a->cgroup, b->cgroup) ||
        !str_eq(a->process_label, b->process_label) || !str_eq(a->mount_label, b->mount_label) ||
        !str_eq(a->owner, b->owner) || a->systemd_cgroup != b->systemd_cgroup ||
        a->started != b->started || a->ns_flags != b->ns_flags ||
        !str_eq(a->config_path, b->config_path) || a->n_annotations != b->n_annotations)
        return false;
    for (size_t i = 0; i < a->n_annotations; i++)
        if (!str_eq(a->annotations[i].key, b->annotations[i].key) ||
            !str_eq(a->annotations[i].value, b->annotations[i].value))
            return false;
    return true;
}

/* Each field of the input that the loader took is saved as it was. */
static void check_fields_kept(json_object *in, json_object *saved)
{
    json_object_object_foreach(in, key, val)
    {
        json_object *out;
        if (val == NULL || !json_object_object_get_ex(saved, key, &out))
            continue; /* a field brig does not keep, or null */
        if (!json_object_equal(val, out)) {
            fprintf(stderr, "field `%s`: loaded %s, saved %s\n", key,
                    json_object_to_json_string(val), json_object_to_json_string(out));
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    brig_error err = NULL;
    struct brig_state *st, *again;
    char *first, *second;

    if (rootfd < 0) {
        const char *top = fuzz_scratch_dir("state");
        rootfd = brig_state_root_open(top, &err);
        if (rootfd < 0 || brig_state_dir_create(rootfd, ID, &err) < 0)
            abort();
    }
    if (brig_write_file_atomic_at(rootfd, ID "/state.json", data, size, 0600, &err) < 0)
        abort();
    st = brig_state_load(rootfd, ID, &err);
    if (st == NULL) {
        fuzz_check_error(err);
        brig_error_free(&err);
        return 0;
    }
    if (err != NULL || strcmp(st->id, ID) != 0)
        abort();

    if (brig_state_save(rootfd, st, &err) < 0)
        abort();
    first = read_state();
    again = brig_state_load(rootfd, ID, &err);
    if (again == NULL) {
        fprintf(stderr, "saved state does not load: %s\n%s\n", err->msg, first);
        abort();
    }
    if (!state_eq(st, again)) {
        fprintf(stderr, "saved state loads differently:\n%s\n", first);
        abort();
    }
    if (brig_state_save(rootfd, again, &err) < 0)
        abort();
    second = read_state();
    if (strcmp(first, second) != 0)
        abort();

    /* The input parsed the way the loader parsed it (whole buffer). */
    struct json_tokener *tok = json_tokener_new();
    json_object *in = json_tokener_parse_ex(tok, (const char *)data, (int)size);
    json_object *saved = json_tokener_parse(first);
    if (in == NULL || saved == NULL)
        abort();
    check_fields_kept(in, saved);
    json_object_put(in);
    json_object_put(saved);
    json_tokener_free(tok);

    for (int s = BRIG_STATUS_CREATING; s <= BRIG_STATUS_STOPPED; s++) {
        char *oci = brig_state_to_json(st, (enum brig_status)s);
        json_object *o = json_tokener_parse(oci);
        if (o == NULL || !json_object_is_type(o, json_type_object))
            abort();
        json_object_put(o);
        free(oci);
    }
    free(first);
    free(second);
    brig_state_free(st);
    brig_state_free(again);
    return 0;
}

/* libFuzzer harness: what `brig run` parses from its command line and
 * files: -v, --mount, --tmpfs, --security-opt, --ulimit and --env-file
 * (src/engine/specgen.c, specgen_mounts.c, elabel.c).  The first byte picks
 * the option; the rest, split on newlines, is that option given once per
 * line, as a user repeats it.  specgen.c and specgen_mounts.c are included
 * for their static parsers; conf.c too, for brig.conf's default_ulimits
 * check, which must agree with --ulimit's.
 *
 * -v creates a missing host directory: here that call is only recorded, so
 * fuzzing never writes to the host, and checked: only an absolute path.
 *
 * Oracles:
 *   - a mount the engine accepts is what the record (inspect's Mounts)
 *     says: config.json's options parse as the runtime parses them, read-only
 *     exactly when the record says RW false, relabelled exactly when the
 *     record's Mode says z or Z (for a bind), at a clean absolute
 *     destination;
 *   - an accepted label option names identifiers and a well formed level;
 *   - a ulimit brig.conf accepts, --ulimit accepts, with soft <= hard;
 *   - an --env-file gives NAME=VALUE entries, one per name;
 *   - a refusal is one printable line (an option may echo what was typed). */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mount.h>

#include "core/util.h"
#include "fuzz_common.h"
#include "selinux/context.h"

static int mkdir_calls;
static int fuzz_mkdir_p_at(int dirfd, const char *path, mode_t mode, brig_error *reterr)
{
    (void)mode;
    (void)reterr;
    if (dirfd != AT_FDCWD || path[0] != '/')
        abort();
    mkdir_calls++;
    return 0;
}
#define brig_mkdir_p_at fuzz_mkdir_p_at
#include "specgen.c"
#include "specgen_mounts.c"
#undef brig_mkdir_p_at

#define ulimit_names conf_ulimit_names
#define ulimit_value conf_ulimit_value
#include "conf.c"
#undef ulimit_names
#undef ulimit_value

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An option's error quotes what the user typed, as docker's do: a control
 * byte in the message is fine when the user typed it, never otherwise.
 * (A file's content, --env-file, is held to fuzz_check_error.) */
static void check_arg_error(brig_error err, const char *typed)
{
    for (const char *c = typed; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            if (err == NULL || err->msg == NULL || err->msg[0] == '\0')
                abort();
            return;
        }
    fuzz_check_error(err);
}

static const char *get_str(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        abort();
    return json_object_get_string(v);
}

/* The last mount added agrees with its record. */
static void check_mount(json_object *mounts, json_object *recmounts)
{
    size_t n = json_object_array_length(mounts);
    json_object *m = json_object_array_get_idx(mounts, n - 1), *opts, *rw;
    json_object *r = json_object_array_get_idx(recmounts, json_object_array_length(recmounts) - 1);
    _cleanup_strv_ char **v = NULL;
    struct brig_mount_opts mo = {0};
    brig_error err = NULL;

    if (n == 0 || r == NULL)
        abort();
    const char *dest = get_str(m, "destination"), *type = get_str(m, "type");
    if (!specgen_path_clean_abs(dest) || strcmp(dest, "/") == 0 ||
        strcmp(dest, get_str(r, "Destination")) != 0)
        abort();
    /* one mount per destination: a later one replaces an earlier one */
    for (size_t i = 0; i + 1 < n; i++)
        if (strcmp(get_str(json_object_array_get_idx(mounts, i), "destination"), dest) == 0)
            abort();
    if (strcmp(type, "bind") == 0 && get_str(m, "source")[0] != '/')
        abort();
    if (!json_object_object_get_ex(m, "options", &opts))
        abort();
    for (size_t i = 0; i < json_object_array_length(opts); i++)
        brig_strv_append(&v, json_object_get_string(json_object_array_get_idx(opts, i)));
    if (brig_spec_parse_mount_options(v, &mo, &err) < 0) {
        fprintf(stderr, "accepted, but the runtime refuses its options: %s\n", err->msg);
        abort();
    }
    if (!json_object_object_get_ex(r, "RW", &rw))
        abort();
    if (json_object_get_boolean(rw) == ((mo.flags & MS_RDONLY) != 0)) {
        fprintf(stderr, "record RW=%d, options %s\n", json_object_get_boolean(rw),
                json_object_to_json_string(opts));
        abort();
    }
    const char *mode = get_str(r, "Mode");
    enum brig_relabel want = strcmp(mode, "z") == 0   ? BRIG_RELABEL_SHARED
                             : strcmp(mode, "Z") == 0 ? BRIG_RELABEL_PRIVATE
                                                      : BRIG_RELABEL_NONE;
    /* (a tmpfs is new and empty: z/Z on it relabel nothing of the host's) */
    if (strcmp(type, "bind") == 0 && mo.relabel != want) {
        fprintf(stderr, "record Mode `%s`, options %s\n", mode, json_object_to_json_string(opts));
        abort();
    }
    brig_mount_opts_clear(&mo);
}

static void check_ident(const char *s)
{
    if (s == NULL)
        return;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.' || *s == '-'))
            abort();
}

static void check_security_opt(const char *v)
{
    brig_error err = NULL;
    bool nnp;
    char *one[] = {(char *)v, NULL};
    struct run_opts o = {.security_opts = one};

    if (security_opts_check(&o, NULL, &nnp, &err) < 0) {
        check_arg_error(err, v);
        brig_error_free(&err);
        return;
    }
    if (strncmp(v, "label", 5) == 0 && strcmp(v + 6, "check") != 0) {
        struct brig_label_opts lo = {0};
        if (brig_label_opts_add(&lo, v + 6, &err) < 0)
            abort();
        check_ident(lo.type);
        check_ident(lo.filetype);
        check_ident(lo.user);
        check_ident(lo.role);
        if (lo.level && brig_label_level_validate(lo.level, &err) < 0)
            abort();
        brig_label_opts_clear(&lo);
    }
}

static void check_ulimit_both(const char *u, json_object *rlimits)
{
    brig_error err = NULL, err2 = NULL;
    int conf_r = check_ulimit(u, NULL, &err);
    size_t before = json_object_array_length(rlimits);

    if (conf_r < 0) {
        check_arg_error(err, u);
        brig_error_free(&err);
    }
    if (ulimit_json(u, rlimits, &err2) < 0) {
        check_arg_error(err2, u);
        brig_error_free(&err2);
        if (conf_r == 0) {
            fprintf(stderr, "brig.conf takes `%s`, --ulimit refuses it\n", u);
            abort();
        }
        if (json_object_array_length(rlimits) != before)
            abort();
        return;
    }
    json_object *r = json_object_array_get_idx(rlimits, json_object_array_length(rlimits) - 1);
    json_object *soft, *hard;
    if (!json_object_object_get_ex(r, "soft", &soft) ||
        !json_object_object_get_ex(r, "hard", &hard))
        abort();
    if (json_object_get_uint64(soft) > json_object_get_uint64(hard))
        abort();
    if (strncmp(get_str(r, "type"), "RLIMIT_", 7) != 0)
        abort();
    /* one entry per limit */
    for (size_t i = 0; i + 1 < json_object_array_length(rlimits); i++)
        if (strcmp(get_str(json_object_array_get_idx(rlimits, i), "type"), get_str(r, "type")) == 0)
            abort();
}

static void check_env_file(const uint8_t *data, size_t size)
{
    static char path[64];
    char **env = NULL;
    brig_error err = NULL;

    if (path[0] == '\0') {
        snprintf(path, sizeof(path), "%s/env", fuzz_scratch_dir("envfile"));
    }
    if (brig_write_file_atomic_at(AT_FDCWD, path, data, size, 0600, &err) < 0)
        abort();
    if (env_add_file(&env, path, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
        brig_strv_free(env);
        return;
    }
    for (char **e = env; e && *e; e++) {
        size_t k = strcspn(*e, "=");
        if ((*e)[k] != '=' || k == 0 || strpbrk(*e, "\n") || memchr(*e, ' ', k) ||
            memchr(*e, '\t', k))
            abort();
        for (char **f = env; f < e; f++)
            if (strncmp(*f, *e, k + 1) == 0)
                abort();
    }
    brig_strv_free(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned mode = data[0] % 6;
    if (mode == 5) {
        check_env_file(data + 1, size - 1);
        return 0;
    }
    char *buf = strndup((const char *)data + 1, size - 1), *save = NULL;
    json_object *mounts = json_object_new_array(), *rec = json_object_new_array();
    json_object *rlimits = json_object_new_array();

    if (buf == NULL)
        abort();
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        brig_error err = NULL;
        int r = 0, calls = mkdir_calls;
        switch (mode) {
        case 0:
            r = specgen_volume_add(line, mounts, rec, &err);
            break;
        case 1:
            r = specgen_mount_add(line, mounts, rec, &err);
            break;
        case 2:
            r = specgen_tmpfs_add(line, mounts, rec, &err);
            break;
        case 3:
            check_security_opt(line);
            continue;
        case 4:
            check_ulimit_both(line, rlimits);
            continue;
        }
        if (r < 0) {
            check_arg_error(err, line);
            brig_error_free(&err);
            continue;
        }
        if (mode != 0 && mkdir_calls != calls)
            abort(); /* only -v creates a host directory */
        check_mount(mounts, rec);
    }
    free(buf);
    json_object_put(mounts);
    json_object_put(rec);
    json_object_put(rlimits);
    return 0;
}

/* libFuzzer harness: brig.conf (src/engine/conf.c).  The input is the file.
 * conf.c is included so its parser is reached without a file on disk.
 *
 * What an accepted file must give: every setting inside the range its
 * setter promises (a typo in a security setting never passes as something
 * else), and the settings written back out as brig.conf parse to the same
 * settings (the string quoting has no second reading). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.c"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The policy language's identifier, checked here rather than with conf.c's
 * own function: a type with ":" would carry a level into the label. */
static void check_type(const char *t)
{
    if (t == NULL)
        return;
    if (t[0] == '\0')
        abort();
    for (; *t; t++)
        if (!isalnum((unsigned char)*t) && *t != '_')
            abort();
}

/* What every setter promises about an accepted file. */
static void check_conf(const struct engine_conf *c)
{
    if (c->storage_root == NULL || c->storage_root[0] != '/' || c->run_root == NULL ||
        c->run_root[0] != '/')
        abort();
    if (c->seccomp_profile != NULL && c->seccomp_profile[0] != '/' &&
        strcmp(c->seccomp_profile, "unconfined") != 0)
        abort();
    check_type(c->label_process_type);
    check_type(c->label_file_type);
    if (c->log_max_size < 1024 || c->log_max_files < 1 || c->log_max_files > 1000)
        abort();
    if (strcmp(c->storage_driver, "overlay") != 0 && strcmp(c->storage_driver, "vfs") != 0)
        abort();
    for (char **u = c->default_ulimits; u && *u; u++) {
        brig_error err = NULL;
        /* each one alone is a valid limit (duplicates were refused) */
        if (check_ulimit(*u, NULL, &err) < 0)
            abort();
        for (char **e = c->default_ulimits; e < u; e++)
            if (strncmp(*e, *u, strcspn(*u, "=") + 1) == 0)
                abort();
    }
    for (char **k = c->default_caps; k && *k; k++)
        if (strncmp(*k, "CAP_", 4) != 0 || brig_cap_from_name(*k) < 0)
            abort();
}

static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void put_array(FILE *f, const char *key, char **v)
{
    fprintf(f, "%s = [", key);
    for (; v && *v; v++) {
        put_string(f, *v);
        fputs(v[1] ? ",\n  " : "", f);
    }
    fputs("]\n", f);
}

/* The settings as a brig.conf that sets every key. */
static char *conf_write(const struct engine_conf *c, size_t *ret_len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, ret_len);

    if (f == NULL)
        abort();
    fputs("[brig]\nstorage_root = ", f);
    put_string(f, c->storage_root);
    fputs("\nrun_root = ", f);
    put_string(f, c->run_root);
    fputc('\n', f);
    if (c->default_ulimits)
        put_array(f, "default_ulimits", c->default_ulimits);
    if (c->default_caps)
        put_array(f, "default_capabilities", c->default_caps);
    fputs("seccomp_profile = ", f);
    put_string(f, c->seccomp_profile ? c->seccomp_profile : "default");
    fprintf(f, "\nlabel = %s\n", c->label ? "true" : "false");
    if (c->label_process_type) {
        fputs("label_process_type = ", f);
        put_string(f, c->label_process_type);
        fputc('\n', f);
    }
    if (c->label_file_type) {
        fputs("label_file_type = ", f);
        put_string(f, c->label_file_type);
        fputc('\n', f);
    }
    fprintf(f, "log_max_size = %" PRIu64 "\nlog_max_files = %u\nstorage_driver = ", c->log_max_size,
            c->log_max_files);
    put_string(f, c->storage_driver);
    fputc('\n', f);
    fclose(f);
    return text;
}

static bool str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool strv_eq(char **a, char **b)
{
    if ((a == NULL) != (b == NULL))
        return false;
    for (; a && *a && *b; a++, b++)
        if (strcmp(*a, *b) != 0)
            return false;
    return a == NULL || (*a == NULL && *b == NULL);
}

static bool conf_eq(const struct engine_conf *a, const struct engine_conf *b)
{
    return str_eq(a->storage_root, b->storage_root) && str_eq(a->run_root, b->run_root) &&
           strv_eq(a->default_ulimits, b->default_ulimits) &&
           strv_eq(a->default_caps, b->default_caps) &&
           str_eq(a->seccomp_profile, b->seccomp_profile) && a->label == b->label &&
           str_eq(a->label_process_type, b->label_process_type) &&
           str_eq(a->label_file_type, b->label_file_type) && a->log_max_size == b->log_max_size &&
           a->log_max_files == b->log_max_files && str_eq(a->storage_driver, b->storage_driver);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct engine_conf c, again;
    brig_error err = NULL;
    char *text;
    size_t len;

    conf_defaults(&c);
    if (conf_parse(&c, "fuzz.conf", (const char *)data, size, &err) < 0) {
        fuzz_check_error(err);
        /* every complaint names the file and the line */
        if (strncmp(err->msg, "fuzz.conf", 9) != 0)
            abort();
        brig_error_free(&err);
        engine_conf_clear(&c);
        return 0;
    }
    if (err != NULL)
        abort();
    check_conf(&c);

    text = conf_write(&c, &len);
    conf_defaults(&again);
    if (conf_parse(&again, "again.conf", text, len, &err) < 0) {
        fprintf(stderr, "written back, refused: %s\n%s", err->msg, text);
        abort();
    }
    if (!conf_eq(&c, &again)) {
        fprintf(stderr, "written back, read differently:\n%s", text);
        abort();
    }
    free(text);
    engine_conf_clear(&again);
    engine_conf_clear(&c);
    return 0;
}

/* libFuzzer harness: SELinux label options and levels.  The input is split
 * on newlines; each line is a `--security-opt label=` value, a level and a
 * context at once, and the options accumulate as on a command line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "selinux/context.h"
#include "selinux/label.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A name part of a context never holds ':', or it would shift the level. */
static void check_name(const char *s)
{
    if (s != NULL && (s[0] == '\0' || strchr(s, ':') != NULL))
        abort();
}

static void check_line(struct brig_label_opts *opts, const char *line)
{
    brig_error err = NULL;
    char *c;
    const char *lvl;

    if (brig_label_opts_add(opts, line, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
    }
    check_name(opts->type);
    check_name(opts->user);
    check_name(opts->role);
    check_name(opts->filetype);
    /* A level that got in is one the validator accepts. */
    if (opts->level != NULL && brig_label_level_validate(opts->level, NULL) < 0)
        abort();

    if (brig_label_level_validate(line, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
    } else {
        /* A valid level never holds a byte a context would choke on. */
        for (const char *p = line; *p; p++)
            if (!(*p == 's' || *p == 'c' || *p == ':' || *p == ',' || *p == '.' ||
                  (*p >= '0' && *p <= '9')))
                abort();
    }

    /* The line as a level: the level comes back out unchanged. */
    c = brig_context_with_level("system_u:system_r:brig_container_t:s0", line);
    if (c == NULL)
        abort();
    lvl = brig_context_level(c);
    if (line[0] != '\0' ? (lvl == NULL || strcmp(lvl, line) != 0) : lvl != NULL)
        abort();
    if (strncmp(c, "system_u:system_r:brig_container_t", 34) != 0)
        abort();
    free(c);

    /* The line as a context: swapping the level keeps the first three
     * parts, and the new level reads back. */
    c = brig_context_with_level(line, "s0:c1,c2");
    lvl = brig_context_level(line);
    if (c != NULL) {
        const char *nl = brig_context_level(c);
        size_t head = lvl != NULL ? (size_t)(lvl - line) - 1 : strlen(line);
        if (nl == NULL || strcmp(nl, "s0:c1,c2") != 0 || strncmp(c, line, head) != 0)
            abort();
        free(c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct brig_label_defaults d = {
        .process = (char *)"system_u:system_r:brig_container_t:s0",
        .file = (char *)"system_u:object_r:brig_container_file_t:s0",
        .ro_file = (char *)"system_u:object_r:brig_container_ro_file_t:s0",
        .source = (char *)"brig",
    };
    struct brig_label_opts opts = {0};
    brig_error err = NULL;
    char *buf, *line, *next, *p = NULL, *m = NULL;

    /* Options are C strings: stop at the first NUL like a caller would. */
    buf = malloc(size + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    for (line = buf; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        check_line(&opts, line);
    }

    /* Whatever options got in make labels whose level is the one asked
     * for; without SELinux (the fuzzing host) no policy is consulted, so
     * accepted options must always compute. */
    if (!brig_selinux_enabled()) {
        const char *want = opts.disable ? "s0" : opts.level ? opts.level : "s0:c7,c9";
        if (brig_label_compute(&d, &opts, "s0:c7,c9", &p, &m, &err) < 0)
            abort();
        if (strcmp(brig_context_level(p), want) != 0)
            abort();
        if (opts.disable ? m != NULL : (m == NULL || strcmp(brig_context_level(m), want) != 0))
            abort();
        free(p);
        free(m);
    }
    brig_label_opts_clear(&opts);
    free(buf);
    return 0;
}

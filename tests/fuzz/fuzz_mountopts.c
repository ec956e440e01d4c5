/* libFuzzer harness: mount options, the input split on commas the way the
 * engine splits a `-v SRC:DST:OPTS` suffix. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct brig_mount_opts o;
    brig_error err = NULL;
    char *buf, **opts;
    size_t n = 1;

    /* Options are C strings: stop at the first NUL like a caller would. */
    buf = malloc(size + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    for (char *c = buf; *c; c++)
        n += *c == ',';
    opts = calloc(n + 1, sizeof(char *));
    if (opts == NULL) {
        free(buf);
        return 0;
    }
    /* Keep empty pieces ("a,,b"): the parser must refuse them itself. */
    opts[0] = buf;
    for (size_t i = 1; i < n; i++) {
        char *comma = strchr(opts[i - 1], ',');
        *comma = '\0';
        opts[i] = comma + 1;
    }

    if (brig_spec_parse_mount_options(opts, &o, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
    } else {
        /* Set and cleared flags never overlap; data is never an empty
         * string and never has an empty item. */
        if ((o.flags & o.clear_flags) != 0)
            abort();
        if (o.data != NULL && (o.data[0] == '\0' || o.data[0] == ',' ||
                               strstr(o.data, ",,") != NULL || o.data[strlen(o.data) - 1] == ','))
            abort();
        brig_mount_opts_clear(&o);
    }
    free(opts);
    free(buf);
    return 0;
}

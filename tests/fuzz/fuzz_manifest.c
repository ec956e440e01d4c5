/* libFuzzer harness: the image store's document parsers (docker-archive's
 * manifest.json, OCI index and image manifest, image config), the name
 * grammar and layer entry paths, all on the same input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "fuzz_common.h"
#include "image/image_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data;
    brig_error err = NULL;

    struct image_docker_entry *v = NULL;
    size_t n = 0;
    if (image_parse_docker_manifest(d, size, &v, &n, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
    } else {
        for (size_t i = 0; i < n; i++)
            if (v[i].config == NULL || v[i].config[0] == '\0' || v[i].layers == NULL ||
                v[i].repo_tags == NULL)
                abort();
        image_docker_entries_free(v, n);
    }

    struct image_descriptor *ds = NULL, cfg;
    if (image_parse_oci_index(d, size, &ds, &n, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
    } else {
        for (size_t i = 0; i < n; i++)
            if (strlen(ds[i].hex) != 64 || !image_is_hex(ds[i].hex, 64))
                abort();
        image_descriptors_free(ds, n);
    }
    if (image_parse_oci_manifest(d, size, &cfg, &ds, &n, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
    } else {
        if (!image_is_hex(cfg.hex, 64))
            abort();
        free(cfg.media_type), free(cfg.ref_name), free(cfg.arch), free(cfg.os);
        image_descriptors_free(ds, n);
    }

    struct brig_image *img = brig_xmalloc0(sizeof(*img));
    char **ids = NULL;
    if (image_parse_config(d, size, img, &ids, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
    } else {
        for (char **p = ids; *p; p++)
            if (!image_is_hex(*p, 64))
                abort();
        if (img->env == NULL || img->cmd == NULL || img->entrypoint == NULL)
            abort();
        brig_strv_free(ids);
    }
    brig_image_free(img);

    /* The first line as a name and as a layer entry path. */
    char *line = strndup(d, size);
    if (line == NULL)
        abort();
    line[strcspn(line, "\n")] = '\0';
    char *out = NULL;
    if (brig_image_name_normalize(line, &out, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
    } else {
        /* normal form is a fixed point */
        char *again = NULL;
        if (brig_image_name_normalize(out, &again, &err) < 0 || strcmp(again, out) != 0)
            abort();
        free(again);
        free(out);
    }
    if (image_entry_path(line, &out, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
    } else {
        if (out[0] == '/' || strstr(out, "//") != NULL || strcmp(out, "..") == 0 ||
            strncmp(out, "../", 3) == 0 || strstr(out, "/../") != NULL)
            abort();
        free(out);
    }
    free(line);
    return 0;
}

/* libFuzzer harness: a (possibly compressed) tar stream through the layer
 * unpacker into a scratch directory.  Whatever the stream holds, nothing
 * may appear beside the layer directory, and a failure is one line. */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "image/image_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char top[64];
static int topfd = -1;

static void only_layer_left(void)
{
    DIR *d = opendir(top);
    struct dirent *de;
    if (d == NULL)
        abort();
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "layer"))
            abort(); /* something landed outside the layer */
    closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    brig_error err = NULL;
    struct image_layer_result res;
    int fd;

    if (topfd < 0) {
        strcpy(top, "/tmp/brig-fuzz-layer-XXXXXX");
        if (mkdtemp(top) == NULL)
            abort();
        topfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (mkdirat(topfd, "layer", 0755) < 0)
        abort();
    fd = openat(topfd, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        abort();
    if (image_unpack_layer_mem(fd, data, size, 0, "layer `fuzz`", &res, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
    } else if (strlen(res.diff_id) != 64 || res.blob_size != size) {
        abort();
    }
    close(fd);
    only_layer_left();
    if (image_rm_rf_at(topfd, "layer", &err) < 0)
        abort();
    return 0;
}

/* store.c's helpers for query.c and archive.c (json-c types). */
#ifndef BRIG_IMAGE_STORE_INTERNAL_H
#define BRIG_IMAGE_STORE_INTERNAL_H

#include <json-c/json.h>

#include "image/image_internal.h"

/* Read a JSON object from a store path; with missing_ok an absent file is
 * an empty object. */
json_object *image_store_read_json(struct brig_image_store *s, const char *path, bool missing_ok,
                                   brig_error *reterr);
/* Write via tmp/ and rename. */
int image_store_write(struct brig_image_store *s, const char *path, const char *data, size_t len,
                      brig_error *reterr);
int image_store_write_json(struct brig_image_store *s, const char *path, json_object *o,
                           brig_error *reterr);
int image_store_discard(struct brig_image_store *s, int dirfd, const char *name,
                        brig_error *reterr);

#endif

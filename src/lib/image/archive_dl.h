/* libarchive, loaded when the image store first reads an archive.
 *
 * brig does not link libarchive: libarchive.so.13 pulls in libxml2, ICU,
 * libstdc++ and six compression libraries, and mapping them cost ~2.3 ms on
 * every brig invocation, though only image commands read archives.
 * archive_dl.c defines the libarchive functions src/lib/image uses as
 * forwarders into the library dlopen()ed by brig_archive_load().
 */
#ifndef BRIG_IMAGE_ARCHIVE_DL_H
#define BRIG_IMAGE_ARCHIVE_DL_H

#include "core/error.h"

/* Load libarchive.so.13 and resolve every function the image store calls;
 * a missing library or symbol fails here, with dlerror()'s text.  Cheap
 * after the first success.  Call it before the first archive_read_new():
 * the forwarders do not check, and call through a NULL pointer otherwise. */
int brig_archive_load(brig_error *reterr);

#endif

/* codec_util.h — small helpers shared by the two decoders (not public). */
#ifndef VITRINE_CODEC_UTIL_H
#define VITRINE_CODEC_UTIL_H

#include "vitrine_codecs.h"

/** Clears `error` to VT_OK with an empty message. */
void vt_clear_error(vt_error *error);

/** Sets `error` and returns its status, printf-style. */
vt_status vt_set_error(vt_error *error, vt_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#endif

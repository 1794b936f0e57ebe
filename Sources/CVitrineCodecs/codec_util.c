/* codec_util.c — error helpers and version reporting. */
#include "codec_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

void vt_clear_error(vt_error *error) {
    error->status = VT_OK;
    error->message[0] = '\0';
}

vt_status vt_set_error(vt_error *error, vt_status status, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
    error->status = status;
    return status;
}

#define VT_STR(x) #x
#define VT_XSTR(x) VT_STR(x)

const char *vt_codec_versions(void) {
#ifdef LIBJPEG_TURBO_VERSION
    return "libjpeg-turbo " VT_XSTR(LIBJPEG_TURBO_VERSION) ", libpng " PNG_LIBPNG_VER_STRING;
#else
    return "libjpeg " VT_XSTR(JPEG_LIB_VERSION) ", libpng " PNG_LIBPNG_VER_STRING;
#endif
}

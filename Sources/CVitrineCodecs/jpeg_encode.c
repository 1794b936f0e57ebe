/* jpeg_encode.c — RGB pixels to a baseline JPEG in memory (thumbnails). */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "codec_util.h"

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} vt_encode_errors;

static void vt_encode_error_exit(j_common_ptr cinfo) {
    vt_encode_errors *errors = (vt_encode_errors *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, errors->message);
    longjmp(errors->jump, 1);
}

static void vt_encode_output_message(j_common_ptr cinfo) { (void)cinfo; }

vt_status vt_jpeg_encode(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                         uint8_t **out, size_t *out_size, vt_error *error) {
    vt_clear_error(error);
    *out = NULL;
    *out_size = 0;
    if (rgb == NULL || width == 0 || height == 0 || width > 65500 || height > 65500) {
        return vt_set_error(error, VT_ERR_INVALID_ARGUMENT, "cannot encode a %ux%u image", width, height);
    }
    struct jpeg_compress_struct cinfo;
    vt_encode_errors errors;
    memset(&errors, 0, sizeof errors);
    cinfo.err = jpeg_std_error(&errors.pub);
    errors.pub.error_exit = vt_encode_error_exit;
    errors.pub.output_message = vt_encode_output_message;
    /* libjpeg writes the buffer's address here; its address escapes, so it survives longjmp. */
    unsigned char *destination = NULL;
    unsigned long size = 0;
    if (setjmp(errors.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(destination);
        return vt_set_error(error, VT_ERR_NO_MEMORY, "JPEG encoding failed: %s", errors.message);
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &destination, &size);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality < 1 ? 1 : (quality > 100 ? 100 : quality), TRUE);
    cinfo.dct_method = JDCT_IFAST; /* previews: the fast DCT loses nothing visible at these sizes */
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * width * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = destination;
    *out_size = size;
    return VT_OK;
}

void vt_jpeg_free(uint8_t *buffer) { free(buffer); }

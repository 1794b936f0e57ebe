/*
 * png_decode.c — libpng behind vitrine_codecs.h.
 *
 * Every colour type and bit depth is expanded to 8-bit RGBA (palette and tRNS
 * to alpha, gray to RGB, 16-bit scaled with rounding), then alpha is
 * composited onto white in sRGB space, as browsers and catalogue tools do.
 * A bad CRC in a critical chunk, pixel data that ends early, or a file that
 * ends early are errors; a bad ancillary chunk is dropped with a (silent)
 * warning, and nothing after the last pixel row is read at all.
 */
#include "vitrine_codecs.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "codec_util.h"

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    int hit_end;         /* the reader ran out of bytes */
    vt_status status;    /* set by the error callback */
    char message[200];
} vt_png_source;

static void vt_png_read(png_structp png, png_bytep out, size_t length) {
    vt_png_source *src = (vt_png_source *)png_get_io_ptr(png);
    if (src->size - src->offset < length) {
        src->hit_end = 1;
        png_error(png, "unexpected end of PNG data");
    }
    memcpy(out, src->data + src->offset, length);
    src->offset += length;
}

static void vt_png_error(png_structp png, png_const_charp message) {
    vt_png_source *src = (vt_png_source *)png_get_error_ptr(png);
    strncpy(src->message, message, sizeof src->message - 1);
    src->message[sizeof src->message - 1] = '\0';
    if (src->hit_end || strstr(message, "Not enough image data") != NULL ||
        strstr(message, "Not enough compressed data") != NULL) {
        src->status = VT_ERR_TRUNCATED;
    } else if (strstr(message, "Out of memory") != NULL ||
               strstr(message, "out of memory") != NULL) {
        src->status = VT_ERR_NO_MEMORY;
    } else {
        src->status = VT_ERR_CORRUPT;
    }
    png_longjmp(png, 1);
}

static void vt_png_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message; /* ancillary damage is tolerated, and never printed */
}

static png_structp vt_png_create(vt_png_source *src, png_infop *info) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, src, vt_png_error,
                                             vt_png_warning);
    if (png == NULL) return NULL;
    *info = png_create_info_struct(png);
    if (*info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return NULL;
    }
    return png;
}

/* Limits are Vitrine's to enforce (with a clear "too large" error), so
 * libpng's own side limit is lifted to the format's maximum. */
static void vt_png_configure(png_structp png, vt_png_source *src) {
    png_set_read_fn(png, src, vt_png_read);
    png_set_user_limits(png, 0x7fffffffU, 0x7fffffffU);
    png_set_chunk_malloc_max(png, 8U * 1024U * 1024U);
    png_set_crc_action(png, PNG_CRC_DEFAULT, PNG_CRC_DEFAULT);
}

static void vt_png_fill_info(png_structp png, png_infop info, uint8_t *exif, size_t capacity,
                             vt_image_info *out) {
    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    memset(out, 0, sizeof *out);
    out->width = width;
    out->height = height;
    out->output_width = width;
    out->output_height = height;
    out->bit_depth = bit_depth;
    out->components = png_get_channels(png, info);
    out->progressive = interlace == PNG_INTERLACE_ADAM7 ? 1 : 0;
    out->has_alpha = ((color_type & PNG_COLOR_MASK_ALPHA) != 0 ||
                      png_get_valid(png, info, PNG_INFO_tRNS)) ? 1 : 0;
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY:
    case PNG_COLOR_TYPE_GRAY_ALPHA: out->color_model = VT_COLOR_GRAY; break;
    case PNG_COLOR_TYPE_PALETTE: out->color_model = VT_COLOR_PALETTE; break;
    default: out->color_model = VT_COLOR_RGB; break;
    }
#ifdef PNG_eXIf_SUPPORTED
    if (exif != NULL && capacity > 0) {
        png_bytep exif_data = NULL;
        png_uint_32 exif_size = 0;
        if (png_get_eXIf_1(png, info, &exif_size, &exif_data) != 0 && exif_data != NULL) {
            size_t n = exif_size < capacity ? exif_size : capacity;
            memcpy(exif, exif_data, n);
            out->exif_length = (uint32_t)n;
        }
    }
#else
    (void)exif;
    (void)capacity;
#endif
}

vt_status vt_png_read_header(const uint8_t *data, size_t size, uint8_t *exif, size_t exif_capacity,
                             vt_image_info *info, vt_error *error) {
    vt_png_source src;
    png_structp png;
    png_infop png_info = NULL;

    vt_clear_error(error);
    memset(info, 0, sizeof *info);
    memset(&src, 0, sizeof src);
    src.data = data;
    src.size = size;
    png = vt_png_create(&src, &png_info);
    if (png == NULL) return vt_set_error(error, VT_ERR_NO_MEMORY, "cannot create a PNG reader");
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &png_info, NULL);
        return vt_set_error(error, src.status, "%s", src.message);
    }
    vt_png_configure(png, &src);
    png_read_info(png, png_info);
    vt_png_fill_info(png, png_info, exif, exif_capacity, info);
    png_destroy_read_struct(&png, &png_info, NULL);
    return VT_OK;
}

/* Composites one RGBA row onto white into an RGB row (may alias: rgb <= rgba). */
static void vt_rgba_row_onto_white(const uint8_t *rgba, uint8_t *rgb, png_uint_32 width) {
    png_uint_32 x;
    for (x = 0; x < width; x++) {
        unsigned a = rgba[3];
        if (a == 255) {
            rgb[0] = rgba[0]; rgb[1] = rgba[1]; rgb[2] = rgba[2];
        } else {
            unsigned w = 255 * (255 - a);
            rgb[0] = (uint8_t)((rgba[0] * a + w + 127) / 255);
            rgb[1] = (uint8_t)((rgba[1] * a + w + 127) / 255);
            rgb[2] = (uint8_t)((rgba[2] * a + w + 127) / 255);
        }
        rgba += 4;
        rgb += 3;
    }
}

vt_status vt_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                        uint8_t *rgb, size_t rgb_size, vt_error *error) {
    vt_png_source src;
    png_structp png;
    png_infop info = NULL;
    uint8_t *volatile scratch = NULL;
    png_bytep *volatile rows = NULL;
    png_uint_32 width, height, y;
    int color_type, bit_depth, passes;

    vt_clear_error(error);
    memset(&src, 0, sizeof src);
    src.data = data;
    src.size = size;
    png = vt_png_create(&src, &info);
    if (png == NULL) return vt_set_error(error, VT_ERR_NO_MEMORY, "cannot create a PNG reader");
    if (setjmp(png_jmpbuf(png))) {
        free(scratch);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return vt_set_error(error, src.status, "%s", src.message);
    }
    vt_png_configure(png, &src);
    png_read_info(png, info);

    width = png_get_image_width(png, info);
    height = png_get_image_height(png, info);
    if ((uint64_t)width * (uint64_t)height > max_pixels) {
        png_destroy_read_struct(&png, &info, NULL);
        return vt_set_error(error, VT_ERR_TOO_LARGE, "PNG of %ux%u pixels is above the limit",
                            width, height);
    }
    if ((uint64_t)width * height * 3 != (uint64_t)rgb_size) {
        png_destroy_read_struct(&png, &info, NULL);
        return vt_set_error(error, VT_ERR_INVALID_ARGUMENT,
                            "output buffer holds %zu bytes, image needs %ux%ux3", rgb_size, width,
                            height);
    }

    color_type = png_get_color_type(png, info);
    bit_depth = png_get_bit_depth(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (bit_depth == 16) png_set_scale_16(png);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
        png_set_gray_to_rgb(png);
    }
    png_set_filler(png, 0xFF, PNG_FILLER_AFTER); /* no-op when alpha is already there */
    passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * 4) {
        src.status = VT_ERR_CORRUPT;
        strcpy(src.message, "unexpected PNG row layout after expansion");
        png_longjmp(png, 1);
    }

    if (passes == 1) {
        scratch = (uint8_t *)malloc((size_t)width * 4);
        if (scratch == NULL) {
            src.status = VT_ERR_NO_MEMORY;
            strcpy(src.message, "out of memory for a PNG row");
            png_longjmp(png, 1);
        }
        for (y = 0; y < height; y++) {
            png_read_row(png, scratch, NULL);
            vt_rgba_row_onto_white(scratch, rgb + (size_t)y * width * 3, width);
        }
    } else {
        /* Adam7 fills rows over seven passes: it needs the whole RGBA image. */
        scratch = (uint8_t *)malloc((size_t)width * height * 4);
        rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
        if (scratch == NULL || rows == NULL) {
            src.status = VT_ERR_NO_MEMORY;
            strcpy(src.message, "out of memory for an interlaced PNG");
            png_longjmp(png, 1);
        }
        for (y = 0; y < height; y++) rows[y] = scratch + (size_t)y * width * 4;
        png_read_image(png, rows);
        for (y = 0; y < height; y++) {
            vt_rgba_row_onto_white(rows[y], rgb + (size_t)y * width * 3, width);
        }
    }
    free(scratch);
    scratch = NULL;
    free(rows);
    rows = NULL;
    /* Chunks after the pixel data (text, a damaged trailer) are not read. */
    png_destroy_read_struct(&png, &info, NULL);
    return VT_OK;
}

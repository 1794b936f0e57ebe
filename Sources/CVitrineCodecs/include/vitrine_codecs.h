/*
 * vitrine_codecs.h — the only C interface in Vitrine.
 *
 * libjpeg-turbo and libpng behind plain buffers in and status codes out.
 * Every libjpeg/libpng error (and every warning that means damaged pixel data)
 * is caught here with setjmp/longjmp, which never crosses into Swift, and is
 * returned as a status plus a message. Nothing here prints, aborts or keeps
 * memory between calls: the caller owns every buffer.
 *
 * Each format has two calls:
 *   *_read_header  parses the header only (cheap, no pixel memory), so the
 *                  caller can check its limits before allocating anything;
 *   *_decode       decodes into a caller-provided RGB buffer (3 bytes a pixel,
 *                  rows packed) of exactly the size the header call reported.
 */
#ifndef VITRINE_CODECS_H
#define VITRINE_CODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What a call returns. */
typedef enum {
    VT_OK = 0,
    /** The data is damaged: bad CRC, bad Huffman code, invalid header field... */
    VT_ERR_CORRUPT = 1,
    /** The data ends before the image does. */
    VT_ERR_TRUNCATED = 2,
    /** The image is larger than the limit the caller passed. */
    VT_ERR_TOO_LARGE = 3,
    /** A valid file of a variant this build cannot decode (12-bit JPEG...). */
    VT_ERR_UNSUPPORTED = 4,
    /** The codec could not allocate memory. */
    VT_ERR_NO_MEMORY = 5,
    /** The caller's arguments are wrong (buffer too small, bad scale). */
    VT_ERR_INVALID_ARGUMENT = 6
} vt_status;

/** A status and the codec's message, NUL-terminated. */
typedef struct {
    vt_status status;
    char message[240];
} vt_error;

/** The colour model stored in the file. */
typedef enum {
    VT_COLOR_GRAY = 1,
    VT_COLOR_RGB = 2,
    VT_COLOR_YCBCR = 3,
    VT_COLOR_CMYK = 4,
    VT_COLOR_YCCK = 5,
    VT_COLOR_PALETTE = 6,
    VT_COLOR_OTHER = 7
} vt_color_model;

/** What a header call learns. Sizes are as stored, before any orientation. */
typedef struct {
    /** Full stored size. */
    uint32_t width;
    uint32_t height;
    /** Size the decode call will produce (after JPEG DCT scaling; equals width/height for PNG). */
    uint32_t output_width;
    uint32_t output_height;
    /** Number of colour components stored (JPEG) or channels (PNG, including alpha). */
    int32_t components;
    /** Bits per sample (8 for JPEG; 1, 2, 4, 8 or 16 for PNG). */
    int32_t bit_depth;
    /** A vt_color_model. */
    int32_t color_model;
    /** 1 for progressive JPEG or Adam7-interlaced PNG. */
    int32_t progressive;
    /** 1 when the image has an alpha channel or a tRNS chunk (PNG). */
    int32_t has_alpha;
    /** 1 when a JPEG carries an Adobe APP14 marker (CMYK stored inverted). */
    int32_t adobe_marker;
    /** Bytes copied into the caller's EXIF buffer (0: none). For JPEG the
     *  payload of the first APP1 "Exif" segment including the "Exif\0\0"
     *  prefix; for PNG the eXIf chunk (a bare TIFF structure). */
    uint32_t exif_length;
} vt_image_info;

/**
 * Reads a JPEG header. `scale_denom` (1, 2, 4 or 8) selects DCT-domain scaling
 * for output_width/output_height. Up to `exif_capacity` bytes of the EXIF
 * payload are copied into `exif` (may be NULL).
 */
vt_status vt_jpeg_read_header(const uint8_t *data, size_t size, int scale_denom,
                              uint8_t *exif, size_t exif_capacity,
                              vt_image_info *info, vt_error *error);

/**
 * Decodes a JPEG into `rgb` (output_width * output_height * 3 bytes) at
 * 1/`scale_denom` scale. Refuses images above `max_pixels` (full size) before
 * allocating. Corrupt or truncated entropy data is an error, not grey pixels.
 */
vt_status vt_jpeg_decode(const uint8_t *data, size_t size, int scale_denom,
                         uint64_t max_pixels, uint8_t *rgb, size_t rgb_size,
                         vt_error *error);

/** Reads a PNG header (up to the first IDAT chunk). */
vt_status vt_png_read_header(const uint8_t *data, size_t size,
                             uint8_t *exif, size_t exif_capacity,
                             vt_image_info *info, vt_error *error);

/**
 * Decodes a PNG into `rgb` (width * height * 3 bytes): every colour type and
 * bit depth, Adam7, tRNS; alpha composited onto white; 16-bit scaled to 8.
 */
vt_status vt_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                        uint8_t *rgb, size_t rgb_size, vt_error *error);

/**
 * Encodes `width` x `height` RGB pixels as a baseline JPEG at `quality` (1-100)
 * into a buffer allocated here: `*out` (`*out_size` bytes), released with
 * vt_jpeg_free. Nothing is printed.
 */
vt_status vt_jpeg_encode(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                         uint8_t **out, size_t *out_size, vt_error *error);

/** Releases a buffer from vt_jpeg_encode. */
void vt_jpeg_free(uint8_t *buffer);

/** libjpeg-turbo's and libpng's versions, for diagnostics. */
const char *vt_codec_versions(void);

#ifdef __cplusplus
}
#endif

#endif /* VITRINE_CODECS_H */

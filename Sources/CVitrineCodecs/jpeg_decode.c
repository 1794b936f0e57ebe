/*
 * jpeg_decode.c — libjpeg-turbo behind vitrine_codecs.h.
 *
 * Error policy: libjpeg's fatal errors longjmp back here. Any warning raised
 * while entropy-coded data is read means damaged pixels and becomes an error:
 * "truncated" when the data had run out, "corrupt" otherwise. Warnings while
 * markers are parsed (an unknown JFIF revision, a few stray bytes between
 * markers) are tolerated, as every browser does.
 *
 * The memory source supplies a silent fake EOI when the data runs out. In a
 * single-scan file the Huffman decoder then warns only if it still needed
 * bits, so a file that lacks nothing but its EOI marker decodes; in a
 * multi-scan (progressive) file a missing scan cannot be told apart from a
 * missing EOI, so running out of data is always "truncated" there.
 */
#include "vitrine_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "codec_util.h"

/* A damaged progressive file can hold thousands of tiny scans, each costing a
 * pass over the coefficients; libjpeg-turbo's own tools cap them the same way. */
#define VT_MAX_SCANS 500

typedef struct {
    struct jpeg_error_mgr pub;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    vt_status status;
    char message[JMSG_LENGTH_MAX];
    int reading_pixels; /* 1 once entropy-coded data is being consumed */
} vt_jpeg_errors;

typedef struct {
    struct jpeg_source_mgr pub;
    const uint8_t *data;
    size_t size;
    int hit_end; /* the data ran out and a fake EOI was supplied */
} vt_jpeg_source;

static const JOCTET vt_fake_eoi[2] = {0xFF, JPEG_EOI};

static void vt_source_init(j_decompress_ptr cinfo) { (void)cinfo; }

static boolean vt_source_fill(j_decompress_ptr cinfo) {
    vt_jpeg_source *src = (vt_jpeg_source *)cinfo->src;
    src->hit_end = 1;
    src->pub.next_input_byte = vt_fake_eoi;
    src->pub.bytes_in_buffer = 2;
    return TRUE;
}

static void vt_source_skip(j_decompress_ptr cinfo, long count) {
    vt_jpeg_source *src = (vt_jpeg_source *)cinfo->src;
    if (count <= 0) return;
    if ((size_t)count > src->pub.bytes_in_buffer) {
        vt_source_fill(cinfo);
    } else {
        src->pub.next_input_byte += count;
        src->pub.bytes_in_buffer -= (size_t)count;
    }
}

static void vt_source_term(j_decompress_ptr cinfo) { (void)cinfo; }

static void vt_jpeg_source_init(j_decompress_ptr cinfo, vt_jpeg_source *src,
                                const uint8_t *data, size_t size) {
    memset(src, 0, sizeof *src);
    src->data = data;
    src->size = size;
    src->pub.init_source = vt_source_init;
    src->pub.fill_input_buffer = vt_source_fill;
    src->pub.skip_input_data = vt_source_skip;
    src->pub.resync_to_restart = jpeg_resync_to_restart;
    src->pub.term_source = vt_source_term;
    src->pub.next_input_byte = data;
    src->pub.bytes_in_buffer = size;
    cinfo->src = &src->pub;
}

static int vt_source_hit_end(j_common_ptr cinfo) {
    if (!cinfo->is_decompressor) return 0;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    return d->src != NULL && ((vt_jpeg_source *)d->src)->hit_end;
}

static void vt_jpeg_fail(j_common_ptr cinfo, vt_status status) {
    vt_jpeg_errors *errors = (vt_jpeg_errors *)cinfo->err;
    errors->status = status;
    (*cinfo->err->format_message)(cinfo, errors->message);
    longjmp(errors->jump, 1);
}

static void vt_jpeg_error_exit(j_common_ptr cinfo) {
    int code = cinfo->err->msg_code;
    vt_status status = VT_ERR_CORRUPT;
    switch (code) {
    case JERR_INPUT_EOF:
    case JERR_INPUT_EMPTY:
        status = VT_ERR_TRUNCATED;
        break;
    case JERR_OUT_OF_MEMORY:
        status = VT_ERR_NO_MEMORY;
        break;
    case JERR_BAD_PRECISION:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_NOT_COMPILED:
        status = VT_ERR_UNSUPPORTED;
        break;
    case JERR_IMAGE_TOO_BIG:
        status = VT_ERR_TOO_LARGE;
        break;
    default:
        break;
    }
    /* Any fatal error once the data has run out is a truncation. */
    if (vt_source_hit_end(cinfo) && status == VT_ERR_CORRUPT) status = VT_ERR_TRUNCATED;
    vt_jpeg_fail(cinfo, status);
}

static void vt_jpeg_emit_message(j_common_ptr cinfo, int level) {
    vt_jpeg_errors *errors = (vt_jpeg_errors *)cinfo->err;
    if (level >= 0) return; /* trace messages */
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        vt_jpeg_fail(cinfo, VT_ERR_TRUNCATED);
    }
    if (errors->reading_pixels) {
        vt_jpeg_fail(cinfo, vt_source_hit_end(cinfo) ? VT_ERR_TRUNCATED : VT_ERR_CORRUPT);
    }
    cinfo->err->num_warnings++;
}

static void vt_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void vt_jpeg_progress(j_common_ptr cinfo) {
    if (cinfo->is_decompressor) {
        j_decompress_ptr d = (j_decompress_ptr)cinfo;
        if (d->input_scan_number > VT_MAX_SCANS) {
            vt_jpeg_errors *errors = (vt_jpeg_errors *)cinfo->err;
            errors->status = VT_ERR_CORRUPT;
            snprintf(errors->message, sizeof errors->message,
                     "progressive JPEG has more than %d scans", VT_MAX_SCANS);
            longjmp(errors->jump, 1);
        }
    }
}

static void vt_jpeg_setup(struct jpeg_decompress_struct *cinfo, vt_jpeg_errors *errors) {
    memset(errors, 0, sizeof *errors);
    cinfo->err = jpeg_std_error(&errors->pub);
    errors->pub.error_exit = vt_jpeg_error_exit;
    errors->pub.emit_message = vt_jpeg_emit_message;
    errors->pub.output_message = vt_jpeg_output_message;
    errors->progress.progress_monitor = vt_jpeg_progress;
}

static int vt_valid_scale(int scale_denom) {
    return scale_denom == 1 || scale_denom == 2 || scale_denom == 4 || scale_denom == 8;
}

static vt_color_model vt_jpeg_color_model(J_COLOR_SPACE space) {
    switch (space) {
    case JCS_GRAYSCALE: return VT_COLOR_GRAY;
    case JCS_RGB: return VT_COLOR_RGB;
    case JCS_YCbCr: return VT_COLOR_YCBCR;
    case JCS_CMYK: return VT_COLOR_CMYK;
    case JCS_YCCK: return VT_COLOR_YCCK;
    default: return VT_COLOR_OTHER;
    }
}

/* Chooses the output colour space: RGB directly when libjpeg can convert,
 * CMYK (converted below) for four-component files. */
static int vt_jpeg_choose_output(j_decompress_ptr cinfo, vt_error *error) {
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
    case JCS_RGB:
    case JCS_YCbCr:
        cinfo->out_color_space = JCS_RGB;
        return 1;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo->out_color_space = JCS_CMYK;
        return 1;
    default:
        vt_set_error(error, VT_ERR_UNSUPPORTED,
                     "JPEG with %d colour components in an unknown colour space",
                     cinfo->num_components);
        return 0;
    }
}

static void vt_jpeg_copy_exif(j_decompress_ptr cinfo, uint8_t *exif, size_t capacity,
                              vt_image_info *info) {
    jpeg_saved_marker_ptr marker;
    info->exif_length = 0;
    if (exif == NULL || capacity == 0) return;
    for (marker = cinfo->marker_list; marker != NULL; marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length >= 6 &&
            memcmp(marker->data, "Exif\0\0", 6) == 0) {
            size_t n = marker->data_length < capacity ? marker->data_length : capacity;
            memcpy(exif, marker->data, n);
            info->exif_length = (uint32_t)n;
            return;
        }
    }
}

vt_status vt_jpeg_read_header(const uint8_t *data, size_t size, int scale_denom,
                              uint8_t *exif, size_t exif_capacity,
                              vt_image_info *info, vt_error *error) {
    struct jpeg_decompress_struct cinfo;
    vt_jpeg_errors errors;
    vt_jpeg_source source;

    vt_clear_error(error);
    memset(info, 0, sizeof *info);
    if (!vt_valid_scale(scale_denom)) {
        return vt_set_error(error, VT_ERR_INVALID_ARGUMENT, "scale must be 1, 2, 4 or 8");
    }
    if (size == 0) return vt_set_error(error, VT_ERR_TRUNCATED, "empty JPEG data");

    vt_jpeg_setup(&cinfo, &errors);
    if (setjmp(errors.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return vt_set_error(error, errors.status, "%s", errors.message);
    }
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &errors.progress;
    vt_jpeg_source_init(&cinfo, &source, data, size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);

    info->width = cinfo.image_width;
    info->height = cinfo.image_height;
    info->components = cinfo.num_components;
    info->bit_depth = cinfo.data_precision;
    info->color_model = vt_jpeg_color_model(cinfo.jpeg_color_space);
    info->progressive = cinfo.progressive_mode ? 1 : 0;
    info->adobe_marker = cinfo.saw_Adobe_marker ? 1 : 0;
    info->has_alpha = 0;
    vt_jpeg_copy_exif(&cinfo, exif, exif_capacity, info);

    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned int)scale_denom;
    if (!vt_jpeg_choose_output(&cinfo, error)) {
        jpeg_destroy_decompress(&cinfo);
        return error->status;
    }
    jpeg_calc_output_dimensions(&cinfo);
    info->output_width = cinfo.output_width;
    info->output_height = cinfo.output_height;
    jpeg_destroy_decompress(&cinfo);
    return VT_OK;
}

/* CMYK to RGB. Adobe (Photoshop) files store inverted values: 255 means no ink. */
static void vt_cmyk_row_to_rgb(const uint8_t *cmyk, uint8_t *rgb, uint32_t width, int inverted) {
    uint32_t x;
    for (x = 0; x < width; x++) {
        unsigned c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
        if (!inverted) {
            c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k;
        }
        rgb[0] = (uint8_t)((c * k + 127) / 255);
        rgb[1] = (uint8_t)((m * k + 127) / 255);
        rgb[2] = (uint8_t)((y * k + 127) / 255);
        cmyk += 4;
        rgb += 3;
    }
}

vt_status vt_jpeg_decode(const uint8_t *data, size_t size, int scale_denom,
                         uint64_t max_pixels, uint8_t *rgb, size_t rgb_size,
                         vt_error *error) {
    struct jpeg_decompress_struct cinfo;
    vt_jpeg_errors errors;
    vt_jpeg_source source;
    uint8_t *volatile cmyk_row = NULL;
    int inverted;

    vt_clear_error(error);
    if (!vt_valid_scale(scale_denom)) {
        return vt_set_error(error, VT_ERR_INVALID_ARGUMENT, "scale must be 1, 2, 4 or 8");
    }
    if (size == 0) return vt_set_error(error, VT_ERR_TRUNCATED, "empty JPEG data");

    vt_jpeg_setup(&cinfo, &errors);
    if (setjmp(errors.jump)) {
        free(cmyk_row);
        jpeg_destroy_decompress(&cinfo);
        return vt_set_error(error, errors.status, "%s", errors.message);
    }
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &errors.progress;
    vt_jpeg_source_init(&cinfo, &source, data, size);
    jpeg_read_header(&cinfo, TRUE);

    if ((uint64_t)cinfo.image_width * (uint64_t)cinfo.image_height > max_pixels) {
        vt_set_error(error, VT_ERR_TOO_LARGE, "JPEG of %ux%u pixels is above the limit",
                     cinfo.image_width, cinfo.image_height);
        jpeg_destroy_decompress(&cinfo);
        return error->status;
    }
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned int)scale_denom;
    /* Model version 3: the fast integer IDCT and plain (replicating) chroma upsampling.
     * The pixels feed a 64-px working image and a thumbnail, where neither difference
     * shows; libjpeg spends 10-25 % less per real photo. */
    cinfo.dct_method = JDCT_IFAST;
    cinfo.do_fancy_upsampling = FALSE;
    if (!vt_jpeg_choose_output(&cinfo, error)) {
        jpeg_destroy_decompress(&cinfo);
        return error->status;
    }
    jpeg_calc_output_dimensions(&cinfo);
    if ((uint64_t)cinfo.output_width * cinfo.output_height * 3 != (uint64_t)rgb_size) {
        vt_set_error(error, VT_ERR_INVALID_ARGUMENT,
                     "output buffer holds %zu bytes, image needs %ux%ux3", rgb_size,
                     cinfo.output_width, cinfo.output_height);
        jpeg_destroy_decompress(&cinfo);
        return error->status;
    }
    inverted = cinfo.saw_Adobe_marker ? 1 : 0;

    errors.reading_pixels = 1;
    jpeg_start_decompress(&cinfo);
    if (cinfo.out_color_space == JCS_CMYK) {
        cmyk_row = (uint8_t *)malloc((size_t)cinfo.output_width * 4);
        if (cmyk_row == NULL) {
            errors.status = VT_ERR_NO_MEMORY;
            snprintf(errors.message, sizeof errors.message, "out of memory for a CMYK row");
            longjmp(errors.jump, 1);
        }
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *row = rgb + (size_t)cinfo.output_scanline * cinfo.output_width * 3;
        if (cmyk_row != NULL) {
            JSAMPROW rows[1];
            rows[0] = cmyk_row;
            if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) break;
            vt_cmyk_row_to_rgb(cmyk_row, row, cinfo.output_width, inverted);
        } else {
            JSAMPROW rows[1];
            rows[0] = row;
            if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) break;
        }
    }
    if (cinfo.output_scanline < cinfo.output_height) {
        errors.status = VT_ERR_TRUNCATED;
        snprintf(errors.message, sizeof errors.message, "JPEG data ended after %u of %u rows",
                 cinfo.output_scanline, cinfo.output_height);
        longjmp(errors.jump, 1);
    }
    if (source.hit_end && (cinfo.progressive_mode || cinfo.comps_in_scan < cinfo.num_components)) {
        errors.status = VT_ERR_TRUNCATED;
        snprintf(errors.message, sizeof errors.message,
                 "multi-scan JPEG data ends before its end-of-image marker");
        longjmp(errors.jump, 1);
    }
    /* Whatever follows the last scan (a missing EOI, trailing bytes) does not
     * affect the pixels: abort rather than finish, so it is tolerated. */
    free(cmyk_row);
    cmyk_row = NULL;
    jpeg_abort_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return VT_OK;
}

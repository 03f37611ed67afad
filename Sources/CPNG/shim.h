#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

// An RGBA encoder through libpng's low-level API, for what the simplified API cannot choose: the
// row filters and the zlib level (libpng's defaults, all filters at level 6, take about 25 ms a
// 512x512 frame, a tenth of a pose). Inline here so the system-library module needs no C target.
typedef struct {
    unsigned char *bytes;
    size_t count, capacity;
    int failed;
    char message[128];
} th_png_buffer;

static void th_png_buffer_write(png_structp png, png_bytep data, png_size_t length) {
    th_png_buffer *b = (th_png_buffer *)png_get_io_ptr(png);
    if (b->failed) return;
    if (b->count + length > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 65536;
        while (capacity < b->count + length) capacity *= 2;
        unsigned char *grown = (unsigned char *)realloc(b->bytes, capacity);
        if (!grown) { b->failed = 1; return; }
        b->bytes = grown;
        b->capacity = capacity;
    }
    memcpy(b->bytes + b->count, data, length);
    b->count += length;
}

static void th_png_buffer_flush(png_structp png) { (void)png; }

static void th_png_error(png_structp png, png_const_charp message) {
    th_png_buffer *b = (th_png_buffer *)png_get_error_ptr(png);
    strncpy(b->message, message ? message : "libpng error", sizeof b->message - 1);
    png_longjmp(png, 1);
}

static void th_png_warning(png_structp png, png_const_charp message) { (void)png; (void)message; }

// Encodes 8-bit RGBA rows (stride = width * 4) with `filters` (PNG_FILTER_* bits) at zlib
// `level` into `out` (bytes malloc'ed: the caller frees them). Returns 1, or 0 with out->message.
static inline int th_png_encode_rgba(const unsigned char *pixels, unsigned width, unsigned height, int filters,
                                     int level, th_png_buffer *out) {
    memset(out, 0, sizeof *out);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, out, th_png_error, th_png_warning);
    if (!png) { strcpy(out->message, "out of memory"); return 0; }
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        free(out->bytes);
        out->bytes = NULL;
        out->count = 0;
        if (!out->message[0]) strcpy(out->message, "out of memory");
        return 0;
    }
    png_set_write_fn(png, out, th_png_buffer_write, th_png_buffer_flush);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, filters);
    png_set_compression_level(png, level);
    png_write_info(png, info);
    for (unsigned y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)y * width * 4));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    if (out->failed) {
        free(out->bytes);
        out->bytes = NULL;
        strcpy(out->message, "out of memory");
        return 0;
    }
    return 1;
}

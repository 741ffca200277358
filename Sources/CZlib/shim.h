#ifndef CATALOG_CZLIB_SHIM_H
#define CATALOG_CZLIB_SHIM_H
#include <zlib.h>

/* deflateInit2/inflateInit2 are function-like macros, which Swift cannot call. */

/* gzip wrapper (windowBits 15 + 16), default memory level, default strategy. */
static inline int catalog_deflate_init_gzip(z_streamp strm, int level) {
    return deflateInit2(strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/* Accepts gzip and zlib wrappers (windowBits 15 + 32: automatic header detection). */
static inline int catalog_inflate_init_auto(z_streamp strm) {
    return inflateInit2(strm, 15 + 32);
}
#endif

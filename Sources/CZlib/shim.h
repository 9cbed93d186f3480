#ifndef SNOWPIPED_CZLIB_SHIM_H
#define SNOWPIPED_CZLIB_SHIM_H
#include <zlib.h>

/// `inflateInit2` is a macro; this is the same call as a function.
static inline int snowpiped_inflate_init2(z_stream *stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
#endif

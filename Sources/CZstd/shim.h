#ifndef SNOWPIPED_CZSTD_SHIM_H
#define SNOWPIPED_CZSTD_SHIM_H
#include <zstd.h>
#endif

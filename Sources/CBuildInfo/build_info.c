#include "build_info.h"

#ifndef SNOWPIPED_BUILD
#define SNOWPIPED_BUILD "unknown build"
#endif

const char *snowpiped_build(void) { return SNOWPIPED_BUILD; }

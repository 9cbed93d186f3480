#ifndef SNOWPIPED_CMALLOC_SHIM_H
#define SNOWPIPED_CMALLOC_SHIM_H
#include <malloc.h>

/// glibc's mallopt parameters are macros with negative values, which Swift does not import.
static const int snowpiped_m_trim_threshold = M_TRIM_THRESHOLD;
static const int snowpiped_m_mmap_threshold = M_MMAP_THRESHOLD;
static const int snowpiped_m_arena_max = M_ARENA_MAX;
#endif

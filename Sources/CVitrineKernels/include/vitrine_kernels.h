/*
 * vitrine_kernels.h — the search's inner loop: int8 dot products of one
 * query against many rows, with an AVX2 path chosen at run time when the CPU
 * has it (a portable loop otherwise). Plain buffers in, int32 scores out.
 */
#ifndef VITRINE_KERNELS_H
#define VITRINE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * scores[i] = sum_j rows[i * dimension + j] * query[j] for i < count.
 * Values must lie in -127...127 (never -128), so no product overflows.
 * `dimension` must be a multiple of 32.
 */
void vt_dot_i8(const int8_t *rows, size_t count, size_t dimension, const int8_t *query, int32_t *scores);

/** 1 when the AVX2 path is in use. */
int vt_kernels_use_avx2(void);

#ifdef __cplusplus
}
#endif

#endif

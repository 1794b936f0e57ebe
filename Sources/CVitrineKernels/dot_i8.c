/* dot_i8.c — int8 dot products, AVX2 when available (chosen once, at first call). */
#include "vitrine_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define VT_X86 1
#endif

static void dot_portable(const int8_t *rows, size_t count, size_t dimension, const int8_t *query, int32_t *scores) {
    for (size_t i = 0; i < count; i++) {
        const int8_t *row = rows + i * dimension;
        int32_t sum = 0;
        for (size_t j = 0; j < dimension; j++) sum += (int32_t)row[j] * (int32_t)query[j];
        scores[i] = sum;
    }
}

#ifdef VT_X86
__attribute__((target("avx2")))
static void dot_avx2(const int8_t *rows, size_t count, size_t dimension, const int8_t *query, int32_t *scores) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (size_t i = 0; i < count; i++) {
        const int8_t *row = rows + i * dimension;
        __m256i acc = _mm256_setzero_si256();
        for (size_t j = 0; j < dimension; j += 32) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(query + j));
            __m256i r = _mm256_loadu_si256((const __m256i *)(row + j));
            /* maddubs multiplies unsigned by signed: move the query's sign onto the row. */
            __m256i qa = _mm256_abs_epi8(q);
            __m256i rs = _mm256_sign_epi8(r, q);
            __m256i pairs = _mm256_maddubs_epi16(qa, rs); /* |127·127·2| < 32768: no saturation */
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
        }
        __m128i low = _mm256_castsi256_si128(acc), high = _mm256_extracti128_si256(acc, 1);
        __m128i sum = _mm_add_epi32(low, high);
        sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(1, 0, 3, 2)));
        sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(2, 3, 0, 1)));
        scores[i] = _mm_cvtsi128_si32(sum);
    }
}
#endif

int vt_kernels_use_avx2(void) {
#ifdef VT_X86
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

void vt_dot_i8(const int8_t *rows, size_t count, size_t dimension, const int8_t *query, int32_t *scores) {
#ifdef VT_X86
    if (dimension % 32 == 0 && vt_kernels_use_avx2()) {
        dot_avx2(rows, count, dimension, query, scores);
        return;
    }
#endif
    dot_portable(rows, count, dimension, query, scores);
}

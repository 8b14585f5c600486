/* The memory-test patterns as pure functions of a word's index: the same arithmetic as
 * `revive_core::stress::patterns::Fill::value`, so a verify kernel regenerates on the GPU the very
 * values the host backend checks. Compiles as CUDA device code (NVRTC) and as plain C99 (the
 * `patterns_match_core` test builds it with the host's C compiler and compares it with the core).
 * Kind numbers are `FillKind::encode`'s: change both or neither. */
#ifndef REVIVE_PATTERNS_H
#define REVIVE_PATTERNS_H

#if defined(__CUDACC_RTC__)
/* NVRTC has no C library headers. */
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
#else
#include <stdint.h>
#endif

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define REVIVE_FN static __host__ __device__ __forceinline__
#else
#define REVIVE_FN static inline
#endif

#define REVIVE_KIND_OWN_ADDRESS 0u
#define REVIVE_KIND_WALKING_ONES 1u
#define REVIVE_KIND_CONSTANT 2u
#define REVIVE_KIND_ROTATING 3u
#define REVIVE_KIND_RANDOM 4u
#define REVIVE_KIND_MODULO20 5u

REVIVE_FN uint64_t revive_splitmix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

REVIVE_FN uint32_t revive_rotate_left(uint32_t value, uint32_t shift) {
    shift &= 31u;
    /* `& 31` keeps the right shift defined when `shift` is 0. */
    return (value << shift) | (value >> ((32u - shift) & 31u));
}

/* `index % 20` in 32-bit steps (2^32 ≡ 16 mod 20): a 64-bit remainder is a long subroutine on a
 * GPU, and the modulo-20 kernels take it for every word. */
REVIVE_FN uint32_t revive_mod20(uint64_t index) {
    uint32_t high = (uint32_t)(index >> 32) % 20u;
    uint32_t low = (uint32_t)index % 20u;
    return (high * 16u + low) % 20u;
}

/* The word at `index` of the fill `(kind, a, b)`, complemented when `inverted`. A kind the core
 * does not encode gives 0 (the Rust side passes only `FillKind::encode` numbers). */
REVIVE_FN uint32_t revive_pattern_value(uint32_t kind, uint64_t a, uint64_t b, uint32_t inverted, uint64_t index) {
    uint32_t low = (uint32_t)index;
    uint32_t value;
    switch (kind) {
    case REVIVE_KIND_OWN_ADDRESS:
        value = low ^ ((uint32_t)(index >> 32) * 0x9E3779B1u);
        break;
    case REVIVE_KIND_WALKING_ONES:
        value = 1u << ((low + (uint32_t)a) & 31u);
        break;
    case REVIVE_KIND_CONSTANT:
        value = (uint32_t)a;
        break;
    case REVIVE_KIND_ROTATING:
        value = revive_rotate_left((uint32_t)a, low + (uint32_t)b);
        break;
    case REVIVE_KIND_RANDOM:
        value = (uint32_t)revive_splitmix64(a + (index + 1u) * 0x9E3779B97F4A7C15ull);
        break;
    case REVIVE_KIND_MODULO20:
        value = revive_mod20(index) == a ? (uint32_t)b : ~(uint32_t)b;
        break;
    default:
        value = 0u;
        break;
    }
    return inverted ? ~value : value;
}

#endif

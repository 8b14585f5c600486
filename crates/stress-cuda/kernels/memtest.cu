// The memory test's kernels: fill, the two halves of a modulo-20 fill, and verify (optionally
// writing the next value over each word once compared, for moving inversions). Each covers `count`
// words at `words`, whose first is word `first` of the tested memory (the patterns are functions of
// that global index). Write and verify are separate launches, so a verify reads what an earlier
// launch left in DRAM, not what this one has in flight.
//
// Compiled ahead of time with NVRTC (kernels/build-ptx.py) for compute_80; the PTX is committed.
#include "patterns.h"

// A fill as the host passes it: `FillKind::encode` plus `inverted`. Layout shared with
// `FillArg` in src/memory.rs.
struct fill_spec {
    uint64_t a;
    uint64_t b;
    uint32_t kind;
    uint32_t inverted;
};

// counters[] of a verify: exact totals, then the sample slot counter.
#define REVIVE_MISMATCHES 0
#define REVIVE_FLIPPED 1 // 32 of them, one per bit position
#define REVIVE_SLOTS 33

__device__ __forceinline__ uint32_t value_of(const fill_spec& fill, uint64_t index) {
    return revive_pattern_value(fill.kind, fill.a, fill.b, fill.inverted, index);
}

// The words are split into a scalar head (up to the first 16-byte boundary), a body of whole
// uint4 quads and a scalar tail: 128-bit loads and stores keep enough bytes in flight per thread
// for the test to run at the memory's bandwidth, and a range may start at any word.
struct span {
    uint64_t head;  // words before the first quad
    uint64_t quads; // whole quads after them
    uint64_t tail;  // index (from `words`) of the first word after the quads
};

__device__ __forceinline__ span split(const uint32_t* words, uint64_t count) {
    span s;
    s.head = ((16u - ((unsigned long long)words & 15u)) & 15u) >> 2;
    if (s.head > count) {
        s.head = count;
    }
    s.quads = (count - s.head) >> 2;
    s.tail = s.head + s.quads * 4u;
    return s;
}

extern "C" __global__ void revive_fill(uint32_t* words, uint64_t first, uint64_t count, fill_spec fill) {
    const uint64_t thread = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const uint64_t threads = (uint64_t)gridDim.x * blockDim.x;
    const span s = split(words, count);
    if (thread < s.head) {
        words[thread] = value_of(fill, first + thread);
    }
    if (thread < count - s.tail) {
        words[s.tail + thread] = value_of(fill, first + s.tail + thread);
    }
    uint4* body = (uint4*)(words + s.head);
    const uint64_t base = first + s.head;
    for (uint64_t q = thread; q < s.quads; q += threads) {
        const uint64_t index = base + q * 4u;
        body[q] = make_uint4(value_of(fill, index), value_of(fill, index + 1u), value_of(fill, index + 2u),
                             value_of(fill, index + 3u));
    }
}

// Modulo 20: `marked` writes only the words whose index is the fill's offset modulo 20, otherwise
// only the others. The host launches the marked half first and the rest after, so a write to a
// neighbour that disturbs a marked word is not covered up by a later write of that word.
extern "C" __global__ void revive_fill_modulo20(uint32_t* words, uint64_t first, uint64_t count, fill_spec fill,
                                                uint32_t marked) {
    const uint64_t thread = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const uint64_t threads = (uint64_t)gridDim.x * blockDim.x;
    const uint32_t offset = (uint32_t)fill.a;
    if (marked) {
        // One word in twenty: the first marked one, then every twentieth.
        const uint64_t start = (offset + 20u - revive_mod20(first)) % 20u;
        for (uint64_t i = start + thread * 20u; i < count; i += threads * 20u) {
            words[i] = value_of(fill, first + i);
        }
        return;
    }
    const span s = split(words, count);
    if (thread < s.head && revive_mod20(first + thread) != offset) {
        words[thread] = value_of(fill, first + thread);
    }
    if (thread < count - s.tail && revive_mod20(first + s.tail + thread) != offset) {
        words[s.tail + thread] = value_of(fill, first + s.tail + thread);
    }
    const uint64_t base = first + s.head;
    for (uint64_t q = thread; q < s.quads; q += threads) {
        const uint64_t index = base + q * 4u;
        // At most one word of a quad is marked; a quad without one is written whole.
        const uint32_t marked_at = (offset + 20u - revive_mod20(index)) % 20u;
        uint32_t* quad = words + s.head + q * 4u;
        if (marked_at >= 4u) {
            *(uint4*)quad = make_uint4(value_of(fill, index), value_of(fill, index + 1u), value_of(fill, index + 2u),
                                       value_of(fill, index + 3u));
        } else {
#pragma unroll
            for (uint32_t k = 0; k < 4u; ++k) {
                if (k != marked_at) {
                    quad[k] = value_of(fill, index + k);
                }
            }
        }
    }
}

// What a block found, summed in shared memory so a badly failing card costs one global atomic per
// counter per block rather than one per flipped bit.
struct block_tally {
    unsigned long long mismatches;
    unsigned long long flipped[32];
};

// Records one mismatch: totals in the block's tally, and (while the cap allows) the word itself.
// Kept out of line: the common, clean path stays a compare and a branch.
__device__ __noinline__ void note(block_tally* tally, uint64_t index, uint32_t expected, uint32_t found,
                                  unsigned long long* counters, unsigned long long* samples, uint32_t cap) {
    atomicAdd(&tally->mismatches, 1ull);
    for (uint32_t flipped = expected ^ found; flipped != 0u; flipped &= flipped - 1u) {
        atomicAdd(&tally->flipped[__ffs(flipped) - 1], 1ull);
    }
    // Look before taking a slot: once the buffer is full, a card failing every word must not
    // serialise on this counter.
    if (*(volatile unsigned long long*)&counters[REVIVE_SLOTS] < cap) {
        const unsigned long long slot = atomicAdd(&counters[REVIVE_SLOTS], 1ull);
        if (slot < cap) {
            samples[2u * slot] = index;
            samples[2u * slot + 1u] = found;
        }
    }
}

// One word outside the quads (at most three before them and three after).
__device__ __forceinline__ void verify_word(uint32_t* words, uint64_t at, uint64_t first, const fill_spec& expect,
                                            uint32_t write_after, const fill_spec& then, block_tally* tally,
                                            unsigned long long* counters, unsigned long long* samples, uint32_t cap) {
    const uint64_t index = first + at;
    const uint32_t found = words[at];
    const uint32_t expected = value_of(expect, index);
    if (found != expected) {
        note(tally, index, expected, found, counters, samples, cap);
    }
    if (write_after) {
        words[at] = value_of(then, index);
    }
}

// Compares `count` words with `expect`; with `write_after`, writes `then` over each word right
// after reading it (moving inversions: each cell is read back and flipped in one pass). Adds the
// mismatches to counters[0], the flipped bits per position to counters[1..33], and records up to
// `cap` (index, found) pairs in `samples`, counting the slots taken in counters[33]. Needs at least
// 32 threads a block (one per bit position to clear and flush the tally).
extern "C" __global__ void revive_verify(uint32_t* words, uint64_t first, uint64_t count, fill_spec expect,
                                         uint32_t write_after, fill_spec then, unsigned long long* counters,
                                         unsigned long long* samples, uint32_t cap) {
    __shared__ block_tally tally;
    if (threadIdx.x == 0) {
        tally.mismatches = 0;
    }
    if (threadIdx.x < 32) {
        tally.flipped[threadIdx.x] = 0;
    }
    __syncthreads();

    const uint64_t thread = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const uint64_t threads = (uint64_t)gridDim.x * blockDim.x;
    const span s = split(words, count);
    if (thread < s.head) {
        verify_word(words, thread, first, expect, write_after, then, &tally, counters, samples, cap);
    }
    if (thread < count - s.tail) {
        verify_word(words, s.tail + thread, first, expect, write_after, then, &tally, counters, samples, cap);
    }
    uint4* body = (uint4*)(words + s.head);
    const uint64_t base = first + s.head;
    for (uint64_t q = thread; q < s.quads; q += threads) {
        const uint64_t index = base + q * 4u;
        const uint4 found = body[q];
        const uint32_t got[4] = {found.x, found.y, found.z, found.w};
#pragma unroll
        for (uint32_t k = 0; k < 4u; ++k) {
            const uint32_t expected = value_of(expect, index + k);
            if (got[k] != expected) {
                note(&tally, index + k, expected, got[k], counters, samples, cap);
            }
        }
        if (write_after) {
            body[q] = make_uint4(value_of(then, index), value_of(then, index + 1u), value_of(then, index + 2u),
                                 value_of(then, index + 3u));
        }
    }

    __syncthreads();
    if (threadIdx.x == 0 && tally.mismatches != 0) {
        atomicAdd(&counters[REVIVE_MISMATCHES], tally.mismatches);
    }
    if (threadIdx.x < 32 && tally.flipped[threadIdx.x] != 0) {
        atomicAdd(&counters[REVIVE_FLIPPED + threadIdx.x], tally.flipped[threadIdx.x]);
    }
}

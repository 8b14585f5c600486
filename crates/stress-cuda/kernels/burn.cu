// The burn-in's kernels: C = A·B on the tensor cores (FP16 inputs, FP32 accumulation) over square
// matrices, and a comparison of each product with the first. The product must be bit-for-bit
// repeatable, so every element is summed by one thread in one fixed order: no atomics, no split-K.
// A plain tiled kernel: it keeps the tensor cores busy, it does not try to match cuBLAS.
//
// Compiled ahead of time with NVRTC (kernels/build-ptx.py) for compute_80 (mma.sync m16n8k16 needs
// sm_80); the PTX is committed.
#include "patterns.h"

// Block tile 128×128, K step 32; eight warps as 2 (rows) × 4 (columns), each warp 64×32 of C as
// 4×4 mma tiles of 16×8. The matrix order must be a multiple of 128.
#define TILE 128
#define TILE_K 32
// Shared rows padded to 40 halves (80 bytes): the eight rows a fragment load touches then fall in
// distinct banks, and each row still starts on a 16-byte boundary for the uint4 stores.
#define ROW (TILE_K + 8)
#define THREADS 256

// An input element: splitmix64 of its index, scaled to [-0.5, 0.5) in steps of 1/1000 (like the
// host backend's), rounded to FP16. Products of such inputs stay far from FP32 overflow at any
// size the card can hold.
extern "C" __global__ void revive_burn_init(unsigned short* matrix, uint64_t elements, uint64_t salt) {
    const uint64_t threads = (uint64_t)gridDim.x * blockDim.x;
    for (uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; i < elements; i += threads) {
        const float value = (float)(revive_splitmix64(i ^ salt) % 1000u) / 1000.0f - 0.5f;
        unsigned short half;
        asm("cvt.rn.f16.f32 %0, %1;" : "=h"(half) : "f"(value));
        matrix[i] = half;
    }
}

// d += a·b for one 16×8×16 tile; fragment layouts as in the PTX ISA ("Matrix Fragments for
// mma.m16n8k16 with floating point type").
__device__ __forceinline__ void mma_16x8x16(float* d, const uint32_t* a, const uint32_t* b) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
                 "{%0, %1, %2, %3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// C (n×n, row-major, FP32) = A (n×n, row-major, FP16) · B, where `bt` holds B transposed (row j of
// `bt` is column j of B): both operands are then read along k, as the fragments want them.
// Grid (n/128, n/128), 256 threads.
extern "C" __global__ void __launch_bounds__(THREADS)
    revive_burn_gemm(const unsigned short* __restrict__ a, const unsigned short* __restrict__ bt,
                     float* __restrict__ c, uint32_t n) {
    __shared__ __align__(16) unsigned short a_tile[TILE * ROW];
    __shared__ __align__(16) unsigned short b_tile[TILE * ROW];

    const uint32_t warp = threadIdx.x >> 5;
    const uint32_t lane = threadIdx.x & 31u;
    const uint32_t group = lane >> 2;         // the PTX ISA's groupID
    const uint32_t in_group = lane & 3u;      // threadID_in_group
    const uint32_t warp_row = (warp >> 2) * 64u;
    const uint32_t warp_col = (warp & 3u) * 32u;
    const uint64_t row0 = (uint64_t)blockIdx.y * TILE;
    const uint64_t col0 = (uint64_t)blockIdx.x * TILE;

    // Each thread moves two 16-byte pieces of each tile: row `p / 4`, halves `(p % 4) * 8` onward.
    const uint32_t piece_row = threadIdx.x >> 2;
    const uint32_t piece_col = (threadIdx.x & 3u) * 8u;
    const unsigned short* a_from = a + (row0 + piece_row) * n + piece_col;
    const unsigned short* b_from = bt + (col0 + piece_row) * n + piece_col;
    const uint64_t half_tile = (uint64_t)(TILE / 2) * n; // the second piece: 64 rows further

    float acc[4][4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
#pragma unroll
            for (int r = 0; r < 4; ++r) {
                acc[i][j][r] = 0.0f;
            }
        }
    }

    // The next K step's pieces are loaded into registers while this one's MMAs run.
    uint4 a_next[2] = {*(const uint4*)a_from, *(const uint4*)(a_from + half_tile)};
    uint4 b_next[2] = {*(const uint4*)b_from, *(const uint4*)(b_from + half_tile)};

    for (uint32_t k0 = 0; k0 < n; k0 += TILE_K) {
        *(uint4*)&a_tile[piece_row * ROW + piece_col] = a_next[0];
        *(uint4*)&a_tile[(piece_row + TILE / 2) * ROW + piece_col] = a_next[1];
        *(uint4*)&b_tile[piece_row * ROW + piece_col] = b_next[0];
        *(uint4*)&b_tile[(piece_row + TILE / 2) * ROW + piece_col] = b_next[1];
        __syncthreads();

        if (k0 + TILE_K < n) {
            const uint32_t k = k0 + TILE_K;
            a_next[0] = *(const uint4*)(a_from + k);
            a_next[1] = *(const uint4*)(a_from + half_tile + k);
            b_next[0] = *(const uint4*)(b_from + k);
            b_next[1] = *(const uint4*)(b_from + half_tile + k);
        }

#pragma unroll
        for (uint32_t kk = 0; kk < TILE_K; kk += 16u) {
            uint32_t a_frag[4][4];
            uint32_t b_frag[4][2];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                // Rows g and g+8 of the 16-row tile, columns 2t, 2t+1 and those plus 8.
                const unsigned short* p = &a_tile[(warp_row + i * 16u + group) * ROW + kk + in_group * 2u];
                a_frag[i][0] = *(const uint32_t*)p;
                a_frag[i][1] = *(const uint32_t*)(p + 8u * ROW);
                a_frag[i][2] = *(const uint32_t*)(p + 8u);
                a_frag[i][3] = *(const uint32_t*)(p + 8u * ROW + 8u);
            }
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                // Column g of the 8-column tile, rows (of B, i.e. k) 2t, 2t+1 and those plus 8.
                const unsigned short* p = &b_tile[(warp_col + j * 8u + group) * ROW + kk + in_group * 2u];
                b_frag[j][0] = *(const uint32_t*)p;
                b_frag[j][1] = *(const uint32_t*)(p + 8u);
            }
#pragma unroll
            for (int i = 0; i < 4; ++i) {
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    mma_16x8x16(acc[i][j], a_frag[i], b_frag[j]);
                }
            }
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            // c0, c1 at row g, columns 2t and 2t+1; c2, c3 eight rows below.
            const uint64_t row = row0 + warp_row + i * 16u + group;
            const uint64_t col = col0 + warp_col + j * 8u + in_group * 2u;
            *(float2*)&c[row * n + col] = make_float2(acc[i][j][0], acc[i][j][1]);
            *(float2*)&c[(row + 8u) * n + col] = make_float2(acc[i][j][2], acc[i][j][3]);
        }
    }
}

// Adds to `*differing` the number of elements whose bits differ between `product` and
// `reference`: any difference is a fault, the kernel being deterministic.
extern "C" __global__ void revive_burn_compare(const uint32_t* product, const uint32_t* reference, uint64_t elements,
                                               unsigned long long* differing) {
    const uint64_t threads = (uint64_t)gridDim.x * blockDim.x;
    unsigned long long found = 0;
    for (uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; i < elements; i += threads) {
        found += product[i] != reference[i];
    }
    if (found != 0) {
        atomicAdd(differing, found);
    }
}

// Just enough of CUDA to run memtest.cu's kernels on CPU threads, so their index arithmetic and
// bookkeeping (unaligned heads and tails, modulo-20 halves, tallies, the sample cap) are checked on
// a machine without a GPU. Blocks run one after another, each block's threads as real threads that
// meet at __syncthreads; `__shared__` becomes `static`, which is sound because only one block runs
// at a time. Force-included ahead of the kernel source (c++ -include).
#include <atomic>
#include <barrier>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};
inline thread_local dim3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
inline std::barrier<>* block_barrier = nullptr;

#define __global__
#define __device__
#define __forceinline__ inline
#define __noinline__
#define __shared__ static

inline void __syncthreads() { block_barrier->arrive_and_wait(); }

template <class T> T atomicAdd(T* address, T value) { return std::atomic_ref<T>(*address).fetch_add(value); }

inline int __ffs(unsigned value) { return __builtin_ffs(static_cast<int>(value)); }

struct alignas(16) uint4 {
    unsigned x, y, z, w;
};

inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return uint4{x, y, z, w}; }

// The threads of a block, started once and reused for every block of every launch.
class BlockThreads {
  public:
    explicit BlockThreads(unsigned size) : start_(size + 1), done_(size + 1), sync_(size) {
        for (unsigned t = 0; t < size; ++t) {
            threads_.emplace_back([this, t] {
                threadIdx = dim3{t, 1, 1};
                for (;;) {
                    start_.arrive_and_wait();
                    if (stop_) {
                        return;
                    }
                    blockIdx = dim3{block_, 1, 1};
                    (*kernel_)();
                    done_.arrive_and_wait();
                }
            });
        }
    }
    ~BlockThreads() {
        stop_ = true;
        start_.arrive_and_wait();
        for (auto& thread : threads_) {
            thread.join();
        }
    }
    template <class Kernel> void run(unsigned block, Kernel& kernel) {
        std::function<void()> call = [&] { kernel(); };
        block_ = block;
        kernel_ = &call;
        block_barrier = &sync_;
        start_.arrive_and_wait();
        done_.arrive_and_wait();
    }

  private:
    std::barrier<> start_, done_, sync_;
    std::vector<std::thread> threads_;
    unsigned block_ = 0;
    std::function<void()>* kernel_ = nullptr;
    bool stop_ = false;
};

// Runs `kernel` as a grid of `grid` blocks of `BLOCK_THREADS` threads (a warp: the least the
// verify kernel takes).
inline constexpr unsigned BLOCK_THREADS = 32;

template <class Kernel> void launch(unsigned grid, Kernel kernel) {
    static BlockThreads threads(BLOCK_THREADS);
    gridDim = dim3{grid, 1, 1};
    blockDim = dim3{BLOCK_THREADS, 1, 1};
    for (unsigned b = 0; b < grid; ++b) {
        threads.run(b, kernel);
    }
}

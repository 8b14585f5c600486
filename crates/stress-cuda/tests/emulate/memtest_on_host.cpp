// Runs memtest.cu's kernels on CPU threads (cuda_shim.h) over buffers at every alignment and checks
// each word they write or count against revive_pattern_value (which patterns_match_core proves
// equal to the core's). Prints the number of cases; exits 1 on the first failures.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "memtest.cu"

static int failures = 0;
static long cases = 0;

#define CHECK(condition, ...)                                                                                          \
    do {                                                                                                               \
        if (!(condition) && failures++ < 20) {                                                                         \
            std::fprintf(stderr, __VA_ARGS__);                                                                         \
            std::fputc('\n', stderr);                                                                                  \
        }                                                                                                              \
    } while (0)

static const uint32_t GUARD = 0xA5A5A5A5u;
static const unsigned GRID = 3;
static const uint64_t COUNTS[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 20, 21, 33, 100, 1001, 4099};
// Word indexes the ranges start at: the beginning, odd, just under 2^32, the end of an 80 GiB card.
static const uint64_t FIRSTS[] = {0, 5, (1ull << 32) - 3, (80ull << 30) / 4 - 5000};

static uint32_t value(const fill_spec& f, uint64_t index) {
    return revive_pattern_value(f.kind, f.a, f.b, f.inverted, index);
}

// A buffer with guard words around `count` words that start `misalign` words past a 16-byte line.
struct Buffer {
    uint32_t* storage;
    uint32_t* words;
    uint64_t count, total, lead;
    Buffer(uint64_t count, unsigned misalign) : count(count) {
        lead = 4 + misalign;
        total = lead + count + 4;
        storage = static_cast<uint32_t*>(std::aligned_alloc(16, ((total * 4 + 15) / 16) * 16));
        for (uint64_t i = 0; i < total; ++i) {
            storage[i] = GUARD;
        }
        words = storage + lead;
    }
    ~Buffer() { std::free(storage); }
    bool guards_intact() const {
        for (uint64_t i = 0; i < lead; ++i) {
            if (storage[i] != GUARD) return false;
        }
        for (uint64_t i = lead + count; i < total; ++i) {
            if (storage[i] != GUARD) return false;
        }
        return true;
    }
};

static void check_fill(const fill_spec& f) {
    for (uint64_t first : FIRSTS) {
        for (uint64_t count : COUNTS) {
            for (unsigned misalign = 0; misalign < 4; ++misalign) {
                Buffer buffer(count, misalign);
                launch(GRID, [&] { revive_fill(buffer.words, first, count, f); });
                ++cases;
                CHECK(buffer.guards_intact(), "fill kind %u wrote outside %llu words at +%u", f.kind,
                      (unsigned long long)count, misalign);
                for (uint64_t i = 0; i < count; ++i) {
                    CHECK(buffer.words[i] == value(f, first + i), "fill kind %u: word %llu of %llu (first %llu, +%u)",
                          f.kind, (unsigned long long)i, (unsigned long long)count, (unsigned long long)first, misalign);
                }
            }
        }
    }
}

static void check_fill_modulo20(const fill_spec& f) {
    for (uint32_t marked = 0; marked < 2; ++marked) {
        for (uint64_t first : FIRSTS) {
            for (uint64_t count : COUNTS) {
                for (unsigned misalign = 0; misalign < 4; ++misalign) {
                    Buffer buffer(count, misalign);
                    launch(GRID, [&] { revive_fill_modulo20(buffer.words, first, count, f, marked); });
                    ++cases;
                    CHECK(buffer.guards_intact(), "modulo-20 wrote outside the range");
                    for (uint64_t i = 0; i < count; ++i) {
                        const bool is_marked = (first + i) % 20 == f.a;
                        const uint32_t want = is_marked == (marked != 0) ? value(f, first + i) : GUARD;
                        CHECK(buffer.words[i] == want, "modulo-20 (marked %u, offset %llu): word %llu of %llu at %llu",
                              marked, (unsigned long long)f.a, (unsigned long long)i, (unsigned long long)count,
                              (unsigned long long)first);
                    }
                }
            }
        }
    }
}

// Writes `written` (then flips `corrupt` bits of some words), verifies against `expect`, and
// checks the totals, the histogram, the samples and, with `then`, what is left behind.
static void check_verify(const fill_spec& written, const fill_spec& expect, bool write_after, const fill_spec& then,
                         uint32_t cap, uint32_t corrupt) {
    for (uint64_t first : FIRSTS) {
        for (uint64_t count : COUNTS) {
            for (unsigned misalign = 0; misalign < 4; ++misalign) {
                Buffer buffer(count, misalign);
                std::vector<uint32_t> before(count);
                for (uint64_t i = 0; i < count; ++i) {
                    // Corrupt the first and last words and every 7th: heads, tails and quads.
                    const bool bad = corrupt != 0 && (i == 0 || i + 1 == count || i % 7 == 3);
                    before[i] = buffer.words[i] = value(written, first + i) ^ (bad ? corrupt : 0u);
                }
                unsigned long long counters[34] = {0};
                std::vector<unsigned long long> samples(2 * (cap + 1), ~0ull);
                launch(GRID, [&] {
                    revive_verify(buffer.words, first, count, expect, write_after ? 1u : 0u, then, counters,
                                  samples.data(), cap);
                });
                ++cases;
                unsigned long long mismatches = 0, flipped[32] = {0};
                for (uint64_t i = 0; i < count; ++i) {
                    const uint32_t diff = before[i] ^ value(expect, first + i);
                    mismatches += diff != 0;
                    for (int bit = 0; bit < 32; ++bit) {
                        flipped[bit] += (diff >> bit) & 1u;
                    }
                }
                CHECK(counters[0] == mismatches, "verify counted %llu mismatches, not %llu (count %llu, +%u)",
                      counters[0], mismatches, (unsigned long long)count, misalign);
                CHECK(std::memcmp(&counters[1], flipped, sizeof flipped) == 0, "verify's flipped bits differ");
                const unsigned long long taken = counters[33] < cap ? counters[33] : cap;
                CHECK(taken == (mismatches < cap ? mismatches : cap), "verify kept %llu samples of %llu (cap %u)",
                      taken, mismatches, cap);
                CHECK(samples[2 * cap] == ~0ull, "verify wrote past the sample cap");
                std::vector<bool> seen(count, false);
                for (unsigned long long s = 0; s < taken; ++s) {
                    const unsigned long long index = samples[2 * s], found = samples[2 * s + 1];
                    const bool inside = index >= first && index - first < count;
                    CHECK(inside && !seen[index - first] && found == before[index - first] &&
                              found != value(expect, index),
                          "sample %llu (%llu, %llu) is not a mismatch of its own", s, index, found);
                    if (inside) seen[index - first] = true;
                }
                CHECK(buffer.guards_intact(), "verify wrote outside the range");
                for (uint64_t i = 0; i < count; ++i) {
                    const uint32_t want = write_after ? value(then, first + i) : before[i];
                    CHECK(buffer.words[i] == want, "verify left word %llu as %08x, not %08x", (unsigned long long)i,
                          buffer.words[i], want);
                }
            }
        }
    }
}

int main() {
    const fill_spec own = {0, 0, REVIVE_KIND_OWN_ADDRESS, 0};
    const fill_spec walking = {7, 0, REVIVE_KIND_WALKING_ONES, 1};
    const fill_spec constant = {0x01010101u, 0, REVIVE_KIND_CONSTANT, 0};
    const fill_spec rotating = {1, 30, REVIVE_KIND_ROTATING, 0};
    const fill_spec random = {0x1234567890ABCDEFull, 0, REVIVE_KIND_RANDOM, 0};
    const fill_spec modulo20 = {13, 0xFFFFFFFFu, REVIVE_KIND_MODULO20, 0};
    const fill_spec zeros = {0, 0, REVIVE_KIND_CONSTANT, 0};
    for (const fill_spec& f : {own, walking, constant, rotating, random, modulo20}) {
        check_fill(f);
    }
    for (uint64_t offset : {0ull, 3ull, 13ull, 19ull}) {
        check_fill_modulo20(fill_spec{offset, 0xFFFFFFFFu, REVIVE_KIND_MODULO20, 0});
    }
    fill_spec random_inverted = random;
    random_inverted.inverted = 1;
    // Clean reads, with and without writing the complement after.
    check_verify(random, random, false, random, 4096, 0);
    check_verify(random, random, true, random_inverted, 4096, 0);
    // Flipped bits in heads, tails and quads; a cap above, at and below the number found.
    for (uint32_t cap : {0u, 1u, 5u, 4096u}) {
        check_verify(random, random, true, random_inverted, cap, 0x80000001u);
        check_verify(modulo20, zeros, false, zeros, cap, 0);
    }
    if (failures != 0) {
        std::fprintf(stderr, "%d failures in %ld cases\n", failures, cases);
        return 1;
    }
    std::printf("%ld kernel launches checked\n", cases);
    return 0;
}

// The one place that knows which kernel has loops at which vector level: every entry point
// asks th_kernel_runs first and returns 0 (doing nothing) when it declines, so the caller's
// Swift twin runs; no caller needs to know which level has which loop.
#include "Internal.h"

int th_vector_level(void) {
#if TH_X86
    static int level = -1;  // a benign race: every thread computes the same value
    if (level < 0) {
        __builtin_cpu_init();
        level = __builtin_cpu_supports("avx512f") ? 2 : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
    }
    return level;
#else
    return 0;
#endif
}

// The lowest level each kernel has a loop for (index: TH_KERNEL_*).
static const int lowest_level[TH_KERNEL_COUNT] = {
    [TH_KERNEL_DEPTHWISE_ROWS] = 1,
    [TH_KERNEL_DEPTHWISE_BAND] = 1,
    [TH_KERNEL_DEPTHWISE_UP2] = 1,
    [TH_KERNEL_CONV_ROWS] = 1,
    [TH_KERNEL_SCALE_SHIFT] = 1,
    [TH_KERNEL_MOMENTS] = 1,
    [TH_KERNEL_ACTIVATE] = 1,
    [TH_KERNEL_GEMM_PACKED] = 1,
};

int th_kernel_runs(int kernel, int level) {
    if (kernel < 0 || kernel >= TH_KERNEL_COUNT) return 0;
    return th_level(level) >= lowest_level[kernel];
}

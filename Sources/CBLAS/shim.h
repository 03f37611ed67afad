#include <cblas.h>

// Flush-to-zero / denormals-are-zero for the calling thread, restored by the caller.
// Denormal floats (|x| < 1.2e-38) make x86 vector arithmetic up to 100x slower; flushing them
// changes results by less than 1e-37. Set and restored around every parallel work item.
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
static inline unsigned int th_denormals_off(void) {
    unsigned int old = _mm_getcsr();
    _mm_setcsr(old | 0x8040u);
    return old;
}
static inline void th_denormals_restore(unsigned int old) { _mm_setcsr(old); }
#else
static inline unsigned int th_denormals_off(void) { return 0; }
static inline void th_denormals_restore(unsigned int old) { (void)old; }
#endif

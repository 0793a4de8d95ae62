/*
 * cpu.c -- which build of the element-wise kernels this CPU runs (see
 * GAN__SIMD_VARIANTS in kernels.h).
 */
#include "kernels/kernels.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
int gan__cpu_has_avx2(void)
{
    /* libgcc fills the CPU model from a constructor when the library is
       loaded (this checks the OS's AVX state too); reading it is cheap. */
    return __builtin_cpu_supports("avx2");
}
#endif

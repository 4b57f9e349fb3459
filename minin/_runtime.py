"""Two process-wide settings minin makes when it is imported, both measured on a training step.

OpenBLAS. After each matrix product OpenBLAS keeps its worker threads spinning for
about 0.1 s in case another product follows. minin runs its own element-wise
kernels on all cores right after a product (minin.kernels.parallel), and the
spinning threads would take those cores: on 2 cores a training step was 15 %
slower with two kernel threads than with one. ``OPENBLAS_THREAD_TIMEOUT=4`` makes
the idle threads sleep almost at once. OpenBLAS reads it only when it is loaded,
so this module runs before minin imports NumPy; ``OPENBLAS_TUNED`` says whether
that worked.

malloc. glibc hands large blocks back to the operating system when they are
freed and maps fresh pages for the next one. A training step allocates and frees
the same few hundred megabytes every time, so every step paid a page fault per
4 KiB of them: about 10 % of a step on the CPU. Raising glibc's mmap and trim
thresholds keeps freed blocks in the heap, where the next step finds them again,
which is what a caching allocator does. ``MININ_KEEP_MALLOC=1`` leaves malloc as
it is.
"""

import ctypes
import os
import sys

if "numpy" not in sys.modules:
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

OPENBLAS_TUNED = "OPENBLAS_THREAD_TIMEOUT" in os.environ

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h


def _keep_freed_memory():
    """Ask glibc's malloc to keep freed blocks for reuse; False where that is not possible."""
    if os.environ.get("MININ_KEEP_MALLOC") == "1" or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl, say)
        return False
    # The largest threshold glibc accepts depends on its version: try big, then its default maximum.
    if not any(mallopt(_M_MMAP_THRESHOLD, size) for size in (1 << 30, 32 << 20)):
        return False
    return bool(mallopt(_M_TRIM_THRESHOLD, 1 << 30))


MALLOC_TUNED = _keep_freed_memory()

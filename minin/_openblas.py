"""Keep OpenBLAS's idle threads from competing with minin's kernel threads.

After each matrix product OpenBLAS keeps its worker threads spinning for about
0.1 s in case another product follows. minin runs its own element-wise kernels
on all cores right after a product (minin.kernels.parallel), and the spinning
threads would take those cores: on 2 cores a training step was 15 % slower with
two kernel threads than with one. ``OPENBLAS_THREAD_TIMEOUT=4`` makes the idle
threads sleep almost at once. OpenBLAS reads it only when it is loaded, so this
module runs before minin imports NumPy; ``TUNED`` says whether that worked.
"""

import os
import sys

if "numpy" not in sys.modules:
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

TUNED = "OPENBLAS_THREAD_TIMEOUT" in os.environ

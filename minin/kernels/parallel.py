"""Spread a NumPy kernel over the CPU's cores.

BLAS uses every core for the matrix products, but NumPy's element-wise
operations, copies and reductions use one. Most of minin's other kernels treat
channels independently, and feature maps are stored channels-first, so a
kernel can be cut into a few blocks of channels and each block run in its own
thread: NumPy releases the GIL while it works, so the threads really do run at
once. Small arrays run in the calling thread, where a thread's start-up would
cost more than it saves.

The number of threads is ``MININ_NUM_THREADS`` if set, else one per core, but
one when NumPy was imported before minin without ``OPENBLAS_THREAD_TIMEOUT``
(see minin._runtime: OpenBLAS's spinning threads would then make more threads
slower, not faster).
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import _runtime

MIN_ELEMENTS = 1 << 16  # below this, one thread is faster


def _default_threads():
    if os.environ.get("MININ_NUM_THREADS"):
        return max(1, int(os.environ["MININ_NUM_THREADS"]))
    return (os.cpu_count() or 1) if _runtime.OPENBLAS_TUNED else 1


_threads = _default_threads()
_pool = None


def set_num_threads(count):
    """Use ``count`` threads for minin's NumPy kernels (BLAS keeps its own setting)."""
    global _threads, _pool
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"the number of threads must be a positive int, got {count!r}")
    _threads, _pool = count, None


def get_num_threads():
    return _threads


def blocks(count, elements):
    """Contiguous slices that split range(count) between the threads (one slice if
    the work, ``elements`` array elements in all, is too small to share)."""
    parts = max(1, min(_threads, count, elements // MIN_ELEMENTS))
    bounds = [round(k * count / parts) for k in range(parts + 1)]
    return [slice(bounds[k], bounds[k + 1]) for k in range(parts)]


def run(function, count, elements, xp=np):
    """Call ``function(block)`` for blocks (slices) covering range(count), in parallel.
    For CuPy arrays (``xp`` not numpy) one call covers everything: the GPU is parallel."""
    parts = blocks(count, elements) if xp is np else [slice(0, count)]
    if len(parts) == 1:
        function(parts[0])
        return
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_threads - 1, thread_name_prefix="minin")
    futures = [_pool.submit(function, part) for part in parts[1:]]
    function(parts[0])  # this thread does its share too
    for future in futures:
        future.result()  # re-raises a worker's exception here


def flat_view(array):
    """A 1-D view of an array stored contiguously in some axis order, or None."""
    order = np.argsort(array.strides, kind="stable")[::-1]
    view = array.transpose(tuple(int(a) for a in order))
    return view.reshape(-1) if view.flags.c_contiguous else None


def elementwise(function, out, *arrays):
    """``function(out, *arrays)`` for element-wise work on arrays of one shape.

    When all of them are stored contiguously in the same axis order (minin's
    (C, H, W, N) feature maps, say), the work runs on 1-D views in memory order:
    on the CPU cut into pieces for the threads, on the GPU as one call whose
    neighbouring threads touch neighbouring memory. (CuPy walks an array in its
    logical index order, which for a transposed layout jumps through memory.)
    Other arrays run as one plain call.
    """
    flats = [flat_view(a) for a in (out,) + arrays]
    same_layout = all(a.strides == out.strides for a in arrays)
    if any(f is None for f in flats) or not same_layout:
        function(out, *arrays)
    elif isinstance(out, np.ndarray):
        run(lambda part: function(*(f[part] for f in flats)), out.size, out.size)
    else:
        function(*flats)

"""The dtypes under PyTorch's names (``minin.float32``, ``minin.long``, …).

They are NumPy's dtypes, so ``t.dtype == minin.float32`` and ``np.float32`` mean the same.
(This file defines ``float``, ``int`` and ``bool`` as names, as ``torch`` does; it runs no code.)
"""

import numpy as np

float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
float16 = half = np.dtype(np.float16)
int64 = long = np.dtype(np.int64)
int32 = int = np.dtype(np.int32)
int16 = short = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)

DTYPES = ("float32", "float", "float64", "double", "float16", "half", "int64", "long", "int32",
          "int", "int16", "short", "int8", "uint8", "bool")

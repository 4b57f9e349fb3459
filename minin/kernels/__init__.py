"""Array kernels: plain functions on NumPy or CuPy arrays, with no autograd in sight.

``conv`` (im2col, col2im, convolution), ``pooling`` (max, average, global average),
``activation`` (ReLU), ``dropout`` and ``loss`` (log-softmax, cross-entropy) each hold
a forward and a backward. ``cuda`` holds the few CUDA kernels the GPU uses instead.
"""

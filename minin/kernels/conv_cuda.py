"""The GPU's im2col, col2im and bias + ReLU: CUDA kernels for what ``conv.py`` does
with NumPy (see ``cuda_runtime.py`` for how they are compiled and launched)."""

import numpy as np

from ..backend import get_array_module
from . import cuda_runtime as rt
from .layout import from_kernel_layout, kernel_layout, output_size

SOURCE = r"""
// im2col: cols (C, kh, kw, Ho, Wo, N) <- x (C, H, W, N), zero outside the input.
// A row is (c, i, j, oy): what kernel offset (i, j) of channel c sees along output row oy.
extern "C" __global__ void im2col(
    const T* __restrict__ x, T* __restrict__ cols, int N, int C, int H, int W,
    int kh, int kw, int Ho, int Wo, int stride_y, int stride_x,
    int pad_y, int pad_x, int dil_y, int dil_x, I rows)
{
    FOR_EACH_ROW(r, rows) {
        int oy = r % Ho;
        I t = r / Ho;
        int j = t % kw;  t /= kw;
        int i = t % kh;
        int c = t / kh;
        int y = oy * stride_y - pad_y + i * dil_y;
        bool row_inside = y >= 0 && y < H;
        I in = row_inside ? ((I)c * H + y) * W * N : 0;   // input row y of channel c
        T* out = cols + r * Wo * N;
        for (int ox = 0; ox < Wo; ++ox) {
            int x_ = ox * stride_x - pad_x + j * dil_x;
            bool inside = row_inside && x_ >= 0 && x_ < W;
            FOR_EACH_IMAGE(n, N) out[(I)ox * N + n] = inside ? x[in + (I)x_ * N + n] : (T)0;
        }
    }
}

// col2im: dx (C, H, W, N) <- the sum of every column entry that im2col copied from it.
// A row is a pixel (c, y, x). Each thread sums for IMAGES images at once, so the search
// for the kernel offsets (i, j) that reached the pixel is shared by them; it adds them in
// the NumPy kernel's order, which gives the same sums, bit for bit.
#define IMAGES 4
extern "C" __global__ void col2im(
    const T* __restrict__ cols, T* __restrict__ dx, int N, int C, int H, int W,
    int kh, int kw, int Ho, int Wo, int stride_y, int stride_x,
    int pad_y, int pad_x, int dil_y, int dil_x, I rows)
{
    FOR_EACH_ROW(r, rows) {
        int x_ = r % W;
        I t = r / W;
        int y = t % H;
        int c = t / H;
        for (int n0 = threadIdx.x; n0 < N; n0 += IMAGES * blockDim.x) {
            T sum[IMAGES] = {0};
            for (int i = 0; i < kh; ++i) {
                int ty = y + pad_y - i * dil_y;          // = oy * stride_y for the output row oy
                if (ty < 0 || ty % stride_y != 0 || ty / stride_y >= Ho) continue;
                for (int j = 0; j < kw; ++j) {
                    int tx = x_ + pad_x - j * dil_x;
                    if (tx < 0 || tx % stride_x != 0 || tx / stride_x >= Wo) continue;
                    const T* in = cols + (((((I)c * kh + i) * kw + j) * Ho + ty / stride_y) * Wo
                                          + tx / stride_x) * N;
                    for (int k = 0; k < IMAGES; ++k) {
                        int n = n0 + k * blockDim.x;
                        if (n < N) sum[k] += in[n];
                    }
                }
            }
            for (int k = 0; k < IMAGES; ++k) {
                int n = n0 + k * blockDim.x;
                if (n < N) dx[r * N + n] = sum[k];
            }
        }
    }
}

// A convolution's bias, added in place to its (O, M) output, and with relu set, ReLU
// in the same pass: one read and one write of the output instead of two of each.
extern "C" __global__ void bias_relu(T* __restrict__ y, const T* __restrict__ bias, I M, int relu, I total)
{
    FOR_EACH(idx, total) {
        T v = y[idx] + bias[idx / M];
        y[idx] = relu && v < (T)0 ? (T)0 : v;   // NaN stays NaN, as with maximum(v, 0)
    }
}
"""

KERNELS = ("im2col", "col2im", "bias_relu")


def im2col(x, kernel, stride, padding, dilation):
    xp = get_array_module(x)
    # The kernel reads x in (C, H, W, N) layout, where neighbouring threads read neighbouring
    # images: one copy of an input batch in another layout costs less than reading it
    # scattered kh·kw times.
    x = kernel_layout(x)
    c, h, w, n = x.shape
    ho = output_size(h, kernel[0], stride[0], padding[0], dilation[0])
    wo = output_size(w, kernel[1], stride[1], padding[1], dilation[1])
    cols = xp.empty((c * kernel[0] * kernel[1], ho * wo * n), dtype=x.dtype)
    rt.launch(SOURCE, "im2col", c * kernel[0] * kernel[1] * ho,
            [x, cols, *rt.ints(n, c, h, w, *kernel, ho, wo, *stride, *padding, *dilation)],
            x.dtype, rt.lanes_for(n))
    return cols


def col2im(cols, x_shape, kernel, stride, padding, dilation):
    xp = get_array_module(cols)
    n, c, h, w = x_shape
    ho = output_size(h, kernel[0], stride[0], padding[0], dilation[0])
    wo = output_size(w, kernel[1], stride[1], padding[1], dilation[1])
    cols = xp.ascontiguousarray(cols)
    dx = xp.empty((c, h, w, n), dtype=cols.dtype)
    rt.launch(SOURCE, "col2im", c * h * w,
            [cols, dx, *rt.ints(n, c, h, w, *kernel, ho, wo, *stride, *padding, *dilation)],
            cols.dtype, rt.lanes_for(n))
    return from_kernel_layout(dx)


def bias_relu(y, bias, relu):
    """y (O, M) += bias[:, None], then ReLU if ``relu``; in place, one pass."""
    if not y.flags.c_contiguous:
        raise ValueError("bias_relu works in place on a C-contiguous (O, M) array")
    row_length = rt.index_type(y.size, [y])(y.shape[1])  # the index type _launch picks
    bias = get_array_module(y).ascontiguousarray(bias, dtype=y.dtype)
    rt.launch(SOURCE, "bias_relu", y.size, [y, bias, row_length, np.int32(relu)], y.dtype)

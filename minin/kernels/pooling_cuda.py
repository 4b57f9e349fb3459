"""The GPU's max pooling: CUDA kernels for what ``pooling.py`` does with NumPy. Max
pooling reads its input through its strides (in elements), so plain NCHW batches work
without a copy."""

import numpy as np

from ..backend import get_array_module
from . import cuda_runtime as rt
from .layout import from_kernel_layout

SOURCE = r"""
// max pooling: out and argmax (C, Ho, Wo, N); argmax = i * kw + j of the first maximum.
// Window positions outside the input are skipped, which is padding with -inf.
// A row is an output pixel (c, oy, ox); x is read through its strides (in elements).
extern "C" __global__ void max_pool_forward(
    const T* __restrict__ x, T* __restrict__ out, int* __restrict__ argmax, int N, int C, int H, int W,
    long long sN, long long sC, long long sH, long long sW,
    int kh, int kw, int Ho, int Wo, int stride_y, int stride_x,
    int pad_y, int pad_x, I rows)
{
    FOR_EACH_ROW(r, rows) {
        int ox = r % Wo;
        I t = r / Wo;
        int oy = t % Ho;
        int c = t / Ho;
        int y0 = oy * stride_y - pad_y, x0 = ox * stride_x - pad_x;
        FOR_EACH_IMAGE(n, N) {
            const T* plane = x + n * sN + c * sC;
            T best = 0;
            int best_k = -1;
            for (int i = 0; i < kh; ++i) {
                int y = y0 + i;
                if (y < 0 || y >= H) continue;
                for (int j = 0; j < kw; ++j) {
                    int x_ = x0 + j;
                    if (x_ < 0 || x_ >= W) continue;
                    T v = plane[y * sH + x_ * sW];
                    if (best_k < 0 || v > best || v != v) {  // v != v: NaN propagates, as in PyTorch
                        best = v;
                        best_k = i * kw + j;
                    }
                }
            }
            out[r * N + n] = best;
            argmax[r * N + n] = best_k;
        }
    }
}

// max pooling backward: dx (C, H, W, N) <- the gradients of the windows whose maximum it was.
// A row is a pixel (c, y, x); the windows covering it are found with a division per axis.
extern "C" __global__ void max_pool_backward(
    const T* __restrict__ grad, const int* __restrict__ argmax, T* __restrict__ dx,
    int N, int C, int H, int W, long long gN, long long gC, long long gH, long long gW,
    int kh, int kw, int Ho, int Wo, int stride_y, int stride_x,
    int pad_y, int pad_x, I rows)
{
    FOR_EACH_ROW(r, rows) {
        int x_ = r % W;
        I t = r / W;
        int y = t % H;
        int c = t / H;
        int yp = y + pad_y, xp = x_ + pad_x;         // position in the padded input
        int oy_first = yp < kh ? 0 : (yp - kh) / stride_y + 1;
        int ox_first = xp < kw ? 0 : (xp - kw) / stride_x + 1;
        int oy_last = min(yp / stride_y, Ho - 1);
        int ox_last = min(xp / stride_x, Wo - 1);
        FOR_EACH_IMAGE(n, N) {
            const int* am = argmax + (long long)c * Ho * Wo * N + n;
            const T* g = grad + n * gN + c * gC;
            T sum = 0;
            for (int oy = oy_first; oy <= oy_last; ++oy)
                for (int ox = ox_first; ox <= ox_last; ++ox)
                    if (am[((long long)oy * Wo + ox) * N] == (yp - oy * stride_y) * kw + (xp - ox * stride_x))
                        sum += g[oy * gH + ox * gW];
            dx[r * N + n] = sum;
        }
    }
}
"""

KERNELS = ("max_pool_forward", "max_pool_backward")


def max_pool2d(x, kernel, stride, padding, out_hw):
    xp = get_array_module(x)
    n, c, h, w = x.shape
    out = xp.empty((c,) + tuple(out_hw) + (n,), dtype=x.dtype)
    argmax = xp.empty(out.shape, dtype=np.int32)
    rt.launch(SOURCE, "max_pool_forward", c * out_hw[0] * out_hw[1], [x, out, argmax, *rt.ints(n, c, h, w), *rt.strides(x),
                                                *rt.ints(*kernel, *out_hw, *stride, *padding)],
            x.dtype, rt.lanes_for(n))
    return from_kernel_layout(out), argmax


def max_pool2d_backward(grad, argmax, x_shape, kernel, stride, padding):
    xp = get_array_module(grad)
    n, c, h, w = x_shape
    dx = xp.empty((c, h, w, n), dtype=grad.dtype)
    rt.launch(SOURCE, "max_pool_backward", c * h * w, [grad, argmax, dx, *rt.ints(n, c, h, w), *rt.strides(grad),
                                         *rt.ints(*kernel, *grad.shape[2:], *stride, *padding)],
            grad.dtype, rt.lanes_for(n))
    return from_kernel_layout(dx)

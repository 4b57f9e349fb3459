"""The CUDA kernels that the GPU uses where NumPy code would be slow on CuPy.

They are *gather* kernels: each thread writes only its own part of the output and
reads everything that part needs. No atomics, so results are deterministic and
equal run to run. Outputs are written in minin's (C, H, W, N) layout; each thread
of the feature-map kernels takes one row of the output, and the batch, the
innermost axis, is shared out between neighbouring threads, so they touch
neighbouring memory and the index arithmetic is done once per row. Max pooling
reads its input through its strides (in elements), so plain NCHW batches work
without a copy. Each kernel is written once over a type ``T``; the module is
compiled on first use and cached, once per element type ``T`` (float32, float64)
and index type ``I``: 32-bit integers wherever the sizes allow, since the index
arithmetic costs several times more in 64 bits.
"""

import numpy as np

from ..backend import get_array_module
from .conv import from_kernel_layout, kernel_layout, output_size

SOURCE = r"""
// A grid-stride loop: each thread takes every (threads in the grid)-th element, so
// any grid covers any size.
#define FOR_EACH(i, total) \
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (I)blockDim.x * gridDim.x)

// The feature-map kernels give each thread one *row* of their output viewed as a 2-D
// array (rows, Wo·N) or (rows, N), and share out the batch, the innermost axis of
// minin's (C, H, W, N) layout, between the blockDim.x threads of a block row ("lanes"):
// lane l takes images l, l + lanes, ...  Neighbouring lanes touch neighbouring memory,
// and the divisions that locate a row are done once per row, not once per element.
#define FOR_EACH_ROW(r, rows) \
    for (I r = (I)blockIdx.x * blockDim.y + threadIdx.y; r < rows; r += (I)blockDim.y * gridDim.x)
#define FOR_EACH_IMAGE(n, N) for (int n = threadIdx.x; n < N; n += blockDim.x)

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

// A convolution's bias, added in place to its (O, M) output, and with relu set, ReLU
// in the same pass: one read and one write of the output instead of two of each.
extern "C" __global__ void bias_relu(T* __restrict__ y, const T* __restrict__ bias, I M, int relu, I total)
{
    FOR_EACH(idx, total) {
        T v = y[idx] + bias[idx / M];
        y[idx] = relu && v < (T)0 ? (T)0 : v;   // NaN stays NaN, as with maximum(v, 0)
    }
}

// cross-entropy, forward: one thread per row of (rows, K) logits. It writes the softmax
// probabilities (what the backward needs) and the row's loss, log-sum-exp minus the
// label's logit; NaN for a label outside [0, K), which the GPU cannot report otherwise.
extern "C" __global__ void cross_entropy_forward(
    const T* logits, const long long* target, T* probs, T* loss, int K, I total)
{
    FOR_EACH(row, total) {
        const T* z = logits + (long long)row * K;
        T top = z[0];
        for (int k = 1; k < K; ++k) top = z[k] > top ? z[k] : top;
        T sum = 0;
        for (int k = 0; k < K; ++k) sum += exp(z[k] - top);
        T lse = top + log(sum);
        for (int k = 0; k < K; ++k) probs[(long long)row * K + k] = exp(z[k] - lse);
        long long label = target[row];
        loss[row] = (label >= 0 && label < K) ? lse - z[label] : sqrt((T)-1);
    }
}

// cross-entropy, backward: one thread per logit, (softmax - one_hot(label)) * the row's
// scale (the incoming gradient, divided by the batch size for a mean).
extern "C" __global__ void cross_entropy_backward(
    const T* probs, const long long* target, const T* scale, long long scale_stride,
    T* grad, int K, I total)
{
    FOR_EACH(idx, total) {
        I row = idx / K;
        int k = idx % K;
        grad[idx] = (probs[idx] - (target[row] == k ? (T)1 : (T)0)) * scale[row * scale_stride];
    }
}
"""

KERNELS = ("im2col", "col2im", "max_pool_forward", "max_pool_backward", "bias_relu",
           "cross_entropy_forward", "cross_entropy_backward")

# Element-wise kernels, as cupy.ElementwiseKernel pieces: (inputs, outputs, body).
# Outputs named in the inputs' place are read and updated (the optimizers' state).
RELU_BACKWARD = ("T grad, T y", "T dx", "dx = y > (T)0 ? grad : (T)0")  # y = relu's output

# One SGD step with momentum (PyTorch's rule), for a parameter and its momentum buffer.
SGD_MOMENTUM = (
    "T grad, T lr, T momentum, T dampening, T weight_decay, int32 nesterov, int32 first",
    "T param, T buf",
    """T d = grad + weight_decay * param;
       buf = first ? d : momentum * buf + ((T)1 - dampening) * d;
       param -= lr * (nesterov ? d + momentum * buf : buf)""")

# One Adam step (PyTorch's rule): c1 = 1 - beta1^t, c2 = sqrt(1 - beta2^t).
ADAM = (
    "T grad, T lr, T beta1, T beta2, T eps, T weight_decay, T c1, T c2",
    "T param, T m, T v",
    """T g = grad + weight_decay * param;
       m = beta1 * m + ((T)1 - beta1) * g;
       v = beta2 * v + ((T)1 - beta2) * g * g;
       param -= (lr / c1) * m / (sqrt(v) / c2 + eps)""")

ELEMENTWISE = {"relu_backward": RELU_BACKWARD, "sgd_momentum": SGD_MOMENTUM, "adam": ADAM}
THREADS = 256
MAX_BLOCKS = 1 << 20
INDEX_LIMIT = 2**31 - 2**29  # up to here, 32-bit indices can't overflow (grid stride included)
_modules = {}  # (dtype name, index type name) -> compiled cupy.RawModule
_elementwise = {}  # name -> cupy.ElementwiseKernel


def index_type(total, arrays):
    """np.int32 if every index the kernel computes fits in 32 bits, else np.int64."""
    largest = max([total] + [a.size for a in arrays])
    return np.int32 if largest <= INDEX_LIMIT else np.int64


def _compiled(dtype, itype):
    import cupy
    name = np.dtype(dtype).name
    if name not in ("float32", "float64"):
        raise TypeError(f"the CUDA kernels take float32 or float64 arrays, got {name}")
    key = (name, np.dtype(itype).name)
    if key not in _modules:
        ctype = "float" if name == "float32" else "double"
        index = "int" if itype is np.int32 else "long long"
        _modules[key] = cupy.RawModule(code=f"typedef {ctype} T;\ntypedef {index} I;\n" + SOURCE)
    return _modules[key]


def launch_shape(total, lanes=None):
    """(blocks, (threads x, threads y)) for ``total`` work items. Without ``lanes``, one
    thread per item (FOR_EACH); with it, a block row of ``lanes`` threads per item (FOR_EACH_ROW)."""
    threads = (THREADS, 1) if lanes is None else (lanes, THREADS // lanes)
    per_block = THREADS if lanes is None else threads[1]  # items one block takes at a time
    return max(1, min((total + per_block - 1) // per_block, MAX_BLOCKS)), threads


def lanes_for(batch):
    """Lanes per row: a warp's 32 for a batch of 32 or more, else the batch rounded up to a
    power of two, so that small batches don't leave most threads idle."""
    return min(32, 1 << max(0, batch - 1).bit_length())


def _launch(kernel, total, args, dtype, lanes=None):
    """Run ``kernel`` over ``total`` items (a grid-stride loop covers any size)."""
    itype = index_type(total, [a for a in args if hasattr(a, "size") and not isinstance(a, np.generic)])
    blocks, threads = launch_shape(total, lanes)
    _compiled(dtype, itype).get_function(kernel)((blocks,), threads, tuple(args) + (itype(total),))


def _ints(*values):
    return [np.int32(v) for v in values]


def _strides(a):
    return [np.int64(s // a.itemsize) for s in a.strides]


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
    _launch("im2col", c * kernel[0] * kernel[1] * ho,
            [x, cols, *_ints(n, c, h, w, *kernel, ho, wo, *stride, *padding, *dilation)],
            x.dtype, lanes_for(n))
    return cols


def col2im(cols, x_shape, kernel, stride, padding, dilation):
    xp = get_array_module(cols)
    n, c, h, w = x_shape
    ho = output_size(h, kernel[0], stride[0], padding[0], dilation[0])
    wo = output_size(w, kernel[1], stride[1], padding[1], dilation[1])
    cols = xp.ascontiguousarray(cols)
    dx = xp.empty((c, h, w, n), dtype=cols.dtype)
    _launch("col2im", c * h * w,
            [cols, dx, *_ints(n, c, h, w, *kernel, ho, wo, *stride, *padding, *dilation)],
            cols.dtype, lanes_for(n))
    return from_kernel_layout(dx)


def max_pool2d(x, kernel, stride, padding, out_hw):
    xp = get_array_module(x)
    n, c, h, w = x.shape
    out = xp.empty((c,) + tuple(out_hw) + (n,), dtype=x.dtype)
    argmax = xp.empty(out.shape, dtype=np.int32)
    _launch("max_pool_forward", c * out_hw[0] * out_hw[1], [x, out, argmax, *_ints(n, c, h, w), *_strides(x),
                                                *_ints(*kernel, *out_hw, *stride, *padding)],
            x.dtype, lanes_for(n))
    return from_kernel_layout(out), argmax


def max_pool2d_backward(grad, argmax, x_shape, kernel, stride, padding):
    xp = get_array_module(grad)
    n, c, h, w = x_shape
    dx = xp.empty((c, h, w, n), dtype=grad.dtype)
    _launch("max_pool_backward", c * h * w, [grad, argmax, dx, *_ints(n, c, h, w), *_strides(grad),
                                         *_ints(*kernel, *grad.shape[2:], *stride, *padding)],
            grad.dtype, lanes_for(n))
    return from_kernel_layout(dx)


def bias_relu(y, bias, relu):
    """y (O, M) += bias[:, None], then ReLU if ``relu``; in place, one pass."""
    if not y.flags.c_contiguous:
        raise ValueError("bias_relu works in place on a C-contiguous (O, M) array")
    row_length = index_type(y.size, [y])(y.shape[1])  # the index type _launch picks
    bias = get_array_module(y).ascontiguousarray(bias, dtype=y.dtype)
    _launch("bias_relu", y.size, [y, bias, row_length, np.int32(relu)], y.dtype)


def _elementwise_kernel(name):
    if name not in _elementwise:
        import cupy
        inputs, outputs, body = ELEMENTWISE[name]
        _elementwise[name] = cupy.ElementwiseKernel(inputs, outputs, body, f"minin_{name}")
    return _elementwise[name]


def relu_backward(out, grad, y):
    """out = grad where relu's output y is positive, else 0: one pass."""
    _elementwise_kernel("relu_backward")(grad, y, out)


def sgd_momentum(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first):
    """The whole SGD-with-momentum update of one parameter in one kernel (in place)."""
    t = param.dtype.type
    _elementwise_kernel("sgd_momentum")(grad, t(lr), t(momentum), t(dampening), t(weight_decay),
                                        np.int32(nesterov), np.int32(first), param, buf)


def adam(param, grad, m, v, lr, beta1, beta2, eps, weight_decay, step):
    """The whole Adam update of one parameter in one kernel (in place)."""
    t = param.dtype.type
    _elementwise_kernel("adam")(grad, t(lr), t(beta1), t(beta2), t(eps), t(weight_decay),
                                t(1 - beta1 ** step), t((1 - beta2 ** step) ** 0.5), param, m, v)


def cross_entropy(logits, target, reduction):
    """Returns (loss, probabilities): two kernels for the loss of every row, then the reduction."""
    xp = get_array_module(logits)
    logits = xp.ascontiguousarray(logits)
    target = xp.ascontiguousarray(target, dtype=np.int64)
    n, k = logits.shape
    probs = xp.empty_like(logits)
    loss = xp.empty(n, dtype=logits.dtype)
    _launch("cross_entropy_forward", n, [logits, target, probs, loss, *_ints(k)], logits.dtype)
    if reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    return loss, probs


def cross_entropy_backward(grad, probs, target, reduction):
    xp = get_array_module(probs)
    n = probs.shape[0]
    scale = xp.ascontiguousarray(grad / n if reduction == "mean" else grad, dtype=probs.dtype)
    out = xp.empty_like(probs)
    target = xp.ascontiguousarray(target, dtype=np.int64)
    _launch("cross_entropy_backward", probs.size,
            [probs, target, scale, np.int64(1 if reduction == "none" else 0), out, *_ints(probs.shape[1])],
            probs.dtype)
    return out

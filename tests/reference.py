"""Slow, obviously correct reference implementations: explicit loops over every output."""

import math

import numpy as np


def conv2d(x, w, b, stride, padding, dilation):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, ho, wo))
    for b_ in range(n):
        for f in range(o):
            for y in range(ho):
                for xx in range(wo):
                    total = 0.0 if b is None else b[f]
                    for ch in range(c):
                        for i in range(kh):
                            for j in range(kw):
                                r = y * sh - ph + i * dh
                                s = xx * sw - pw + j * dw
                                if 0 <= r < h and 0 <= s < wd:
                                    total += x[b_, ch, r, s] * w[f, ch, i, j]
                    out[b_, f, y, xx] = total
    return out


def pool_output_size(size, k, s, p, ceil_mode):
    out = (math.ceil if ceil_mode else math.floor)((size + 2 * p - k) / s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _windows(x, kernel, stride, padding, ceil_mode):
    n, c, h, w = x.shape
    ho = pool_output_size(h, kernel[0], stride[0], padding[0], ceil_mode)
    wo = pool_output_size(w, kernel[1], stride[1], padding[1], ceil_mode)
    for y in range(ho):
        for xx in range(wo):
            r0, s0 = y * stride[0] - padding[0], xx * stride[1] - padding[1]
            yield y, xx, r0, s0, ho, wo


def max_pool2d(x, kernel, stride, padding, ceil_mode):
    """Returns (out, grad_routing) where grad_routing maps each output to its input position."""
    n, c, h, w = x.shape
    out, where = None, {}
    for y, xx, r0, s0, ho, wo in _windows(x, kernel, stride, padding, ceil_mode):
        if out is None:
            out = np.full((n, c, ho, wo), -np.inf)
        for b in range(n):
            for ch in range(c):
                for i in range(kernel[0]):
                    for j in range(kernel[1]):
                        r, s = r0 + i, s0 + j
                        if 0 <= r < h and 0 <= s < w and x[b, ch, r, s] > out[b, ch, y, xx]:
                            out[b, ch, y, xx] = x[b, ch, r, s]
                            where[b, ch, y, xx] = (r, s)
    return out, where


def avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad):
    n, c, h, w = x.shape
    out = None
    for y, xx, r0, s0, ho, wo in _windows(x, kernel, stride, padding, ceil_mode):
        if out is None:
            out = np.zeros((n, c, ho, wo))
        r1, s1 = min(r0 + kernel[0], h + padding[0]), min(s0 + kernel[1], w + padding[1])
        padded_count = (r1 - r0) * (s1 - s0)
        rs, re = max(r0, 0), min(r1, h)
        cs, ce = max(s0, 0), min(s1, w)
        total = x[:, :, rs:re, cs:ce].sum(axis=(2, 3))
        out[:, :, y, xx] = total / (padded_count if count_include_pad else (re - rs) * (ce - cs))
    return out

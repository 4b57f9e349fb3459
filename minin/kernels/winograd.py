"""3×3, stride-1 convolutions with Winograd's minimal filtering: fewer multiplications.

im2col (kernels/conv.py) does every multiplication of the textbook sum: 9 per output
pixel and input channel. Winograd's algorithm F(m×m, 3×3) (Lavin & Gray, *Fast
Algorithms for Convolutional Neural Networks*, CVPR 2016) computes an m×m tile of
outputs from an (m+2)×(m+2) tile of inputs with (m+2)² multiplications instead of 9m²:

    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A

g is the 3×3 filter, d the input tile, ⊙ the element-wise product, and Bᵀ, G, Aᵀ are
small constant matrices. F(2×2, 3×3) needs 16 multiplications where im2col needs 36
(2.25× fewer); F(4×4, 3×3) needs 36 where im2col needs 144 (4× fewer), at the cost of
larger constants in its transforms and so a larger float32 rounding error.

Summed over input channels, the element-wise product becomes, for each of the (m+2)²
positions of a tile, one matrix product (O, C) @ (C, tiles·N): the transformed filters
times the transformed input tiles of the whole batch. Those (m+2)² GEMMs are the only
multiplications left; the transforms are additions and multiplications by constants,
done here as a few passes of array code over all tiles at once, in minin's (C, H, W, N)
storage order (so every strided tile slice keeps the batch as its contiguous inner axis).

The backward pass is Winograd too. The input gradient is a 3×3 convolution of the output
gradient, padded by 2 - padding, with the filters flipped and their in/out channels
swapped; the weight gradient pairs the output gradient, brought into the transformed
domain by the output transform's adjoint, with the input tiles the forward pass kept:
(m+2)² GEMMs (O, tiles·N) @ (tiles·N, C), then the filter transform's adjoint.

The arrays may be NumPy or CuPy: the code uses only slicing, element-wise operations
and ``matmul``.
"""

import collections

import numpy as np

from ..backend import get_array_module
from . import conv, parallel

# The transforms of Lavin & Gray (2016): F(2, 3) interpolates at 0, 1, -1 and
# infinity, F(4, 3) at 0, ±1, ±2 and infinity. Each entry: (Aᵀ, G, Bᵀ), of shapes
# (m, m+2), (m+2, 3), (m+2, m+2). tests/test_winograd.py checks that they compute a
# correlation.
TRANSFORMS = {
    2: (np.array([[1, 1, 1, 0],
                  [0, 1, -1, -1]], dtype=np.float64),
        np.array([[1, 0, 0],
                  [1 / 2, 1 / 2, 1 / 2],
                  [1 / 2, -1 / 2, 1 / 2],
                  [0, 0, 1]], dtype=np.float64),
        np.array([[1, 0, -1, 0],
                  [0, 1, 1, 0],
                  [0, -1, 1, 0],
                  [0, 1, 0, -1]], dtype=np.float64)),
    4: (np.array([[1, 1, 1, 1, 1, 0],
                  [0, 1, -1, 2, -2, 0],
                  [0, 1, 1, 4, 4, 0],
                  [0, 1, -1, 8, -8, 1]], dtype=np.float64),
        np.array([[1 / 4, 0, 0],
                  [-1 / 6, -1 / 6, -1 / 6],
                  [-1 / 6, 1 / 6, -1 / 6],
                  [1 / 24, 1 / 12, 1 / 6],
                  [1 / 24, -1 / 12, 1 / 6],
                  [0, 0, 1]], dtype=np.float64),
        np.array([[4, 0, -5, 0, 1, 0],
                  [0, -4, -4, 1, 1, 0],
                  [0, 4, -4, -1, 1, 0],
                  [0, -2, -1, 2, 1, 0],
                  [0, 2, -1, -2, 1, 0],
                  [0, 4, 0, -5, 0, 1]], dtype=np.float64)),
}

# What the weight gradient needs from the forward pass: the tile size m and the
# transformed input tiles, (m+2)² matrices (C, tiles·N).
Saved = collections.namedtuple("Saved", ["tile", "tiles"])

# Elements of the largest intermediate array that a transform handles per step of a
# thread's block of channels: about 8 MB of float32, so the passes of a transform (rows,
# then columns) find their input in the cache. Measured on the small NiN's layers: steps
# of 8 channels were up to 2× slower on 6×6 and 2×2 maps, whole blocks slower on 13×13.
_STEP_ELEMENTS = 1 << 21


def _tile_size(tile):
    if tile not in TRANSFORMS:
        raise ValueError(f"winograd: tile must be one of {sorted(TRANSFORMS)} (F(2×2,3×3) or "
                         f"F(4×4,3×3)), got {tile!r}")
    return tile


def _pair(padding):
    padding = (padding, padding) if isinstance(padding, (int, np.integer)) else tuple(padding)
    return int(padding[0]), int(padding[1])


def _combine(xp, row, pieces, out, scratch):
    """out = Σ_k row[k] · pieces(k), skipping zeros and multiplying only where row[k] ≠ ±1.

    ``pieces(k)`` returns the k-th input as an array (a strided view); ``scratch`` is an
    array of out's shape for the products by constants other than ±1. Two leading terms
    with coefficients ±1 are one pass (out = a ± b), not a copy and an addition.
    """
    terms = [(k, float(c)) for k, c in enumerate(row) if c != 0]
    if not terms:
        out[...] = 0
        return
    (k0, c0), rest = terms[0], terms[1:]
    if rest and abs(c0) == 1 and abs(rest[0][1]) == 1 and (c0, rest[0][1]) != (-1, -1):
        (k1, c1), rest = rest[0], rest[1:]
        if c0 == 1 and c1 == 1:
            xp.add(pieces(k0), pieces(k1), out=out)
        elif c0 == 1:
            xp.subtract(pieces(k0), pieces(k1), out=out)
        else:
            xp.subtract(pieces(k1), pieces(k0), out=out)
    elif c0 == 1:
        out[...] = pieces(k0)
    elif c0 == -1:
        xp.negative(pieces(k0), out=out)
    else:
        xp.multiply(pieces(k0), c0, out=out)
    for k, c in rest:
        if c == 1:
            xp.add(out, pieces(k), out=out)
        elif c == -1:
            xp.subtract(out, pieces(k), out=out)
        else:
            xp.multiply(pieces(k), c, out=scratch)
            xp.add(out, scratch, out=out)


def _steps(block, per_channel, xp):
    """Cut a block of channels into steps of about _STEP_ELEMENTS elements (on the GPU, one
    step: it runs each operation over all channels at once)."""
    step = max(1, _STEP_ELEMENTS // per_channel) if xp is np else block.stop - block.start
    for start in range(block.start, block.stop, step):
        yield slice(start, min(start + step, block.stop))


def _framed(xp, x, channels, offset, shape):
    """x[channels] placed at ``offset`` (rows, columns) in a zero frame of ``shape`` (hp, wp):
    what falls outside the frame is dropped, the frame outside x is zero. x itself when
    the frame is exactly x."""
    c, h, w, n = x.shape
    (ph, pw), (hp, wp) = offset, shape
    if (ph, pw) == (0, 0) and (h, w) == (hp, wp):
        return x[channels]
    rows = slice(max(0, -ph), min(h, hp - ph))
    cols = slice(max(0, -pw), min(w, wp - pw))
    inside_rows, inside_cols = slice(rows.start + ph, rows.stop + ph), slice(cols.start + pw, cols.stop + pw)
    frame = xp.empty((channels.stop - channels.start, hp, wp, n), dtype=x.dtype)
    if rows.stop > rows.start and cols.stop > cols.start:
        frame[:, inside_rows, inside_cols] = x[channels, rows, cols]
        conv._zero_outside(frame, inside_rows, inside_cols)  # only the border strips
    else:
        frame[...] = 0
    return frame


def tile_counts(out_h, out_w, tile):
    """The number of m×m output tiles along each axis: ceil(Ho / m), ceil(Wo / m)."""
    return -(-out_h // tile), -(-out_w // tile)


def input_tiles(x, padding, out_h, out_w, tile):
    """Bᵀ d B for every (m+2)×(m+2) input tile d: (C, H, W, N) → ((m+2)², C, tiles·N).

    Tile (ty, tx) reads rows ty·m - padding[0] ... ty·m - padding[0] + m + 1 of x (and the
    same for columns); what falls outside x is zero. ``padding`` may be negative (the input
    gradient of a layer padded by more than 2 crops the output gradient). Tiles are ordered
    (ty, tx, n), the batch innermost.
    """
    xp = get_array_module(x)
    bt = TRANSFORMS[tile][2]
    a = tile + 2
    c, h, w, n = x.shape
    th, tw = tile_counts(out_h, out_w, tile)
    hp, wp = th * tile + 2, tw * tile + 2
    v = xp.empty((a, a, c, th, tw, n), dtype=x.dtype)

    def transform(block):
        for channels in _steps(block, a * a * th * tw * n, xp):
            k = channels.stop - channels.start
            frame = _framed(xp, x, channels, padding, (hp, wp))
            # Along the rows: half[i] = Σ_r Bᵀ[i, r] · (row r of every tile).
            half = xp.empty((a, k, th, wp, n), dtype=x.dtype)
            scratch = xp.empty((k, th, wp, n), dtype=x.dtype)
            for i in range(a):
                _combine(xp, bt[i], lambda r: frame[:, conv.strided_window(r, th, tile)],
                         half[i], scratch)
            # Along the columns: v[i, j] = Σ_s Bᵀ[j, s] · (column s of half[i]'s tiles).
            scratch = xp.empty((k, th, tw, n), dtype=x.dtype)
            for i in range(a):
                for j in range(a):
                    _combine(xp, bt[j],
                             lambda s: half[i][:, :, conv.strided_window(s, tw, tile)],
                             v[i, j, channels], scratch)

    parallel.run(transform, c, v.size, xp)
    return v.reshape(a * a, c, th * tw * n)


def output_tiles(m, out_shape, tile, out=None):
    """Aᵀ M A for every tile: ((m+2)², O, tiles·N) → (O, Ho, Wo, N), the tiles put side by
    side and cropped to Ho×Wo. Written into ``out`` if given."""
    xp = get_array_module(m)
    at, _, _ = TRANSFORMS[tile]
    a = tile + 2
    o, out_h, out_w, n = out_shape
    th, tw = tile_counts(out_h, out_w, tile)
    m = m.reshape(a, a, o, th, tw, n)
    y = xp.empty(out_shape, dtype=m.dtype) if out is None else out

    def transform(block):
        for channels in _steps(block, a * a * th * tw * n, xp):
            k = channels.stop - channels.start
            # Along the rows: half[i, b] = Σ_r Aᵀ[i, r] · m[r, b].
            half = xp.empty((tile, a, k, th, tw, n), dtype=m.dtype)
            scratch = xp.empty((k, th, tw, n), dtype=m.dtype)
            for i in range(tile):
                for b in range(a):
                    _combine(xp, at[i], lambda r: m[r, b, channels], half[i, b], scratch)
            # Along the columns: output pixel (i, j) of every tile, written in place.
            for i in range(tile):
                rows = -(-(out_h - i) // tile)        # tiles whose row i is inside the output
                for j in range(tile):
                    cols = -(-(out_w - j) // tile)
                    target = y[channels, i::tile, j::tile]
                    _combine(xp, at[j], lambda s: half[i, s, :, :rows, :cols], target,
                             xp.empty(target.shape, dtype=m.dtype))

    parallel.run(transform, o, y.size * (a * a) // (tile * tile), xp)
    return y


def output_tiles_adjoint(g, tile):
    """The adjoint of output_tiles: (O, Ho, Wo, N) → ((m+2)², O, tiles·N), A dY Aᵀ for every
    m×m tile dY of ``g`` (zero beyond Ho×Wo). What the weight gradient multiplies."""
    xp = get_array_module(g)
    at, _, _ = TRANSFORMS[tile]
    a_mat = at.T                                      # A, (m+2, m)
    a = tile + 2
    o, out_h, out_w, n = g.shape
    th, tw = tile_counts(out_h, out_w, tile)
    dm = xp.empty((a, a, o, th, tw, n), dtype=g.dtype)

    def transform(block):
        for channels in _steps(block, a * a * th * tw * n, xp):
            k = channels.stop - channels.start
            frame = _framed(xp, g, channels, (0, 0), (th * tile, tw * tile))
            half = xp.empty((a, k, th, tw * tile, n), dtype=g.dtype)
            scratch = xp.empty((k, th, tw * tile, n), dtype=g.dtype)
            for i in range(a):
                _combine(xp, a_mat[i], lambda r: frame[:, r::tile], half[i], scratch)
            scratch = xp.empty((k, th, tw, n), dtype=g.dtype)
            for i in range(a):
                for j in range(a):
                    _combine(xp, a_mat[j], lambda s: half[i][:, :, s::tile], dm[i, j, channels],
                             scratch)

    parallel.run(transform, o, dm.size, xp)
    return dm.reshape(a * a, o, th * tw * n)


def _kron(tile, dtype, xp):
    """G ⊗ G, ((m+2)², 9): row (a, b) holds G[a, i]·G[b, j] at column (i, j), so that the
    whole filter transform G g Gᵀ of every filter is one matrix product."""
    g = TRANSFORMS[tile][1]
    return xp.asarray(np.kron(g, g), dtype=dtype)


def filter_transform(weight, tile):
    """G g Gᵀ for every 3×3 filter: (O, C, 3, 3) → ((m+2)², O, C), in weight's dtype."""
    xp = get_array_module(weight)
    o, c = weight.shape[:2]
    flat = xp.ascontiguousarray(weight).reshape(o * c, 9)
    return (_kron(tile, weight.dtype, xp) @ flat.T).reshape(-1, o, c)


def filter_transform_adjoint(du, tile):
    """The adjoint of filter_transform: ((m+2)², O, C) → (O, C, 3, 3), Gᵀ dU G."""
    xp = get_array_module(du)
    a2, o, c = du.shape
    return (du.reshape(a2, o * c).T @ _kron(tile, du.dtype, xp)).reshape(o, c, 3, 3)


def _convolve(x, u, padding, out_h, out_w, tile):
    """Winograd convolution of x (C, H, W, N) with transformed filters u ((m+2)², O, C):
    (O, Ho, Wo, N), and the transformed input tiles."""
    v = input_tiles(x, padding, out_h, out_w, tile)
    m = get_array_module(x).matmul(u, v)              # one GEMM per tile position
    return output_tiles(m, (u.shape[1], out_h, out_w, x.shape[3]), tile), v


def _check(x_shape, weight_shape, padding, op):
    if tuple(weight_shape[2:]) != (3, 3):
        raise ValueError(f"{op}: Winograd needs a 3×3 kernel, got "
                         f"{weight_shape[2]}×{weight_shape[3]} (weight shape {tuple(weight_shape)})")
    if x_shape[1] != weight_shape[1]:
        raise ValueError(f"{op}: input has {x_shape[1]} channels but the weight expects "
                         f"{weight_shape[1]} (weight shape {tuple(weight_shape)})")
    if min(padding) < 0:
        raise ValueError(f"{op}: padding must be at least 0, got {padding}")
    out = tuple(x_shape[2 + k] + 2 * padding[k] - 2 for k in (0, 1))
    if min(out) < 1:
        raise ValueError(f"{op}: the 3×3 kernel is larger than the padded input "
                         f"({x_shape[2] + 2 * padding[0]}×{x_shape[3] + 2 * padding[1]})")
    return out


def conv2d_forward(x, weight, bias, padding, relu=False, tile=2):
    """y = conv(x, weight) + bias, and max(y, 0) if ``relu``, by Winograd's F(m×m, 3×3).

    Arguments:
        x: input (N, C, H, W), a NumPy or CuPy array, best stored (C, H, W, N) as minin
            stores its feature maps (anything else is copied once).
        weight: (O, C, 3, 3). bias: (O,) or None.
        padding: an int or a pair (ph, pw), zeros on each side.
        relu: apply max(·, 0) to the result.
        tile: m, the output tile's side: 2 for F(2×2, 3×3), 4 for F(4×4, 3×3).

    Shapes: y is (N, O, Ho, Wo) with Ho = H + 2·ph - 2, Wo = W + 2·pw - 2 (stride 1),
    stored (O, Ho, Wo, N) like kernels/conv.py's output.

    Returns:
        (y, saved): ``saved`` is a ``Saved(tile, tiles)``; ``tiles``, the transformed input,
        is what the weight gradient needs (``saved._replace(tiles=None)`` frees it when the
        weight needs no gradient).

    Example:
        >>> x = np.random.default_rng(0).standard_normal((2, 3, 5, 5))
        >>> w = np.random.default_rng(1).standard_normal((4, 3, 3, 3))
        >>> y, saved = conv2d_forward(x, w, None, 1)
        >>> y.shape
        (2, 4, 5, 5)
        >>> bool(np.allclose(y, conv.conv2d_forward(x, w, None, (1, 1), (1, 1), (1, 1))[0]))
        True
    """
    tile = _tile_size(tile)
    padding = _pair(padding)
    out_h, out_w = _check(x.shape, weight.shape, padding, "winograd.conv2d_forward")
    u = filter_transform(weight, tile)
    y, v = _convolve(conv.kernel_layout(x), u, padding, out_h, out_w, tile)
    if bias is not None or relu:
        conv.bias_relu(y.reshape(y.shape[0], -1), bias, relu)
    return conv.from_kernel_layout(y), Saved(tile, v)


def conv2d_backward(grad, saved, weight, x_shape, padding, need_x=True, need_weight=True,
                    need_bias=True):
    """Gradients of conv2d_forward with respect to x, weight and bias (None where not needed).

    Arguments:
        grad: the output's gradient (N, O, Ho, Wo), best stored (O, Ho, Wo, N).
        saved: what conv2d_forward returned beside y (its ``tiles`` only needed for the
            weight gradient; None is accepted when the weight needs none, and then the
            input gradient uses F(2×2, 3×3)).
        weight: (O, C, 3, 3), needed for the input gradient.
        x_shape: the input's shape (N, C, H, W). padding: as given to the forward pass.

    Returns:
        (grad_x, grad_weight, grad_bias): grad_x (N, C, H, W) stored (C, H, W, N), as
        kernels/conv.py's conv2d_backward returns it; grad_weight (O, C, 3, 3); grad_bias (O,).

    The input gradient is the 3×3 convolution of grad, padded by 2 - padding, with the
    filters flipped in space and with their two channel axes swapped, done by the same
    Winograd code as the forward pass. The weight gradient is Gᵀ [Σ_tiles (A dY Aᵀ) ⊙ V] G,
    (m+2)² GEMMs of the transformed output gradient with the saved input tiles V.
    """
    padding = _pair(padding)
    tile = 2 if saved is None else saved.tile
    xp = get_array_module(grad)
    g = conv.kernel_layout(grad)                       # (O, Ho, Wo, N), free in minin's layout
    o = g.shape[0]
    grad_bias = grad_weight = grad_x = None
    if need_bias:
        flat = g.reshape(o, -1)
        grad_bias = xp.empty(o, dtype=g.dtype)
        parallel.run(lambda rows: xp.sum(flat[rows], axis=1, out=grad_bias[rows]), o, flat.size, xp)
    if need_weight:
        if saved is None or saved.tiles is None:
            raise ValueError("winograd.conv2d_backward: the weight gradient needs the input "
                             "tiles saved by conv2d_forward, got none")
        dm = output_tiles_adjoint(g, tile)                 # ((m+2)², O, tiles·N)
        du = xp.matmul(dm, saved.tiles.transpose(0, 2, 1))  # ((m+2)², O, C)
        grad_weight = filter_transform_adjoint(du, tile)
    if need_x:
        flipped = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)   # (C, O, 3, 3)
        u = filter_transform(xp.ascontiguousarray(flipped), tile)
        _, _, h, w = x_shape
        gx, _ = _convolve(g, u, (2 - padding[0], 2 - padding[1]), h, w, tile)
        grad_x = conv.from_kernel_layout(gx)
    return grad_x, grad_weight, grad_bias


# prefers_winograd's thresholds, measured: docs/benchmarks.md ("Winograd convolution").
MIN_CHANNELS = 128
MIN_BATCH = 64
MIN_OUTPUT_SIDE = 4


def prefers_winograd(x_shape, weight_shape, stride, padding, dilation):
    """Whether F(2×2, 3×3) should beat im2col on the CPU for a layer with input (N, C, H, W),
    weight (O, C, kh, kw) and stride, padding, dilation pairs, forward and backward together:
    a 3×3 kernel, stride and dilation 1, at least MIN_CHANNELS channels, a batch of MIN_BATCH
    and MIN_OUTPUT_SIDE output pixels each way. Below those, its 16 small GEMMs run too far
    below BLAS's speed to pay for the transforms (the measurements: docs/benchmarks.md).

        >>> prefers_winograd((128, 128, 6, 6), (192, 128, 3, 3), (1, 1), (1, 1), (1, 1))
        True
    """
    n, c, h, w = x_shape
    out_side = min(h + 2 * padding[0], w + 2 * padding[1]) - 2
    return (applies(weight_shape, stride, dilation) and c >= MIN_CHANNELS and n >= MIN_BATCH
            and out_side >= MIN_OUTPUT_SIDE)


def applies(weight_shape, stride, dilation):
    """Whether Winograd's F(m×m, 3×3) can run this layer: a 3×3 kernel, stride and dilation 1."""
    return tuple(weight_shape[2:]) == (3, 3) and tuple(stride) == tuple(dilation) == (1, 1)

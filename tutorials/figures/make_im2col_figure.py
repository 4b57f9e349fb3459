"""Draw the im2col picture of chapter 3 and save it as im2col.png next to this file.

A 4×4 single-channel image holding 0..15 and a 3×3 kernel give four output
pixels, so im2col makes a 9×4 matrix: one column per output pixel, one row per
kernel offset. The patch of one output pixel and its column are highlighted.

    python tutorials/figures/make_im2col_figure.py      (from any directory)
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Rectangle  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the repository root, if minin is not installed
from minin.kernels.conv import im2col  # noqa: E402

K, H, W = 3, 4, 4
OUT = (0, 1)                 # the output pixel whose patch is highlighted
COLOR = "tab:orange"
GAP = 3                      # cells between the two drawings

image = np.arange(H * W, dtype=np.float32).reshape(1, 1, H, W)
cols = im2col(image, (K, K), (1, 1), (0, 0), (1, 1))          # (9, 4)
Wo = W - K + 1
column = OUT[0] * Wo + OUT[1]


def draw_grid(ax, values, highlight, left):
    """Numbers in unit cells, the top-left corner at (left, 0); highlighted cells coloured."""
    for (r, c), value in np.ndenumerate(values):
        ax.add_patch(Rectangle((left + c, r), 1, 1, edgecolor="black", linewidth=0.8,
                               facecolor=COLOR if highlight[r, c] else "white"))
        ax.text(left + c + 0.5, r + 0.5, f"{value:g}", ha="center", va="center", fontsize=11)


patch = np.zeros((H, W), dtype=bool)
patch[OUT[0]:OUT[0] + K, OUT[1]:OUT[1] + K] = True
selected = np.zeros(cols.shape, dtype=bool)
selected[:, column] = True

fig, ax = plt.subplots(figsize=(6.4, 6))
right = W + GAP
draw_grid(ax, image[0, 0], patch, left=0)
draw_grid(ax, cols, selected, left=right)

ax.text(W / 2, -1.9, f"input x (1×1×{H}×{W})\npatch of output pixel {OUT}", ha="center")
ax.text(right + cols.shape[1] / 2, -1.9, f"im2col(x): {cols.shape[0]}×{cols.shape[1]}\n"
        "one column per output pixel", ha="center")
for r in range(K * K):        # row labels: the kernel offset (i, j)
    ax.text(right - 0.15, r + 0.5, f"({r // K},{r % K})", ha="right", va="center", fontsize=9)
for c in range(cols.shape[1]):  # column labels: the output pixel (oy, ox)
    ax.text(right + c + 0.5, K * K + 0.35, f"({c // Wo},{c % Wo})", ha="center", va="top", fontsize=9)
ax.text(right - 1.3, K * K + 0.35, "rows: kernel offset (i, j)\ncolumns: output pixel (oy, ox)",
        ha="right", va="top", fontsize=9)
ax.add_patch(FancyArrowPatch((OUT[1] + K + 0.1, OUT[0] + 0.5), (right + column + 0.5, -0.1),
                             connectionstyle="arc3,rad=-0.4", arrowstyle="-|>", mutation_scale=15,
                             linewidth=1.5, color=COLOR, zorder=3))

ax.set_xlim(-0.2, right + cols.shape[1] + 0.2)
ax.set_ylim(K * K + 1.4, -2.9)
ax.set_aspect("equal")
ax.axis("off")
fig.tight_layout()
fig.savefig(HERE / "im2col.png", dpi=110)
print(f"wrote {HERE / 'im2col.png'}")

"""PyTorch programs run on minin with only their import lines changed.

Each program in tests/programs/ is written for PyTorch and torchvision. It runs twice on
a few hundred Fashion-MNIST images: with PyTorch, then with its import lines rewritten by
the rule (``torch`` → ``minin``, ``torchvision`` → ``minin.vision``) and nothing else. Both
runs start from the same weights (the PyTorch run's, copied across when the optimizer is
built), draw the same shuffled orders, and must follow the same loss trajectory within
float32 tolerance.

torchvision is not a dependency, so the PyTorch run gets a small stand-in ``torchvision``
(below) that reads the same IDX files and does what torchvision's transforms do on them.

Each framework runs the programs in a process of its own, with one BLAS / OpenMP thread:
then neither sees the other's patches or thread pools, and threads that wait for each
other on a busy machine can't make a run many times slower than its work.
"""

import contextlib
import gzip
import io
import json
import os
import re
import runpy
import struct
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import minin
import minin.optim
import minin.utils.data.dataloader
import minin.utils.data.dataset
import minin.nn

PROGRAMS = Path(__file__).parent / "programs"
REAL_FASHION = Path("/usr/share/datasets/fashion-mnist")
N_TRAIN, N_TEST = 256, 64


# ---------------------------------------------------------------------------- the rule

def rewrite_imports(source):
    """The program with every import of torch / torchvision naming minin / minin.vision
    instead, and the number of lines changed (all of them import lines)."""
    lines, changed = [], 0
    for line in source.splitlines():
        new = re.sub(r"^(\s*)import (torchvision|torch)((?:\.\w+)*)(\s+as\s+\w+)?\s*$",
                     lambda m: f"{m[1]}import {_target(m[2])}{m[3]}"
                               f"{m[4] or ('' if m[3] else ' as ' + m[2])}", line)
        new = re.sub(r"^(\s*)from (torchvision|torch)((?:\.\w+)*) import ",
                     lambda m: f"{m[1]}from {_target(m[2])}{m[3]} import ", new)
        changed += new != line
        lines.append(new)
    return "\n".join(lines) + "\n", changed


def _target(top):
    return "minin.vision" if top == "torchvision" else "minin"


def test_the_rule_rewrites_only_import_lines():
    source = ("import torch\nimport torch.nn as nn\nfrom torch import nn, optim\n"
              "import torchvision\nimport torchvision.transforms as transforms\n"
              "from torch.utils.data import DataLoader\nx = torch.zeros(1)  # torch\n")
    text, changed = rewrite_imports(source)
    assert text.splitlines() == [
        "import minin as torch", "import minin.nn as nn", "from minin import nn, optim",
        "import minin.vision as torchvision", "import minin.vision.transforms as transforms",
        "from minin.utils.data import DataLoader", "x = torch.zeros(1)  # torch"]
    assert changed == 6


# ---------------------------------------------------------------------------- data

def _idx(array):
    return struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) \
        + array.tobytes()


def _read_idx(path):
    raw = gzip.decompress(Path(path).read_bytes())
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_files():
    """The first N_TRAIN training and N_TEST test images of Fashion-MNIST as IDX files
    (or, without Debian's copy, random images whose class shows in their brightness)."""
    files = {}
    for prefix, n in (("train", N_TRAIN), ("t10k", N_TEST)):
        if (REAL_FASHION / f"{prefix}-labels-idx1-ubyte.gz").is_file():
            images = _read_idx(REAL_FASHION / f"{prefix}-images-idx3-ubyte.gz")[:n]
            labels = _read_idx(REAL_FASHION / f"{prefix}-labels-idx1-ubyte.gz")[:n]
        else:
            rng = np.random.default_rng(len(prefix))
            labels = rng.integers(0, 10, n).astype(np.uint8)
            images = (rng.random((n, 28, 28)) * 25 * (labels[:, None, None] + 1)).astype(np.uint8)
        files[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(_idx(images))
        files[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(_idx(labels))
    return files


def make_workdir(folder, files):
    """A folder holding the data where the programs look for it (their ``root``)."""
    for root in ("dataset", "data"):
        raw = folder / root / "FashionMNIST" / "raw"
        raw.mkdir(parents=True)
        for name, data in files.items():
            (raw / name).write_bytes(data)
    return folder


# ---------------------------------------------------------------------------- torchvision stand-in

def standin_torchvision(torch):
    """The parts of torchvision the programs use, on the same files: images come out of
    the data set as uint8 (H, W) arrays (what a PIL image holds) and are resized as
    torchvision resizes them (bilinear, rounded back to uint8)."""
    tv, datasets, transforms = (types.ModuleType(name) for name in
                                ("torchvision", "torchvision.datasets", "torchvision.transforms"))

    class FashionMNIST(torch.utils.data.Dataset):
        classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]

        def __init__(self, root, train=True, transform=None, target_transform=None,
                     download=False):
            folder = Path(root) / "FashionMNIST" / "raw"
            prefix = "train" if train else "t10k"
            self.data = _read_idx(folder / f"{prefix}-images-idx3-ubyte.gz")
            self.targets = _read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
            self.transform = transform

        def __getitem__(self, i):
            image = self.data[i]
            return (self.transform(image) if self.transform else image), int(self.targets[i])

        def __len__(self):
            return len(self.targets)

    class Compose:
        def __init__(self, steps):
            self.steps = steps

        def __call__(self, x):
            for step in self.steps:
                x = step(x)
            return x

    class ToTensor:
        def __call__(self, image):
            return torch.from_numpy(np.array(image, np.float32)[None] / np.float32(255))

    class Resize:
        def __init__(self, size):
            self.size = size

        def __call__(self, image):
            h, w = image.shape
            size = (self.size, self.size * w // h) if isinstance(self.size, int) else self.size
            out = torch.nn.functional.interpolate(
                torch.tensor(image, dtype=torch.float32)[None, None], size=size,
                mode="bilinear", align_corners=False, antialias=False)
            return out[0, 0].round().clamp(0, 255).to(torch.uint8).numpy()

    class Normalize:
        def __init__(self, mean, std):
            self.mean, self.std = mean, std

        def __call__(self, x):
            return (x - torch.tensor(self.mean)[:, None, None]) / torch.tensor(self.std)[:, None, None]

    datasets.FashionMNIST = FashionMNIST
    transforms.Compose, transforms.ToTensor, transforms.Resize, transforms.Normalize = \
        Compose, ToTensor, Resize, Normalize
    tv.datasets, tv.transforms = datasets, transforms
    return {"torchvision": tv, "torchvision.datasets": datasets,
            "torchvision.transforms": transforms}


# ---------------------------------------------------------------------------- the two runs

class Recorder:
    """What one run did: the initial weights its optimizer saw, every loss it computed."""

    def __init__(self):
        self.weights, self.losses = None, []

    def record_losses(self, monkeypatch, loss_class):
        """Keep every value ``loss_class`` (either framework's CrossEntropyLoss) computes."""
        forward = loss_class.forward

        def recording_forward(loss, input, target):
            value = forward(loss, input, target)
            self.losses.append(value.item())
            return value
        monkeypatch.setattr(loss_class, "forward", recording_forward)


def shared_orders(seed=0):
    """Random orders drawn from one NumPy stream, the same in both runs."""
    rng = np.random.default_rng(seed)
    return lambda n, *args, **kwargs: rng.permutation(n)


def run_with_torch(torch, program, monkeypatch):
    record = Recorder()
    for name, module in standin_torchvision(torch).items():
        monkeypatch.setitem(sys.modules, name, module)
    order = shared_orders()   # random_split's permutation, then one per shuffled epoch
    monkeypatch.setattr(torch.utils.data.dataset, "randperm",
                        lambda n, *args, **kwargs: torch.from_numpy(order(n)))
    monkeypatch.setattr(torch.utils.data.RandomSampler, "__iter__",
                        lambda self: iter(order(len(self.data_source)).tolist()))
    optimizer_init = torch.optim.Optimizer.__init__

    def recording_init(self, params, *args, **kwargs):
        params = list(params)
        record.weights = [p.detach().numpy().copy() for p in params]
        optimizer_init(self, params, *args, **kwargs)
    monkeypatch.setattr(torch.optim.Optimizer, "__init__", recording_init)
    record.record_losses(monkeypatch, torch.nn.CrossEntropyLoss)
    torch.manual_seed(0)
    runpy.run_path(str(program), run_name="__main__")
    monkeypatch.undo()
    return record


def run_with_minin(source, weights, monkeypatch, tmp_path):
    record = Recorder()
    order = shared_orders()
    monkeypatch.setattr(minin.utils.data.dataset, "_randperm", order)
    monkeypatch.setattr(minin.utils.data.dataloader, "_randperm", order)
    optimizer_init = minin.optim.Optimizer.__init__

    def loading_init(self, params, *args, **kwargs):
        params = list(params)
        assert [p.shape for p in params] == [w.shape for w in weights]
        for p, w in zip(params, weights):
            p.data[...] = w
        optimizer_init(self, params, *args, **kwargs)
    monkeypatch.setattr(minin.optim.Optimizer, "__init__", loading_init)
    record.record_losses(monkeypatch, minin.nn.CrossEntropyLoss)
    program = tmp_path / "program_on_minin.py"
    program.write_text(source)
    minin.manual_seed(0)
    runpy.run_path(str(program), run_name="__main__")
    monkeypatch.undo()
    return record


PROGRAM_NAMES = ["nin_fashion_mnist.py", "d2l_train_ch6.py", "tutorial_classifier.py",
                 "d2l_lenet_sigmoid.py", "pytorch_quickstart.py", "d2l_lenet_batchnorm.py"]
SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                 "MININ_NUM_THREADS": "1"}


def _run_programs(framework, base):
    """In this process: run every program with ``framework`` in its folder under ``base``,
    writing what it printed, the losses and the initial weights there."""
    if framework == "torch":
        import torch
    for name in PROGRAM_NAMES:
        work = base / Path(name).stem
        os.chdir(work)
        printed = io.StringIO()
        with pytest.MonkeyPatch.context() as monkeypatch, contextlib.redirect_stdout(printed):
            if framework == "torch":
                record = run_with_torch(torch, PROGRAMS / name, monkeypatch)
            else:
                weights = np.load(work / "torch_weights.npz")
                record = run_with_minin(rewrite_imports((PROGRAMS / name).read_text())[0],
                                        [weights[k] for k in weights.files], monkeypatch, work)
        if framework == "torch":
            np.savez(work / "torch_weights.npz", *record.weights)
        (work / f"{framework}.json").write_text(json.dumps(
            {"losses": record.losses, "printed": printed.getvalue()}))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Both runs of every program: {name: (torch's record, minin's record, folder)}."""
    pytest.importorskip("torch")
    base = tmp_path_factory.mktemp("programs")
    files = fashion_files()
    for name in PROGRAM_NAMES:
        make_workdir(base / Path(name).stem, files)
    env = dict(os.environ, **SINGLE_THREAD,
               PYTHONPATH=os.pathsep.join([str(Path(__file__).parent),
                                           str(Path(__file__).parents[1]),
                                           os.environ.get("PYTHONPATH", "")]))
    for framework in ("torch", "minin"):
        done = subprocess.run([sys.executable, __file__, framework, str(base)], env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"the {framework} run failed:\n{done.stderr[-3000:]}"
    return {name: tuple(json.loads((base / Path(name).stem / f"{fw}.json").read_text())
                        for fw in ("torch", "minin")) + (base / Path(name).stem,)
            for name in PROGRAM_NAMES}


@pytest.mark.slow
@pytest.mark.parametrize("name,saved", [("nin_fashion_mnist.py", "params.pkl"),
                                        ("d2l_train_ch6.py", None),
                                        ("tutorial_classifier.py", "fashion_net.pth"),
                                        ("d2l_lenet_sigmoid.py", None),
                                        ("pytorch_quickstart.py", "model.pth"),
                                        ("d2l_lenet_batchnorm.py", None)])
def test_program_runs_on_minin_with_only_its_imports_changed(name, saved, runs):
    source = (PROGRAMS / name).read_text()
    _, changed = rewrite_imports(source)
    imports = sum(line.lstrip().startswith(("import ", "from ")) and "torch" in line
                  for line in source.splitlines())
    assert 0 < changed == imports                  # nothing but import lines changed
    theirs, ours, folder = runs[name]
    assert len(ours["losses"]) == len(theirs["losses"]) > 10
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-4, atol=1e-5)
    assert len(ours["printed"].splitlines()) == len(theirs["printed"].splitlines())
    if saved:
        state = minin.load(folder / saved, weights_only=True)
        assert all(isinstance(v, np.ndarray) for v in state.values())


if __name__ == "__main__":   # one framework's runs, in a process of its own (see runs())
    _run_programs(sys.argv[1], Path(sys.argv[2]))

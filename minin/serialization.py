"""Checkpoints: ``minin.save(obj, path)`` and ``minin.load(path)``.

A checkpoint is an ``.npz`` file: every array is stored as its own entry, and
the structure around them (dicts, lists, numbers, strings) as a JSON text entry.
Nothing is pickled, so loading a file can never run code. Files are written to
a temporary name and renamed, so an interrupted save never leaves half a file.
"""

import json
import os
import zipfile

import numpy as np

from . import backend
from ._files import atomic_write
from .tensor import Tensor

_MANIFEST = "__minin__"
_FORMAT = 1


class CheckpointError(ValueError):
    """A file is not a readable minin checkpoint."""


def _encode(obj, arrays):
    if isinstance(obj, Tensor):
        obj = obj.data
    if isinstance(obj, np.ndarray) or backend.name_of(obj) == "cupy":
        key = f"a{len(arrays)}"
        arrays[key] = backend.asnumpy(obj)
        return {"__array__": key}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, str):
                raise TypeError(f"checkpoint dict keys must be strings, got {k!r}")
        return {"__dict__": {k: _encode(v, arrays) for k, v in obj.items()}}
    if isinstance(obj, (list, tuple)):
        return {"__list__": [_encode(v, arrays) for v in obj], "tuple": isinstance(obj, tuple)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot save an object of type {type(obj).__name__} in a checkpoint; "
                    "use dicts, lists, arrays, numbers and strings")


def _decode(obj, arrays):
    if isinstance(obj, dict):
        if "__array__" in obj:
            return arrays[obj["__array__"]]
        if "__dict__" in obj:
            return {k: _decode(v, arrays) for k, v in obj["__dict__"].items()}
        if "__list__" in obj:
            items = [_decode(v, arrays) for v in obj["__list__"]]
            return tuple(items) if obj.get("tuple") else items
    return obj


def save(obj, path):
    """Write ``obj`` (nested dicts/lists of arrays, Tensors, numbers, strings) to ``path``."""
    arrays = {}
    manifest = json.dumps({"format": _FORMAT, "root": _encode(obj, arrays)})
    atomic_write(path, lambda f: np.savez(f, **{_MANIFEST: np.array(manifest)}, **arrays))


def load(path):
    """Read a checkpoint written by ``save``; arrays come back as NumPy arrays."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):  # a .npy file holds one bare array
            raise CheckpointError(f"{path} is not a minin checkpoint (it is a .npy file, one "
                                  "array; checkpoints are .npz files written by minin.save)")
        with data:
            if _MANIFEST not in data.files:
                raise CheckpointError(f"{path} is not a minin checkpoint (no {_MANIFEST} entry)")
            manifest = json.loads(str(data[_MANIFEST]))
            arrays = {k: data[k] for k in data.files if k != _MANIFEST}
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: the file is truncated or not an "
                              f".npz file ({type(exc).__name__}: {exc})") from None
    if manifest.get("format") != _FORMAT:
        raise CheckpointError(f"{path} has checkpoint format {manifest.get('format')!r}; "
                              f"this minin reads format {_FORMAT}")
    return _decode(manifest["root"], arrays)

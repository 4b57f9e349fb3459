"""Checkpoints: ``minin.save(obj, f)`` and ``minin.load(f)``.

A checkpoint is an ``.npz`` file: every array is stored as its own entry, and
the structure around them (dicts, lists, numbers, strings) as a JSON text entry.
Nothing is pickled, so loading a file can never run code. Files are written to
a temporary name and renamed, so an interrupted save never leaves half a file.

The calls of PyTorch programs work as they are: ``torch.save(net.state_dict(),
'params.pkl')`` (any file name; the file is still an .npz inside),
``net.load_state_dict(torch.load('params.pkl', weights_only=True,
map_location=device))``.
"""

import json
import os
import zipfile
from collections import OrderedDict

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
        encoded = {"__dict__": {k: _encode(v, arrays) for k, v in obj.items()}}
        if isinstance(obj, OrderedDict):   # a state_dict comes back as the OrderedDict it was
            encoded["ordered"] = True
        return encoded
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
            items = ((k, _decode(v, arrays)) for k, v in obj["__dict__"].items())
            return OrderedDict(items) if obj.get("ordered") else dict(items)
        if "__list__" in obj:
            items = [_decode(v, arrays) for v in obj["__list__"]]
            return tuple(items) if obj.get("tuple") else items
    return obj


def _is_file(f):
    return hasattr(f, "write") or hasattr(f, "read")


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Write ``obj`` to ``f``, as ``torch.save``: nested dicts (a ``state_dict``, an
    ``OrderedDict``), lists and tuples of arrays, Tensors, numbers, strings and None.

    Args:
        obj: what to store; Tensors are stored as their arrays. Dict keys must be strings.
        f: a file name (any name: ``'params.pkl'`` is an .npz file all the same) or a
            binary file opened for writing.
        pickle_module, pickle_protocol, _use_new_zipfile_serialization: PyTorch's
            options; nothing is pickled, so ``pickle_module`` must be None and the other
            two are ignored.

    Raises:
        TypeError: an object of another type, a dict key that is not a string, or a
            ``pickle_module``.

    Example::

        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> net = nn.Linear(2, 3)
        >>> mn.save(net.state_dict(), os.path.join(folder, "params.pkl"))
        >>> sorted(mn.load(os.path.join(folder, "params.pkl")))
        ['bias', 'weight']
    """
    if pickle_module is not None:
        raise TypeError("save: pickle_module is not supported; minin checkpoints are .npz "
                        "files with no pickle inside")
    arrays = {}
    manifest = json.dumps({"format": _FORMAT, "root": _encode(obj, arrays)})

    def write(file):
        np.savez(file, **{_MANIFEST: np.array(manifest)}, **arrays)
    if _is_file(f):
        write(f)
    else:
        atomic_write(f, write)


def _target_backend(map_location):
    """The backend that ``map_location`` names: None, "cpu" or a cpu device → NumPy;
    "cuda", "cuda:N" or a cuda device → CuPy."""
    if map_location is None:
        return None
    kind = getattr(map_location, "type", map_location)
    if isinstance(kind, str):
        kind = kind.split(":")[0]
        if kind in ("cpu", "numpy"):
            return "numpy"
        if kind in ("cuda", "cupy"):
            return "cupy"
    raise TypeError(f"load: map_location must be None, 'cpu', 'cuda', 'cuda:N' or a device, "
                    f"got {map_location!r} (functions and dicts are not supported)")


def _foreign_kind(path):
    """A short description of a file that is not an .npz checkpoint, or None."""
    with open(path, "rb") as file:
        head = file.read(4)
    if head[:1] == b"\x80":
        return "a Python pickle"
    try:
        with zipfile.ZipFile(path) as archive:
            if any(name.endswith("data.pkl") for name in archive.namelist()):
                return "a PyTorch checkpoint (torch.save's zip of pickles)"
    except (zipfile.BadZipFile, OSError):
        pass   # not a zip at all, or a damaged one: _read says which
    return None


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Read a checkpoint written by ``save``; arrays come back as NumPy arrays (CuPy arrays
    with ``map_location="cuda"``), dicts saved as OrderedDicts as OrderedDicts.

    As ``torch.load``; nothing is unpickled, so loading a file can never run code.

    Args:
        f: a file name or a binary file opened for reading.
        map_location: None or "cpu" (NumPy), "cuda" / "cuda:N" (CuPy), or a device
            (default None: NumPy).
        weights_only: accepted with either value: nothing is ever unpickled, so a file
            can only ever give back arrays, numbers, strings, lists and dicts.
        pickle_module, mmap, pickle_load_args: PyTorch's options; only their defaults.

    Returns:
        The stored object; ``net.load_state_dict(minin.load(f))`` takes it as it is.

    Raises:
        FileNotFoundError: a missing file.
        CheckpointError: a file that is not a minin checkpoint (a PyTorch or pickle file
            is named as such).

    Example::

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "params.pkl")
        >>> net = nn.Linear(2, 3)
        >>> mn.save(net.state_dict(), path)
        >>> state = mn.load(path, weights_only=True, map_location="cpu")
        >>> type(state).__name__, state["weight"].shape
        ('OrderedDict', (3, 2))
        >>> net.load_state_dict(state)                  # no missing and no unexpected keys
        ([], [])
    """
    if pickle_module is not None or mmap or pickle_load_args:
        raise TypeError("load: pickle_module, mmap and other pickle options are not "
                        "supported; minin checkpoints hold no pickle")
    target = _target_backend(map_location)
    if _is_file(f):
        path = getattr(f, "name", "<file>")
        root = _read(f, path)
    else:
        path = os.fspath(f)
        if not os.path.exists(path):
            raise FileNotFoundError(f"no checkpoint at {path}")
        kind = _foreign_kind(path)
        if kind is not None:
            raise CheckpointError(f"{path} is {kind}, not a minin checkpoint: minin never "
                                  "unpickles a file (that could run code); export the "
                                  "arrays with numpy.savez, or save them again with minin.save")
        root = _read(path, path)
    return root if target is None else _to_backend(root, target)


def _to_backend(obj, name):
    if isinstance(obj, np.ndarray):
        return backend.to_backend(obj, name)
    if isinstance(obj, dict):
        return type(obj)((k, _to_backend(v, name)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_backend(v, name) for v in obj)
    return obj


def _read(source, path):
    try:
        data = np.load(source, allow_pickle=False)
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
    except ValueError as exc:
        if "allow_pickle" in str(exc):  # NumPy's advice to allow pickles is not ours to pass on
            raise CheckpointError(f"{path} holds pickled Python objects, which minin never loads "
                                  "(they could run code); it was not written by minin.save") from None
        raise CheckpointError(f"cannot read checkpoint {path}: the file is truncated or not an "
                              f".npz file (ValueError: {exc})") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: the file is truncated or not an "
                              f".npz file ({type(exc).__name__}: {exc})") from None
    except RecursionError:
        raise CheckpointError(f"cannot read checkpoint {path}: its index is nested too deeply "
                              "(minin.save never writes one like it)") from None
    except MemoryError as exc:  # an entry whose header claims a huge array, or a machine short of memory
        raise CheckpointError(f"cannot read checkpoint {path}: an array in it needs more memory than "
                              f"is available ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise CheckpointError(f"{path} has checkpoint format {found!r}; this minin reads format {_FORMAT}")
    try:
        return _decode(manifest["root"], arrays)
    except (KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{path} is damaged: its index names what the file does not hold "
                              f"({type(exc).__name__}: {exc})") from None
    except RecursionError:
        raise CheckpointError(f"{path} is damaged: its index is nested too deeply "
                              "(minin.save never writes one like it)") from None

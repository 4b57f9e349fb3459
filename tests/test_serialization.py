"""Checkpoints: round trips, atomic writes, and clear errors for files that are not checkpoints."""

import os
import zipfile

import numpy as np
import pytest

import minin as mn


def nested():
    return {"model": {"0.weight": np.arange(6, dtype=np.float32).reshape(2, 3)},
            "optimizer": {"state": {"0": {"step": 3, "exp_avg": np.ones(2)}},
                          "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0]}]},
            "epoch": 2, "name": "small", "best": None, "flag": True, "tensor": mn.tensor([1.0, 2.0])}


def test_round_trip_keeps_structure_values_and_dtypes(tmp_path):
    path = tmp_path / "ck.npz"
    mn.save(nested(), path)
    back = mn.load(path)
    assert back["model"]["0.weight"].dtype == np.float32
    np.testing.assert_array_equal(back["model"]["0.weight"], np.arange(6).reshape(2, 3))
    group = back["optimizer"]["param_groups"][0]
    assert group["betas"] == (0.9, 0.999) and group["params"] == [0] and group["lr"] == 0.1
    assert back["optimizer"]["state"]["0"]["step"] == 3
    assert back["epoch"] == 2 and back["name"] == "small" and back["best"] is None and back["flag"] is True
    assert back["tensor"].tolist() == [1.0, 2.0]


def test_the_file_never_holds_a_pickle(tmp_path):
    path = tmp_path / "ck.npz"
    mn.save(nested(), path)
    with np.load(path, allow_pickle=False) as data:  # would raise on an object array
        for key in data.files:
            assert data[key].dtype != object


def test_unstorable_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot save an object of type object"):
        mn.save({"x": object()}, tmp_path / "ck.npz")
    with pytest.raises(TypeError, match="keys must be strings"):
        mn.save({1: 2}, tmp_path / "ck.npz")


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "ck.npz"
    mn.save({"epoch": 1}, path)
    with pytest.raises(TypeError):
        mn.save({"epoch": 2, "bad": object()}, path)
    assert mn.load(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["ck.npz"]


def test_truncated_and_foreign_files_are_named_in_the_error(tmp_path):
    path = tmp_path / "ck.npz"
    mn.save(nested(), path)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(path.read_bytes()[:200])
    with pytest.raises(mn.CheckpointError, match=r"cut\.npz.*truncated or not an \.npz"):
        mn.load(cut)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.ones(3))
    with pytest.raises(mn.CheckpointError, match=r"foreign\.npz is not a minin checkpoint"):
        mn.load(foreign)
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(mn.CheckpointError, match="text.npz"):
        mn.load(text)
    bare = tmp_path / "bare.npz"
    with open(bare, "wb") as f:
        np.save(f, np.zeros(3))  # a .npy file under a checkpoint's name
    with pytest.raises(mn.CheckpointError, match=r"bare\.npz is not a minin checkpoint \(it is a \.npy"):
        mn.load(bare)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        mn.load(tmp_path / "missing.npz")
    assert zipfile.is_zipfile(path)


def test_a_checkpoint_gets_the_mode_the_umask_gives(tmp_path):
    previous = os.umask(0o022)
    try:
        mn.save({"epoch": 1}, tmp_path / "ck.npz")
    finally:
        os.umask(previous)
    assert (tmp_path / "ck.npz").stat().st_mode & 0o777 == 0o644  # mkstemp alone gives 0o600


# ------------------------------------------------------------------ what PyTorch programs pass

def test_a_state_dict_saved_under_any_name_loads_into_a_model(tmp_path):
    from collections import OrderedDict
    net = mn.nn.Sequential(mn.nn.Conv2d(1, 2, 3), mn.nn.ReLU(), mn.nn.Linear(4, 3))
    mn.save(net.state_dict(), tmp_path / "params.pkl")
    assert sorted(os.listdir(tmp_path)) == ["params.pkl"]          # no .npz appended
    state = mn.load(str(tmp_path / "params.pkl"), weights_only=True, map_location="cpu")
    assert isinstance(state, OrderedDict) and list(state) == list(net.state_dict())
    other = mn.nn.Sequential(mn.nn.Conv2d(1, 2, 3), mn.nn.ReLU(), mn.nn.Linear(4, 3))
    other.load_state_dict(mn.load(tmp_path / "params.pkl", weights_only=False))
    for (name, a), b in zip(net.state_dict().items(), other.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert type(mn.load(_saved(tmp_path, {"a": 1}))) is dict


def _saved(folder, obj, name="x.pt"):
    mn.save(obj, folder / name)
    return folder / name


def test_file_objects_and_map_location(tmp_path):
    with open(tmp_path / "f.pt", "wb") as f:
        mn.save({"w": np.ones(2, np.float32)}, f)
    with open(tmp_path / "f.pt", "rb") as f:
        assert mn.load(f)["w"].tolist() == [1.0, 1.0]

    class Device:  # what a device object carries
        type = "cpu"
    assert isinstance(mn.load(tmp_path / "f.pt", map_location=Device())["w"], np.ndarray)
    with pytest.raises(TypeError, match="map_location must be None, 'cpu'"):
        mn.load(tmp_path / "f.pt", map_location=lambda storage, loc: storage)
    with pytest.raises(TypeError, match="pickle_module is not supported"):
        mn.save({}, tmp_path / "g.pt", pickle_module=object())


def test_pickles_and_pytorch_files_are_named_and_never_unpickled(tmp_path):
    import pickle
    ran = tmp_path / "ran"
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps(_Exploit(str(ran))))
    with pytest.raises(mn.CheckpointError, match="evil.pkl is a Python pickle, not a minin "
                                                 "checkpoint: minin never unpickles"):
        mn.load(evil, weights_only=False)
    assert not ran.exists()
    fake_torch = tmp_path / "model.pt"
    with zipfile.ZipFile(fake_torch, "w") as archive:
        archive.writestr("model/data.pkl", pickle.dumps({"w": 1}))
    with pytest.raises(mn.CheckpointError, match="model.pt is a PyTorch checkpoint"):
        mn.load(fake_torch)


def test_a_real_pytorch_state_dict_is_refused_clearly(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "torch.pkl")
    with pytest.raises(mn.CheckpointError, match="PyTorch checkpoint"):
        mn.load(tmp_path / "torch.pkl")


class _Exploit:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def _forged(path, manifest, **arrays):
    import json as _json
    np.savez(path, __minin__=np.array(_json.dumps(manifest)), **arrays)
    return path


@pytest.mark.parametrize("manifest", [
    {"format": 1, "root": {"__array__": "missing"}},
    {"format": 1},
    {"format": 1, "root": {"__dict__": 5}},
    ["not", "a", "dict"],
], ids=["missing array", "no root", "bad dict", "list"])
def test_a_forged_index_is_a_checkpoint_error_not_a_raw_one(tmp_path, manifest):
    path = _forged(tmp_path / "forged.npz", manifest)
    with pytest.raises(mn.CheckpointError) as info:
        mn.load(path)
    assert "allow_pickle" not in str(info.value)


def test_pickled_objects_inside_an_npz_are_refused_without_numpys_advice(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, __minin__=np.array('{"format": 1, "root": {"__array__": "a"}}'),
             a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(mn.CheckpointError, match="pickled Python objects, which minin never loads") as info:
        mn.load(path)
    assert "allow_pickle" not in str(info.value)


def test_an_index_nested_too_deeply_is_a_checkpoint_error(tmp_path):
    # json.loads and the decoder recurse: a forged index used to end in a RecursionError
    for depth in (50_000, 600):
        root = '{"__list__": [' * depth + "1" + "]}" * depth
        path = tmp_path / f"deep{depth}.npz"
        np.savez(path, __minin__=np.array('{"format": 1, "root": ' + root + "}"))
        with pytest.raises(mn.CheckpointError, match=f"deep{depth}.npz.*nested too deeply"):
            mn.load(path)


def test_an_entry_claiming_a_huge_array_is_a_checkpoint_error(tmp_path):
    # Its header alone makes NumPy allocate 8 TB: a MemoryError the command line took for a big batch
    import io
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10**12,)})
    index = io.BytesIO()
    np.save(index, np.array('{"format": 1, "root": {"__array__": "a0"}}'))
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__minin__.npy", index.getvalue())
        archive.writestr("a0.npy", header.getvalue() + bytes(64))
    with pytest.raises(mn.CheckpointError, match=r"huge\.npz: an array in it needs more memory"):
        mn.load(path)


def test_a_write_that_fails_halfway_leaves_the_old_file(tmp_path, monkeypatch):
    import errno

    import minin.serialization as serialization

    path = tmp_path / "ck.npz"
    mn.save({"epoch": 1, "w": np.ones(1000)}, path)
    before = path.read_bytes()

    def full_disk(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(serialization.np, "savez", full_disk)
    with pytest.raises(OSError, match="No space left"):
        mn.save({"epoch": 2, "w": np.zeros(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ck.npz"]
    assert mn.load(path)["epoch"] == 1

"""The output folder of a run: whose it is, who writes into it, and its two text files.

A fresh run goes only into a folder that does not exist, is empty, or holds what a
run of minin left before its first checkpoint; a folder with a checkpoint is continued
only with ``--resume``, and a folder holding anything else is never touched. While a
run writes, it holds the folder's lock (``minin._files.FolderLock``).
"""

import json
import os
from pathlib import Path

from .._files import FolderLock, FolderLocked, atomic_write, remove_stale_parts

# What a run writes into its folder (besides its lock and the .part files of a write).
RUN_FILES = ("config.json", "metrics.jsonl", "curves.png", "last.npz", "best.npz")
# Settings a resumed run may change: the rest must match the folder's config.json.
RESUMABLE = ("epochs", "backend", "data_dir", "download", "tf32", "out", "sync_every")


class RunFolderError(ValueError):
    """An output folder cannot be used for this run."""


def _is_run_config(path):
    try:
        return "minin_version" in json.loads(path.read_text())
    except (OSError, ValueError, TypeError, UnicodeDecodeError):
        return False


def check_fresh(out):
    """Raise ``RunFolderError`` unless a fresh run may write into ``out``: a folder that
    does not exist, is empty, or holds only what a run wrote before its first checkpoint.

    Args:
        out: the output folder.

    Example::

        >>> import pathlib, tempfile
        >>> with tempfile.TemporaryDirectory() as out:
        ...     check_fresh(out)                                   # empty: fine
        ...     _ = pathlib.Path(out, "notes.txt").write_text("mine")
        ...     check_fresh(out)
        Traceback (most recent call last):
        ...
        minin.training.folder.RunFolderError: --out ... holds files that are not a minin run
        (notes.txt); choose a new or empty folder, e.g. --out .../run
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunFolderError(f"--out {out} is a file; the output is a folder")
    if not out.is_dir():
        return
    if (out / "last.npz").exists():
        raise RunFolderError(f"{out} already holds a run (last.npz); continue it with --resume {out}, "
                             "or choose another --out")
    try:
        names = sorted(os.listdir(out))
    except OSError as exc:
        raise RunFolderError(f"--out {out} cannot be read ({exc.strerror})") from None
    entries = [n for n in names if n != FolderLock.name and not (n.startswith(".") and n.endswith(".part"))]
    foreign = [n for n in entries if n not in RUN_FILES]
    if not foreign and "config.json" in entries and not _is_run_config(out / "config.json"):
        foreign = ["config.json"]
    if entries and "config.json" not in entries:
        foreign = foreign or entries  # a run writes config.json before anything else
    if foreign:
        shown = ", ".join(foreign[:4]) + (f" and {len(foreign) - 4} more" if len(foreign) > 4 else "")
        raise RunFolderError(f"--out {out} holds files that are not a minin run ({shown}); "
                             f"choose a new or empty folder, e.g. --out {out / 'run'}")


def check_matches(out, state):
    """Raise ``RunFolderError`` if ``out/config.json`` describes another run than the
    checkpoint ``state`` (a ``last.npz`` copied in from elsewhere, say).

    Only the settings a resumed run may not change (all but ``RESUMABLE``) are compared;
    without a config.json there is nothing to check.

    Args:
        out: the output folder.
        state: the checkpoint, as ``load_checkpoint`` returns it.

    Example::

        >>> import pathlib, tempfile
        >>> with tempfile.TemporaryDirectory() as out:
        ...     _ = pathlib.Path(out, "config.json").write_text('{"model": "small", "epochs": 5}')
        ...     check_matches(out, {"config": {"model": "small", "epochs": 9}})   # epochs may change
        ...     check_matches(out, {"config": {"model": "d2l", "epochs": 5}})
        Traceback (most recent call last):
        ...
        minin.training.folder.RunFolderError: .../last.npz is not this folder's run: it has
        model='d2l', config.json has model='small'; resume a folder whose checkpoint and
        config.json belong together
    """
    path = Path(out) / "config.json"
    if not path.exists():
        return
    try:
        recorded = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        raise RunFolderError(f"{path} is not readable JSON; the folder's run cannot be checked") from None
    if not isinstance(recorded, dict):  # a list or a string would be searched, not compared
        raise RunFolderError(f"{path} holds {json.dumps(recorded)[:40]}, not the settings of a run "
                             "(a JSON object); the folder's run cannot be checked")
    saved = state["config"]
    differ = [k for k in saved if k not in RESUMABLE and k in recorded and recorded[k] != saved[k]]
    if differ:
        k = differ[0]
        raise RunFolderError(f"{Path(out) / 'last.npz'} is not this folder's run: it has {k}={saved[k]!r}, "
                             f"config.json has {k}={recorded[k]!r}; resume a folder whose checkpoint "
                             "and config.json belong together")


class RunFolder:
    """The folder a run writes into, held with a lock from ``open`` to ``close``.

    Args:
        out: the folder (created by ``open`` if needed).

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as out:
        ...     folder = RunFolder(out).open(fresh=True)
        ...     for epoch in (1, 2):
        ...         folder.append_metrics({"epoch": epoch})
        ...     print(folder.repair_metrics(1))                    # a checkpoint after epoch 1
        ...     folder.close()
        [{'epoch': 1}]
    """

    def __init__(self, out):
        self.path = Path(out)
        self._lock = None

    def open(self, fresh):
        """Create the folder if needed and lock it; check it again under the lock, and remove
        the .part files an interrupted write left.

        Args:
            fresh: check that a fresh run may write there (``check_fresh``).

        Returns:
            self. A ``RunFolderError`` if the folder is locked by another run, cannot be
            written or (``fresh``) holds something else.
        """
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock = FolderLock(self.path).acquire()
        except FolderLocked as exc:
            raise RunFolderError(f"{exc}: another run is writing there; wait for it or choose "
                                 "another --out") from None
        except OSError as exc:
            raise RunFolderError(f"cannot write into --out {self.path} "
                                 f"({exc.strerror or exc}); choose another --out") from None
        try:
            if fresh:
                check_fresh(self.path)
            remove_stale_parts(self.path)
        except BaseException:
            self.close()
            raise
        return self

    def close(self):
        """Release the lock (nothing if it is not held)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def write_config(self, info):
        """Write ``info``, a JSON-serialisable dict, to config.json (atomically)."""
        text = json.dumps(info, indent=2) + "\n"
        atomic_write(self.path / "config.json", lambda f: f.write(text.encode()))

    def append_metrics(self, row):
        """Append ``row``, a JSON-serialisable dict, as one line of metrics.jsonl."""
        with open(self.path / "metrics.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")

    def repair_metrics(self, epochs_done):
        """Keep the rows of metrics.jsonl of the epochs a checkpoint has seen and drop the
        rest, a line cut short by a kill included (the resumed run writes them again).

        Args:
            epochs_done: the epochs the checkpoint has seen.

        Returns:
            the kept rows, a list of dicts.
        """
        path = self.path / "metrics.jsonl"
        if not path.exists():
            return []
        kept = []
        for line in path.read_text(errors="replace").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and isinstance(row.get("epoch"), int) and row["epoch"] <= epochs_done:
                kept.append(row)
        text = "".join(json.dumps(r) + "\n" for r in kept)
        atomic_write(path, lambda f: f.write(text.encode()))
        return kept

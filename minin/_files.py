"""Writing a file so that it is either complete or absent, never half-written."""

import os
import tempfile


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path, write):
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``.

    An interruption or an exception inside ``write`` (a failed checksum, say) leaves
    ``path`` as it was and removes the temporary file. The new file gets the mode any new
    file gets (0644 under the usual umask), not mkstemp's owner-only 0600, so a data set
    or checkpoint in a shared folder can be read by others.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


class FolderLocked(OSError):
    """Another process holds the lock on a folder."""


class FolderLock:
    """An exclusive lock on ``folder`` while one process writes into it.

    The lock is ``fcntl.flock`` on the file ``.lock`` inside the folder: the operating
    system drops it when the process ends, however it ends, so a crashed or killed
    process never leaves a folder locked. The file holds the owner's process id, for
    the message the next process gets.
    """

    name = ".lock"

    def __init__(self, folder):
        self.path = os.path.join(os.fspath(folder), self.name)
        self._fd = None

    def acquire(self):
        import fcntl
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.read(fd, 32).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise FolderLocked(f"{os.path.dirname(self.path)} is in use by process {owner}") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def release(self):
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def remove_stale_parts(folder):
    """Remove the temporary ``.*.part`` files that ``atomic_write`` leaves only when its
    process is killed (call it while holding the folder's lock). Returns their names."""
    removed = []
    for name in os.listdir(folder):
        if name.startswith(".") and name.endswith(".part"):
            os.remove(os.path.join(folder, name))
            removed.append(name)
    return removed

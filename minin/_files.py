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

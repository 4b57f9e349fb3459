"""``python -m minin``: the same as the ``minin`` command."""

from .cli import entry_point

entry_point()

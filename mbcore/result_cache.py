"""What the server keeps of finished trainings: their size, and a copy on disk."""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path


def result_size(result) -> int:
    """Bytes held by a result's arrays and blobs (what the memory budget counts)."""
    if isinstance(result, dict):
        return sum(result_size(v) for v in result.values())
    if isinstance(result, (list, tuple)):
        return sum(result_size(v) for v in result)
    if isinstance(result, (bytes, bytearray)):
        return len(result)
    return int(getattr(result, "nbytes", 0))


class ResultCache:
    """Finished results on disk, keyed by what was trained; survives restarts
    and can be shared by replicas that mount the same folder."""
    VERSION = 1          # bump when the result format or the training changes

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key) -> Path:
        digest = hashlib.sha256(repr((self.VERSION, key)).encode()).hexdigest()[:32]
        return self.folder / f"{digest}.pkl"

    def get(self, key):
        try:
            with open(self._path(key), "rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None

    def put(self, key, result) -> None:
        tmp = self._path(key).with_suffix(f".{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self._path(key))
        except OSError:
            tmp.unlink(missing_ok=True)

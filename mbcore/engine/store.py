"""Finished results on disk, keyed by what was trained.

Survives restarts and can be shared by replicas that mount the same folder,
so it is written in the protocol's safe format (arrays as .npz, the rest as
JSON, read with allow_pickle=False): a pickle in a writable shared folder
would let whoever writes there run code in every server that reads it.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from mbcore.engine.protocol import Result


class ResultStore:
    VERSION = 2          # bump when the result format or the training changes

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key) -> Path:
        digest = hashlib.sha256(repr((self.VERSION, key)).encode()).hexdigest()[:32]
        return self.folder / f"{digest}.npz"

    def get(self, key) -> Result | None:
        try:
            return Result.from_bytes(self._path(key).read_bytes())
        except (OSError, ValueError, KeyError, TypeError):   # missing, foreign or damaged
            return None

    def put(self, key, result: Result) -> None:
        tmp = self._path(key).with_suffix(f".{os.getpid()}.tmp")
        try:
            tmp.write_bytes(result.to_bytes())
            os.replace(tmp, self._path(key))
        except OSError:
            tmp.unlink(missing_ok=True)

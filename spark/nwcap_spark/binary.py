"""Finding the nwcap binary on the driver and on the executors, and running it.

The binary reaches the nodes one of two ways:

* installed on every node (a cluster init script, a custom image): pass its
  path, or a name found on ``PATH``;
* shipped with the job: ``spark-submit --files /path/to/nwcap`` (or
  ``SparkContext.addFile``), then pass its file name: each node finds its
  copy with ``SparkFiles.get`` (Spark marks fetched files executable).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import dataclass


class BinaryNotFound(RuntimeError):
    """The nwcap binary is neither a path, nor a file shipped with the job,
    nor on PATH."""


def resolve(nwcap: str) -> str:
    """The path of the nwcap binary named ``nwcap`` on this node."""
    if os.sep in nwcap or (os.altsep and os.altsep in nwcap):
        if os.path.isfile(nwcap):
            return _executable(nwcap)
        raise BinaryNotFound(f"nwcap binary {nwcap!r} does not exist on this node")
    try:
        from pyspark import SparkFiles

        shipped = SparkFiles.get(nwcap)
        if os.path.isfile(shipped):
            return _executable(shipped)
    except Exception:  # no SparkContext here (plain Python), or no such file
        pass
    found = shutil.which(nwcap)
    if found:
        return found
    raise BinaryNotFound(
        f"nwcap binary {nwcap!r} not found: not shipped with the job "
        "(spark-submit --files, SparkContext.addFile) and not on PATH"
    )


def _executable(path: str) -> str:
    mode = os.stat(path).st_mode
    if not mode & stat.S_IXUSR:
        try:
            os.chmod(path, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        except OSError as e:
            raise BinaryNotFound(f"{path} is not executable and cannot be made so: {e}") from e
    return path


@dataclass
class Completed:
    """What one nwcap command did."""

    args: list
    code: int
    stdout: str
    stderr: str


def run(
    binary: str,
    args: list,
    env: dict | None = None,
    timeout: float | None = None,
    cwd: str | None = None,
) -> Completed:
    """Runs ``binary args`` (in ``cwd``); stdout and stderr are captured as
    text."""
    p = subprocess.run(
        [binary, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        env=env,
        timeout=timeout,
    )
    return Completed([binary, *args], p.returncode, p.stdout, p.stderr)

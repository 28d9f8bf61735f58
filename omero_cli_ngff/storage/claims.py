"""Per-image claims in the destination, so that overlapping publishes never write the
same image at once.

A claim is a small JSON object at ``<prefix>/.omero-ngff/claims/<key>``, created
*exclusively*:

- gs://  : a JSON-API media upload with ``ifGenerationMatch=0`` (the service refuses it
  with 412 when the object exists); taking over a stale claim deletes it with
  ``ifGenerationMatch=<its generation>``, so of two runs taking over the same stale
  claim only one wins.
- folders: ``open(O_CREAT | O_EXCL)``; a stale claim is renamed away (only one rename of
  a given file succeeds) and checked to be the one judged stale.
- memory://: a process-wide lock (the memory filesystem is per process).

A claim records its run (a random token), host, pid and times. It is *stale* when its
heartbeat is older than ``stale_after`` seconds (holders refresh it every
``heartbeat`` seconds while they work), or when it was made on this host by a process
that no longer exists (kill -9). Claims are released at the end; a claim we cannot
read or parse is treated as held, except when older than ``stale_after``.
No credentials or session keys are written into claims.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Optional

from .errors import DestinationError, FetchError
from .http import request_with_retries

CLAIMS_DIR = ".omero-ngff/claims"
STALE_AFTER = 3 * 3600.0
HEARTBEAT = 600.0

_MEMORY_LOCK = threading.Lock()


@dataclass
class Holder:
    """What a claim says about the run holding it."""

    run: str = ""
    host: str = ""
    pid: int = 0
    started: float = 0.0
    heartbeat: float = 0.0
    command: str = "publish"

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started or 0))
        return f"run {self.run[:8]} (pid {self.pid} on {self.host}, since {when})"

    @classmethod
    def parse(cls, data: Optional[bytes]) -> Optional["Holder"]:
        try:
            doc = json.loads(data or b"")
            return cls(**{k: doc[k] for k in cls.__dataclass_fields__ if k in doc})
        except (ValueError, TypeError):
            return None


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Claims:
    """The claims of one run on one destination."""

    def __init__(self, dest, stale_after: float = STALE_AFTER,
                 heartbeat: float = HEARTBEAT, command: str = "publish"):
        self.dest = dest
        self.stale_after = stale_after
        self.heartbeat_every = heartbeat
        self.me = Holder(run=uuid.uuid4().hex, host=socket.gethostname(), pid=os.getpid(),
                         started=time.time(), heartbeat=time.time(), command=command)
        self._held: dict[str, Optional[str]] = {}    # key -> generation (gs) / None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._http = None

    # -- public ---------------------------------------------------------------------------

    def relpath(self, key) -> str:
        return f"{CLAIMS_DIR}/{key}"

    def acquire(self, key) -> Optional[Holder]:
        """Claim `key`: None when we hold it now, else the live holder (skip the image)."""
        key = str(key)
        for _ in range(3):
            if key in self._held:                 # taken over just now
                self._start_heartbeat()
                return None
            if self._create(key):
                with self._lock:
                    self._held.setdefault(key, self._generation(key))
                self._start_heartbeat()
                return None
            holder, generation = self._read(key)
            if holder is not None and holder.run == self.me.run:
                with self._lock:                 # our own create, retried by the client
                    self._held[key] = generation
                return None
            if not self.is_stale(holder, generation):
                return holder or Holder(run="unknown")
            self._take_over(key, holder, generation)
        holder, _ = self._read(key)
        return holder or Holder(run="unknown")

    def release(self, key) -> None:
        key = str(key)
        with self._lock:
            if key not in self._held:
                return
            generation = self._held.pop(key)
        try:
            self._delete(key, generation)
        except (DestinationError, OSError):
            pass                                  # stale after a while: taken over

    def release_all(self) -> None:
        self._stop.set()
        for key in list(self._held):
            self.release(key)

    def held(self) -> list[str]:
        return list(self._held)

    def is_stale(self, holder: Optional[Holder], generation=None) -> bool:
        now = time.time()
        if holder is None:                        # unreadable: judge by the object's age
            age = self._age(generation)
            return age is not None and age > self.stale_after
        if now - max(holder.heartbeat, holder.started) > self.stale_after:
            return True
        return holder.host == self.me.host and not _pid_alive(holder.pid)

    # -- heartbeat --------------------------------------------------------------------------

    def _start_heartbeat(self):
        if self._thread is None and self.heartbeat_every > 0:
            self._thread = threading.Thread(target=self._beat, daemon=True,
                                            name="omero-ngff-claims")
            self._thread.start()

    def _beat(self):
        while not self._stop.wait(self.heartbeat_every):
            self.me.heartbeat = time.time()
            for key in list(self._held):
                try:
                    self._refresh(key)
                except Exception:                 # a refresh failing is not fatal
                    pass

    # -- storage --------------------------------------------------------------------------

    def _payload(self) -> bytes:
        return json.dumps(self.me.__dict__, sort_keys=True).encode()

    def _create(self, key: str) -> bool:
        scheme = self.dest.scheme
        if scheme == "gs":
            return self._gcs_create(key)
        if scheme == "file":
            path = self.dest.fs_path(self.relpath(key))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                return False
            with os.fdopen(fd, "wb") as fh:
                fh.write(self._payload())
            return True
        with _MEMORY_LOCK:
            if self.dest.exists(self.relpath(key)):
                return False
            self.dest.write_bytes(self.relpath(key), self._payload())
            return True

    def _read(self, key: str) -> tuple[Optional[Holder], Optional[str]]:
        if self.dest.scheme == "gs":
            meta = self._gcs_meta(key)
            if meta is None:
                return None, None
            data = self._gcs_get(key, meta.get("generation"))
            return Holder.parse(data), meta.get("generation")
        data = self.dest.read_bytes(self.relpath(key))
        return Holder.parse(data), None

    def _generation(self, key: str) -> Optional[str]:
        if self.dest.scheme != "gs":
            return None
        meta = self._gcs_meta(key)
        return meta.get("generation") if meta else None

    def _age(self, generation) -> Optional[float]:
        return None   # unparseable claims: only a manual cleanup (rare: we write JSON)

    def _take_over(self, key: str, holder: Optional[Holder], generation) -> None:
        scheme = self.dest.scheme
        if scheme == "gs":
            # one conditional write replaces exactly the claim judged stale
            if generation:
                new = self._gcs_upload(key, if_generation=generation)
                if new is not None:
                    with self._lock:
                        self._held[key] = new or None
            return
        if scheme == "file":
            path = self.dest.fs_path(self.relpath(key))
            aside = f"{path}.stale-{uuid.uuid4().hex[:8]}"
            try:
                os.rename(path, aside)
            except FileNotFoundError:
                return                            # someone else took it over
            with open(aside, "rb") as fh:
                moved = Holder.parse(fh.read())
            if holder is not None and (moved is None or moved.run != holder.run):
                # we moved a fresh claim of another run: put it back if the place is free
                try:
                    os.link(aside, path)
                except FileExistsError:
                    pass
            os.unlink(aside)
            return
        with _MEMORY_LOCK:
            data = self.dest.read_bytes(self.relpath(key))
            current = Holder.parse(data)
            if holder is None or (current is not None and current.run == holder.run):
                self.dest.remove(self.relpath(key))

    def _delete(self, key: str, generation) -> None:
        scheme = self.dest.scheme
        if scheme == "gs":
            self._gcs_delete(key, generation)
        elif scheme == "file":
            try:
                os.unlink(self.dest.fs_path(self.relpath(key)))
            except FileNotFoundError:
                pass
        else:
            with _MEMORY_LOCK:
                self.dest.remove(self.relpath(key))

    def _refresh(self, key: str) -> None:
        scheme = self.dest.scheme
        if scheme == "gs":
            generation = self._held.get(key)
            new = self._gcs_upload(key, if_generation=generation)
            if new is not None:
                with self._lock:
                    if key in self._held:
                        self._held[key] = new
        elif scheme == "file":
            path = self.dest.fs_path(self.relpath(key))
            tmp = f"{path}.{self.me.run[:8]}.tmp"
            with open(tmp, "wb") as fh:
                fh.write(self._payload())
            os.replace(tmp, path)
        else:
            with _MEMORY_LOCK:
                self.dest.write_bytes(self.relpath(key), self._payload())

    # -- GCS JSON API with preconditions ------------------------------------------------------

    def _session(self):
        if self._http is None:
            creds = self.dest.credentials.credentials if self.dest.credentials else None
            if creds is None:
                import requests
                self._http = requests.Session()
            else:
                from google.auth.transport.requests import AuthorizedSession
                self._http = AuthorizedSession(creds)
        return self._http

    def _object_name(self, key: str) -> str:
        return self.dest.fs_path(self.relpath(key)).split("/", 1)[1]

    def _request(self, method: str, path: str, what: str, **kwargs):
        url = self.dest.endpoint + path
        try:
            return request_with_retries(method, url, session=self._session(),
                                        policy=self.dest.policy, **kwargs)
        except FetchError as exc:
            raise DestinationError(f"{self.dest.url}: {what}: {exc}") from None

    def _gcs_upload(self, key: str, if_generation) -> Optional[str]:
        """Upload the claim with a generation precondition (a multipart upload: the
        emulator honours preconditions there too); its generation, or None when the
        precondition failed (412)."""
        bucket = urllib.parse.quote(self.dest.bucket, safe="")
        boundary = "omero-ngff-" + uuid.uuid4().hex
        meta = json.dumps({"name": self._object_name(key),
                           "contentType": "application/json"})
        body = (f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
                f"{meta}\r\n--{boundary}\r\nContent-Type: application/json\r\n\r\n"
                ).encode() + self._payload() + f"\r\n--{boundary}--\r\n".encode()
        params = {"uploadType": "multipart", "ifGenerationMatch": str(if_generation)}
        r = self._request("POST", f"/upload/storage/v1/b/{bucket}/o", f"claiming {key}",
                          params=params, data=body,
                          headers={"Content-Type": f"multipart/related; boundary={boundary}"})
        if r.status_code == 412:
            return None
        if r.status_code not in (200, 201):
            raise DestinationError(f"{self.dest.url}: claiming {key} answered HTTP "
                                   f"{r.status_code}")
        try:
            return str(r.json().get("generation") or "")
        except ValueError:
            return ""

    def _gcs_create(self, key: str) -> bool:
        generation = self._gcs_upload(key, if_generation=0)
        if generation is None:
            return False
        with self._lock:
            self._held[key] = generation or None
        return True

    def _gcs_meta(self, key: str) -> Optional[dict]:
        bucket = urllib.parse.quote(self.dest.bucket, safe="")
        name = urllib.parse.quote(self._object_name(key), safe="")
        r = self._request("GET", f"/storage/v1/b/{bucket}/o/{name}", f"reading claim {key}")
        if r.status_code == 404:
            return None
        if r.status_code != 200:
            raise DestinationError(f"{self.dest.url}: reading claim {key} answered HTTP "
                                   f"{r.status_code}")
        return r.json()

    def _gcs_get(self, key: str, generation) -> Optional[bytes]:
        bucket = urllib.parse.quote(self.dest.bucket, safe="")
        name = urllib.parse.quote(self._object_name(key), safe="")
        params = {"alt": "media"}
        if generation:
            params["generation"] = str(generation)
        r = self._request("GET", f"/storage/v1/b/{bucket}/o/{name}", f"reading claim {key}",
                          params=params)
        return r.content if r.status_code == 200 else None

    def _gcs_delete(self, key: str, generation) -> None:
        bucket = urllib.parse.quote(self.dest.bucket, safe="")
        name = urllib.parse.quote(self._object_name(key), safe="")
        params = {"ifGenerationMatch": str(generation)} if generation else {}
        r = self._request("DELETE", f"/storage/v1/b/{bucket}/o/{name}",
                          f"releasing claim {key}", params=params)
        if r.status_code not in (200, 204, 404, 412):
            raise DestinationError(f"{self.dest.url}: releasing claim {key} answered "
                                   f"HTTP {r.status_code}")

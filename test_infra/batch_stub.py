"""A local REST stub of the Google Batch API (v1), enough for the real
google-cloud-batch client (``transport="rest"``): create, get, list (filter on labels
and state, paging), delete. Jobs are stored as the JSON the client sent; the test drives
their states (QUEUED -> SCHEDULED -> RUNNING -> SUCCEEDED / FAILED).

When a job succeeds, a hook writes what bioformats2raw would have written at the job's
output location in the object-store emulator: a bioformats2raw-layout OME-Zarr (root
group with ``bioformats2raw.layout: 3``, series groups ``0/``, ``1/``... with NGFF
multiscales, ``OME/METADATA.ome.xml``), in the NGFF version the job's command asks for.

    stub = BatchStub(gcs_endpoint="http://127.0.0.1:PORT").start()
    client = stub.client()                  # BatchServiceClient against the stub
    stub.succeed(job_id) / stub.fail(job_id, "exit code 1") / stub.set_state(...)
    stub.auto_advance = True                # every GET moves a job one state on
"""

from __future__ import annotations

import json
import os
import re
import threading
import urllib.parse
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, Optional

from test_infra.background_http import BackgroundHttpServer

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")

__all__ = ["BatchStub", "write_bf2raw_output", "job_output_location", "STATES"]

JOB_ID_RE = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
STATES = ("STATE_UNSPECIFIED", "QUEUED", "SCHEDULED", "RUNNING", "SUCCEEDED", "FAILED",
          "DELETION_IN_PROGRESS", "CANCELLATION_IN_PROGRESS", "CANCELLED")
NEXT_STATE = {"QUEUED": "SCHEDULED", "SCHEDULED": "RUNNING", "RUNNING": "SUCCEEDED"}
JOBS_PATH = re.compile(r"^/v1/projects/([^/]+)/locations/([^/]+)/jobs/?$")
JOB_PATH = re.compile(r"^/v1/projects/([^/]+)/locations/([^/]+)/jobs/([^/:]+)$")
FILTER_TERM = re.compile(r'^\s*(labels\.[\w.-]+|status\.state)\s*[=:]\s*"?([^"]*)"?\s*$')


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def job_output_location(job: dict) -> Optional[tuple]:
    """(bucket, key prefix) the job's bioformats2raw writes to, from its command's
    second argument and its GCS volumes; None when it writes elsewhere."""
    try:
        task = job["taskGroups"][0]["taskSpec"]
        out = task["runnables"][0]["container"]["commands"][1]
    except (KeyError, IndexError):
        return None
    for vol in task.get("volumes", []):
        mount = vol.get("mountPath", "").rstrip("/")
        remote = (vol.get("gcs") or {}).get("remotePath", "").strip("/")
        if remote and out.startswith(mount + "/"):
            bucket, _, prefix = remote.partition("/")
            key = "/".join(p for p in (prefix, out[len(mount) + 1:]) if p)
            return bucket, key
    return None


def _option(commands: list, flag: str, default: Optional[str] = None) -> Optional[str]:
    try:
        return commands[commands.index(flag) + 1]
    except (ValueError, IndexError):
        return default


def write_bf2raw_output(store_url: str, ngff_version: str = "0.5", series: int = 2,
                        size: int = 64, storage_options: Optional[dict] = None) -> None:
    """Write a small bioformats2raw-layout OME-Zarr at ``store_url`` (any fsspec URL):
    ``series`` images of size x size uint8, two pyramid levels, 5D (t, c, z, y, x)."""
    import numpy as np
    import zarr

    v3 = ngff_version != "0.4"
    fmt = 3 if v3 else 2
    so = storage_options or {}
    base = store_url.rstrip("/")

    def attrs(payload: dict) -> dict:
        return {"ome": {"version": ngff_version, **payload}} if v3 else payload

    root = zarr.open_group(base, mode="w", zarr_format=fmt, storage_options=so)
    root.attrs.update(attrs({"bioformats2raw.layout": 3}))
    axes = [{"name": "t", "type": "time"}, {"name": "c", "type": "channel"},
            {"name": "z", "type": "space", "unit": "micrometer"},
            {"name": "y", "type": "space", "unit": "micrometer"},
            {"name": "x", "type": "space", "unit": "micrometer"}]
    for s in range(series):
        g = zarr.open_group(f"{base}/{s}", mode="w", zarr_format=fmt, storage_options=so)
        datasets = []
        for level in range(2):
            n = size >> level
            kw = dict(shape=(1, 1, 1, n, n), chunks=(1, 1, 1, min(n, 32), min(n, 32)),
                      dtype="uint8")
            if v3:
                kw["shards"] = (1, 1, 1, n, n)
            arr = g.create_array(str(level), **kw)
            yy, xx = np.mgrid[0:n, 0:n]
            arr[0, 0, 0] = ((yy + xx) * (s + 1) % 256).astype("uint8")
            datasets.append({"path": str(level), "coordinateTransformations": [
                {"type": "scale", "scale": [1.0, 1.0, 1.0, 2.0 ** level, 2.0 ** level]}]})
        ms = {"name": f"series {s}", "axes": axes, "datasets": datasets}
        if not v3:
            ms["version"] = ngff_version
        g.attrs.update(attrs({"multiscales": [ms], "omero": {
            "channels": [{"label": "ch0", "color": "FFFFFF", "active": True,
                          "window": {"start": 0, "end": 255, "min": 0, "max": 255}}]}}))
    ome = zarr.open_group(f"{base}/OME", mode="w", zarr_format=fmt, storage_options=so)
    ome.attrs.update(attrs({"series": [str(s) for s in range(series)]}))
    images = "".join(
        f'<Image ID="Image:{s}" Name="series {s}"><Pixels ID="Pixels:{s}" '
        f'DimensionOrder="XYZCT" Type="uint8" SizeX="{size}" SizeY="{size}" SizeZ="1" '
        f'SizeC="1" SizeT="1"><Channel ID="Channel:{s}:0" SamplesPerPixel="1"/>'
        f'<MetadataOnly/></Pixels></Image>' for s in range(series))
    xml = ('<?xml version="1.0" encoding="UTF-8"?><OME xmlns='
           '"http://www.openmicroscopy.org/Schemas/OME/2016-06">' + images + "</OME>")
    import fsspec
    with fsspec.open(f"{base}/OME/METADATA.ome.xml", "w", **so) as f:
        f.write(xml)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args):
        pass

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else {}

    def _reply(self, status: int, payload: dict) -> None:
        out = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def _error(self, status: int, state: str, message: str) -> None:
        self._reply(status, {"error": {"code": status, "message": message, "status": state}})

    def _route(self, method: str):
        stub = self.server.stub
        parsed = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parsed.query)
        body = self._body() if method == "POST" else {}
        stub._log(method, self.path, body, dict(self.headers))
        m_jobs, m_job = JOBS_PATH.match(parsed.path), JOB_PATH.match(parsed.path)
        if method == "POST" and m_jobs:
            status, payload = stub._create(m_jobs.group(1), m_jobs.group(2),
                                           (query.get("jobId") or [""])[0], body)
        elif method == "GET" and m_jobs:
            status, payload = stub._list(m_jobs.group(1), m_jobs.group(2), query)
        elif method == "GET" and m_job:
            status, payload = stub._get(m_job.group(3))
        elif method == "DELETE" and m_job:
            status, payload = stub._delete(m_job.group(3))
        else:
            status, payload = 404, None
            self._error(404, "NOT_FOUND", f"no route for {method} {parsed.path}")
            return
        if status >= 400:
            self._error(status, payload["status"], payload["message"])
        else:
            self._reply(status, payload)

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_DELETE(self):
        self._route("DELETE")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    stub: "BatchStub"


class BatchStub(BackgroundHttpServer):
    """The stub server and the jobs it holds (``jobs``: job id -> Job JSON)."""

    def __init__(self, gcs_endpoint: Optional[str] = None, host: str = "127.0.0.1",
                 port: int = 0, series: int = 2):
        self.gcs_endpoint = gcs_endpoint
        self.host, self.port = host, port
        self.series = series                       # default series count of outputs
        self.series_for: Dict[str, int] = {}       # job id -> series count
        self.jobs: Dict[str, dict] = {}
        self.created: list = []                    # job ids, in creation order
        self.requests: list = []                   # (method, path, body, headers)
        self.auto_advance = False                  # every GET moves a job one state on
        self.outcome: Callable[[str, dict], str] = lambda job_id, job: "SUCCEEDED"
        self.on_success: Optional[Callable[[str, dict], None]] = self.write_output
        self.fail_create: Optional[tuple] = None   # (status, STATUS, message) once
        self._lock = threading.RLock()
        self._server: Optional[_Server] = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> "BatchStub":
        server = _Server((self.host, self.port), _Handler)
        server.stub = self
        self.port = self._serve(server, "batch-stub")
        return self

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self):
        """A real google-cloud-batch client (REST) pointed at the stub."""
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import batch_v1
        return batch_v1.BatchServiceClient(
            transport="rest", credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.endpoint))

    # -- driving states ---------------------------------------------------------------------

    def _job(self, job_id_or_name: str) -> dict:
        return self.jobs[job_id_or_name.rsplit("/", 1)[-1]]

    def state(self, job_id: str) -> str:
        return self._job(job_id)["status"]["state"]

    def set_state(self, job_id: str, state: str, description: Optional[str] = None) -> None:
        """Move a job to ``state`` (SUCCEEDED first runs the output hook)."""
        if state not in STATES:
            raise ValueError(state)
        with self._lock:
            job = self._job(job_id)
            old = job["status"]["state"]
            if state == "SUCCEEDED" and old != "SUCCEEDED" and self.on_success:
                self.on_success(job_id.rsplit("/", 1)[-1], job)
            job["status"]["state"] = state
            job["status"].setdefault("statusEvents", []).append({
                "type": "STATUS_CHANGED", "eventTime": _now(),
                "description": description or f"Job state is set from {old} to {state}"})
            job["updateTime"] = _now()

    def run(self, job_id: str) -> None:
        self.set_state(job_id, "RUNNING")

    def succeed(self, job_id: str) -> None:
        self.set_state(job_id, "SUCCEEDED")

    def fail(self, job_id: str, message: str = "Task failed with exit code 1") -> None:
        self.set_state(job_id, "FAILED", message)

    def advance(self, job_id: str) -> str:
        with self._lock:
            state = self.state(job_id)
            nxt = NEXT_STATE.get(state)
            if nxt == "SUCCEEDED":
                nxt = self.outcome(job_id, self._job(job_id))
            if nxt:
                self.set_state(job_id, nxt, None if nxt != "FAILED" else
                               "Task failed with exit code 1")
            return self.state(job_id)

    # -- the output hook -----------------------------------------------------------------

    def write_output(self, job_id: str, job: dict) -> None:
        """Write a bioformats2raw-layout OME-Zarr where the job writes, in the emulator."""
        loc = job_output_location(job)
        if loc is None:
            return
        commands = job["taskGroups"][0]["taskSpec"]["runnables"][0]["container"]["commands"]
        endpoint = self.gcs_endpoint or os.environ.get("STORAGE_EMULATOR_HOST")
        so = {"token": "anon", "endpoint_url": endpoint}
        write_bf2raw_output(f"gs://{loc[0]}/{loc[1]}",
                            _option(commands, "--ngff-version", "0.4"),
                            self.series_for.get(job_id, self.series), storage_options=so)

    # -- REST handlers (return status, payload) ---------------------------------------------

    def _log(self, method, path, body, headers) -> None:
        with self._lock:
            self.requests.append((method, path, body, headers))

    def _create(self, project, region, job_id, body):
        with self._lock:
            if self.fail_create:
                status, state, message = self.fail_create
                self.fail_create = None
                return status, {"status": state, "message": message}
            if not JOB_ID_RE.match(job_id or ""):
                return 400, {"status": "INVALID_ARGUMENT",
                             "message": f"job_id {job_id!r} does not match "
                                        "^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"}
            if job_id in self.jobs:
                return 409, {"status": "ALREADY_EXISTS",
                             "message": f"Job {job_id} already exists"}
            groups = body.get("taskGroups") or []
            if not groups or not groups[0].get("taskSpec", {}).get("runnables"):
                return 400, {"status": "INVALID_ARGUMENT", "message": "no runnables"}
            job = dict(body)
            job.update(name=f"projects/{project}/locations/{region}/jobs/{job_id}",
                       uid=f"{job_id[:40]}-{uuid.uuid4().hex[:8]}", createTime=_now(),
                       updateTime=_now(),
                       status={"state": "QUEUED", "statusEvents": [{
                           "type": "STATUS_CHANGED", "eventTime": _now(),
                           "description": "Job state is set from STATE_UNSPECIFIED to "
                                          "QUEUED"}]})
            self.jobs[job_id] = job
            self.created.append(job_id)
            return 200, job

    def _get(self, job_id):
        with self._lock:
            if job_id not in self.jobs:
                return 404, {"status": "NOT_FOUND", "message": f"Job {job_id} not found"}
            if self.auto_advance:
                self.advance(job_id)
            return 200, self.jobs[job_id]

    def _matches(self, job: dict, terms: list) -> bool:
        for key, value in terms:
            if key == "status.state":
                if job["status"]["state"] != value:
                    return False
            elif (job.get("labels") or {}).get(key[len("labels."):]) != value:
                return False
        return True

    def _list(self, project, region, query):
        flt = (query.get("filter") or [""])[0]
        terms = []
        for part in re.split(r"\s+AND\s+", flt.strip()) if flt.strip() else []:
            m = FILTER_TERM.match(part)
            if not m:
                return 400, {"status": "INVALID_ARGUMENT", "message": f"bad filter {flt!r}"}
            terms.append((m.group(1), m.group(2)))
        size = int((query.get("pageSize") or ["50"])[0]) or 50
        start = int((query.get("pageToken") or ["0"])[0] or 0)
        with self._lock:
            prefix = f"projects/{project}/locations/{region}/jobs/"
            jobs = [j for j in self.jobs.values() if j["name"].startswith(prefix)
                    and self._matches(j, terms)]
        page = jobs[start:start + size]
        payload = {"jobs": page}
        if start + size < len(jobs):
            payload["nextPageToken"] = str(start + size)
        return 200, payload

    def _delete(self, job_id):
        with self._lock:
            if job_id not in self.jobs:
                return 404, {"status": "NOT_FOUND", "message": f"Job {job_id} not found"}
            job = self.jobs.pop(job_id)
        return 200, {"name": job["name"].replace("/jobs/", "/operations/del-"),
                     "done": True,
                     "response": {"@type": "type.googleapis.com/google.protobuf.Empty"}}

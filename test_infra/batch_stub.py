"""A local REST stub of the Google Batch API (v1), enough for the real
google-cloud-batch client (``transport="rest"``): create, get, list (filter on labels
and state, paging), delete. Jobs are stored as the JSON the client sent; the test drives
their states (QUEUED -> SCHEDULED -> RUNNING -> SUCCEEDED / FAILED).

Strict where real Batch is (see the modules for each rule's source):
- test_infra.batch_rules: job specs refused at creation (job ids, task groups,
  runnables, labels, volumes and gcsfuse mount options, container volumes, locations);
- test_infra.batch_runner: how a run ends (the image must exist in ``images``,
  ``commands`` follow the image's ENTRYPOINT, a non-root container cannot use a
  gcsfuse mount without ``-o allow_other``, bioformats2raw refuses options it does not
  have) and what it writes: bioformats2raw 0.12's layout (test_infra.bf2raw_fake),
  plates included, plus the recipe's version record.

    stub = BatchStub(gcs_endpoint="http://127.0.0.1:PORT").start()
    client = stub.client()                  # BatchServiceClient against the stub
    stub.images[uri] = StubImage(...)       # images that exist (default: TEST_IMAGE)
    stub.plate = PlateShape(rows=2, columns=3, fields=2)   # outputs are plates
    stub.complete(job_id)                   # run it: SUCCEEDED or FAILED, as it would end
    stub.fail(job_id, "exit code 1") / stub.set_state(job_id, "RUNNING")  # states only
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
from test_infra.batch_rules import refusal
from test_infra.batch_runner import FakeRunner, StubImage, default_images
from test_infra.bf2raw_fake import PlateShape, write_bf2raw_output

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")

__all__ = ["BatchStub", "write_bf2raw_output", "job_output_location", "STATES",
           "StubImage", "PlateShape"]

STATES = ("STATE_UNSPECIFIED", "QUEUED", "SCHEDULED", "RUNNING", "SUCCEEDED", "FAILED",
          "DELETION_IN_PROGRESS", "CANCELLATION_IN_PROGRESS", "CANCELLED")
NEXT_STATE = {"QUEUED": "SCHEDULED", "SCHEDULED": "RUNNING", "RUNNING": "SUCCEEDED"}
JOBS_PATH = re.compile(r"^/v1/projects/([^/]+)/locations/([^/]+)/jobs/?$")
JOB_PATH = re.compile(r"^/v1/projects/([^/]+)/locations/([^/]+)/jobs/([^/:]+)$")
FILTER_TERM = re.compile(r'^\s*(labels\.[\w.-]+|status\.state)\s*[=:]\s*"?([^"]*)"?\s*$')


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def job_output_location(job: dict, path: Optional[str] = None) -> Optional[tuple]:
    """(bucket, key prefix) of a container path (default: the job's output, its
    command's second argument) under one of its GCS volumes; None elsewhere."""
    try:
        task = job["taskGroups"][0]["taskSpec"]
        out = path or task["runnables"][0]["container"]["commands"][1]
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
        self.images: Dict[str, StubImage] = default_images()   # what the registry holds
        self.series = series                       # default series count of outputs
        self.series_for: Dict[str, int] = {}       # job id -> series count
        self.plate: Optional[PlateShape] = None    # outputs are this plate instead
        self.plates_for: Dict[str, PlateShape] = {}
        self.series_attribute = True               # OME group lists the series groups
        self.size = 64                             # pixels per side of each image
        self.write_outputs = True                  # False: jobs "succeed" writing no image
        self.jobs: Dict[str, dict] = {}
        self.created: list = []                    # job ids, in creation order
        self.requests: list = []                   # (method, path, body, headers)
        self.auto_advance = False                  # every GET moves a job one state on
        self.outcome: Callable[[str, dict], str] = lambda job_id, job: "SUCCEEDED"
        self.fail_create: Optional[tuple] = None   # (status, STATUS, message) once
        self.runner = FakeRunner(self)
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

    def storage_options(self) -> dict:
        endpoint = self.gcs_endpoint or os.environ.get("STORAGE_EMULATOR_HOST")
        return {"token": "anon", "endpoint_url": endpoint}

    # -- driving states ---------------------------------------------------------------------

    def _job(self, job_id_or_name: str) -> dict:
        return self.jobs[job_id_or_name.rsplit("/", 1)[-1]]

    def state(self, job_id: str) -> str:
        return self._job(job_id)["status"]["state"]

    def set_state(self, job_id: str, state: str, description: Optional[str] = None) -> None:
        """Move a job to ``state`` and nothing else (`complete` runs it)."""
        if state not in STATES:
            raise ValueError(state)
        with self._lock:
            job = self._job(job_id)
            old = job["status"]["state"]
            job["status"]["state"] = state
            job["status"].setdefault("statusEvents", []).append({
                "type": "STATUS_CHANGED", "eventTime": _now(),
                "description": description or f"Job state is set from {old} to {state}"})
            job["updateTime"] = _now()

    def run(self, job_id: str) -> None:
        self.set_state(job_id, "RUNNING")

    def complete(self, job_id: str) -> str:
        """Run the job to its end (test_infra.batch_runner): it writes its output and
        SUCCEEDS, or FAILS as the real run would. Returns the final state."""
        with self._lock:
            job_id = job_id.rsplit("/", 1)[-1]
            outcome = self.runner.run(job_id, self._job(job_id))
            self.set_state(job_id, outcome.state, outcome.description or None)
            return outcome.state

    def succeed(self, job_id: str) -> str:
        """`complete`: the job succeeds unless the runner's rules fail it."""
        return self.complete(job_id)

    def fail(self, job_id: str, message: str = "Task failed with exit code 1") -> None:
        self.set_state(job_id, "FAILED", message)

    def advance(self, job_id: str) -> str:
        with self._lock:
            nxt = NEXT_STATE.get(self.state(job_id))
            if nxt == "SUCCEEDED" and self.outcome(job_id, self._job(job_id)) == "SUCCEEDED":
                return self.complete(job_id)
            if nxt == "SUCCEEDED":
                self.fail(job_id)
            elif nxt:
                self.set_state(job_id, nxt)
            return self.state(job_id)

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
            refused = refusal(region, job_id, body)
            if refused:
                return 400, {"status": "INVALID_ARGUMENT", "message": refused}
            if job_id in self.jobs:
                return 409, {"status": "ALREADY_EXISTS",
                             "message": f"Job {job_id} already exists"}
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

"""Shared by the remote tests: a conversion, an engine against the Batch stub, and the
job as the stub received it."""

from __future__ import annotations

import json

from google.cloud import batch_v1

from omero_cli_ngff.remote import BatchSettings, Bf2rawOptions, FilesetJob, GoogleBatchEngine

OPTIONS = Bf2rawOptions.from_settings("0.5", "zstd", level=5, chunk=512, shard=2048)
JOB = FilesetJob(fileset_id=12, repo_path="user_2/2024-01/01/12-00-00.000/slide one.ndpi",
                 output="fs-12.ome.zarr", image_ids=(101, 102))


def make_engine(stub, dest, options=OPTIONS, **settings) -> GoogleBatchEngine:
    kw = dict(project="test-project", region="us-central1",
              repository="gs://repo-bucket/OMERO/ManagedRepository",
              api_endpoint=stub.endpoint)
    kw.update(settings)
    return GoogleBatchEngine(BatchSettings(**kw), dest, options, api_deadline=2.0)


def sent_job(stub, job_id) -> batch_v1.Job:
    """The job as the stub received it, parsed back into the client's type."""
    body = next(b for m, p, b, h in stub.requests if m == "POST" and f"jobId={job_id}" in p)
    return batch_v1.Job.from_json(json.dumps(body), ignore_unknown_fields=True)

"""The hostile world of tests/hostile: a dev server whose names are hostile
(tests/catalogues/hostile.yaml), annotations written with stock BlitzGateway by alice
and by mallory (another member of the group), a hostile HTTP host, a bucket on the
object-store emulator, and the ways to run the CLI (in-process, or in a subprocess on a
pseudo-terminal) and to look at what it printed."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from omero_cli_ngff.model.annotation import DEFAULT_NAMESPACE
from test_infra.fake_gcs import create_bucket
from test_infra.hostile_http import HostileHttp
from test_infra.omero_fixtures import OmeroTestServer, start_devserver
from tests.helpers.cli import invoke

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "tests" / "catalogues" / "hostile.yaml"
NS = DEFAULT_NAMESPACE
IMAGES = list(range(1, 9))
LONG_PATH = "a" * 100_000
# What Rich itself writes on a terminal: colours, OSC 8 links, and the live display of
# progress (cursor hidden and shown, line erased, cursor up).
SGR = re.compile(r"\x1b\[[0-9;]*m")
OSC8 = re.compile(r"\x1b\]8;([^;\x1b]*);([^\x1b]*)\x1b\\")
LIVE = re.compile(r"\x1b\[\?25[lh]|\x1b\[2K|\x1b\[[0-9]*A|\r")


def annotate(conn, image_id: int, values: dict[str, str]) -> int:
    """A MapAnnotation in the namespace, linked to the image, as stock BlitzGateway
    writes one (MapAnnotationWrapper.save, ImageWrapper.linkAnnotation)."""
    from omero.gateway import MapAnnotationWrapper

    ann = MapAnnotationWrapper(conn)
    ann.setNs(NS)
    ann.setValue([[k, v] for k, v in values.items()])
    ann.save()
    conn.getObject("Image", image_id).linkAnnotation(ann)
    return ann.getId()


@dataclass
class Run:
    """What one command did: its exit code and everything it printed."""

    code: int
    out: str
    err: str
    argv: list[str] = field(default_factory=list)

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


class HostileWorld:
    """One dev server, one hostile host and one bucket for a test module."""

    def __init__(self, tmp: Path, gcs_url: str, size: int):
        self.tmp = tmp
        self.gcs_url = gcs_url
        self.hostile = HostileHttp(size=size).start()
        self.server: OmeroTestServer = start_devserver(tmp / "omero", catalogue=CATALOGUE)
        self.bucket = create_bucket(gcs_url, f"hostile-{uuid.uuid4().hex[:8]}")
        self.sessions = tmp / "sessions"
        self.sessions.mkdir(exist_ok=True)

    def stop(self) -> None:
        self.server.stop()
        self.hostile.stop()

    def __enter__(self) -> HostileWorld:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- places ------------------------------------------------------------------------

    @property
    def dest(self) -> str:
        return f"gs://{self.bucket}/data"

    @property
    def home(self) -> str:
        """The public URL of `dest` (the emulator's public host)."""
        return f"{self.gcs_url}/{self.bucket}/data"

    def hostile_url(self, route: str) -> str:
        return f"{self.hostile.url}/{route}"

    # -- the annotations ---------------------------------------------------------------

    def write_hostile_annotations(self) -> None:
        """alice's malformed and foreign ones, and mallory's foreign ones on alice's
        images (mallory may annotate them in the read-annotate group)."""
        date = "2024-05-01T10:00:00+00:00"
        alice = [
            (2, {"zarr_path": "[link=javascript:alert(1)]x[/link]", "ngff_version": "0.5",
                 "zarr_conversion_date": "[/]"}),
            (3, {"zarr_path": "javascript:alert(1)", "ngff_version": "0.5\x1b[2J",
                 "zarr_conversion_date": "\x1b]8;;https://evil.example/\x1b\\x"}),
            (4, {"zarr_path": "file:///etc/passwd", "ngff_version": "0.5",
                 "zarr_conversion_date": date}),
            (5, {"zarr_path": self.hostile_url("redirect-away/img/"), "ngff_version": "0.5",
                 "zarr_conversion_date": date}),
            (7, {"zarr_path": self.hostile_url(f"nothing/{LONG_PATH}/"), "ngff_version": "0.5",
                 "zarr_conversion_date": date}),
        ]
        mallory = [
            (1, {"zarr_path": self.hostile_url("escape/img/"), "ngff_version": "0.5",
                 "zarr_conversion_date": date}),
            (3, {"zarr_path": f"https://user:secret@127.0.0.1:{self.hostile.port}/ok/",
                 "ngff_version": "0.5", "zarr_conversion_date": date}),
            (5, {"zarr_path": self.hostile_url("ok/\x1b]8;;https://evil.example/\x1b\\/"),
                 "ngff_version": "0.5", "zarr_conversion_date": date}),
            (6, {"zarr_path": self.hostile_url("huge/img/"), "ngff_version": "0.5",
                 "zarr_conversion_date": date}),
        ]
        self.annotate_as("alice", alice)
        self.annotate_as("mallory", mallory)

    def annotate_as(self, user: str, annotations: list[tuple[int, dict[str, str]]]) -> None:
        """Annotations written by `user` in their default group, with BlitzGateway."""
        conn = self.server.connect(user, group=None)
        try:
            for image_id, values in annotations:
                annotate(conn, image_id, values)
        finally:
            conn.close()

    # -- running the CLI ---------------------------------------------------------------

    def login(self, user: str = "alice", port: int | None = None) -> list[str]:
        args = self.server.cli_login_args(user)
        if port is not None:
            args[args.index("-p") + 1] = str(port)
        return args

    def run(self, capsys, *argv: str, user: str = "alice") -> Run:
        """`omero ngff ARGV` in this process (faster than a subprocess)."""
        full = ["ngff", *argv, *self.login(user)]
        os.environ["OMERO_SESSIONDIR"] = str(self.sessions)
        os.environ["COLUMNS"] = "200"
        code, out, err = invoke(full, capsys)
        return Run(code, out, err, full)

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ, PYTHONPATH=str(REPO), OMERO_SESSIONDIR=str(self.sessions),
                   COLUMNS="250")
        env.pop("OMERO_NGFF_DEBUG", None)
        env.update(extra)
        return env

    def run_process(self, *argv: str, user: str = "alice", port: int | None = None,
                    timeout: float = 180, **env: str) -> Run:
        """`omero-ngff ARGV` in a subprocess, stdout and stderr apart."""
        full = [sys.executable, "-m", "omero_cli_ngff", *argv, *self.login(user, port)]
        result = subprocess.run(full, cwd=REPO, env=self.env(**env), capture_output=True,
                                text=True, timeout=timeout)
        return Run(result.returncode, result.stdout, result.stderr, full)

    def run_terminal(self, *argv: str, user: str = "alice", timeout: float = 180) -> Run:
        """`omero-ngff ARGV` on a pseudo-terminal (stdout and stderr both), as a person
        runs it: Rich draws colours, links and progress."""
        full = [sys.executable, "-m", "omero_cli_ngff", *argv, *self.login(user)]
        master, slave = pty.openpty()
        proc = subprocess.Popen(full, cwd=REPO, env=self.env(TERM="xterm-256color"),
                                stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
        os.close(slave)
        chunks = []
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                proc.kill()
                raise TimeoutError(f"{argv} did not finish in {timeout} s")
            try:
                data = os.read(master, 65536)
            except OSError:          # EIO: the terminal's other end is closed
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        code = proc.wait(timeout=timeout)
        text = b"".join(chunks).decode("utf-8", "replace")
        return Run(code, text, "", full)

    def session_key(self) -> str | None:
        """The key of the session the CLI stored (the one its commands ran with)."""
        from omero.util.sessions import SessionsStore

        current = SessionsStore(str(self.sessions)).get_current()
        return current[2] if current and current[2] else None


def inert(text: str) -> str:
    """`text` without the sequences Rich itself writes; what is left must hold no
    escape or control character but newlines and tabs."""
    return OSC8.sub("", LIVE.sub("", SGR.sub("", text)))


def link_targets(text: str) -> list[str]:
    return [m.group(2) for m in OSC8.finditer(text) if m.group(2)]


LINKED = re.compile(r"\x1b\]8;[^;\x1b]*;([^\x1b]+)\x1b\\(.*?)\x1b\]8;;\x1b\\", re.S)


def assert_links_show_their_targets(text: str) -> None:
    """Every hyperlink's text is its own target (a fold may cut it: a prefix), and the
    target a public http(s) URL."""
    from omero_cli_ngff.model.urls import is_public_url

    for target, shown in LINKED.findall(text):
        assert is_public_url(target), target
        assert target.startswith(SGR.sub("", shown)), (target, shown)


def assert_no_control(text: str, allowed: str = "\n") -> None:
    bad = [c for c in inert(text) if (ord(c) < 32 and c not in allowed)
           or 0x7f <= ord(c) <= 0x9f or c in "\u202e\u202d\u2066\u2067\u2068"]
    assert not bad, f"control characters {bad[:5]!r} in: {inert(text)[:300]!r}"


def assert_secret_free(texts: list[str], secrets: list[str | None]) -> None:
    for secret in [s for s in secrets if s]:
        for text in texts:
            assert secret not in text, f"a secret appears in: {text[:300]!r}"

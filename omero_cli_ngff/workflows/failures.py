"""Exit codes of failures, for per-image results and for the whole command: the one
table that gives every error its code and its one line.

- The plugin's own errors carry their code (``errors.NgffError``).
- OMERO going away - the server unreachable or killed, the session closed or expired -
  is CONNECTION wherever it happens (login, resolving objects, tiles, annotation
  writes), even inside another error (a tile read that failed because the connection
  was lost). omero-py's and Ice's exceptions are known by their qualified class names,
  so that nothing outside omero_io imports Ice.
- The writer's errors know no code and get theirs here; exceptions of the storage
  libraries (gcsfs, aiohttp, requests, the OS) after their retries are DESTINATION.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .. import errors, exit_codes
from ..ngff import errors as writer
from ..storage import storage_error

# The writer's errors, most specific first.
WRITER_CODES: tuple[tuple[type, int], ...] = (
    (writer.UnsupportedPixelTypeError, exit_codes.USAGE),
    (writer.InvalidSpecError, exit_codes.USAGE),
    (writer.StoreError, exit_codes.DESTINATION),
    (writer.SourceError, exit_codes.PARTIAL_FAILURE),
    (writer.WriterError, exit_codes.DESTINATION),
)

# OMERO is gone, or our session on it is: Ice's local exceptions about the connection,
# and the session errors of omero-py, Glacier2 and OMERO's server (any subclass counts).
CONNECTION_LOST = {
    "Ice.SocketException": "the connection to OMERO was lost",
    "Ice.ConnectFailedException": "cannot connect to OMERO",
    "Ice.DNSException": "cannot resolve the OMERO server's name",
    "Ice.TimeoutException": "OMERO did not answer in time",
    "Ice.CloseConnectionException": "OMERO closed the connection",
    "Ice.ConnectionManuallyClosedException": "the connection to OMERO was closed",
    "Ice.CommunicatorDestroyedException": "the connection to OMERO was closed",
    "Ice.ObjectNotExistException": "the OMERO session is gone (closed or expired)",
    "Glacier2.SessionNotExistException": "the OMERO session is gone (closed or expired)",
    "Glacier2.CannotCreateSessionException": "OMERO refused to create a session",
    "Glacier2.PermissionDeniedException": "OMERO refused the login",
    "omero.SessionException": "the OMERO session is gone (closed or expired)",
    "omero.ClientError": "no OMERO session",
}
# Subclasses of those that say nothing about the connection: a command the server
# answered with ERR (Delete2 refused, e.g. on a read-only server) is a ClientError.
NOT_LOST = {"omero.CmdError"}


def _chain(err: BaseException) -> Iterator[BaseException]:
    """`err`, then the exceptions it was raised from or while handling."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _qualified_names(err: BaseException) -> Iterator[str]:
    for cls in type(err).__mro__:
        yield f"{cls.__module__}.{cls.__name__}"


def connection_lost(err: BaseException) -> str | None:
    """What happened to OMERO when `err` (or an error it came from) says it is gone
    ("the connection to OMERO was lost (Ice.ConnectionLostException)"), else None."""
    for link in _chain(err):
        names = list(_qualified_names(link))
        if NOT_LOST.intersection(names):
            continue
        for name in names:
            if name in CONNECTION_LOST:
                cls = type(link)
                return f"{CONNECTION_LOST[name]} ({cls.__module__}.{cls.__name__})"
    return None


def is_connection_lost(err: BaseException) -> bool:
    """Stop the run: nothing more can be done without OMERO."""
    return connection_lost(err) is not None


def _storage_failure(err: BaseException) -> errors.NgffError | None:
    """The DestinationError of a storage library's exception, or of the one it was
    raised from (explicitly: what was being handled when a bug struck does not count)."""
    current: BaseException | None = err
    for _ in range(8):
        if current is None:
            return None
        translated = storage_error(current, "talking to the object store", write=False)
        if translated is not None:
            return translated
        current = current.__cause__
    return None


def _has_own_code(err: BaseException) -> bool:
    return errors.exit_code_of(err) is not None or isinstance(err, writer.WriterError)


def exit_code_of(err: BaseException) -> int | None:
    """The documented exit code of an error a user can act on; None for a bug."""
    if is_connection_lost(err):
        return exit_codes.CONNECTION
    code = errors.exit_code_of(err)
    if code is not None:
        return code
    for cls, code in WRITER_CODES:
        if isinstance(err, cls):
            return code
    storage = _storage_failure(err)
    return storage.exit_code if storage is not None else None


def describe(err: BaseException) -> str:
    """The one line that says what went wrong (no secrets, no session UUIDs)."""
    lost = connection_lost(err)
    if lost is not None:
        return f"{errors.one_line(err)}: {lost}" if _has_own_code(err) else lost
    if not _has_own_code(err):
        storage = _storage_failure(err)
        if storage is not None:
            return errors.one_line(storage)
    return errors.one_line(err)


def summary_code(codes: Iterable[int]) -> int:
    """One failure kind keeps its own code; several kinds are a partial failure."""
    failed = set(codes) - {exit_codes.OK}
    if not failed:
        return exit_codes.OK
    return failed.pop() if len(failed) == 1 else exit_codes.PARTIAL_FAILURE

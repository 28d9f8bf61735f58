"""workflows.failures: one exit code per class of failure, one line for each."""

import Glacier2
import Ice
import omero
import omero.clients  # noqa: F401
import pytest
from gcsfs.retry import HttpError

from omero_cli_ngff import exit_codes
from omero_cli_ngff.errors import NotFound, one_line
from omero_cli_ngff.ngff.errors import SourceError, StoreError
from omero_cli_ngff.omero_io.tile_source import PixelSourceError
from omero_cli_ngff.workflows.failures import describe, exit_code_of, is_connection_lost

UUID = "5c0f4a57-8d64-4e86-a5c2-0123456789ab"


@pytest.mark.parametrize("err", [
    Ice.ConnectionRefusedException(), Ice.ConnectionLostException(),
    Ice.ConnectTimeoutException(), Ice.CommunicatorDestroyedException(),
    Ice.ObjectNotExistException(), Ice.DNSException(),
    omero.SessionException(), omero.RemovedSessionException(),
    omero.SessionTimeoutException(), omero.ClientError("No session available"),
    Glacier2.SessionNotExistException(), Glacier2.PermissionDeniedException()])
def test_omero_gone_is_the_connection_code(err):
    assert exit_code_of(err) == exit_codes.CONNECTION and is_connection_lost(err)
    assert type(err).__name__ in describe(err)


def _raised_from(outer, inner, explicit=True):
    try:
        try:
            raise inner
        except Exception as err:
            if explicit:
                raise outer from err
            raise outer from None
    except Exception as err:
        return err


def test_a_lost_connection_inside_another_error_is_still_the_connection_code():
    # tile_source raises PixelSourceError "from None" after its retries
    err = _raised_from(PixelSourceError("Image:1: tile failed"), Ice.ConnectionLostException(),
                       explicit=False)
    assert exit_code_of(err) == exit_codes.CONNECTION
    assert describe(err).startswith("Image:1: tile failed: the connection to OMERO was lost")
    wrapped = _raised_from(SourceError("x"), omero.RemovedSessionException())
    assert exit_code_of(wrapped) == exit_codes.CONNECTION


def test_object_store_errors_after_retries_are_the_destination_code():
    err = HttpError({"code": 500, "message": "Internal Server Error"})
    assert exit_code_of(err) == exit_codes.DESTINATION
    assert "HTTP 500" in describe(err) and "\n" not in describe(err)
    assert exit_code_of(_raised_from(RuntimeError("zarr failed"), err)) == \
        exit_codes.DESTINATION
    assert exit_code_of(StoreError("x")) == exit_codes.DESTINATION


def test_own_codes_and_bugs():
    assert exit_code_of(NotFound("Image:1")) == exit_codes.NOT_FOUND
    assert exit_code_of(KeyError("bug")) is None
    # a bug while handling a storage error is still a bug (only explicit causes count)
    assert exit_code_of(_raised_from(KeyError("bug"), PermissionError(), explicit=False)) \
        is None


def test_session_uuids_never_reach_a_message():
    err = omero.SessionException(f"Session {UUID} not found")
    assert UUID not in describe(err) and UUID not in one_line(err)
    assert UUID not in one_line(RuntimeError(f"id = {UUID}"))

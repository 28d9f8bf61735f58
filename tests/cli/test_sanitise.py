"""cli.sanitise: control characters made visible, secrets scrubbed."""

import pytest

from omero_cli_ngff.cli.sanitise import (
    clean,
    forget_secrets,
    register_secret,
    scrub,
    scrub_data,
    visible,
)


@pytest.fixture(autouse=True)
def no_secrets():
    forget_secrets()
    yield
    forget_secrets()


@pytest.mark.parametrize("raw, shown", [
    ("\x1b[2J", "\\x1b[2J"), ("a\nb", "a\\nb"), ("a\tb", "a\\tb"), ("a\rb", "a\\rb"),
    ("nul\x00", "nul\\x00"), ("\x07bell", "\\x07bell"), ("\x9b31m", "\\x9b31m"),
    ("\u202egnp.exe", "\\u202egnp.exe"), ("zero\u200bwidth", "zero\\u200bwidth"),
    ("[link=x]y[/link]", "[link=x]y[/link]"), ("ünïcödé 名前", "ünïcödé 名前"),
    (None, ""), (42, "42")])
def test_visible(raw, shown):
    assert visible(raw) == shown


def test_visible_keeps_what_is_asked():
    assert visible("a\tb\nc\x1b", keep="\t\n") == "a\tb\nc\\x1b"


def test_secrets_are_scrubbed_by_their_exact_values():
    key = "5c0f4a57-8d64-4e86-a5c2-0123456789ab"
    register_secret(key, "hunter2-pw", "short", None)
    text = f"session {key} password hunter2-pw short"
    assert scrub(text) == "session *** password *** short"     # "short": too short to hide
    assert clean(f"{key}\n") == "***\\n"
    assert scrub_data({"a": [key, 1, None, {"b": f"x{key}"}], key: True}) == \
        {"a": ["***", 1, None, {"b": "x***"}], "***": True}


def test_uuids_and_bearer_tokens():
    text = "Ice.ObjectNotExistException category = 0a1b2c3d-0000-4e86-a5c2-0123456789ab"
    assert "0a1b2c3d" in scrub(text) and "0a1b2c3d" not in scrub(text, uuids=True)
    assert scrub("Authorization: Bearer abc.DEF-123_x") == "Authorization: Bearer ***"
    assert scrub("token ya29.a0AfH6SMB-xyz_9") == "token ***"

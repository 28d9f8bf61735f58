"""The plugin is wired into the real OMERO CLI (in-process: `omero` refuses root)."""

import pytest

from omero_cli_ngff import exit_codes
from tests.helpers.cli import invoke


def test_help_lists_the_four_commands(capsys):
    _, out, _ = invoke(["ngff", "-h"], capsys)
    for command in ("export", "publish", "locate", "verify"):
        assert command in out


@pytest.mark.parametrize("command", ["export", "publish", "locate", "verify"])
def test_each_command_has_help_with_login_arguments(command, capsys):
    _, out, _ = invoke(["ngff", command, "-h"], capsys)
    for flag in ("--server", "--user", "--password", "--port", "--key", "--group", "--sudo"):
        assert flag in out


def test_bare_number_is_a_usage_error_before_any_login(capsys):
    rv, _, err = invoke(["ngff", "locate", "123"], capsys)
    assert rv == exit_codes.USAGE
    assert "Image:123" in err
    assert "Traceback" not in err


def test_unknown_type_is_a_usage_error(capsys):
    rv, _, err = invoke(["ngff", "verify", "Picture:1"], capsys)
    assert rv == exit_codes.USAGE
    assert "unknown object type" in err


def test_exit_code_table_is_printed_as_json(capsys):
    import json
    rv, out, _ = invoke(["ngff", "exit-codes", "--style", "json"], capsys)
    assert rv == 0
    rows = json.loads(out)
    assert [int(r["code"]) for r in rows] == [code for code, _ in exit_codes.TABLE]


def test_standalone_script_runs_the_same_commands(capsys):
    from omero_cli_ngff.cli.standalone import main
    assert main(["exit-codes", "--style", "csv"]) == 0
    assert "code,meaning" in capsys.readouterr().out
    assert main(["export", "42", "--output", "x"]) == exit_codes.USAGE


def test_omero_errors_lists_every_exit_code(capsys):
    """`omero errors` lists the codes registered with BaseControl.add_error, as OMERO's
    own plugins do (omero-py omero/plugins/errors.py walks every control's errors)."""
    rv, out, _ = invoke(["errors"], capsys)
    assert rv == 0
    listed = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == "ngff":
            listed[int(parts[0])] = parts[2]
    assert listed == {code: exit_codes.NAMES[code] for code, _ in exit_codes.TABLE
                      if code != exit_codes.OK}

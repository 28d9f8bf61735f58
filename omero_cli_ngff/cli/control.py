"""`omero ngff`: the plugin's control. It wires the arguments, imports a command only when
it runs (so that `omero -h` stays fast), hands it a session and the renderer, and is the
one place where errors become exit codes and one line on stderr."""

from __future__ import annotations

import argparse
import importlib
import logging
from argparse import Namespace
from typing import Any

from omero.cli import BaseControl, NonZeroReturnCode

from .. import __version__, exit_codes
from .arguments import CODES_HELP, COMMANDS, HELP, exit_codes_arguments
from .sanitise import clean, forget_secrets, register_secret, scrub

__all__ = ["HELP", "NgffControl"]

log = logging.getLogger("omero_cli_ngff")
log.addHandler(logging.NullHandler())


class _Version(argparse.Action):
    """`--version` on stdout (the argparse omero-py bundles prints it on stderr)."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        print(f"omero-cli-ngff {__version__}")
        parser.exit()


class NgffControl(BaseControl):
    """The plugin's commands; each hands its arguments to a module of its own."""

    def _configure(self, parser: Any) -> None:
        for code, meaning in exit_codes.TABLE:      # listed by `omero errors`
            if code != exit_codes.OK:
                self.add_error(exit_codes.NAMES[code], code, meaning.replace("%", "%%"))
        parser.add_argument("--version", action=_Version, nargs=0,
                            help="print the plugin's version and exit")
        sub = parser.sub()
        for name, (text, add_arguments) in COMMANDS.items():
            add_arguments(parser.add(sub, getattr(self, name), text))
        codes = sub.add_parser("exit-codes", help=CODES_HELP, description=CODES_HELP)
        codes.set_defaults(func=self.exit_codes)
        exit_codes_arguments(codes)
        for name in COMMANDS:
            sub.choices[name].add_login_arguments()

    def export(self, args: Namespace) -> None:
        self._run("export", args)

    def publish(self, args: Namespace) -> None:
        self._run("publish", args)

    def locate(self, args: Namespace) -> None:
        self._run("locate", args)

    def verify(self, args: Namespace) -> None:
        self._run("verify", args)

    def exit_codes(self, args: Namespace) -> None:
        from .output import Output
        out = Output(args.style)
        out.table("Exit codes", ["code", "meaning"],
                  [[code, text] for code, text in exit_codes.TABLE])   # typed: ints

    def _run(self, command: str, args: Namespace) -> None:
        from ..omero_io.session import Session
        from . import run_log

        forget_secrets()
        register_secret(getattr(args, "password", None), getattr(args, "key", None))
        session = Session(lambda: self._login(args))
        log_run = None
        try:
            log_run = self._start_log(args)
            code = self._call(command, session, args)
        finally:
            self._close(session)
            run_log.stop(log_run)
        if code:
            self.ctx.rv = code
            raise NonZeroReturnCode(code, "ngff: exit %d" % code)

    def _login(self, args: Namespace) -> Any:
        """The CLI's login (the standard arguments or a stored session); its session key
        becomes a secret of the run. A failed login is one line, ours: the CLI's
        message (which it would print itself) becomes its text."""
        from ..errors import ConnectionFailed

        ctx = self.ctx
        said: list[str] = []
        print_err = ctx.err

        def die_quietly(rc: int, text: str, newline: bool = True) -> None:
            said.append(str(text))
            raise NonZeroReturnCode(rc, text)

        def err_as_text(text: str, newline: bool = True) -> None:
            # "Created session for alice@host. Current group: <a group's name>"
            print_err(clean(scrub(str(text), uuids=True)), newline)

        ctx.die, ctx.err = die_quietly, err_as_text
        try:
            client = ctx.conn(args)
        except NonZeroReturnCode:
            why = " ".join(" ".join(said).split())      # the CLI's words, on one line
            raise ConnectionFailed(f"cannot log in to OMERO: {why or 'the login failed'}") \
                from None
        finally:
            del ctx.die, ctx.err        # the CLI's own again
        if client is not None:
            register_secret(client.getSessionId())
        return client

    def _start_log(self, args: Namespace) -> Any:
        from . import run_log
        try:
            return run_log.start(getattr(args, "log_file", None))
        except OSError as err:
            self._die(exit_codes.USAGE, f"Error: cannot write the log file: {err.strerror}")
        return None  # not reached: _die raises

    def _close(self, session: Any) -> None:
        """Leave the session (a server that went away cannot be told: nothing to do)."""
        try:
            session.close()
        except Exception:
            log.debug("closing the OMERO session failed", exc_info=True)

    def _call(self, command: str, session: Any, args: Namespace) -> int:
        """Run a command; every error becomes one line and its documented exit code."""
        from ..workflows.failures import describe, exit_code_of
        from .output import Output

        try:
            module = importlib.import_module(f"omero_cli_ngff.commands.{command}")
            out = Output(args.style, getattr(args, "quiet", False))
            return int(module.run(session, args, out))
        except NonZeroReturnCode:
            raise
        except KeyboardInterrupt:
            self._die(exit_codes.INTERRUPTED, "Interrupted: run the same command to resume")
        except Exception as err:
            code = exit_code_of(err)
            # the whole trace: in --log-file, and on stderr with OMERO_NGFF_DEBUG=1 only
            log.debug("%s failed (exit code %s)", command, code, exc_info=True)
            if code is not None:                    # an error the user can act on
                self._die(code, f"Error: {describe(err)}")
            self._die(exit_codes.INTERNAL,
                      f"Internal error: {type(err).__name__}: {describe(err)} "
                      "(OMERO_NGFF_DEBUG=1 shows the traceback)")
        return exit_codes.INTERNAL  # not reached: _die raises

    def _die(self, code: int, text: str) -> None:
        self.ctx.die(code, clean(scrub(text, uuids=True)))

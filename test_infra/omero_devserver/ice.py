"""Ice plumbing: import Ice/omero the server way, and turn plain objects into servants.

OMERO's services are AMD (asynchronous dispatch): a servant implements
``op_async(self, cb, *args, current)`` and must answer ``cb.ice_response(...)`` with
exactly as many values as the operation has results. Ice does not expose that arity,
so it is recorded while the generated Slice modules are loaded: ``IcePy.Operation``
is wrapped *before* the first ``import Ice``. Import this module first in the server
process; it refuses to run in a process that already loaded Ice (e.g. a test process).
"""

from __future__ import annotations

import logging
import re
import sys
import traceback

if "Ice" in sys.modules and not getattr(sys.modules["Ice"], "_devserver_arity", False):
    raise ImportError(
        "test_infra.omero_devserver.ice must be imported before Ice: "
        "run the dev server in its own process (python -m test_infra.omero_devserver)")

import IcePy  # noqa: E402

_ARITY = {}
_RealOperation = IcePy.Operation


def _recording_operation(*args):
    # (name, mode, sendMode, amd, format, metadata, inParams, outParams, returnType, exc)
    op = _RealOperation(*args)
    _ARITY[id(op)] = len(args[7]) + (0 if args[8] is None else 1)
    return op


IcePy.Operation = _recording_operation

import Ice  # noqa: E402
import Glacier2  # noqa: E402,F401
import omero  # noqa: E402
import omero.all  # noqa: E402,F401  (every generated module: api, model, cmd, ...)
import omero.ObjectFactoryRegistrar  # noqa: E402

Ice._devserver_arity = True

log = logging.getLogger("omero_devserver.calls")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def register_object_factories(communicator):
    """Without these the server cannot decode MapAnnotationI, rtypes, ... from clients."""
    omero.ObjectFactoryRegistrar.registerObjectFactory(communicator, None)
    for factory in omero.rtypes.ObjectFactories.values():
        factory.register(communicator)


def _brief(value):
    """A short, secret-free description of an argument for the call log."""
    return _UUID.sub("<uuid>", _describe(value))


def _describe(value):
    if isinstance(value, omero.model.IObject):
        oid = value.getId().getValue() if value.getId() is not None else None
        return "%s:%s" % (type(value).__name__.rstrip("I"), oid)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_describe(v) for v in list(value)[:5])
        return "[%s%s]" % (inner, ", ..." if len(value) > 5 else "")
    if isinstance(value, omero.sys.Parameters):
        return "<Parameters>"
    if isinstance(value, (bytes, bytearray)):
        return "<%d bytes>" % len(value)
    text = repr(value)
    return text[:120] + "..." if len(text) > 120 else text


def make_servant(skeleton, impl, secret_ops=(), quiet_ops=()):
    """A servant for ``skeleton`` (a generated Slice class) whose operations call ``impl``.

    ``impl`` has one plain method per operation, ``name(*args, current)``, returning the
    result (a tuple when the operation has several). Operations it lacks raise
    ``omero.ApiUsageException`` naming the operation, so a client never hangs and
    every missing call is visible in the log. Python errors become
    ``omero.InternalException``. Arguments of ``secret_ops`` are never logged, and
    ``quiet_ops`` (plumbing) not at all. Session keys (uuids) never appear in the log.
    """
    attrs = {}
    names = set(dir(skeleton))
    service = type(impl).__name__
    for attr in names:
        if not attr.startswith("_op_"):
            continue
        op = attr[4:]
        amd = (op + "_async") in names
        nout = _ARITY.get(id(getattr(skeleton, attr)), 1)
        call = _make_call(service, op, impl, op in secret_ops, op in quiet_ops)
        attrs[op + "_async" if amd else op] = (
            _amd_method(call, nout) if amd else _sync_method(call))
    return type(skeleton.__name__ + "Servant", (skeleton,), attrs)()


def _make_call(service, op, impl, secret, quiet):
    def call(args, current):
        ctx = current.ctx or {}
        if not quiet:
                log.info("%s.%s(%s) group=%s", service, op,
                     "***" if secret else ", ".join(_brief(a) for a in args),
                     ctx.get("omero.group", "-"))
        guard = getattr(impl, "guard_call", None)
        if guard is not None:
            guard(current)        # checks made before every call (services/base.py)
        fn = getattr(impl, op, None)
        if fn is None:
            log.warning("UNIMPLEMENTED %s.%s", service, op)
            raise omero.ApiUsageException(
                None, None, "omero devserver: %s.%s is not implemented" % (service, op))
        return fn(*args, current=current)
    return call


def _split_current(args, kw):
    current = kw.get("current")
    if current is None:
        current, args = args[-1], args[:-1]
    return args, current


def _amd_method(call, nout):
    def method(self, cb, *args, **kw):
        args, current = _split_current(args, kw)
        try:
            result = call(args, current)
        except Ice.Exception as e:
            log.info("  -> %s: %s", type(e).__name__, getattr(e, "message", ""))
            cb.ice_exception(e)
            return
        except Exception as e:  # a bug in the dev server: say so, loudly
            log.error("internal error\n%s", traceback.format_exc())
            cb.ice_exception(omero.InternalException(
                None, None, "omero devserver internal error: %r" % (e,)))
            return
        if nout == 0:
            cb.ice_response()
        elif nout == 1:
            cb.ice_response(result)
        else:
            cb.ice_response(*result)
    return method


def _sync_method(call):
    def method(self, *args, **kw):
        args, current = _split_current(args, kw)
        try:
            return call(args, current)
        except Ice.Exception as e:
            log.info("  -> %s: %s", type(e).__name__, getattr(e, "message", ""))
            raise
        except Exception as e:
            log.error("internal error\n%s", traceback.format_exc())
            raise omero.InternalException(
                None, None, "omero devserver internal error: %r" % (e,))
    return method

"""python -m test_infra.omero_devserver --port 4064 --catalogue demo.yaml --state-dir DIR"""

from __future__ import annotations

import argparse
import signal
import sys

from . import fidelity


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m test_infra.omero_devserver",
        description="An OMERO server for tests and demos (see the package docstring).")
    p.add_argument("--catalogue", default="demo.yaml",
                   help="YAML spec file (a name is looked up in test_infra/catalogues)")
    p.add_argument("--state-dir", help="where writes, logs and the certificate go")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=4064, help="plain TCP port (0 = any)")
    p.add_argument("--ssl-port", type=int, default=None,
                   help="also serve SSL on this port (0 = any)")
    p.add_argument("--read-only", action="store_true", help="refuse every write")
    p.add_argument("--tile-delay-ms", type=float, default=0.0,
                   help="sleep per tile read, in as many threads as there are reads "
                        "(legacy; --server-cores and --tile-*-ms model a real server)")
    p.add_argument("--server-cores", type=int, default=0,
                   help="decode slots: reads beyond this many wait (0 = unbounded)")
    p.add_argument("--tile-call-ms", type=float, default=0.0,
                   help="cost of a read in its decode slot, per call")
    p.add_argument("--tile-ms-per-mpx", type=float, default=0.0,
                   help="cost of a read in its decode slot, per million pixels read")
    p.add_argument("--tile-cache-mib", type=int, default=0,
                   help="keep up to this many MiB of generated tiles in memory, so "
                        "repeated reads cost only the delay (benchmarks); 0 = off")
    p.add_argument("--tile-faults", type=int, default=0, metavar="N",
                   help="every Nth tile read fails with InternalException, as a "
                        "transient server error (retry tests); 0 = off")
    p.add_argument("--max-message-kb", type=int, default=250000,
                   help="largest reply (getPlane, getTile), as Ice.MessageSizeMax")
    p.add_argument("--threads", type=int, default=8, help="server thread pool size")
    p.add_argument("--delete-ms", type=float, default=100.0,
                   help="how long a Delete2 request runs before it answers (a real "
                        "server's deletes are asynchronous and take time)")
    p.add_argument("--strict", action="append", default=[], choices=fidelity.NAMES,
                   help="behave as the real server in this respect (see fidelity.py)")
    p.add_argument("--lenient", action="append", default=[], choices=fidelity.NAMES,
                   help="the older, lenient behaviour in this respect (see fidelity.py)")
    p.add_argument("-v", "--verbose", action="store_true", help="log calls to stderr")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from .server import DevServer, Options
    server = DevServer(Options(
        catalogue=args.catalogue, state_dir=args.state_dir, host=args.host,
        port=args.port, ssl_port=args.ssl_port, read_only=args.read_only,
        tile_delay_ms=args.tile_delay_ms, server_cores=args.server_cores,
        tile_call_ms=args.tile_call_ms, tile_ms_per_mpx=args.tile_ms_per_mpx,
        tile_cache_mib=args.tile_cache_mib, max_message_kb=args.max_message_kb,
        tile_faults=args.tile_faults, delete_ms=args.delete_ms,
        lenient=fidelity.lenient_set(args.strict, args.lenient),
        threads=args.threads, verbose=args.verbose))
    server.start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *a: server.shutdown())
    server.wait()
    server.communicator.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())

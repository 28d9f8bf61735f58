"""Batched, paged IQuery calls: the one place that runs the plugin's HQL, in every group
the session may read (group_scope.py: all at once, or one by one where -1 is refused)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

from omero.rtypes import rlist, rlong, rstring, unwrap
from omero.sys import ParametersI

from .group_scope import ALL_GROUPS, GroupScope

# Ids per `in (:ids)` list: keeps each query well inside the server's limits.
BATCH = 1000
# Rows per page for queries whose answer can be large (images of a Project).
PAGE = 5000
__all__ = ["ALL_GROUPS", "BATCH", "PAGE", "QueryRunner", "chunks"]


def chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


class QueryRunner:
    """Runs the plugin's queries across all the user's groups, counting round trips.

    Safe to share between threads (batches fetched concurrently through one session)."""

    def __init__(self, conn):
        self.conn = conn
        self._query = conn.getQueryService()
        self.scope = GroupScope.of(conn)
        self.calls = 0
        self._lock = threading.Lock()

    def _count(self):
        with self._lock:
            self.calls += 1

    def _params(self, ids=None, **strings) -> ParametersI:
        params = ParametersI()
        if ids is not None:
            params.add("ids", rlist([rlong(i) for i in ids]))
        for key, value in strings.items():
            params.add(key, rstring(value))
        return params

    def rows(self, hql: str, ids: Iterable[int] | None = None, page: int = PAGE,
             **strings) -> list[list]:
        """Projection rows (unwrapped), batched over ids and paged (``page`` rows a call:
        the query must be ordered)."""
        out = []
        for batch in self._batches(ids):
            for answer in self.scope.run(
                    lambda ctx, b=batch: self._pages(self._query.projection, hql, b, ctx,
                                                     page, strings)):
                out.extend([unwrap(col) for col in row] for row in answer)
        return out

    def objects(self, hql: str, ids: Iterable[int] | None = None, page: int | None = None,
                **strings) -> list:
        """Model objects, batched over ids; with `page`, each call answers at most that
        many objects (the query must be ordered)."""
        out = []
        for batch in self._batches(ids):
            for answer in self.scope.run(
                    lambda ctx, b=batch: self._pages(self._query.findAllByQuery, hql, b, ctx,
                                                     page, strings)):
                out.extend(answer)
        return out

    def _pages(self, method, hql: str, batch, ctx: dict, page: int | None,
               strings: dict) -> list:
        """Every page of one query in one group context."""
        out: list = []
        offset = 0
        while True:
            params = self._params(batch, **strings)
            if page:
                params.page(offset, page)
            self._count()
            found = method(hql, params, ctx)
            out.extend(found)
            if not page or len(found) < page:
                return out
            offset += page

    @staticmethod
    def _batches(ids):
        if ids is None:
            return [None]
        return list(chunks(sorted(set(ids)), BATCH)) or []

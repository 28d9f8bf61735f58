"""Batched, paged IQuery calls: the one place that runs the plugin's HQL."""

from __future__ import annotations

import threading
from typing import Iterable, Iterator

from omero.rtypes import rlist, rlong, rstring, unwrap
from omero.sys import ParametersI

# Ids per `in (:ids)` list: keeps each query well inside the server's limits.
BATCH = 1000
# Rows per page for queries whose answer can be large (images of a Project).
PAGE = 5000
ALL_GROUPS = {"omero.group": "-1"}


def chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


class QueryRunner:
    """Runs the plugin's queries across all the user's groups, counting round trips.

    Safe to share between threads (batches fetched concurrently through one session)."""

    def __init__(self, conn):
        self.conn = conn
        self._query = conn.getQueryService()
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

    def rows(self, hql: str, ids: Iterable[int] | None = None, **strings) -> list[list]:
        """Projection rows (unwrapped), batched over ids and paged."""
        out = []
        for batch in self._batches(ids):
            offset = 0
            while True:
                params = self._params(batch, **strings).page(offset, PAGE)
                self._count()
                page = self._query.projection(hql, params, ALL_GROUPS)
                out.extend([unwrap(col) for col in row] for row in page)
                if len(page) < PAGE:
                    break
                offset += PAGE
        return out

    def objects(self, hql: str, ids: Iterable[int] | None = None, page: int | None = None,
                **strings) -> list:
        """Model objects, batched over ids; with `page`, each call answers at most that
        many objects (the query must be ordered)."""
        out = []
        for batch in self._batches(ids):
            offset = 0
            while True:
                params = self._params(batch, **strings)
                if page:
                    params.page(offset, page)
                self._count()
                found = self._query.findAllByQuery(hql, params, ALL_GROUPS)
                out.extend(found)
                if not page or len(found) < page:
                    break
                offset += page
        return out

    @staticmethod
    def _batches(ids):
        if ids is None:
            return [None]
        return list(chunks(sorted(set(ids)), BATCH)) or []

"""Answers computed once per data version and visibility, then served from memory.

Many users see the same thing: every member of one partner, and the whole public. An answer (a map layer, the
catalogue, the dashboard's numbers) depends only on the data version (imports and species decisions), on what
the caller may see (the scope's partners and precision, not who the caller is) and on the request's filters, so
it is kept under that key. Accesses to exact locations are still written to the access log on every hit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from bigcats.web.visibility import Scope

MAX_ENTRIES = 512


def scope_key(scope: Scope) -> tuple:
    """What the answer depends on in a scope: public or not, and the access per partner (not the user)."""
    return scope.caller.is_public, tuple(sorted(scope.partners.items()))


class AnswerCache:
    """A bounded LRU of answers keyed by (data version, scope key, route, query, language)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.hits = self.misses = 0

    def get_or_make(self, key: tuple, make: Callable[[], Any]) -> Any:
        """The cached answer for key, else make() (outside the lock: two makers may race, both right)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        value = make()
        with self._lock:
            self.misses += 1
            self._items[key] = value
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget everything (the data or the agreements changed in this process)."""
        with self._lock:
            self._items.clear()


def answer(request, conn, scope: Scope, state, lang: str, make: Callable[[], tuple[Any, Any]],
           action: str = "view") -> Any:
    """The answer of a read route, from the cache when the same data, visibility and query were asked before.

    make() returns (payload, frame or None); the frame's exact sensitive rows are logged on every call.
    """
    from bigcats.web.audit import exact_rows, log_event

    query = tuple(sorted((k, v) for k, v in request.query_params.items() if k != "lang"))
    key = (state.summary.version_now(conn), scope_key(scope), request.url.path, query, lang)

    def build() -> tuple[Any, Any]:
        payload, frame = make()
        return payload, (exact_rows(frame) if frame is not None else None)

    payload, exact = state.answers.get_or_make(key, build)
    if exact is not None:
        log_event(conn, scope.caller, action, request.url.path, *exact)
    return payload

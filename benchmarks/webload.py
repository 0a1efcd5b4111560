"""A lean closed-loop HTTP/1.1 load client for bench_web.py: raw asyncio streams, keep-alive, cookies.

The load generator shares the two cores with the server, so it must cost little per request: httpx spends about
a millisecond of CPU per request in its own machinery, which at 200 requests/s is a fifth of a core taken from
the server. This client writes each request as bytes and reads the answer by Content-Length (or chunks), with
uvloop when installed, and measures its own CPU time so the report can say what share of the machine it took.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import time
from collections.abc import Callable
from http.cookies import SimpleCookie


class Conn:
    """One keep-alive connection of one simulated user, with that user's cookies."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cookies: dict[str, str] = {}

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        """Close the connection (if open)."""
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
            self.writer = self.reader = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None
                      ) -> tuple[int, dict, bytes]:
        """(status, headers, body) of one request; reconnects once if the server closed the connection."""
        for attempt in (0, 1):
            if self.writer is None:
                await self._open()
            try:
                return await self._exchange(method, path, body, headers or {})
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, method: str, path: str, body: bytes, headers: dict) -> tuple[int, dict, bytes]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept-Encoding: gzip, deflate"]  # as browsers
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        for k, v in headers.items():
            lines.append(f"{k}: {v}")
        if body or method != "GET":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        got: dict[str, str] = {}
        for line in header_lines:
            if not line:
                continue
            k, _, v = line.partition(":")
            k, v = k.strip().lower(), v.strip()
            if k == "set-cookie":
                c = SimpleCookie(v)
                for name, morsel in c.items():
                    if morsel.value and "max-age=0" not in v.lower() and "1970" not in v:
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            got[k] = v
        if "content-length" in got:
            data = await self.reader.readexactly(int(got["content-length"]))
        elif got.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(chunk[:-2])
            data = b"".join(parts)
        else:
            data = await self.reader.read()
            await self.close()
        if got.get("connection", "").lower() == "close":
            await self.close()
        return status, got, data


async def sign_in(conn: Conn, username: str, password: str) -> None:
    """Get a CSRF cookie from /login, then sign in through the JSON API (raises on failure)."""
    status, _, _ = await conn.request("GET", "/login")
    if status != 200:
        raise RuntimeError(f"/login answered {status}")
    body = json.dumps({"username": username, "password": password}).encode()
    status, _, data = await conn.request("POST", "/api/auth/login", body, {
        "Content-Type": "application/json", "X-CSRF-Token": conn.cookies.get("bigcats_csrf", "")})
    if status != 200:
        raise RuntimeError(f"sign-in of {username} answered {status}: {data[:200]!r}")


async def _user(host: str, port: int, login: tuple[str, str] | None, pages: Callable, started: asyncio.Event,
                ready: list, results: list, seed: int, think: tuple[float, float], seconds: float,
                one_at_a_time: asyncio.Lock) -> None:
    rng = random.Random(seed)
    conn = Conn(host, port)
    try:
        if login:
            # One sign-in at a time: the server counts an attempt still being checked as failed, so many at once
            # from one address look like guessing (and sign-ins are not what is measured).
            async with one_at_a_time:
                await sign_in(conn, *login)
        else:
            await conn.request("GET", "/login")  # a browser's first visit: the CSRF cookie
        ready.append(seed)
        await started.wait()
        await asyncio.sleep(rng.uniform(*think))  # people do not all click at the same instant
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            for label, path in pages(rng):
                t = time.perf_counter()
                try:
                    status, _, _ = await conn.request("GET", path)
                    ok = status == 200
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    await conn.close()
                results.append((label, time.perf_counter() - t, ok))
            if think[1] > 0:
                await asyncio.sleep(rng.uniform(*think))  # a person reads the page before the next click
    finally:
        await conn.close()


async def _load(host: str, port: int, logins: list, pages: Callable, seconds: float, think: tuple[float, float]
                ) -> tuple[list, float, float]:
    results: list = []
    ready: list = []
    started = asyncio.Event()
    lock = asyncio.Lock()
    tasks = [asyncio.create_task(_user(host, port, login, pages, started, ready, results, i, think, seconds, lock))
             for i, login in enumerate(logins)]
    while len(ready) < len(logins):  # every sign-in done first (argon2 is slow on purpose; not part of browsing)
        await asyncio.sleep(0.1)
        for t in tasks:
            if t.done() and t.exception():
                raise t.exception()
    cpu0 = _cpu()
    start = time.monotonic()
    started.set()
    await asyncio.gather(*tasks)
    wall = time.monotonic() - start
    return results, wall, _cpu() - cpu0


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(base: str, logins: list, pages: Callable, seconds: float, think: tuple[float, float] = (0.0, 0.0)
        ) -> tuple[list, float, float]:
    """Browse with one user per entry of `logins` ((username, password) or None for the public) for `seconds`.

    Returns the (label, seconds, ok) of every request, the wall time and this process's CPU seconds meanwhile.
    """
    host, port = base.removeprefix("http://").rsplit(":", 1)
    coro = _load(host, int(port), logins, pages, seconds, think)
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


async def _sequential(host: str, port: int, login: tuple[str, str] | None, paths: list[tuple[str, str]],
                      repeat: int) -> dict[str, list[float]]:
    conn = Conn(host, port)
    out: dict[str, list[float]] = {}
    try:
        if login:
            await sign_in(conn, *login)
        else:
            await conn.request("GET", "/login")
        for label, path in paths:
            status, _, _ = await conn.request("GET", path)  # warm: the answer cached, the connection open
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                await conn.request("GET", path)
                times.append(time.perf_counter() - t)
            out[label] = times
    finally:
        await conn.close()
    return out


def sequential(base: str, login: tuple[str, str] | None, paths: list[tuple[str, str]], repeat: int
               ) -> dict[str, list[float]]:
    """Seconds of each of `repeat` requests in a row per (label, path), one user, nothing else running."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    coro = _sequential(host, int(port), login, paths, repeat)
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)

"""A fake Acme Weather API written with ``toolkit.web``, for tests of code using weatherclient.

``make_app()`` serves ``/v1/current``, ``/v1/forecast`` and ``/v1/archive/{city}.csv``
for the cities in ``CITIES`` to requests carrying ``Authorization: Bearer <TOKEN>``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from toolkit import web

__all__ = ["ARCHIVE_ROWS", "CITIES", "TOKEN", "archive_csv", "make_app"]

TOKEN = "s3cret"
CITIES = {
    "oslo": {"temperature_c": -3.5, "condition": "snow"},
    "lima": {"temperature_c": 19, "condition": "cloudy"},
}
ARCHIVE_ROWS = 2000  # enough rows that the archive arrives in several chunks


def archive_csv(city: str) -> bytes:
    """The CSV the fake API serves for ``city``."""
    rows = [f"2020-01-01T{i % 24:02d}:00,{city},{i % 40 - 10}" for i in range(ARCHIVE_ROWS)]
    return ("timestamp,city,temperature_c\n" + "\n".join(rows) + "\n").encode()


@web.middleware
async def require_token(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.headers.get("Authorization") != f"Bearer {TOKEN}":
        raise web.HTTPUnauthorized(text="bad token")
    return await handler(request)


def _city(name: str) -> dict[str, Any]:
    try:
        return CITIES[name]
    except KeyError:
        raise web.HTTPNotFound(text=f"no such city: {name}") from None


async def current(request: web.Request) -> web.Response:
    name = request.query.get("city", "")
    return web.json_response(
        {"city": name, **_city(name), "observed_at": "2024-05-01T12:00:00+00:00"}
    )


async def forecast(request: web.Request) -> web.Response:
    name = request.query.get("city", "")
    info = _city(name)
    days = int(request.query.get("days", "3"))
    base = float(info["temperature_c"])
    return web.json_response(
        {
            "city": name,
            "days": [
                {
                    "date": f"2024-05-{day + 2:02d}",
                    "high_c": base + 4 + day,
                    "low_c": base - 2,
                    "condition": info["condition"],
                }
                for day in range(days)
            ],
        }
    )


async def archive(request: web.Request) -> web.StreamResponse:
    name = request.match_info["city"]
    _city(name)
    body = archive_csv(name)
    resp = web.StreamResponse(headers={"Content-Type": "text/csv"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    for start in range(0, len(body), 8192):
        await resp.write(body[start : start + 8192])
    await resp.write_eof()
    return resp


def make_app() -> web.Application:
    """The fake API: ``/v1/current``, ``/v1/forecast``, ``/v1/archive/{city}.csv``."""
    app = web.Application(middlewares=[require_token])
    app.router.add_get("/v1/current", current)
    app.router.add_get("/v1/forecast", forecast)
    app.router.add_get("/v1/archive/{city}.csv", archive)
    return app

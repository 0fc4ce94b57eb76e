"""What ``session.get()`` and ``toolkit.request()`` return: awaitables that are also
async context managers releasing the response (and, for ``request()``, the session)."""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from toolkit.client.response import ClientResponse

if TYPE_CHECKING:
    from toolkit.client.session import ClientSession

__all__ = ["_RequestContextManager", "_SessionRequestContextManager"]


# (Not generic over the response type: one subclass, and a subscripted generic base
# costs its creation at import.)
class _BaseRequestContextManager:
    """``await`` it for the response, or ``async with`` it to release on exit."""

    __slots__ = ("_coro", "_resp")

    def __init__(self, coro: Coroutine[Any, Any, ClientResponse]) -> None:
        self._coro = coro
        self._resp: ClientResponse | None = None

    def send(self, arg: None) -> Any:
        return self._coro.send(arg)

    def throw(self, *args: Any, **kwargs: Any) -> Any:
        return self._coro.throw(*args, **kwargs)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, None, ClientResponse]:
        return self._coro.__await__()

    def __iter__(self) -> Generator[Any, None, ClientResponse]:
        return self.__await__()

    async def __aenter__(self) -> ClientResponse:
        self._resp = await self._coro
        return self._resp


class _RequestContextManager(_BaseRequestContextManager):
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        resp = self._resp
        assert resp is not None
        resp.release()
        if resp._writer is not None:  # (without a body writer there is nothing to wait for)
            await resp.wait_for_close()


class _SessionRequestContextManager:
    """What module-level ``request()`` returns: owns a session for one request."""

    __slots__ = ("_coro", "_resp", "_session")

    def __init__(self, coro: Coroutine[Any, Any, ClientResponse], session: ClientSession) -> None:
        self._coro = coro
        self._resp: ClientResponse | None = None
        self._session = session

    async def __aenter__(self) -> ClientResponse:
        try:
            self._resp = await self._coro
        except BaseException:
            await self._session.close()
            raise
        return self._resp

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._resp is not None
        self._resp.release()
        await self._resp.wait_for_close()
        await self._session.close()

    def __await__(self) -> Generator[Any, None, ClientResponse]:
        return self._await().__await__()

    async def _await(self) -> ClientResponse:
        """``await request(...)``: the session goes away once the response is released."""
        resp = await self.__aenter__()
        session = self._session

        def close_session() -> None:
            connector, session._connector = session._connector, None
            if connector is not None and session._connector_owner:
                connector.close()

        if resp.connection is None:
            close_session()
        else:
            resp._add_release_callback(close_session)
        return resp

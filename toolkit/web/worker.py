"""Gunicorn workers serving a :class:`~toolkit.web.Application` on an asyncio loop.

::

    gunicorn mymodule:app --worker-class toolkit.web.worker.GunicornWebWorker

``mymodule:app`` is an ``Application``, or an ``async def`` factory returning an
``Application`` or an ``AppRunner``.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import signal
import sys
from types import FrameType
from typing import Any

from .log import AccessLogger
from .runner import AppRunner, SockSite

__all__ = ["GunicornUVLoopWebWorker", "GunicornWebWorker"]


class _MissingGunicorn:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the toolkit gunicorn workers need gunicorn: pip install gunicorn")


_WorkerBase: Any
try:  # gunicorn is optional: without it the classes exist but cannot be instantiated
    from gunicorn.config import AccessLogFormat
    from gunicorn.workers import base as _gunicorn_base
except ImportError:  # pragma: no cover - gunicorn is installed in the test environment
    _WorkerBase = _MissingGunicorn
    _GUNICORN_LOG_FORMAT = ""
else:
    _WorkerBase = _gunicorn_base.Worker
    _GUNICORN_LOG_FORMAT = AccessLogFormat.default


class GunicornWebWorker(_WorkerBase):  # type: ignore[misc]
    """A gunicorn worker running the app on a fresh asyncio event loop."""

    DEFAULT_AIOHTTP_LOG_FORMAT = AccessLogger.LOG_FORMAT
    DEFAULT_GUNICORN_LOG_FORMAT = _GUNICORN_LOG_FORMAT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._task: asyncio.Task[None] | None = None
        self._notify_waiter: asyncio.Future[bool] | None = None
        self.exit_code = 0

    def init_process(self) -> None:
        """Create the worker's event loop after the fork, then start gunicorn's init."""
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        super().init_process()

    def run(self) -> None:
        """Serve until gunicorn tells the worker to stop, then exit with ``exit_code``."""
        self._task = self.loop.create_task(self._run())
        try:
            self.loop.run_until_complete(self._task)
        except Exception:
            self.log.exception("Exception in the gunicorn worker")
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()
        sys.exit(self.exit_code)

    async def _make_runner(self) -> AppRunner:
        from .app import Application

        wsgi = self.wsgi
        if isinstance(wsgi, Application):
            app = wsgi
        elif inspect.iscoroutinefunction(wsgi):
            made = await wsgi()
            if isinstance(made, AppRunner):
                return made
            app = made
        else:
            raise RuntimeError(
                "the gunicorn app must be a toolkit.web.Application or an async function "
                f"returning one (or an AppRunner), got {wsgi!r}"
            )
        access_log = self.log.access_log if self.cfg.accesslog else None
        return AppRunner(
            app,
            logger=self.log,
            keepalive_timeout=self.cfg.keepalive,
            access_log=access_log,
            access_log_format=self._get_valid_log_format(self.cfg.access_log_format),
            shutdown_timeout=self.cfg.graceful_timeout / 100 * 95,
        )

    async def _run(self) -> None:
        runner = await self._make_runner()
        await runner.setup()
        ctx = self._create_ssl_context(self.cfg) if self.cfg.is_ssl else None
        server = runner.server
        assert server is not None
        for sock in self.sockets:
            site = SockSite(runner, sock, ssl_context=ctx)
            await site.start()
        pid = os.getpid()
        try:
            while self.alive:  # type: ignore[has-type]
                self.notify()
                count = server.requests_count
                if self.max_requests and count > self.max_requests:
                    self.alive = False
                    self.log.info("Max requests, shutting down: %s", self)
                elif pid == os.getpid() and self.ppid != os.getppid():
                    self.alive = False
                    self.log.info("Parent changed, shutting down: %s", self)
                else:
                    await self._wait_next_notify()
        except BaseException:
            pass
        await runner.cleanup()

    def _wait_next_notify(self) -> asyncio.Future[bool]:
        self._notify_waiter_done()
        waiter = self._notify_waiter = self.loop.create_future()
        self.loop.call_later(1.0, self._notify_waiter_done, waiter)
        return waiter

    def _notify_waiter_done(self, waiter: asyncio.Future[bool] | None = None) -> None:
        if waiter is None:
            waiter = self._notify_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(True)
        if waiter is self._notify_waiter:
            self._notify_waiter = None

    def init_signals(self) -> None:
        """Route gunicorn's signals through the event loop."""
        self.loop.add_signal_handler(signal.SIGQUIT, self.handle_quit, signal.SIGQUIT, None)
        self.loop.add_signal_handler(signal.SIGTERM, self.handle_exit, signal.SIGTERM, None)
        self.loop.add_signal_handler(signal.SIGINT, self.handle_quit, signal.SIGINT, None)
        self.loop.add_signal_handler(signal.SIGWINCH, self.handle_winch, signal.SIGWINCH, None)
        self.loop.add_signal_handler(signal.SIGUSR1, self.handle_usr1, signal.SIGUSR1, None)
        self.loop.add_signal_handler(signal.SIGABRT, self.handle_abort, signal.SIGABRT, None)
        # Don't let SIGTERM and SIGUSR1 interrupt system calls of active requests.
        signal.siginterrupt(signal.SIGTERM, False)
        signal.siginterrupt(signal.SIGUSR1, False)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """SIGTERM: stop after the graceful shutdown."""
        self.alive = False
        self._notify_waiter_done()

    def handle_quit(self, sig: int, frame: FrameType | None) -> None:
        """SIGINT/SIGQUIT: stop quickly (still through the runner's cleanup)."""
        self.alive = False
        self.cfg.worker_int(self)
        self._notify_waiter_done()

    def handle_abort(self, sig: int, frame: FrameType | None) -> None:
        """SIGABRT: exit at once with status 1."""
        self.alive = False
        self.exit_code = 1
        self.cfg.worker_abort(self)
        sys.exit(1)

    @staticmethod
    def _create_ssl_context(cfg: Any) -> Any:
        """Build the server TLS context from gunicorn's settings."""
        import ssl

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cfg.certfile, cfg.keyfile)
        ctx.verify_mode = cfg.cert_reqs
        if cfg.ca_certs:
            ctx.load_verify_locations(cfg.ca_certs)
        if cfg.ciphers:
            ctx.set_ciphers(cfg.ciphers)
        return ctx

    def _get_valid_log_format(self, source_format: str) -> str:
        if source_format == self.DEFAULT_GUNICORN_LOG_FORMAT:
            return self.DEFAULT_AIOHTTP_LOG_FORMAT
        if re.search(r"%\([^\)]+\)", source_format):
            raise ValueError(
                "Gunicorn's access log format directives (%(name)s) are not supported by "
                "the toolkit worker; use the %-directives of toolkit.web.AccessLogger, "
                f"got {source_format!r}"
            )
        return source_format


class GunicornUVLoopWebWorker(GunicornWebWorker):
    """The same worker on a uvloop event loop."""

    def init_process(self) -> None:
        """Install uvloop's event loop policy, then start as the base worker."""
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        super().init_process()

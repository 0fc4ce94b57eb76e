"""The ``toolkit`` command line.

``toolkit serve`` runs the built-in httpbin-compatible app (:mod:`toolkit.testing.httpbin`)
over HTTP, and over HTTPS with a freshly generated certificate authority whose PEM file
it prints, so curl or a browser can trust it for the session.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import ssl
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from toolkit import __version__

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toolkit", description="aiotoolkit command line")
    parser.add_argument("--version", action="version", version=f"aiotoolkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the built-in httpbin-compatible app")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="HTTP port; 0 picks a free one")
    serve.add_argument("--tls", action="store_true", help="also serve HTTPS")
    serve.add_argument("--tls-port", type=int, default=8443, help="HTTPS port (8443)")
    serve.add_argument(
        "--cert-dir",
        type=Path,
        default=None,
        help="where to write the generated CA (default: a new temporary directory)",
    )
    return parser


def _server_tls_context(host: str, cert_dir: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context signed by a new CA; the CA's PEM file is written to ``cert_dir``."""
    try:
        import trustme
    except ImportError as exc:  # pragma: no cover - trustme ships with the test extra
        raise SystemExit(
            "toolkit serve --tls needs the 'trustme' package: pip install 'aiotoolkit[test]'"
        ) from exc
    ca = trustme.CA()
    names = sorted({host, "127.0.0.1", "localhost", "::1"})
    cert = ca.issue_cert(*names)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    cert_dir.mkdir(parents=True, exist_ok=True)
    ca_path = cert_dir / "toolkit-ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    return context, ca_path


class _CommandError(Exception):
    """A failure to report in one line, without a traceback (a port in use …)."""


async def _serve(args: argparse.Namespace) -> None:
    from toolkit import web
    from toolkit.testing.httpbin import make_httpbin_app

    runner = web.AppRunner(make_httpbin_app(), handle_signals=False)
    await runner.setup()
    try:
        sites = [web.TCPSite(runner, args.host, args.port)]
        if args.tls:
            cert_dir = args.cert_dir or Path(tempfile.mkdtemp(prefix="toolkit-serve-"))
            context, ca_path = _server_tls_context(args.host, cert_dir)
            sites.append(web.TCPSite(runner, args.host, args.tls_port, ssl_context=context))
        for site in sites:
            try:
                await site.start()
            except OSError as exc:
                raise _CommandError(f"cannot serve on {site.name}: {exc.strerror or exc}") from exc
        for site in sites:
            print(f"serving {site.name}", flush=True)
        if args.tls:
            print(f"CA certificate: {ca_path}", flush=True)
            print(f"try: curl --cacert {ca_path} {sites[-1].name}/get", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # not on Windows' default loop
                loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``toolkit`` command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        try:
            asyncio.run(_serve(args))
        except _CommandError as exc:
            print(f"toolkit serve: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The TLS fixtures (pytest_plugin.tls) and the factories' ``tls`` argument, over real
TLS on 127.0.0.1, with curl as a third-party client."""

from __future__ import annotations

import asyncio
import shutil
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from pytest_plugin.tls import CLIENT_IDENTITY
from toolkit import ClientError, ClientSession, TCPConnector, web

CLIENT_NAME = "aiotoolkit test client"


def whoami_app() -> web.Application:
    """Answers with the common name of the client certificate, or "anonymous"."""

    async def whoami(request: web.Request) -> web.Response:
        assert request.transport is not None
        peer = request.transport.get_extra_info("peercert")
        if not peer:
            return web.Response(text="anonymous")
        names = [value for rdn in peer["subject"] for key, value in rdn if key == "commonName"]
        return web.Response(text=names[0])

    app = web.Application()
    app.router.add_get("/", whoami)
    return app


def test_client_certificate_is_the_test_cas_for_a_client(
    tls_ca: Any, tls_client_certificate: Any
) -> None:
    cert = x509.load_pem_x509_certificate(tls_client_certificate.cert_chain_pems[0].bytes())
    issuer = x509.load_pem_x509_certificate(tls_ca.cert_pem.bytes())
    assert cert.issuer == issuer.subject
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.RFC822Name) == [CLIENT_IDENTITY]
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH in usage


def test_mutual_contexts(
    tls_mutual_server_context: ssl.SSLContext,
    tls_mutual_client_context: ssl.SSLContext,
    tls_server_context: ssl.SSLContext,
) -> None:
    assert tls_mutual_server_context.verify_mode == ssl.CERT_REQUIRED
    assert tls_server_context.verify_mode == ssl.CERT_NONE  # plain HTTPS asks for nothing
    assert tls_mutual_client_context.verify_mode == ssl.CERT_REQUIRED
    assert tls_mutual_client_context.check_hostname


async def test_mutual_client_presents_the_client_certificate(http_client: Any) -> None:
    client = await http_client(whoami_app(), tls="mutual")
    assert client.make_url("/").scheme == "https"
    resp = await client.get("/")
    assert resp.status == 200
    assert await resp.text() == CLIENT_NAME


async def test_plain_https_client_is_anonymous(http_client: Any) -> None:
    client = await http_client(whoami_app(), tls=True)
    assert await (await client.get("/")).text() == "anonymous"


async def test_client_for_a_mutual_server_presents_the_certificate(
    http_server: Any, http_client: Any
) -> None:
    server = await http_server(whoami_app(), tls="mutual")
    client = await http_client(server)
    assert await (await client.get("/")).text() == CLIENT_NAME


async def test_mutual_server_turns_away_a_client_without_certificate(
    http_server: Any, tls_client_context: ssl.SSLContext
) -> None:
    server = await http_server(whoami_app(), tls="mutual")
    async with ClientSession(connector=TCPConnector(ssl=tls_client_context)) as session:
        with pytest.raises(ClientError):
            async with session.get(server.make_url("/")) as resp:
                await resp.read()


async def test_tls_argument_is_checked(http_server: Any, http_client: Any) -> None:
    with pytest.raises(ValueError, match="tls must be False, True or 'mutual', not 'yes'"):
        await http_server(whoami_app(), tls="yes")
    with pytest.raises(ValueError, match="tls='mutual' needs a TCP server"):
        await http_client(whoami_app(), tls="mutual", memory=True)


async def _curl(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        "curl", "--silent", "--show-error", *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
async def test_curl_with_the_client_certificate(
    http_server: Any, tls_ca: Any, tls_client_certificate: Any, tmp_path: Path
) -> None:
    server = await http_server(whoami_app(), tls="mutual")
    ca, cert, key = tmp_path / "ca.pem", tmp_path / "client.pem", tmp_path / "client.key"
    tls_ca.cert_pem.write_to_path(ca)
    tls_client_certificate.cert_chain_pems[0].write_to_path(cert)
    tls_client_certificate.private_key_pem.write_to_path(key)
    url = str(server.make_url("/"))
    status, out = await _curl("--cacert", str(ca), "--cert", str(cert), "--key", str(key), url)
    assert (status, out) == (0, CLIENT_NAME)
    status, out = await _curl("--cacert", str(ca), url)  # no certificate: refused
    assert status != 0, out

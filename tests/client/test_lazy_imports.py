"""The client modules only some requests need load on first use."""

from __future__ import annotations

import pickle
import subprocess
import sys
from types import MappingProxyType

import toolkit
from toolkit.client import pipeline, redirects


def test_a_plain_memory_get_leaves_the_optional_client_modules_alone() -> None:
    # A test client's GET without a body, redirect, TLS option, session credentials or
    # Content-Disposition (a fresh interpreter: this one has them all).
    code = (
        "import sys, asyncio\n"
        "from toolkit import web\n"
        "from toolkit.testing.server import TestServer\n"
        "from toolkit.testing.client import TestClient\n"
        "async def hello(request):\n"
        "    return web.Response(text='hello')\n"
        "async def main():\n"
        "    app = web.Application()\n"
        "    app.router.add_get('/', hello)\n"
        "    async with TestClient(TestServer(app, transport='memory')) as client:\n"
        "        async with client.get('/') as resp:\n"
        "            assert await resp.text() == 'hello'\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m in {\n"
        "    'toolkit.client.redirects', 'toolkit.client.tls', 'toolkit.client.writer',\n"
        "    'toolkit.client._content_disposition', 'toolkit.client.connector_tcp'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_pipeline_follows_the_redirect_statuses() -> None:
    assert pipeline._REDIRECT_STATUSES == redirects.REDIRECT_STATUSES


def test_content_disposition_is_exported_from_its_old_places() -> None:
    from toolkit.client import response
    from toolkit.client._content_disposition import ContentDisposition

    assert response.ContentDisposition is ContentDisposition
    assert toolkit.ContentDisposition is ContentDisposition
    assert "ContentDisposition" in dir(response)
    assert pickle.loads(pickle.dumps(ContentDisposition)) is ContentDisposition
    value = ContentDisposition("attachment", MappingProxyType({}), "a.txt")
    assert value.type == "attachment" and value.filename == "a.txt"

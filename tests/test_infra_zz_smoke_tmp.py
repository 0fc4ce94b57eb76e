import toolkit

async def test_http(httpbin):
    async with toolkit.ClientSession() as s:
        async with s.get(httpbin.url_for("/get")) as r:
            assert r.status == 200
            assert (await r.json())["url"].endswith("/get")

async def test_https(httpbin_secure):
    async with toolkit.ClientSession() as s:
        async with s.get(httpbin_secure.url_for("/get"), ssl=httpbin_secure.ssl_context) as r:
            assert r.status == 200

async def test_unix(httpbin_unix):
    async with toolkit.ClientSession(connector=toolkit.UnixConnector(path=str(httpbin_unix.path))) as s:
        async with s.get(httpbin_unix.url_for("/get")) as r:
            assert r.status == 200

async def test_proxy(tinyproxy, httpbin):
    async with toolkit.ClientSession() as s:
        async with s.get(httpbin.url_for("/get"), proxy=tinyproxy.url) as r:
            assert r.status == 200

async def test_proxy_connect(tinyproxy, httpbin_secure):
    async with toolkit.ClientSession() as s:
        async with s.get(httpbin_secure.url_for("/get"), proxy=tinyproxy.url, ssl=httpbin_secure.ssl_context) as r:
            assert r.status == 200

async def test_proxy_auth(tinyproxy_auth, httpbin):
    async with toolkit.ClientSession() as s:
        async with s.get(httpbin.url_for("/get"), proxy=tinyproxy_auth.url, proxy_auth=toolkit.BasicAuth("user", "pass")) as r:
            assert r.status == 200

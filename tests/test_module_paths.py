"""The module paths the reference documents (``aiohttp.connector``, ``aiohttp.resolver``,
``aiohttp.abc``) exist under ``toolkit`` and name the same objects as the facade."""

import toolkit
import toolkit.abc
import toolkit.connector
import toolkit.resolver
import toolkit.web


def test_connector_module_names_the_facade_classes() -> None:
    assert toolkit.connector.BaseConnector is toolkit.BaseConnector
    assert toolkit.connector.TCPConnector is toolkit.TCPConnector
    assert toolkit.connector.UnixConnector is toolkit.UnixConnector
    assert issubclass(toolkit.connector.TCPConnector, toolkit.connector.BaseConnector)


def test_resolver_module_names_the_facade_classes() -> None:
    assert toolkit.resolver.AsyncResolver is toolkit.AsyncResolver
    assert toolkit.resolver.DefaultResolver is toolkit.DefaultResolver
    assert issubclass(toolkit.resolver.ThreadedResolver, toolkit.resolver.AbstractResolver)


def test_abc_module_holds_the_pluggable_bases() -> None:
    assert issubclass(toolkit.DummyCookieJar, toolkit.abc.AbstractCookieJar)
    assert issubclass(toolkit.web.UrlDispatcher, toolkit.abc.AbstractRouter)
    assert issubclass(toolkit.web.View, toolkit.abc.AbstractView)

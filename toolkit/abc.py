"""``toolkit.abc``: the abstract base classes users subclass to plug in their own parts.

Same module path as ``aiohttp.abc``: a custom resolver, cookie jar, router, match info,
resource, route, view or access logger derives from these.
"""

from toolkit.client.resolver import AbstractResolver
from toolkit.cookiejar import AbstractCookieJar
from toolkit.web.log import AbstractAccessLogger
from toolkit.web.routing.abc import (
    AbstractMatchInfo,
    AbstractResource,
    AbstractRoute,
    AbstractRouter,
    AbstractView,
)

__all__ = (
    "AbstractAccessLogger",
    "AbstractCookieJar",
    "AbstractMatchInfo",
    "AbstractResolver",
    "AbstractResource",
    "AbstractRoute",
    "AbstractRouter",
    "AbstractView",
)

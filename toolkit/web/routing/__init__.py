"""Routing: the router, its resources and routes, and the abstract interfaces."""

from toolkit.web.routing.abc import (
    AbstractMatchInfo,
    AbstractResource,
    AbstractRoute,
    AbstractRouter,
    AbstractView,
)
from toolkit.web.routing.dispatcher import ResourcesView, RoutesView, UrlDispatcher
from toolkit.web.routing.resources import DynamicResource, PlainResource, PrefixResource, Resource
from toolkit.web.routing.routes import (
    MatchInfoError,
    ResourceRoute,
    SystemRoute,
    UrlMappingMatchInfo,
)
from toolkit.web.routing.subapps import (
    AbstractRuleMatching,
    Domain,
    MaskDomain,
    MatchedSubAppResource,
    PrefixedSubAppResource,
)

__all__ = [
    "AbstractMatchInfo",
    "AbstractResource",
    "AbstractRoute",
    "AbstractRouter",
    "AbstractRuleMatching",
    "AbstractView",
    "Domain",
    "DynamicResource",
    "MaskDomain",
    "MatchInfoError",
    "MatchedSubAppResource",
    "PlainResource",
    "PrefixResource",
    "PrefixedSubAppResource",
    "Resource",
    "ResourceRoute",
    "ResourcesView",
    "RoutesView",
    "SystemRoute",
    "UrlDispatcher",
    "UrlMappingMatchInfo",
]

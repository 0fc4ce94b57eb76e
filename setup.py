"""Build the optional C accelerators; all metadata lives in pyproject.toml.

``toolkit/http/ws/_mask_c.c`` (WebSocket masking) and ``_framing_c.c`` (reading
and building whole frames) are compiled when a C compiler is available.
``optional=True`` lets the install go on without them: the package then uses its
pure-Python code.
"""

from setuptools import Extension, setup

_WS = "toolkit/http/ws/"

setup(
    ext_modules=[
        Extension(
            "toolkit.http.ws._mask_c",
            sources=[_WS + "_mask_c.c"],
            depends=[_WS + "_xor.h"],
            optional=True,
        ),
        Extension(
            "toolkit.http.ws._framing_c",
            sources=[_WS + "_framing_c.c"],
            depends=[_WS + "_xor.h"],
            optional=True,
        ),
    ]
)

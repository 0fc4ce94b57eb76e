"""Build the optional C accelerator; all metadata lives in pyproject.toml.

``toolkit/http/ws/_mask_c.c`` (WebSocket masking) is compiled when a C compiler
is available. ``optional=True`` lets the install go on without it: the package
then uses its pure-Python fallback.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "toolkit.http.ws._mask_c",
            sources=["toolkit/http/ws/_mask_c.c"],
            optional=True,
        )
    ]
)

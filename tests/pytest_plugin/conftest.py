"""pytester runs the plugin in inner sessions, in this process.

The library is imported here so that it stays in ``sys.modules`` across inner runs
(pytester drops modules first imported during a run, which would leave two copies
of the classes around). ``pytester`` itself is enabled in ``tests/conftest.py``.
"""

import toolkit.testing
import toolkit.web  # noqa: F401

"""pytester runs the plugin in inner sessions, in this process.

The library is imported here so that it stays in ``sys.modules`` across inner runs
(pytester drops modules first imported during a run, which would leave two copies
of the classes around). ``pytester`` itself is enabled in ``tests/conftest.py``.
``toolkit.testing`` imports its modules on first use: those the plugin's fixtures and
leak check use are imported here too (else the first inner run that imports them would
leave ``toolkit.testing`` holding classes from a copy of the module the next run no
longer sees, and its test servers would escape the leak check).
"""

import toolkit.testing
import toolkit.testing.client
import toolkit.testing.server
import toolkit.web  # noqa: F401

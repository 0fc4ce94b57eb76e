"""Make ``import weatherclient`` work when pytest runs from the repository root.

pytest runs with ``--import-mode=importlib``, which does not add test directories to
``sys.path``; a real project would ``pip install -e .`` instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

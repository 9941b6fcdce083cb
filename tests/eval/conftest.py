"""The evaluation harness lives in eval/ at the repository root, which is not an
installed package: put the root on the import path for these tests."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

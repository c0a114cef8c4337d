"""``python -m spoc``: the command line."""

from __future__ import annotations

import sys

from spoc.cli.program import main

if __name__ == "__main__":
    sys.exit(main())

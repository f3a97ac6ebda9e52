"""`python -m harness.reference`: run the embedded reference server."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

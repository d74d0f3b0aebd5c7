"""``python -m oncall``: the same command line as ``oncall``."""
import sys

from .cli import main

sys.exit(main())

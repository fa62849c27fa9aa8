import sys

from ._entry_point import script

sys.exit(script())

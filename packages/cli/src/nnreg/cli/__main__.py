import sys

from ._console_script import script

sys.exit(script())

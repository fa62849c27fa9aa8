"""The installed nnreg-core's version, for reports and model files."""

import importlib.metadata

try:
    __version__ = importlib.metadata.version("nnreg-core")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "unknown"

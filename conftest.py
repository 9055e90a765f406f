"""Root of the test tree: the emulator's pytest plugin, found from the checkout whether installed or not."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("meetstream_emulator") is None:
    # A checkout where only the provider is installed: the emulator's sources sit next to it.
    sys.path.insert(0, str(Path(__file__).resolve().parent / "emulator"))

# Installed, the plugin also registers itself through its pytest11 entry point, which is named
# after this module: pytest sees one plugin under one name and loads it once.
pytest_plugins = ["meetstream_emulator.pytest_plugin"]

"""Sphinx configuration of the provider's documentation: `make docs` builds it, warnings as errors."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# autodoc imports the modules, and Airflow with them: a throwaway home, never the reader's own.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="meetstream-docs-airflow-home-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
sys.path.insert(0, str(ROOT))

import airflow_provider_meetstream  # noqa: E402

project = "airflow-provider-meetstream"
author = "The airflow-provider-meetstream authors"
copyright = "2026, the airflow-provider-meetstream authors"
release = version = airflow_provider_meetstream.__version__

extensions = ["sphinx.ext.autodoc", "myst_parser"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "examples"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "description"
autodoc_class_signature = "separated"
# Airflow's own classes are documented by Airflow; links to them would have nothing to point at.
nitpicky = False

html_theme = "furo"
html_title = f"airflow-provider-meetstream {release}"

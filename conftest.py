"""pytest runs the notebooks in smoke mode unless FMNIST_RUN_MODE says otherwise."""

import os

os.environ.setdefault("FMNIST_RUN_MODE", "smoke")

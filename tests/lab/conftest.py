"""The JupyterLab tests need a browser and minutes: only `make test-lab` runs them."""

import os

collect_ignore_glob = [] if os.environ.get("FMNIST_TEST_LAB") == "1" else ["*.py"]

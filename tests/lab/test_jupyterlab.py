"""A learner's first steps, in a real browser: JupyterLab runs all cells of a few notebooks.

`make test-lab` starts JupyterLab from the project's environment (as `make lab` does, but headless,
in smoke mode, on copies of the notebooks under artifacts/lab/) and drives Debian's chromium with
Playwright. For each notebook: Run All Cells; no cell shows an error; every figure is drawn as an
image; the live progress line appears while a long cell runs and is gone when it ends; the notebook
JupyterLab saves is valid and carries no widget state.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

from tools.nbmeta import ROOT

NOTEBOOKS = os.environ.get("FMNIST_LAB_NOTEBOOKS", "").split() or [
    "00_data_tour.ipynb",
    "08_saving_checkpoints_early_stopping.ipynb",
    "07_overfitting_and_dropout.ipynb",  # long cells with a progress line
]
LONG = {"07_overfitting_and_dropout.ipynb"}  # notebooks whose progress line must be seen
LAB = ROOT / "artifacts" / "lab"
SHOWN = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on screen, not a tab behind it
SETTINGS = {  # JupyterLab's settings for the test: fewer dialogs, and every cell in the page
    "@jupyterlab/notebook-extension:tracker": {
        "windowingMode": "none",
        "autoStartDefaultKernel": True,
    },
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false"},
}
CELL_WAIT_S = 900

# Records every progress line the page shows, however briefly: the line is replaced in place.
WATCH = """(SHOWN) => {
  window.progressSeen = [];
  new MutationObserver(() => {
    for (const out of document.querySelectorAll(SHOWN + ' .jp-OutputArea-output')) {
      const text = out.innerText || '';
      if (text.includes(' elapsed') && window.progressSeen.length < 500) {
        window.progressSeen.push(text.slice(0, 200));
      }
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
PROMPTS = (
    "(SHOWN) => [...document.querySelectorAll(SHOWN + ' .jp-CodeCell .jp-InputPrompt')]"
    ".map(p => p.innerText)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab():
    """JupyterLab on copies of the notebooks, in smoke mode; yields (base URL, token)."""
    shutil.rmtree(LAB, ignore_errors=True)
    (LAB / "notebooks").mkdir(parents=True)
    (LAB / "utils").symlink_to(ROOT / "utils")  # the setup cell finds utils one folder up
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, LAB / "notebooks" / name)
    for plugin, values in SETTINGS.items():
        path = LAB / "settings" / f"{plugin.replace(':', '/')}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), uuid.uuid4().hex
    env = {
        **os.environ,
        "FMNIST_RUN_MODE": "smoke",
        "JUPYTERLAB_SETTINGS_DIR": str(LAB / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(LAB / "workspaces"),
    }
    command = [
        str(Path(sys.executable).with_name("jupyter")),
        "lab",
        "--no-browser",
        f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={LAB}",
        "--ServerApp.ip=127.0.0.1",
    ] + (["--allow-root"] if os.getuid() == 0 else [])
    log = open(LAB / "server.log", "w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
            break
        except OSError:
            assert server.poll() is None, (LAB / "server.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "JupyterLab did not start in 2 minutes"
            time.sleep(0.5)
    yield base, token
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("make test-lab needs Debian's package chromium: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


def wait_until(condition, timeout: float, what: str, page=None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            if page is not None:  # what the browser showed, for whoever reads the failure
                page.screenshot(path=str(LAB / "timed-out.png"))
            pytest.fail(f"timed out waiting for {what} (screenshot: artifacts/lab/timed-out.png)")
        time.sleep(0.25)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_run_all_cells_in_jupyterlab(lab, browser, name):
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # A workspace of its own, reset: only this notebook is open (no tabs left from the others).
    page.goto(f"{base}/lab/workspaces/{Path(name).stem}/tree/notebooks/{name}?reset&token={token}")
    page.wait_for_selector(f"{SHOWN} .jp-Notebook .jp-CodeCell", timeout=120_000)
    setup = page.locator(f"{SHOWN} .jp-CodeCell").first  # collapsed: its title; a click opens it
    hidden = setup.locator(".jp-InputPlaceholder")
    try:  # JupyterLab collapses the cell once the notebook has rendered
        hidden.wait_for(state="visible", timeout=30_000)
    except Exception:  # Playwright's TimeoutError
        pytest.fail("the setup cell's code is shown, not collapsed to its title")
    assert setup.inner_text().startswith("#@title Setup:")
    page.evaluate(WATCH, SHOWN)
    kernel_idle = ".jp-StatusBar-Widget:has-text('| Idle')"
    page.wait_for_selector(kernel_idle, timeout=120_000)  # the kernel has started
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()

    def running() -> bool:
        return any("*" in prompt for prompt in page.evaluate(PROMPTS, SHOWN))

    wait_until(running, 120, "the cells to queue", page)
    wait_until(lambda: not running(), CELL_WAIT_S, "the run", page)

    errors = page.locator(
        f'{SHOWN} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    )
    assert errors.count() == 0, errors.first.inner_text()[:2000]
    images = page.evaluate(
        "(SHOWN) => [...document.querySelectorAll(SHOWN + ' .jp-OutputArea-output img')]"
        ".map(i => i.naturalWidth)",
        SHOWN,
    )
    assert images and all(width > 0 for width in images), f"figures not drawn: {images}"
    texts = page.locator(f"{SHOWN} .jp-OutputArea-output").all_inner_texts()
    assert not [t for t in texts if t.startswith("<Figure size")], "a figure shown as text"
    seen = page.evaluate("() => window.progressSeen")
    if name in LONG:
        assert seen, "no progress line appeared while the long cells ran"
    assert not [t for t in texts if " elapsed" in t], "a progress line is left behind"

    path = LAB / "notebooks" / name
    before = path.stat().st_mtime
    page.keyboard.press("Control+s")
    wait_until(lambda: path.stat().st_mtime != before, 60, "JupyterLab to save the notebook")
    time.sleep(1)
    saved = nbformat.read(path, as_version=4)
    nbformat.validate(saved)
    assert "widgets" not in saved.metadata, "saved widget state"
    outputs = [o for c in saved.cells if c.cell_type == "code" for o in c.outputs]
    widget = "application/vnd.jupyter.widget-view+json"
    assert not [o for o in outputs if widget in o.get("data", {})], "saved a widget"
    assert not [o for o in outputs if " elapsed" in str(o.get("data", o.get("text", "")))]
    page.close()
    shut_down_kernels(base, token)


def shut_down_kernels(base: str, token: str) -> None:
    """Stop every kernel the server runs (closing a tab leaves its kernel running)."""
    with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=10) as answer:
        sessions = json.load(answer)
    for session in sessions:
        url = f"{base}/api/sessions/{session['id']}?token={token}"
        urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=30)

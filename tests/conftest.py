"""Shared fixtures and rules for the test suite.

A test that needs an optional tool (PyTorch, Chromium) is skipped with a clear reason on a reader's machine, but
under CI (``CI=true``) the same skip is a failure: CI must run every check. Skip messages name the commands the
README uses, so a reader can copy them.

The website is built once per test session (``book_build``, ``site``) and shared by every test of the built site.
"""

import contextlib
import functools
import http.server
import importlib
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parents[1]

#: How the README installs an extra into the course's environment, and how it installs the browser.
PIP = ".venv/bin/pip install"
INSTALL_CHROMIUM = "apt-get install chromium"


def skip_or_fail(reason):
    """Skip with ``reason``, or fail under CI, where nothing may be skipped."""
    if IN_CI:
        pytest.fail(f"CI=true, so this check may not be skipped: {reason}")
    pytest.skip(reason)


def install_hint(extra):
    """The README's command that installs ``extra`` into the course's environment."""
    return f'install it with: {PIP} -e ".[{extra}]"'


def import_or_skip(module_name, install_hint):
    """Import an optional module, or skip (fail under CI) saying how to install it.

    A bare ``pip install`` in ``install_hint`` is given the README's form, ``.venv/bin/pip install``.
    """
    try:
        return importlib.import_module(module_name)
    except ImportError:
        hint = re.sub(r"(?<![\w/.-])pip install", PIP, install_hint)
        skip_or_fail(f"{module_name} is not installed; {hint}")


@pytest.fixture
def rng():
    """A seeded generator, so every failure can be reproduced."""
    return np.random.default_rng(20261130)


# --- the built website ---------------------------------------------------------------------------------------

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def _jupyter_book():
    beside_python = Path(sys.executable).with_name("jupyter-book")
    return str(beside_python) if beside_python.exists() else shutil.which("jupyter-book")


@pytest.fixture(scope="session")
def book_build(tmp_path_factory):
    """Build the book once: returns (path of the HTML folder, the build log, the return code)."""
    command = _jupyter_book()
    if command is None:
        pytest.fail(f"jupyter-book is not installed; {install_hint('book')}")
    output = tmp_path_factory.mktemp("book")
    result = subprocess.run(
        [command, "build", str(REPO), "--path-output", str(output), "--warningiserror", "--keep-going"],
        capture_output=True, text=True, timeout=900, cwd=REPO,
    )
    log = ANSI_ESCAPE.sub("", result.stdout + result.stderr)
    return output / "_build" / "html", log, result.returncode


def build_problems(log):
    """The warning and error lines of a build log."""
    return [line for line in log.splitlines() if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", line)]


@pytest.fixture(scope="session")
def site(book_build):
    """The HTML folder of a clean build; fails (with the build's complaints) when the build was not clean."""
    html, log, returncode = book_build
    problems = build_problems(log)
    if returncode != 0 or problems or not (html / "index.html").exists():
        pytest.fail("the book did not build cleanly, so the built site cannot be checked (see test_build_is_clean):\n"
                    + "\n".join(problems[:20] or log.splitlines()[-20:]))
    return html


def site_pages(html):
    """Every built HTML page except Sphinx's copies of sources and static assets."""
    html = Path(html)
    return sorted(path for path in html.rglob("*.html")
                  if not path.relative_to(html).parts[0].startswith(("_static", "_sources", "_images")))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@contextlib.contextmanager
def serve(folder):
    """Serve ``folder`` over HTTP on 127.0.0.1, on a free port, in a background thread; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def chromium_or_skip():
    """The path of Debian's Chromium, or a skip (a failure under CI) that says how to install it."""
    chromium = shutil.which("chromium")
    if chromium is None:
        skip_or_fail("Chromium is not installed, so the built pages cannot be opened in a browser; "
                     f"install Debian's package: {INSTALL_CHROMIUM}")
    return chromium


@pytest.fixture(scope="session")
def torch():
    """PyTorch, for the cross-checks (skipped without it, a failure under CI)."""
    return import_or_skip("torch", install_hint("crosscheck") + " (torch==2.13.0)")

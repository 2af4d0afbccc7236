"""The package as users meet it: stubs match the module (mypy.stubtest), docstring examples run,
the example script runs, and every public name is documented."""
from __future__ import annotations

import doctest
import inspect
import os
import subprocess
import sys

import netskope_arrow as na
from conftest import ROOT


def test_stubs_match_the_runtime_module():
    p = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "netskope_arrow", "--concise"],
        capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "MYPY_CACHE_DIR": os.path.join(os.environ.get("TMPDIR", "/tmp"), "na-mypy-cache")},
    )
    assert p.returncode == 0, p.stdout + p.stderr


def test_docstring_examples_run(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = doctest.testmod(na, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 12 and result.failed == 0
    # The compiled module's classes say they live in `netskope_arrow`, which testmod skips.
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for name in na._core.__all__:
        for test in finder.find(getattr(na._core, name), name, module=False, globs={}):
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 15 and result.failed == 0


def test_every_public_name_is_documented():
    for name in na.__all__:
        obj = getattr(na, name)
        if name in ("TABLES", "__version__", "Source", "Progress"):
            continue
        assert inspect.getdoc(obj), name
        if not inspect.isclass(obj) or issubclass(obj, BaseException):
            continue
        members = [a for a in vars(obj) if not a.startswith("_")]
        assert members, name
        for attr in members:
            assert inspect.getdoc(vars(obj)[attr]), f"{name}.{attr} has no docstring"


def test_version_and_tables():
    assert na.__version__ == "0.1.0"
    assert na.TABLES[0] == "netskope_audit_events" and len(na.TABLES) == 9


def test_example_script_runs():
    p = subprocess.run(
        [sys.executable, str(ROOT / "examples/python_quickstart.py")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert p.returncode == 0, p.stderr
    out = p.stdout.splitlines()
    assert out[0] == (
        "rows: {'netskope_audit_events': 5, 'netskope_application_events': 12, 'netskope_alerts': 22, "
        "'netskope_page_events': 4, 'netskope_network_events': 2, 'netskope_incident_events': 2, "
        "'netskope_infrastructure_events': 1, 'netskope_endpoint_events': 1, 'netskope_unknown': 1}"
    )
    assert out[1].startswith("rejects: [(8, 'truncated JSON: unterminated string (at '), (11, ")
    assert out[-1].startswith("streamed 50 rows; wrote ['netskope_audit_events.parquet', ")
    assert "rejects.ndjson']" in out[-1]

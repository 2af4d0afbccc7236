"""Fixtures shared by the Python tests: the bundled samples (samples/, see samples/MANIFEST.md)
and the expected results that the Rust and JS tests assert too."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SAMPLE_FILES = [
    "tenant-export-v2.ndjson",
    "tenant-export-v1.ndjson",
    "api-response-v2.json",
    "api-response-v1.json",
    "api-response-v2-pretty.json",
]
# Rows per table over all SAMPLE_FILES (samples/MANIFEST.md).
EXPECTED_ROWS = {
    "netskope_audit_events": 5,
    "netskope_application_events": 12,
    "netskope_alerts": 22,
    "netskope_page_events": 4,
    "netskope_network_events": 2,
    "netskope_incident_events": 2,
    "netskope_infrastructure_events": 1,
    "netskope_endpoint_events": 1,
    "netskope_unknown": 1,
}
V1_REJECT_LINES = [8, 11, 14]
# One V2 policy alert of our own with the seed's 63-bit transaction_id.
BIG_ID = 8847222077216958610
BIG_ID_LINE = (
    b'{"_id":"a1","type":"nspolicy","alert":"yes","alert_type":"policy","app":"Box",'
    b'"transaction_id":8847222077216958610,"timestamp":1741167062,"count":"3"}\n'
)


def shared_dir() -> Path:
    return Path(os.environ.get("NETSKOPE_SHARED", ROOT.parent / "shared"))


@pytest.fixture
def shared() -> Path:
    d = shared_dir()
    if not d.is_dir():
        pytest.skip(f"SKIPPED: shared data not found at {d} (set NETSKOPE_SHARED)")
    return d


@pytest.fixture(scope="session")
def sample_paths() -> list[Path]:
    return [SAMPLES / f for f in SAMPLE_FILES]


@pytest.fixture(scope="session")
def v1_bytes() -> bytes:
    return (SAMPLES / "tenant-export-v1.ndjson").read_bytes()

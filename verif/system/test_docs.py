"""docs/verification.md's table of the coverage model is generated from
verif/common/coverage.py; it must match the model the regression gates on."""
from pathlib import Path

from verif.common import coverage as cov

DOC = Path(__file__).resolve().parents[2] / "docs" / "verification.md"


def test_coverage_table_is_current():
    text = DOC.read_text()
    assert cov.doc_updated(text) == text, \
        "docs/verification.md coverage table is stale: run .venv/bin/python scripts/coverage_check.py --doc"

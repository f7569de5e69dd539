"""docs/verification.md's generated blocks (the coverage model, the effort
table, the "Adding a test" example) must match the code they describe."""
from verif import docs


def test_verification_doc_is_current():
    text = docs.DOC.read_text()
    assert docs.updated(text) == text, \
        "docs/verification.md is stale: run .venv/bin/python -m verif.docs"


def test_stale_blocks_are_detected():
    # the check must be able to fail: corrupt each generated block in turn
    text = docs.DOC.read_text()
    for needle in ("| `spw.isa.opcode` |", "| top | ncases |", "BENCH = Bench(\"pruned_dw\""):
        assert needle in text, needle
        assert docs.updated(text.replace(needle, needle + " stale", 1)) != text.replace(needle, needle + " stale", 1)

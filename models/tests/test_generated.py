"""Generated artefacts stay in sync with models/spec.py: the RTL header and
the ISA tables of docs/isa.md."""
from models import gen_docs, gen_rtl_defs


def test_rtl_header_is_current():
    assert gen_rtl_defs.HEADER.read_text() == gen_rtl_defs.render(), \
        "hdl/spw_defs.vh is stale: run python -m models.gen_rtl_defs"


def test_isa_doc_tables_are_current():
    text = gen_docs.DOC.read_text()
    assert gen_docs.updated(text) == text, "docs/isa.md is stale: run python -m models.gen_docs"


def test_isa_doc_lists_every_opcode_and_error():
    from models.spec import Err, Op
    text = gen_docs.DOC.read_text()
    for op in Op:
        assert f"| {op.name} |" in text
    for e in Err:
        assert f"| {e.name} |" in text

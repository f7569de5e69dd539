"""The functional-coverage files are shared between pytest sessions running
side by side in one checkout (mutate's sanity runs, shards beside a block
bench): a reader must see either the previous whole file or the new whole
file, never a partial one."""
import pytest
import yaml

from verif.common import coverage as cov

OLD = {"spw.old": {"bins:_hits": {"a": 1}, "at_least": 1}}


def _half_writer(path_seen: list, target):
    """A writer that checks the target while it writes, writes half a YAML
    document and dies."""
    def write(filename, *_args):
        path_seen.append(filename)
        assert yaml.safe_load(target.read_text()) == OLD, "the target changed before the write completed"
        with open(filename, "w") as fh:
            fh.write("spw.new:\n  bins:_hits:\n    {a: ")
        raise OSError("writer died")
    return write


def test_export_never_exposes_a_partial_file(tmp_path, monkeypatch):
    from cocotb_coverage.coverage import coverage_db

    target = tmp_path / "coverage.yml"
    target.write_text(yaml.safe_dump(OLD))
    seen: list = []
    monkeypatch.setattr(coverage_db, "export_to_yaml", _half_writer(seen, target))
    with pytest.raises(OSError, match="writer died"):
        cov.export(target)
    assert seen and seen[0] != str(target)
    assert yaml.safe_load(target.read_text()) == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coverage.yml"], "a temporary file was left behind"


def test_merge_never_exposes_a_partial_file(tmp_path, monkeypatch):
    import cocotb_coverage.coverage as cc

    target = tmp_path / "merged.yml"
    target.write_text(yaml.safe_dump(OLD))
    seen: list = []
    half = _half_writer(seen, target)
    monkeypatch.setattr(cc, "merge_coverage", lambda _log, out, *_files: half(out))
    with pytest.raises(OSError, match="writer died"):
        cov.merge_files([target], target)
    assert yaml.safe_load(target.read_text()) == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["merged.yml"]


def _db(p_hits, q_hits):
    point = "<class 'cocotb_coverage.coverage.CoverPoint'>"
    item = "<class 'cocotb_coverage.coverage.CoverItem'>"
    hit = (p_hits > 0) + (q_hits > 0)
    return {"spw": {"cover_percentage": 50.0 * hit, "coverage": hit, "size": 2, "type": item},
            "spw.x": {"at_least": 1, "bins:_hits": {"p": p_hits, "q": q_hits}, "cover_percentage": 50.0 * hit,
                      "coverage": hit, "size": 2, "type": point, "weight": 1}}


def test_merge_and_export_write_whole_files(tmp_path):
    a, b = tmp_path / "a.yml", tmp_path / "b.yml"
    a.write_text(yaml.safe_dump(_db(1, 0)))
    b.write_text(yaml.safe_dump(_db(2, 3)))
    out = cov.merge_files([a, b], tmp_path / "m.yml")
    assert cov.load(out)["spw.x"]["bins:_hits"] == {"p": 3, "q": 3}
    assert cov.write_text_atomic(tmp_path / "r.txt", "whole\n").read_text() == "whole\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yml", "b.yml", "m.yml", "r.txt"]

"""Block-level cocotb benches, one file per RTL module (test_<module>.py)."""

"""RTL verification: cocotb benches and their shared helpers."""

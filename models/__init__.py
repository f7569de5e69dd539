"""Golden model, compiler and tools for the Shift-PW sparse CNN engine.

Pure numpy; nothing here imports cocotb.  spec.py is the single definition of
the configurations, the ISA, the register map and the timing constants.
"""

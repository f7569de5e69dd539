"""Mutation testing of hdl/*.v: the package behind scripts/mutate.py.

verilog.py finds mutation sites in a Verilog source; campaign.py samples
mutants, runs the regression subset on each and writes the reports.
"""

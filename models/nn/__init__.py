"""Digits CNN for the Shift-PW engine, in numpy: float training, gradual
depth-wise pruning, INT4 dynamic quantization, export to compiler LayerDefs.

Entry points: `python -m models.nn train | report` (see __main__.py), and
models.nn.export.load_network / predict_golden / predict_reference.
See docs/model.md.
"""

"""``python -m bench``: convlayers against hand-written PyTorch, TensorFlow and JAX on CPU.

Run ``python -m bench --help`` for the options. The package imports no torch at
the top level: :mod:`bench.peer` runs inside the peers' own virtual
environment (``make bench-peers`` creates ``.venv-peers``), which has
TensorFlow and JAX and no torch.
"""

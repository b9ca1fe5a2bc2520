"""``python -m convlayers``: the same as the ``convlayers`` command."""

from .cli import main

if __name__ == "__main__":  # guarded: pytest --doctest-modules imports this module
    raise SystemExit(main())

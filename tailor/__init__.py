"""tailor: declarative, verified, tax-managed portfolio rebalancing.

The Python API lives here; the CLI (`tailor ...`) is a thin layer over it.
"""

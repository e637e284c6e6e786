"""CLI sub-commands. Each module defines `register(subparsers)`; `tailor.cli` discovers them.

A command module keeps heavy imports (pandas, pyomo) inside its run function so that
`tailor --help` and `tailor check` start quickly.
"""

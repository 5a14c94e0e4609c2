"""CLI commands, one module per area; :mod:`mentorgraph.cli` registers them."""

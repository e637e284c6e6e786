"""The engine layer: orchestration over time above `solver/` (which never imports it)."""

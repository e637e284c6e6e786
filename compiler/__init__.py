"""Policy compiler: checking against the schema and security master, IR, lowering to Pyomo."""

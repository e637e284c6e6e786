"""Market and reference data: security master, prices, index targets, risk model."""

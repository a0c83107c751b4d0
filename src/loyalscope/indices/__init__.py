"""Weights and composite indices: AHP, entropy weights, loyalty index, excellent customers."""

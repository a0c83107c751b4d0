"""Data layer: canonical schema, sources, header mapping, validation, Dataset, simulator."""

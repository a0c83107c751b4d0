"""Survey models: PLS path models (ACSI / ECSI), reliability, driver importance, factor
analysis, NPS intervals, satisfaction indices and the satisfaction x loyalty model."""

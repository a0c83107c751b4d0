"""Customer classifications: RFM segments, quadrants, loyalty types, relationship levels."""

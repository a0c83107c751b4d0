"""Purchase and spend models with customer lifetime value: the BTYD family (BG/NBD, MBG/NBD,
Pareto/NBD, BG/BB), Gamma-Gamma spend, shifted-beta-geometric contracts (sBG), CLV and model
selection."""

"""Numerical helpers shared by the models: log-space special functions (``special``), the
warm-start + quasi-Newton optimiser (``optimize``) and hash grouping of sufficient statistics
(``grouping``)."""

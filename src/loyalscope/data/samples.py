"""Bundled sample data: the simulated company used by the demo and the docs."""

from __future__ import annotations

from loyalscope.data.simulate import SimulatedCompany, simulate

SAMPLE_CUSTOMERS = 3000
SAMPLE_DAYS = 730


def sample_company(seed: int = 0) -> SimulatedCompany:
    """The demo company: 3,000 customers over two years from 2024-01-01 (``simulate`` defaults).

    Examples
    --------
    >>> company = sample_company()
    >>> len(company.tables["customers"])
    3000
    """
    return simulate(customers=SAMPLE_CUSTOMERS, days=SAMPLE_DAYS, seed=seed)

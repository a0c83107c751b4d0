"""Periodic monitoring (定期监测): every headline metric as a time series, its expected range
from its own history, the periods that left it, alerts with the segments that drove them,
and their delivery to chat robots and e-mail.

>>> import loyalscope as ls
>>> from loyalscope.monitoring import monitor
>>> result = monitor(ls.load("exports/"))            # doctest: +SKIP
>>> [a.metric for a in result.alerts if a.severity == "high"]   # doctest: +SKIP

Modules: ``baseline`` (forecasts, ranges, tests), ``catalogue`` (what each metric's bad
direction, lag and sample size are), ``series`` (the series from the engine), ``drivers``
(contributions of segments), ``alerts`` (severity), ``monitor`` (one run), ``message``,
``channels`` and ``deliver`` (the message and its delivery).
"""

from __future__ import annotations

from loyalscope.monitoring.alerts import Alert, Driver
from loyalscope.monitoring.monitor import Check, MonitorResult, monitor

__all__ = ["Alert", "Check", "Driver", "MonitorResult", "monitor"]

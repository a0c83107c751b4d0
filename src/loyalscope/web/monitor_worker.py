"""One monitor run as its own process (``python -m loyalscope.web.monitor_worker``), held to the
server's memory and time limits like an analysis job.

It reads its orders as JSON on standard input, reads the dataset inside its confinement
(:func:`loyalscope.web.worker.open_dataset`), runs :func:`loyalscope.monitoring.monitor` and
writes the run's status and alerts into the app database. It never sends the alerts anywhere:
the delivery settings of a dataset's own ``loyalscope.toml`` are data, not server
configuration, and webhook addresses are never taken from data.
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any

from loyalscope.errors import LoyalscopeError
from loyalscope.i18n import t, use_lang


def run(job: dict[str, Any]) -> None:
    """Run the monitor run described by ``job`` (see ``MonitorScheduler.spec``)."""
    from loyalscope.monitoring import monitor
    from loyalscope.web.monitor_store import MonitorStore
    from loyalscope.web.store import Store
    from loyalscope.web.worker import mask, open_dataset

    runs = MonitorStore(Store(job["state_dir"], job.get("db_url")).engine)
    run_id, lang, hide = job["run_id"], job["lang"], job.get("hide", [])
    with use_lang(lang):
        try:
            dataset, config = open_dataset(job)
            result = monitor(dataset, config, period=job.get("period"))
            found = result.to_dict()["alerts"]
            runs.add_alerts(run_id, job["monitor_id"], found)
            runs.finish(run_id, status="done", period=result.label, checked=result.checked,
                        alerts=len(found), high=sum(a["severity"] == "high" for a in found))
        except LoyalscopeError as exc:
            runs.finish(run_id, status="failed", error=mask(exc.message, hide),
                        error_fix=mask(exc.fix, hide))
        except MemoryError:
            runs.finish(run_id, status="failed", error=t("web.monitors.memory", mb=job["memory_mb"]),
                        error_fix=t("web.monitors.memory_fix"))
        except Exception:
            sys.stderr.write(mask(traceback.format_exc(), hide) or "")
            runs.finish(run_id, status="failed", error=t("web.monitors.unexpected", ref=run_id),
                        error_fix=t("web.monitors.unexpected_fix"))


def main() -> None:
    from loyalscope.web.worker import _limit_memory

    job = json.loads(sys.stdin.read())
    _limit_memory(int(job["memory_mb"]))
    run(job)


if __name__ == "__main__":
    main()

"""An APScheduler executor that tells each job which fire time it runs for.

APScheduler 3 calls a job with the arguments it was added with, and nothing else. A
firing is identified by its scheduled time (that is what schedulers claim), so a job
added with :data:`FIRE_TIME` among its arguments is called with the fire time in its
place. Jobs are coalesced: when several fire times were missed, only the latest runs.
"""

from __future__ import annotations

from concurrent.futures import Future
from functools import partial
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor

FIRE_TIME: Any = object()
"""In a job's arguments: replaced by the time the job was scheduled for."""


class FiringExecutor(ThreadPoolExecutor):  # type: ignore[misc]  # APScheduler is untyped
    """A pool of ``workers`` threads that fills in :data:`FIRE_TIME` arguments."""

    def __init__(self, workers: int) -> None:
        super().__init__(workers, pool_kwargs={"thread_name_prefix": "crmsync-firing"})

    def _do_submit_job(self, job: Any, run_times: list[Any]) -> None:
        args = [run_times[-1] if arg is FIRE_TIME else arg for arg in job.args]
        future = self._pool.submit(job.func, *args, **job.kwargs)
        future.add_done_callback(partial(self._done, job.id))

    def _done(self, job_id: str, future: Future[Any]) -> None:
        error = future.exception()
        if error is None:
            self._run_job_success(job_id, [])
        else:
            self._run_job_error(job_id, error, error.__traceback__)

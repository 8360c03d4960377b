"""Jobs: a durable queue, workers and a scheduler in the application's own database.

What other packages may use (everything else is internal):

- declaring work: ``handler`` (tag a function in your ``tasks.py``), ``HandlerRegistry``,
  ``PermanentFailure`` (raise to dead-letter at once), ``Backoff``;
- services (take ``ctx``): ``enqueue``, ``enqueue_many``, ``get_job``, ``retry_dead``,
  ``job_stats``, ``schedule``, ``unschedule``, ``list_schedules``;
- schedules in code: ``Schedule``, ``Every``;
- running (take a ``Runtime``): ``run_worker``, ``run_embedded``, ``builtin_registry``,
  ``Worker``, ``Scheduler``;
- data: ``Job``, ``QueueStats``, the status constants.

Start with ``README.md`` in this folder.
"""

from accord.jobs.every import Every
from accord.jobs.model import (
    DEAD,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    Backoff,
    Job,
    PermanentFailure,
    QueueStats,
)
from accord.jobs.registry import Handler, HandlerRegistry, handler
from accord.jobs.scheduler import Schedule, Scheduler
from accord.jobs.service import (
    EmbeddedJobs,
    builtin_registry,
    enqueue,
    enqueue_many,
    get_job,
    job_stats,
    list_schedules,
    retry_dead,
    run_embedded,
    run_worker,
    schedule,
    unschedule,
)
from accord.jobs.worker import Worker

__all__ = [
    "DEAD",
    "DONE",
    "FAILED",
    "QUEUED",
    "RUNNING",
    "Backoff",
    "EmbeddedJobs",
    "Every",
    "Handler",
    "HandlerRegistry",
    "Job",
    "PermanentFailure",
    "QueueStats",
    "Schedule",
    "Scheduler",
    "Worker",
    "builtin_registry",
    "enqueue",
    "enqueue_many",
    "get_job",
    "handler",
    "job_stats",
    "list_schedules",
    "retry_dead",
    "run_embedded",
    "run_worker",
    "schedule",
    "unschedule",
]

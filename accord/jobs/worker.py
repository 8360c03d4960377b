"""The worker: claim a batch, run each job in its own unit of work, record the outcome.

One job = one transaction::

    BEGIN
      UPDATE jobs SET locked_until = … WHERE id = ? AND locked_by = me AND attempts = n  -- start
      … the handler's writes (ctx.conn) …
      UPDATE jobs SET status = 'done' WHERE id = ? AND locked_by = me AND attempts = n  -- complete
    COMMIT

so a job's database effects and its completion commit together or not at all. A worker killed
mid-job leaves nothing behind but a ``running`` row whose lease expires; the next claim gives it
back (``failed``, then claimed again). That is at-least-once execution with exactly-once database
effects. On PostgreSQL the ``start`` UPDATE also holds the row lock until commit, and recovery
skips locked rows, so a slow but live job is never run twice; long jobs need no lease renewal.

On an exception the transaction rolls back (effects gone) and a second transaction records the
failure: ``failed`` with a backoff, or ``dead`` when out of attempts.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import Any

from accord.core.context import Context, Runtime
from accord.db.engine import unit_of_work
from accord.jobs import queue
from accord.jobs.model import DEAD, DEFAULT_BACKOFF, Backoff, Job, PermanentFailure
from accord.jobs.registry import HandlerRegistry

log = logging.getLogger("accord.jobs.worker")

MAX_TRACEBACK_FRAMES = 8


class _LeaseLost(Exception):
    """The claim no longer holds: someone else took the job over. Roll back, do nothing."""


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def error_summary(exc: BaseException) -> str:
    """``Type: message`` first, then the innermost frames of the traceback."""
    head = f"{type(exc).__name__}: {exc}"
    tb = "".join(traceback.format_exception(exc, limit=-MAX_TRACEBACK_FRAMES))
    text = f"{head}\n\n{tb}"
    if len(text) > queue.MAX_ERROR_CHARS:
        keep = queue.MAX_ERROR_CHARS - len(head) - 10
        text = f"{head}\n\n…{tb[-keep:]}"
    return text


class Worker:
    """Runs jobs of the kinds in ``registry``.

    - ``run()`` blocks until ``stop()`` (or the ``stop_event``, or SIGTERM/SIGINT after
      ``install_signal_handlers()``); each of ``concurrency`` threads claims ``batch`` jobs at a
      time and sleeps ``poll_interval`` seconds when there is nothing to do.
    - ``run_until_idle()`` runs in the caller's thread until no job is ready *now* (tests).
    - Stopping is graceful: the job in hand finishes; claimed but unstarted ones are released.
    """

    def __init__(
        self,
        runtime: Runtime,
        registry: HandlerRegistry,
        *,
        concurrency: int = 1,
        poll_interval: float = 1.0,
        lease_seconds: float = 300.0,
        batch: int | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        worker_id: str | None = None,
        heartbeat_seconds: float = 15.0,
        stop_event: threading.Event | None = None,
        rng: random.Random | None = None,
        pollers: Sequence[Callable[[], int]] = (),
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if lease_seconds <= 0 or poll_interval < 0:
            raise ValueError("lease_seconds must be > 0 and poll_interval >= 0")
        self.runtime = runtime
        self.registry = registry
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.lease_seconds = lease_seconds
        self.batch = batch or 1
        self.backoff = backoff
        self.id = worker_id or default_worker_id()
        self.heartbeat_seconds = heartbeat_seconds
        self._stop = stop_event or threading.Event()
        self._rng = rng or random.Random()
        self._kinds: Sequence[str] = registry.kinds()
        # Other queues this worker drains between job batches (the outbox dispatcher); each
        # call does one batch of work in its own transaction and returns how much it did.
        self.pollers = tuple(pollers)

    # --- control -------------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask every thread to stop after the job in hand."""
        self._stop.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT: finish the job in hand, then exit. A second signal kills at once."""

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("worker stopping after current job", extra={"signal": signum})
            self.stop()
            signal.signal(signum, signal.SIG_DFL)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    # --- one batch -----------------------------------------------------------------------

    def claim(self) -> list[Job]:
        """Recover expired leases, then lease up to ``batch`` ready jobs (one transaction)."""
        if not self._kinds:
            return []
        now = self.runtime.clock.now()
        with unit_of_work(self.runtime.engine) as conn:
            recovered = queue.recover_expired(conn, now)
            jobs = queue.claim(conn, self.id, self.batch, self.lease_seconds, now, self._kinds)
        if recovered:
            log.warning("recovered %d job(s) with expired leases", recovered)
        return jobs

    def run_once(self) -> int:
        """Claim one batch and run it, then one round of the pollers; returns the work done
        (jobs run plus what the pollers report)."""
        jobs = self.claim()
        for i, job in enumerate(jobs):
            if self.stopping:
                self._release(jobs[i:])
                return i
            self.execute(job)
        done = len(jobs)
        for poll in self.pollers:
            if self.stopping:
                break
            done += poll()
        return done

    def run_until_idle(self, max_jobs: int | None = None) -> int:
        """Run jobs (and pollers) until nothing is ready at the clock's current time; returns
        the work done."""
        total = 0
        while not self.stopping and (max_jobs is None or total < max_jobs):
            n = self.run_once()
            if n == 0:
                break
            total += n
        return total

    def execute(self, job: Job) -> str:
        """Run one claimed job; returns its new status (``"lost"`` when the lease was lost)."""
        handler = self.registry.get(job.kind)
        started = time.monotonic()
        fields: dict[str, Any] = {"job_id": job.id, "kind": job.kind, "attempt": job.attempts}
        try:
            if handler is None:
                raise PermanentFailure(f"no handler for job kind {job.kind!r} in this worker")
            with unit_of_work(self.runtime.engine) as conn:
                now = self.runtime.clock.now()
                if not queue.start(conn, job, self.id, now, self.lease_seconds):
                    raise _LeaseLost
                result = handler.fn(Context(runtime=self.runtime, conn=conn), dict(job.payload))
                if result is not None and not isinstance(result, Mapping):
                    raise TypeError(f"handler returned {type(result).__name__}, not dict or None")
                if not queue.complete(conn, job, self.id, result, self.runtime.clock.now()):
                    raise _LeaseLost
        except _LeaseLost:
            fields["duration_ms"] = _ms(started)
            log.warning(
                "job %s lease lost; another worker owns it now, effects rolled back",
                job.id,
                extra=fields,
            )
            return "lost"
        except Exception as exc:
            fields["duration_ms"] = _ms(started)
            backoff = (handler.backoff if handler else None) or self.backoff
            return self._record_failure(job, exc, backoff, fields)
        fields["duration_ms"] = _ms(started)
        log.info(
            "job %s done kind=%s attempt=%s duration_ms=%s",
            job.id,
            job.kind,
            job.attempts,
            fields["duration_ms"],
            extra=fields,
        )
        return "done"

    def _record_failure(
        self, job: Job, exc: Exception, backoff: Backoff, fields: dict[str, Any]
    ) -> str:
        permanent = isinstance(exc, PermanentFailure)
        try:
            with unit_of_work(self.runtime.engine) as conn:
                status = queue.fail(
                    conn,
                    job,
                    self.id,
                    error_summary(exc),
                    self.runtime.clock.now(),
                    backoff,
                    permanent=permanent,
                    rng=self._rng,
                )
        except Exception:
            # The job stays running; its lease expires and recovery gives it back.
            log.exception("could not record failure of job %s", job.id, extra=fields)
            return "running"
        if status is None:
            log.warning("job %s failed after its lease was lost", job.id, extra=fields)
            return "lost"
        fields["status"] = status
        level = logging.ERROR if status == DEAD else logging.WARNING
        log.log(
            level,
            "job %s %s kind=%s attempt=%s/%s duration_ms=%s: %s: %s",
            job.id,
            "dead" if status == DEAD else "failed, will retry",
            job.kind,
            job.attempts,
            job.max_attempts,
            fields["duration_ms"],
            type(exc).__name__,
            exc,
            exc_info=exc,
            extra=fields,
        )
        return status

    def _release(self, jobs: Sequence[Job]) -> None:
        try:
            with unit_of_work(self.runtime.engine) as conn:
                for job in jobs:
                    queue.release(conn, job, self.id)
        except Exception:
            log.exception(
                "could not release %d claimed job(s); their leases will expire", len(jobs)
            )

    # --- long-running --------------------------------------------------------------------

    def _loop(self) -> None:
        while not self.stopping:
            try:
                n = self.run_once()
            except Exception:
                log.exception("worker loop error; retrying in %ss", self.poll_interval)
                n = 0
            if n == 0:
                self._stop.wait(self.poll_interval)

    def _heartbeat(self, action: str) -> None:
        try:
            with unit_of_work(self.runtime.engine) as conn:
                now = self.runtime.clock.now()
                if action == "register":
                    queue.register_worker(
                        conn,
                        self.id,
                        hostname=socket.gethostname(),
                        pid=os.getpid(),
                        kinds=self._kinds,
                        concurrency=self.concurrency,
                        now=now,
                    )
                elif action == "beat":
                    queue.heartbeat(conn, self.id, now)
                else:
                    queue.unregister_worker(conn, self.id)
        except Exception:
            log.warning("worker heartbeat (%s) failed", action, exc_info=True)

    def run(self) -> None:
        """Block until stopped; jobs run on ``concurrency`` threads."""
        log.info(
            "worker %s started kinds=%s concurrency=%s",
            self.id,
            ",".join(self._kinds),
            self.concurrency,
        )
        self._heartbeat("register")
        threads = [
            threading.Thread(target=self._loop, name=f"accord-job-{i}", daemon=True)
            for i in range(self.concurrency)
        ]
        for t in threads:
            t.start()
        try:
            while not self._stop.wait(self.heartbeat_seconds):
                self._heartbeat("beat")
        finally:
            self.stop()
            for t in threads:
                t.join()
            self._heartbeat("unregister")
            log.info("worker %s stopped", self.id)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)

"""Batch back-ends: a local process pool and Ray, both registered as ``livelab_executors``.

An executor runs ``fn(item, report)`` for every item and yields ``(item, result)`` as
items finish; ``result`` is whatever ``fn`` returned, or the exception that stopped it
(a worker process that died becomes a :class:`WorkerDied`). ``report(stage, fraction,
message)`` sends a progress message back to the caller's ``on_stage(item, stage,
fraction, message)`` when the back-end can (the local pool can; Ray drops them).
``time_limit(item)``: seconds after which an item still running is stopped (its worker
killed) and comes back as :class:`TimedOut`; None for no limit.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from livelab.api.hooks import hookimpl

#: ``on_stage(item, stage, fraction_or_None, message)``, called in the caller's process.
OnStage = Callable[[Any, str, "float | None", str], None]
RAY_HINT = 'the ray executor needs Ray: pip install "livelab[ray]"'


class WorkerDied(RuntimeError):
    """The process running an item exited (crashed, killed, out of memory)."""


class TimedOut(RuntimeError):
    """The item was still running after its ``time_limit``, so its worker was stopped.
    ``stage``: the last progress message it sent."""

    def __init__(self, seconds: float, stage: str = ""):
        super().__init__(f"still running after {seconds:g} s")
        self.seconds = seconds
        self.stage = stage


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# --- the local process pool ---------------------------------------------------------

_worker_stages: Any = None  # the stage queue, set in each worker by _init_worker


def _init_worker(stages: Any) -> None:
    global _worker_stages
    _worker_stages = stages
    # Ctrl-C in a terminal reaches the whole process group; only the parent decides what
    # to keep and then stops the workers, so they must not die half-way through a write.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from livelab.engine.plugins import interrupts_are_plugin_failures

    interrupts_are_plugin_failures()  # so a plugin's KeyboardInterrupt costs its session only
    _exit_with_parent()


def _exit_with_parent() -> None:
    """Stop this worker when the grading process dies (kill -9, a crash): the pool's queues
    keep their pipes open in every worker, so an orphan would otherwise wait forever."""
    import multiprocessing
    import os
    import threading
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="livelab-parent-watch", daemon=True).start()


def _call(fn: Callable[[Any, Any], Any], index: int, item: Any) -> Any:
    import time

    stages = _worker_stages
    last: dict[str, Any] = {"stage": "", "at": 0.0}

    def report(stage: str, fraction: float | None, message: str) -> None:
        if stages is None:
            return
        now = time.monotonic()
        # A display needs a few updates a second, not one per decoded frame batch.
        if stage == last["stage"] and now - last["at"] < 0.2 and fraction != 1.0:
            return
        last["stage"], last["at"] = stage, now
        try:
            stages.put((index, stage, fraction, message))
        except Exception:  # progress is best effort; never fail the work for it
            pass

    return fn(item, report)


@dataclass(frozen=True, slots=True)
class LocalExecutor:
    """A pool of worker processes on this machine (default: one per core).

    A worker that dies takes only its own item down: items that were running when the pool
    broke are retried one at a time in a fresh pool, and the one that kills it again is
    reported as :class:`WorkerDied`. An item past its ``time_limit`` is :class:`TimedOut`:
    the pool is stopped and the items running beside it start again in a fresh one.
    """

    name: str = "local"
    description: str = "worker processes on this machine (default: one per core)"

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        items: list[Any],
        workers: int = 0,
        on_stage: OnStage | None = None,
        time_limit: Callable[[Any], float | None] | None = None,
        **options: Any,
    ) -> Iterator[tuple[Any, Any]]:
        import multiprocessing
        import time
        from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        workers = workers or default_workers()
        # spawn: workers never inherit the parent's threads (progress display, queue feeder)
        # and behave the same on Linux, macOS and Windows. Plugins load once per worker.
        context = multiprocessing.get_context("spawn")
        # A SimpleQueue writes synchronously: a message sent before a result is never lost,
        # even if that worker dies right after.
        # Progress also tells a late item's stage, so it is collected with a time limit too.
        wanted = on_stage is not None or time_limit is not None
        stages = context.SimpleQueue() if wanted else None
        todo: deque[int] = deque(range(len(items)))
        suspects: deque[int] = deque()  # were running when a worker died
        running: dict[Future[Any], tuple[int, bool]] = {}  # → (item index, running alone)
        started: dict[Future[Any], float] = {}
        last_stage: dict[int, str] = {}  # item index → its last progress message
        limits = [time_limit(item) if time_limit else None for item in items]
        pool: ProcessPoolExecutor | None = None

        def new_pool() -> ProcessPoolExecutor:
            return ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=_init_worker,
                initargs=(stages,),
            )

        def drain() -> None:
            while stages is not None:
                try:
                    if stages.empty():
                        return
                    index, stage, fraction, message = stages.get()
                except (OSError, EOFError, ValueError):
                    return
                last_stage[index] = message or stage
                if on_stage is not None:
                    on_stage(items[index], stage, fraction, message)

        finished = False
        try:
            pool = new_pool()
            while todo or suspects or running:
                # Never queue more than there are workers, so that when the pool breaks
                # exactly the items that were running are suspects. A suspect runs alone.
                if suspects or any(alone for _index, alone in running.values()):
                    if suspects and not running:
                        index = suspects.popleft()
                        future = pool.submit(_call, fn, index, items[index])
                        running[future], started[future] = (index, True), time.monotonic()
                else:
                    while todo and len(running) < workers:
                        index = todo.popleft()
                        future = pool.submit(_call, fn, index, items[index])
                        running[future], started[future] = (index, False), time.monotonic()
                done, _ = wait(list(running), timeout=0.2, return_when=FIRST_COMPLETED)
                drain()
                now = time.monotonic()
                late = [
                    f for f, (index, _alone) in running.items()
                    if f not in done and limits[index] is not None
                    and now - started[f] > limits[index]  # type: ignore[operator]
                ]  # fmt: skip
                if late:
                    # Stop the pool (its workers cannot be stopped one by one): the late
                    # items are reported, the others start again from the beginning.
                    _stop(pool)
                    for future in late:
                        index, _alone = running.pop(future)
                        stage = last_stage.get(index, "")
                        yield items[index], TimedOut(limits[index] or 0.0, stage)
                    for index, alone in running.values():
                        (suspects if alone else todo).appendleft(index)
                    running.clear()
                    pool = new_pool()
                    continue
                broken = False
                for future in done:
                    index, alone = running.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        broken = True
                        if alone:  # it broke the pool again, running alone: it is the one
                            yield (
                                items[index],
                                WorkerDied(
                                    "the worker process died while grading this session "
                                    "(crashed, killed or out of memory)"
                                ),
                            )
                        else:
                            suspects.append(index)
                        continue
                    except Exception as exc:
                        result = exc
                    yield items[index], result
                if broken:
                    for future, (index, _alone) in running.items():
                        future.cancel()
                        suspects.append(index)
                    running.clear()
                    pool.shutdown(wait=True, cancel_futures=True)
                    pool = new_pool()
            finished = True
        finally:
            if pool is not None:
                if finished:
                    pool.shutdown(wait=True)
                else:  # interrupted (Ctrl-C) or abandoned by the caller
                    _stop(pool)
            if stages is not None:
                drain()
                stages.close()


def _stop(pool: Any) -> None:
    """Shut the pool down now: on Ctrl-C the workers are terminated, not waited for (their
    writes are atomic, so nothing is left half-written)."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


# --- Ray ----------------------------------------------------------------------------


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        from livelab.api.errors import LivelabError

        raise LivelabError(RAY_HINT) from exc
    return ray


def _ray_call(fn: Callable[[Any, Any], Any], item: Any) -> Any:
    return fn(item, lambda stage, fraction, message: None)


@dataclass(frozen=True, slots=True)
class RayExecutor:
    """Runs each item as a Ray task (one CPU each) on an existing cluster
    (``address`` option or ``RAY_ADDRESS``), or on a local Ray instance it starts.

    Sessions, rubrics and plugin folders must be at the same paths on every node
    (a shared filesystem), and livelab installed in every worker's environment.
    """

    name: str = "ray"
    description: str = "tasks on a Ray cluster (--ray-address or RAY_ADDRESS; livelab[ray])"

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        items: list[Any],
        workers: int = 0,
        on_stage: OnStage | None = None,
        address: str | None = None,
        time_limit: Callable[[Any], float | None] | None = None,
        **options: Any,
    ) -> Iterator[tuple[Any, Any]]:
        import time

        ray = _ray()
        started_here = False
        if not ray.is_initialized():
            address = address or os.environ.get("RAY_ADDRESS") or None
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                # A local instance for this batch only; keep its shared memory small.
                ray.init(
                    num_cpus=workers or None,
                    include_dashboard=False,
                    object_store_memory=100 * 1024 * 1024,
                    log_to_driver=False,
                )
            started_here = True
        task = ray.remote(num_cpus=1, max_retries=0)(_ray_call)
        fn_ref = ray.put(fn)
        # With ``workers`` set, at most that many tasks are in flight; otherwise Ray
        # schedules everything and runs as many as the cluster has CPUs.
        limit = workers or len(items) or 1
        todo = deque(range(len(items)))
        running: dict[Any, int] = {}
        started: dict[Any, float] = {}
        limits = [time_limit(item) if time_limit else None for item in items]
        try:
            while todo or running:
                while todo and len(running) < limit:
                    index = todo.popleft()
                    ref = task.remote(fn_ref, items[index])
                    running[ref], started[ref] = index, time.monotonic()
                done, _ = ray.wait(list(running), num_returns=1, timeout=0.5)
                now = time.monotonic()
                for ref in [r for r in running if r not in done]:
                    seconds = limits[running[ref]]
                    if seconds is not None and now - started[ref] > seconds:
                        ray.cancel(ref, force=True)
                        yield items[running.pop(ref)], TimedOut(seconds)
                for ref in done:
                    index = running.pop(ref)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.WorkerCrashedError as exc:
                        result = WorkerDied(f"the Ray worker died grading this session: {exc}")
                    except ray.exceptions.RayTaskError as exc:
                        cause = exc.as_instanceof_cause()
                        result = cause if isinstance(cause, Exception) else exc
                    except Exception as exc:
                        result = exc
                    yield items[index], result
        finally:
            for ref in running:
                ray.cancel(ref, force=True)
            if started_here:
                ray.shutdown()


@hookimpl
def livelab_executors() -> list[Any]:
    return [LocalExecutor(), RayExecutor()]

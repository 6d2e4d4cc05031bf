"""Hold off Python's cyclic garbage collector while a load makes or moves many objects, or forks."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[Callable[[], None]]:
    """Disable the cyclic collector for the block; yield a function that resumes it early.

    Each full pass of the collector walks every object still alive, and a load keeps its
    catalog's records alive throughout: reading the benchmark's 89,000 records took 1.2-1.4 s
    with the collector and 0.9 s without. Reference counting still frees every object that
    is not part of a cycle. Code that may leave cycles behind (a refused record's
    validation error holds its traceback: about a dozen objects each) calls the function
    yielded first, so that garbage cannot pile up. The collector ends as it was found.
    """
    enabled = gc.isenabled()
    gc.disable()

    def resume() -> None:
        if enabled:
            gc.enable()

    try:
        yield resume
    finally:
        resume()


@contextmanager
def frozen_for_fork() -> Iterator[None]:
    """Freeze every object alive out of the collector's reach while the block forks.

    A forked process's collector would otherwise walk, and so write to, every object it
    inherited, copying the pages that hold them (the catalog's, mostly) into its own memory.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()

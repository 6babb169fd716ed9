"""streams/worker/runner.py: `wirestream worker` at its default level builds no debug log records."""

import io
import logging

import faust

from streams.worker.runner import Worker


def root_level_after_setup(worker_class) -> int:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        worker = worker_class(faust.App("runner-test"), loglevel="warning", stdout=io.StringIO(),
                              stderr=io.StringIO())
        worker._setup_logging()  # what execute_from_commandline does first
        return root.level
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_the_root_logger_keeps_the_level_asked_for():
    assert root_level_after_setup(Worker) == logging.WARNING


def test_faust_s_own_worker_lowers_it_to_debug_for_its_spinner():
    # Why runner.py exists; if a Faust upgrade stops doing this, runner.py can go.
    assert root_level_after_setup(faust.Worker) == logging.DEBUG

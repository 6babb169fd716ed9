"""The load test's and the demo's errors; each message is one line (a worker's adds its last log lines)."""


class ReplayError(RuntimeError):
    """A replay or demo cannot go on: no inputs, workers not joining or not processing."""


class WorkerExited(ReplayError):
    """A worker process that a command started and waits on has exited."""

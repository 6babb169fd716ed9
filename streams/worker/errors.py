"""The worker's own errors (the client's and the local broker's are theirs)."""


class TopologyError(RuntimeError):
    """The broker's topics do not match the topology (e.g. another partition count)."""

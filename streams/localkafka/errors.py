"""The local broker's errors; each message is one line: what is wrong and what to do."""


class LocalKafkaError(RuntimeError):
    """Something about the local broker is wrong (Java, Maven, ports, its store, its process)."""

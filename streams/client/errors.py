"""The Kafka client layer's errors; each message is one line: what is wrong and what to do."""


class ClientError(RuntimeError):
    """Talking to Kafka failed for a reason the user can fix (base of this layer's errors)."""


class AddressError(ClientError):
    """A broker address that is not ``kafka://host:port[,host:port]``."""


class NoBrokerError(ClientError):
    """No broker given and no local broker running."""


class BrokerUnreachable(ClientError):
    """The broker did not answer, refused the connection, or refused our credentials."""


class SecurityConfigError(ClientError):
    """The security settings are incomplete or contradictory; one line naming the variable to fix."""


class PayloadTooLarge(ClientError):
    """A message over the size Kafka accepts."""


class TopicMissing(ClientError):
    """A topic the command reads does not exist."""

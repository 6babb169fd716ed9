"""Table recovery under exactly-once: ask the broker for the changelogs' end offsets.

Faust (faust-streaming 0.15.3) reads the changelog "highwater" before recovering a table. Under
exactly-once it takes the consumer's cached *last stable offset*, which stays unknown (-1) until that
partition has been fetched once. Right after a restart nothing has been fetched, so Faust often
concludes every changelog is empty and starts with empty tables (seen here: the duplicate index was
lost on restart in about half of the runs). A read_committed consumer's ``end_offsets`` asks the broker
(ListOffsets with isolation level read_committed), which answers with the last stable offset itself.
"""

from faust.transport.drivers import aiokafka as driver


async def _highwaters(self, partitions):
    consumer = self._ensure_consumer()
    return await consumer.end_offsets(list(partitions))


def install() -> None:
    driver.AIOKafkaConsumerThread._highwaters = _highwaters

"""The process that runs the app: Faust's worker without its terminal spinner.

To spin the spinner on every log record, Faust's Worker sets the root logger to DEBUG whenever the log
level is WARNING or above (`wirestream worker`'s default), so every debug call of aiokafka and Faust
built a log record that was then dropped: in a py-spy profile of a worker at full load (GIL samples)
logging took about 5 % of the event loop's time, most of it aiokafka's debug lines per request. Without
the spinner the root logger keeps the level asked for; "Ready" is logged at INFO instead of " OK ^".
"""

from faust import Worker as FaustWorker


class Worker(FaustWorker):
    def on_setup_root_logger(self, logger, level: int) -> None:
        self.spinner = None
        super().on_setup_root_logger(logger, level)

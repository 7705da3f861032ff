"""A service process whose container dies (a managed thread fails, as when an RPC reply
cannot be sent to a broker that is gone); with "dies-slowly", one whose container then
takes for ever to finish dying (an extension that does not stop, as a consumer retrying a
broker that is gone); with "healthy", one that keeps serving.
Run by test_runner.py as `python dying_service.py dies|dies-slowly|healthy`."""

import sys

from shared.process import prepare_service_process

prepare_service_process()

import eventlet  # noqa: E402
import eventlet.event  # noqa: E402
from nameko.extensions import DependencyProvider  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

from shared.process import stop_signal  # noqa: E402
from shared.runner import serve  # noqa: E402


class FailingThread(DependencyProvider):
    def start(self) -> None:
        if sys.argv[1].startswith("dies"):
            self.container.spawn_managed_thread(self._fail)

    def kill(self) -> None:
        if sys.argv[1] == "dies-slowly":
            eventlet.event.Event().wait()  # never sent: the kill never completes

    def _fail(self) -> None:
        eventlet.sleep(0)
        raise ConnectionRefusedError("[Errno 111] ECONNREFUSED")


class Probe:
    name = "probe"
    failing = FailingThread()


stopping = stop_signal()
runner = ServiceRunner({"AMQP_URI": "memory://"})
runner.add_service(Probe)
runner.start()
print("started", flush=True)
sys.exit(serve(runner, stopping))

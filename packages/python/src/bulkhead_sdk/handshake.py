"""The worker's side of the handshake (docs/protocol.md, ``initialize``): the host's protocol
version checked, the plugin's config validated, its ``initialize`` hook run, and what the worker
is answered. Imported at start-up with the worker: every worker shakes hands.
"""

from __future__ import annotations

import os
import sys

from .errors import BulkheadError, plugin_failure
from .process import major
from .wire import PROTOCOL_VERSION

# typing is not imported at run time (it costs a worker's cold start); annotations are postponed.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .worker import Worker


def initialize(worker: Worker, request_id: int, params: dict[str, Any]) -> None:
    if worker.initialized:
        worker.fail(request_id, BulkheadError("ERR_PROTOCOL", '"initialize" was already done'))
        return
    host = params.get("protocolVersion")
    if major(host) is None or major(host) != major(PROTOCOL_VERSION):
        worker.fail(
            request_id,
            BulkheadError(
                "ERR_PROTOCOL_VERSION",
                f"protocol version mismatch: host speaks {host}, worker speaks {PROTOCOL_VERSION}",
                {"host": host, "worker": PROTOCOL_VERSION},
            ),
        )
        return
    if worker.load_error is not None or worker.hooks is None:
        worker.fail(request_id, worker.load_error or BulkheadError("ERR_PLUGIN_LOAD", "no plugin"))
        return
    hooks = worker.hooks
    try:
        config, value = hooks.spec.validate(params.get("config"))
    except BulkheadError as e:
        worker.fail(request_id, e)
        return
    handoff = params.get("handoff")
    if type(handoff) is dict and type(handoff.get("dir")) is str and type(handoff.get("minBytes")) is int:
        worker.codec.set_handoff(handoff["dir"], handoff["minBytes"])  # both ways, section 3.1

    def run() -> None:
        try:
            if hooks.instance is not None and getattr(hooks.instance, "log", None) is None:
                try:
                    hooks.instance.log = worker.log
                except AttributeError:
                    pass
            worker._hook_logging()
            if hooks.initialize is not None:
                worker.call_hook(hooks.initialize, (value,))
            worker._hook_logging()  # initialize may have imported logging only now
            reported = config
            if hooks.current_config is not None:
                current = hooks.current_config()
                if isinstance(current, dict):
                    reported = current
        except BaseException as e:
            worker.fail(request_id, plugin_failure(e))
            return
        worker.config, worker.config_value = config, value
        worker.initialized = True
        worker.watch_parent()
        worker.answer(
            request_id,
            {
                "protocolVersion": os.environ.get("FAKE_PROTOCOL_VERSION") or PROTOCOL_VERSION,
                "name": hooks.name,
                "version": hooks.version,
                **({"description": hooks.description} if hooks.description else {}),
                "configSchema": hooks.spec.schema,
                **({"inputSchema": hooks.input_schema} if hooks.input_schema is not None else {}),
                "config": reported,
                "capabilities": {**hooks.capabilities, "handoff": True},
                "pid": os.getpid(),
                "runtime": f"python {sys.version.split()[0]}",
            },
        )

    if hooks.initialize is None and hooks.current_config is None:
        run()  # no plugin code to run: answered here, without a thread hop on the cold start
    else:
        worker.pool.submit(run)

"""The reference design's own worker and proxy (cjm-plugin-system) on a no-op plugin, measured the
way its users run it: RemotePluginProxy(manifest) starts the HTTP worker and waits until it is
ready (cold start), then proxy.execute() per call (round trip). Prints one JSON line.

Run with the interpreter of a venv that has cjm-plugin-system installed:
    python ref_bench.py ROUNDS CALLS
"""

import json
import os
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
rounds, calls = int(sys.argv[1]), int(sys.argv[2])
os.environ["HOME"] = tempfile.mkdtemp(prefix="ref-bench-home-")  # the proxy writes ~/.cjm/logs

from cjm_plugin_system.core.proxy import RemotePluginProxy  # noqa: E402

manifest = {
    "name": "ref-noop",
    "version": "1.0.0",
    "python_path": sys.executable,
    "module": "ref_noop",
    "class": "RefNoop",
    "env_vars": {"PYTHONPATH": here},
}
starts, rtts = [], []
for _ in range(rounds):
    t0 = time.perf_counter()
    proxy = RemotePluginProxy(manifest)
    proxy.initialize({})
    proxy.execute(x=1)
    starts.append((time.perf_counter() - t0) * 1000)
    try:
        for _ in range(calls):
            t = time.perf_counter()
            proxy.execute(x=1)
            rtts.append((time.perf_counter() - t) * 1e6)
    finally:
        proxy.cleanup()
starts.sort()
rtts.sort()
print(json.dumps({"ref_cold_start_ms": starts[len(starts) // 2], "ref_rtt_p50_us": rtts[len(rtts) // 2]}))

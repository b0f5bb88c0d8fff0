"""Drives a Jupyter kernel the way the original SpatialClaw does, for `spatialclaw bench kernel`.

Per sample: start a kernel (jupyter_client KernelManager + ipykernel), wait for it, run the
init cell (the same library imports our zygote does), then per step execute the agent's cell
and one introspection cell over the namespace, collecting iopub output until idle.
Prints one JSON object with the measured milliseconds.
"""

import json
import sys
import time

from jupyter_client import KernelManager

INIT = """
import numpy as np, math, collections, itertools, functools
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import scipy
from scipy import ndimage, spatial, signal, optimize
from PIL import Image
"""

INTROSPECT = """
import json as _json
print(_json.dumps({_k: type(_v).__name__ for _k, _v in list(globals().items()) if not _k.startswith("_")}))
"""


def run(kc, code):
    msg_id = kc.execute(code, store_history=True)
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "stream":
            out.append(msg["content"]["text"])
        elif kind == "error":
            raise RuntimeError("\n".join(msg["content"]["traceback"]))
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            return "".join(out)


def main():
    sessions, steps = int(sys.argv[1]), int(sys.argv[2])
    ready, step = [], []
    for _ in range(sessions):
        t0 = time.perf_counter()
        km = KernelManager(kernel_name="python3")
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        run(kc, INIT)
        ready.append((time.perf_counter() - t0) * 1000)
        for i in range(steps):
            t = time.perf_counter()
            run(kc, f"x = {i}")
            run(kc, INTROSPECT)
            step.append((time.perf_counter() - t) * 1000)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print(json.dumps({"ready_ms": ready, "step_ms": step}))


if __name__ == "__main__":
    main()

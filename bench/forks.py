"""
Fresh processes, cheaply: a server that imports what a DAG file or a worker has (``airflow.sdk``,
over a second here) once, then forks a child per measurement.

A forked child holds exactly the modules of a fresh process that imported the same things, but
shares its parent's memory copy-on-write, and every page it writes first costs a fault (an import
writes to a few hundred: 3 ms on top of 2 ms of work). So the child first has the kernel copy its
writable pages (``madvise(MADV_POPULATE_WRITE)``, Linux 5.14+), outside any clock, and then runs
from the state a fresh process is in; the parse section checks the forks against fresh interpreters.
"""

from __future__ import annotations

import json
import subprocess
import sys
from types import TracebackType
from typing import Any

SERVER = r"""
import ctypes, gc, json, os, sys, time
exec(sys.argv[1])
gc.collect()
gc.freeze()
libc = ctypes.CDLL(None, use_errno=True)
libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
MADV_POPULATE_WRITE = 23

def own_pages():
    # Copy every private writable page now, as a fresh process owns its pages, not on first write.
    for line in open("/proc/self/maps"):
        fields = line.split()
        if fields[1] != "rw-p" or (len(fields) > 5 and fields[5].startswith("[v")):
            continue
        start, end = (int(bound, 16) for bound in fields[0].split("-"))
        if libc.madvise(start, end - start, MADV_POPULATE_WRITE):
            raise OSError(ctypes.get_errno(), "madvise(MADV_POPULATE_WRITE) failed: " + line)

for line in sys.stdin:
    code = json.loads(line)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        own_pages()
        scope = {}
        exec(code, scope)
        os.write(write, json.dumps(scope["result"]).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 1 << 16):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    sys.stdout.write(b"".join(chunks).decode() + "\n")
    sys.stdout.flush()
"""

#: A child's code that imports the modules named in ``NAMES`` and times it.
IMPORT = """
import sys, time
before = set(sys.modules)
started = time.perf_counter()
for name in NAMES:
    __import__(name)
result = {"seconds": time.perf_counter() - started, "loaded": sorted(set(sys.modules) - before)}
"""


class ForkServer:
    """
    A process that ran ``preload`` once and runs each ``run(code)`` in a fresh fork of itself.

    :param preload: Python run once in the server, e.g. ``"import airflow.sdk"``.
    """

    def __init__(self, preload: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, code: str) -> Any:
        """Run ``code`` in a fork; it sets ``result``, which comes back through JSON."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(code) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"The fork server stopped; code: {code!r}")
        return json.loads(line)

    def imports(self, names: list[str]) -> dict[str, Any]:
        """Import ``names`` in a fork: ``{"seconds", "loaded"}``."""
        result: dict[str, Any] = self.run(f"NAMES = {names!r}\n{IMPORT}")
        return result

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)

"""A session: runs the agent's cells for the host, one reply per cell.

Sessions are forked from the zygote (zygote.py) and talk to the host over a Unix socket. After
every cell that finished, the session forks a snapshot of itself that sleeps until the host
needs it: if the session later dies (killed at a time limit, out of memory, a crash), the
snapshot resumes with every variable the agent had, instead of a blank kernel.
"""

import ast
import fcntl
import io
import linecache
import os
import resource
import signal
import socket
import sys
import termios
import time
import traceback

from . import RUNTIME_VERSION, host, namespace, variables
from . import sandbox  # sandbox layers (owned by sandbox.py; applied once, in init)
from .prefault import PageWarmer
from .capture import BoundedCapture
from .feedback import CELL_SOURCES
from .wire import read_message, write_message

LAST_EXPR_LIMIT = 2000
_WARM_UP_NAME = "<warm-up>"
_WARM_UP_CODE = compile("pass", _WARM_UP_NAME, "exec")


class Session:
    def __init__(self, connect):
        # `connect(resumed)` opens a fresh connection to the host -> (reader, writer).
        self.connect = connect
        self.proto_in, self.proto_out = connect(False)
        self.snapshots = True
        self.snapshot_pid = None
        self.warmer = None  # copies pages ahead of the next cell (prefault.py)
        self.last_exec_id = None
        self.ns = None
        self.hidden = set()
        self.reserved = {}
        self.cell_counter = 0
        self.fingerprints = None  # the namespace as the last cell left it (variables.diff)
        self.request_counter = 0
        self.in_cell = False
        host.set_transport(self._request)
        host.set_notifier(self._notify)

    # -- host traffic -------------------------------------------------------------------
    def _send(self, header, arrays=()):
        with _no_interrupt():
            write_message(self.proto_out, header, arrays)

    def _read(self):
        with _no_interrupt():
            return read_message(self.proto_in)

    def _request(self, method, params, arrays):
        self.request_counter += 1
        rid = self.request_counter
        self._send({"type": "request", "id": rid, "method": method, "params": params}, arrays)
        while True:
            header, out = self._read()
            if header.get("type") == "reply" and header.get("id") == rid:
                return header, out
            if header.get("type") == "shutdown":
                sys.exit(0)
            # Anything else mid-request is a host bug; say so instead of hanging.
            raise RuntimeError(f"kernel protocol: expected reply {rid}, got {header.get('type')}")

    def _notify(self, kind, fields, arrays):
        self._send({"type": kind, **fields}, arrays)

    # -- lifecycle ----------------------------------------------------------------------
    def init(self, header, start=None):
        if self.snapshots:
            # Before the sandbox: it needs /proc/self, which the sandbox closes.
            self.warmer = PageWarmer(sandbox.madvise())
        self.ns, self.hidden = namespace.build(header.get("inputs") or {}, header.get("options") or {})
        self.reserved = {k: self.ns[k] for k in namespace.RESERVED if k in self.ns}
        for k in list(self.ns):
            if k.startswith("InputImages_"):
                self.reserved[k] = self.ns[k]
        # Sandbox: the last step before agent code can run; its report goes back in `ready`.
        sandbox_report = sandbox.apply(header.get("sandbox"))
        self._send({
            "type": "ready",
            "sandbox": sandbox_report,
            "python": sys.version.split()[0],
            "runtime_version": RUNTIME_VERSION,
            "names": sorted(k for k in self.ns if not k.startswith("__")),
            "tool_docs": self._tool_docs(header.get("options") or {}),
            "page_warming": self._page_warming(),
            "start": self._start_report(start),
        })

    @staticmethod
    def _start_report(start):
        start = dict(start or {})
        faults = start.pop("faults_at_start", None)
        if faults is not None:
            start["page_faults"] = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        return start

    def _page_warming(self):
        if self.warmer is None:
            return {"active": False, "detail": "crash snapshots are off, so there is nothing to warm"}
        if self.warmer.disabled is not None:
            return {"active": False, "detail": self.warmer.disabled}
        return {"active": True, "detail": "after each snapshot fork, the pages the last cell "
                "wrote are copied ahead (MADV_POPULATE_WRITE)"}

    def _tool_docs(self, options):
        metadata = self.ns["Metadata"]
        keys = tuple(k for k in ("reconstruct_max_frames", "sam3_max_video_frames") if k in options)
        values = tuple(int(options[k]) for k in keys)
        # Image sets are not told about video methods they cannot use.
        return namespace.cached_tool_docs(bool(getattr(metadata, "is_video", False)), keys, values)

    def serve(self):
        while True:
            try:
                header, _arrays = self._read()
            except EOFError:
                return
            kind = header.get("type")
            if kind == "reply":
                continue  # the answer to a request whose cell was interrupted meanwhile
            if kind == "init":
                self.init(header)
            elif kind == "exec":
                self.last_exec_id = header.get("id")
                result = self.run_cell(header.get("id"), header.get("code", ""))
                self._send(result)
                # Taken after the reply, while the host waits for the model: off the hot path.
                if self.snapshots:
                    self._wait_until_read()
                    written = self.warmer.before_fork() if self.warmer else None
                    self._snapshot()
                    if self.warmer:
                        self.warmer.after_fork(written)
                    self._warm_up()
            elif kind == "shutdown":
                return
            else:
                self._send({"type": "protocol_error", "message": f"unknown message {kind!r}"})

    # -- snapshots ----------------------------------------------------------------------
    def _wait_until_read(self, limit=0.05):
        """Wait, briefly, until the host has read the reply just sent.

        Forking the snapshot copies the page tables of a process of a few hundred MB and the
        replaced snapshot's exit tears its own down; started at once, that work competed with
        the host for the CPU and the reply reached it milliseconds late. The bytes still queued
        on the socket (SIOCOUTQ) say when the host has taken the reply; a host that does not
        read within `limit` gets its snapshot anyway."""
        fd = self.proto_out.fileno()
        queued = bytearray(4)
        until = time.monotonic() + limit
        while True:
            try:
                fcntl.ioctl(fd, termios.TIOCOUTQ, queued)
            except OSError:
                return
            if not int.from_bytes(queued, sys.byteorder) or time.monotonic() > until:
                return
            time.sleep(0.00005)

    def _snapshot(self):
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        pid = os.fork()
        if pid == 0:
            self._sleep_until_resumed()
            # Now the live session: keep a standby again, so a second crash is survived too.
            self._snapshot()
            return
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        previous, self.snapshot_pid = self.snapshot_pid, pid
        if previous:
            _kill(previous)  # reaped by the kernel: SIGCHLD is ignored in sessions
        self._send({"type": "snapshot", "pid": pid, "exec_id": self.last_exec_id})

    def _warm_up(self):
        """Touch, now, the memory the next cell will touch.

        After the snapshot fork every page is shared with the snapshot, and the first write to
        one (a reference count going up is a write) copies it: a trivial cell paid for a few
        hundred such copies. Doing the same reads here, while the agent waits for its model,
        moves those copies off the path the next cell waits on. Nothing observable changes:
        the namespace is only read, and what is compiled or built is thrown away."""
        fingerprints = variables.snapshot(self.ns, self.hidden)
        variables.diff(fingerprints, self.ns, self.hidden)
        exec(_WARM_UP_CODE, self.ns)
        self._compile("_warm = [0]\n_warm", _WARM_UP_NAME)
        BoundedCapture(), BoundedCapture(head=8000, tail=8000)
        sys.stdout, sys.stderr = sys.stdout, sys.stderr  # the cell swaps them in and out
        for cache in (linecache.cache, CELL_SOURCES):
            cache[_WARM_UP_NAME] = None
            del cache[_WARM_UP_NAME]
        # The pipe's framing and JSON, through a buffer instead of the socket.
        frame = io.BytesIO()
        write_message(frame, {"type": "exec_result", "id": 0, "ok": True, "stdout": "",
                              "variables": [{"name": "x", "type": "int", "value": 1}]})
        write_message(frame, {"type": "exec", "id": 1, "code": "x = 1"})
        frame.seek(0)
        read_message(frame), read_message(frame)

    def _sleep_until_resumed(self):
        """In the snapshot: drop the session's connection and wait for SIGUSR1 from the host."""
        self.proto_in.close()
        self.proto_out.close()
        self.snapshot_pid = None
        signal.sigwait({signal.SIGUSR1})
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
        self.proto_in, self.proto_out = self.connect(True)

    # -- cells --------------------------------------------------------------------------
    def run_cell(self, cell_id, code):
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        self.cell_counter += 1
        filename = f"<cell-{self.cell_counter}>"
        CELL_SOURCES[filename] = code
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        out, err = BoundedCapture(), BoundedCapture(head=8000, tail=8000)
        before = self.fingerprints
        if before is None:
            before = variables.snapshot(self.ns, self.hidden)
        started = time.perf_counter()
        error, last_expr = None, None
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        try:
            self.in_cell = True
            body, expr = self._compile(code, filename)
            exec(body, self.ns)
            if expr is not None:
                value = eval(expr, self.ns)
                if value is not None:
                    last_expr = _bounded_repr(value)
        except KeyboardInterrupt:
            error = {"type": "TimeoutError", "message": "the cell was interrupted (time limit)",
                     "line": _cell_line(sys.exc_info()[2], filename), "traceback": _agent_frames(sys.exc_info()[2], filename)}
        except SyntaxError as exc:
            if exc.filename == filename:
                error = {"type": "SyntaxError", "message": exc.msg, "line": exc.lineno,
                         "column": exc.offset, "traceback": []}
            else:
                error = _describe(exc, filename)
        except BaseException as exc:  # SystemExit too: the session must survive agent code
            error = _describe(exc, filename)
        finally:
            self.in_cell = False
            sys.stdout, sys.stderr = saved
        warnings = self._restore_reserved()
        changed, removed, self.fingerprints = variables.diff(before, self.ns, self.hidden)
        return {
            "type": "exec_result",
            "id": cell_id,
            "ok": error is None,
            "stdout": out.getvalue(),
            "stdout_truncated": out.dropped,
            "stderr": err.getvalue(),
            "stderr_truncated": err.dropped,
            "error": error,
            "variables": changed,
            "removed": removed,
            "last_expr": last_expr,
            "warnings": warnings,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 3),
            # Minor page faults of the cell, copy-on-write after a snapshot included: what
            # page warming (prefault.py) is meant to keep near zero for small cells.
            "page_faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults,
        }

    @staticmethod
    def _compile(code, filename):
        tree = ast.parse(code, filename, "exec")
        expr = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = tree.body.pop()
            expr = compile(ast.Expression(last.value), filename, "eval")
        return compile(tree, filename, "exec"), expr

    def _restore_reserved(self):
        warnings = []
        for name, original in self.reserved.items():
            if self.ns.get(name) is not original:
                self.ns[name] = original
                warnings.append(
                    f"`{name}` is provided by the kernel and was restored; use another variable name"
                )
        return warnings


class _no_interrupt:
    """Defer SIGINT while a frame crosses the pipe: a half-written frame would desync it."""

    def __enter__(self):
        self._old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def __exit__(self, *exc):
        signal.pthread_sigmask(signal.SIG_SETMASK, self._old)
        return False


def _cell_line(tb, filename):
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _agent_frames(tb, filename):
    """Traceback entries of the agent's own code only: library internals are noise to it."""
    frames = []
    for fs in traceback.extract_tb(tb):
        if fs.filename.startswith("<cell-"):
            where = "this cell" if fs.filename == filename else "an earlier cell"
            frames.append({"where": where, "line": fs.lineno, "function": fs.name, "source": (fs.line or "").strip()})
    return frames


def _describe(exc, filename):
    message = str(exc)
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        message = exc.args[0]
    return {
        "type": type(exc).__name__,
        "message": message[:4000],
        "line": _cell_line(exc.__traceback__, filename),
        "traceback": _agent_frames(exc.__traceback__, filename),
    }


def _bounded_repr(value):
    try:
        text = repr(value)
    except Exception as exc:
        text = f"<repr failed: {type(exc).__name__}: {exc}>"
    if len(text) > LAST_EXPR_LIMIT:
        text = text[: LAST_EXPR_LIMIT // 2] + f" ... ({len(text)} chars) ... " + text[-LAST_EXPR_LIMIT // 4 :]
    return text


def _kill(pid):
    try:
        # Its teardown (milliseconds of kernel work for a large address space) yields to the
        # work that goes on.
        os.setpriority(os.PRIO_PROCESS, pid, 19)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _connector(path, token):
    """Opens a connection to the host and introduces this process as session `token`."""

    def connect(resumed):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        reader, writer = sock.makefile("rb"), sock.makefile("wb")
        sock.close()  # the file objects keep the connection open
        write_message(writer, {"type": "hello", "token": token, "pid": os.getpid(), "resumed": resumed})
        return reader, writer

    return connect


def run_forked_session(msg, started_fd=None, start=None):
    """Entry point of a process the zygote forked for one sample. `started_fd` is closed once
    the session is ready: the zygote waits for that before forking its next spare. `start`
    (how the process was made) goes back to the host in `ready`, with the page faults the
    start took."""
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    scratch = msg.get("scratch")
    if scratch:
        os.chdir(scratch)
        os.environ["HOME"] = os.environ["TMPDIR"] = scratch
    session = Session(_connector(msg["socket"], msg["token"]))
    session.snapshots = bool(msg.get("snapshots", True))

    # SIGINT is the host's "time is up": it becomes KeyboardInterrupt inside a running cell and
    # is ignored when it arrives late, after the cell already finished.
    def _on_sigint(_signum, _frame):
        if session.in_cell:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, _on_sigint)
    # Snapshots are this process's children; the kernel reaps them as soon as they are
    # replaced, without a blocking waitpid between cells.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    session.init(msg, dict(start or {}, faults_at_start=faults))
    if started_fd is not None:
        os.close(started_fd)
    try:
        session.serve()
    finally:
        # The session is over: its standby snapshot must not outlive it.
        if session.snapshot_pid:
            _kill(session.snapshot_pid)

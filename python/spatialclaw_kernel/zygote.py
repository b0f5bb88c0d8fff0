"""The zygote: imports numpy, scipy, matplotlib, PIL and the runtime once, then forks one
session per sample in milliseconds.

Run as `python -m spatialclaw_kernel.zygote`. fd 0/1 are the control pipe to the host. Each
forked session connects to the host's Unix socket and says which pending session it is; from
then on it talks to the host over that socket (docs/kernel-protocol.md).

The zygote is the sessions' parent and the subreaper of their snapshots, so it reaps every
process and tells the host how each one ended (a killed session's exit status is what lets
the host say "out of memory" instead of "it died").
"""

import ctypes
import gc
import os
import select
import signal
import sys
import time

from . import RUNTIME_VERSION, namespace, prefault, sandbox
from .wire import read_message, write_message

PR_SET_CHILD_SUBREAPER = 36
SPARE_ACK_TIMEOUT = 1.0  # seconds a spare has to confirm it took a request
# The next spare is forked once the session just handed out is ready: forking copies the
# zygote's page tables, milliseconds of CPU that would otherwise compete with that session's
# start. A session that takes longer than this gets its successor forked anyway.
SPARE_AFTER_START_LIMIT = 0.5


def _become_subreaper():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except OSError:
        return False


def _status(raw):
    if os.WIFSIGNALED(raw):
        return {"signal": os.WTERMSIG(raw)}
    return {"code": os.WEXITSTATUS(raw) if os.WIFEXITED(raw) else -1}


class Zygote:
    def __init__(self, control_in, control_out):
        self.control_in = control_in
        self.control_out = control_out
        self.groups = set()  # process groups of live sessions (session + its snapshot)
        # A session forked ahead of need, waiting on a pipe for its orders:
        # (pid, orders write fd, acknowledgement read fd).
        # Handing it a request skips the fork (milliseconds of page-table copying) on the path
        # the host waits on; the next spare is forked once that session is ready.
        self.spare = None
        # The session starting now: (read end of a pipe it closes once ready, deadline, pid).
        self.starting = None
        # Spares copy ahead the pages the last session wrote while starting (prefault.py).
        self.madvise = sandbox.madvise()
        self.warm_spares = prefault.supported(self.madvise) is None

    def send(self, header):
        write_message(self.control_out, header)

    def reap(self):
        while True:
            try:
                pid, raw = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.spare is not None and pid == self.spare[0]:
                os.close(self.spare[1])
                os.close(self.spare[2])
                self.spare = None
            self.send({"type": "exited", "pid": pid, "status": _status(raw)})
            # A group outlives its leader: a resumed snapshot and its own snapshot keep the
            # session's group. Forget the group only when nobody is left in it.
            for pgid in list(self.groups):
                try:
                    os.killpg(pgid, 0)
                except ProcessLookupError:
                    self.groups.discard(pgid)
                except PermissionError:
                    pass

    def fork_session(self, msg):
        pid, started = self._hand_to_spare(msg)
        if pid is None:
            started, started_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(started)
                self._child(msg, started_fd=started_w)  # never returns
            os.close(started_w)
            self.groups.add(pid)
        self.send({"type": "forked", "token": msg["token"], "pid": pid})
        # A burst of requests gets no spares forked in between: each waits for the last one.
        self._stop_watching_start()
        self.starting = (started, time.monotonic() + SPARE_AFTER_START_LIMIT, pid)

    def _stop_watching_start(self):
        if self.starting is not None:
            os.close(self.starting[0])
            self.starting = None

    def _start_watch(self):
        """-> (descriptor to wait on or None, seconds until the spare is due or None)."""
        if self.starting is None:
            return None, None
        return self.starting[0], max(0.0, self.starting[1] - time.monotonic())

    def _spare_due(self, ready):
        """The starting session is ready (its pipe closed or spoke) or took too long."""
        fd, left = self._start_watch()
        if fd is not None and (fd in ready or left == 0.0):
            pid = self.starting[2]
            self._stop_watching_start()
            self.fork_spare(self._pages_written_by(pid))

    def _pages_written_by(self, pid):
        """Pages session `pid` no longer shares with the zygote: what it wrote while starting,
        and so what the next session will write too. None when unknown."""
        if not self.warm_spares:
            return None
        try:
            with open("/proc/self/maps", "rb") as maps:
                ranges = prefault.private_writable(maps.read())
            with open(f"/proc/{pid}/pagemap", "rb", buffering=0) as pagemap:
                return prefault.exclusive_pages(pagemap.fileno(), ranges)
        except OSError:  # the session is gone already
            return None

    def fork_spare(self, pages=None):
        """Fork a session ahead of need; it copies `pages` (see _pages_written_by) while it
        waits for a request."""
        if self.spare is not None:
            return
        orders_r, orders_w = os.pipe()
        ack_r, ack_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(orders_w)
            os.close(ack_r)
            self._child(None, (orders_r, ack_w), warm_pages=pages)  # never returns
        os.close(orders_r)
        os.close(ack_w)
        self.groups.add(pid)
        self.spare = (pid, orders_w, ack_r)

    def _hand_to_spare(self, msg):
        """-> (the spare's pid, the pipe it closes once ready) once it has the request, or
        (None, None) (no spare, or it died)."""
        if self.spare is None:
            return None, None
        pid, orders_w, ack_r = self.spare
        self.spare = None
        # A pipe write succeeds while a killed spare is still on its way out, so the spare
        # confirms it read its orders; end-of-file instead (it died) or silence means the
        # request goes to a fresh fork, and a silent spare is killed so that it can never
        # connect under the same token.
        took = False
        try:
            with os.fdopen(orders_w, "wb") as orders:
                write_message(orders, msg)
            ready, _, _ = select.select([ack_r], [], [], SPARE_ACK_TIMEOUT)
            took = bool(ready) and os.read(ack_r, 1) == b"1"
        except OSError:
            pass
        if not took:
            os.close(ack_r)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            return None, None
        return pid, ack_r

    def _child(self, msg, spare_pipes=None, started_fd=None, warm_pages=None):
        code, copied = 0, 0
        try:
            os.setpgid(0, 0)  # own group: terminal Ctrl-C stays with the host; kill(-pgid) cleans up
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            self.control_in.close()
            self.control_out.close()
            if spare_pipes is not None:
                # A spare: wait for the request; end quietly if the zygote goes first.
                orders_fd, ack_fd = spare_pipes
                copied = prefault.populate(self.madvise, warm_pages)
                with os.fdopen(orders_fd, "rb") as orders:
                    try:
                        msg, _ = read_message(orders)
                    except EOFError:
                        os._exit(0)
                os.write(ack_fd, b"1")
                started_fd = ack_fd  # closed once the session is ready
            # Objects stay frozen: collecting them would touch (and so copy) the whole heap.
            from .session import run_forked_session

            start = {"from_spare": spare_pipes is not None, "pages_copied_ahead": copied}
            run_forked_session(msg, started_fd, start)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        except BaseException:  # noqa: BLE001 - report and leave; the host sees the exit status
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)

    def shutdown(self):
        for pgid in list(self.groups):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass

    def serve(self):
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        fd = self.control_in.fileno()
        try:
            while True:
                start_fd, left = self._start_watch()
                watched = [fd, wake_r] + ([start_fd] if start_fd is not None else [])
                ready, _, _ = select.select(watched, [], [], 1.0 if left is None else min(1.0, left))
                if wake_r in ready:
                    os.read(wake_r, 4096)
                self.reap()
                self._spare_due(ready)
                if fd not in ready:
                    continue
                try:
                    header, _ = read_message(self.control_in)
                except EOFError:
                    return  # the host is gone
                kind = header.get("type")
                if kind == "fork":
                    self.fork_session(header)
                elif kind == "shutdown":
                    return
        finally:
            self.shutdown()


def main():
    # Unbuffered: select() on the descriptor must see every byte that is waiting.
    control_in = os.fdopen(os.dup(0), "rb", buffering=0)
    control_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only sessions are interrupted, never the zygote
    namespace.preimport()
    namespace.prewarm()
    subreaper = _become_subreaper()
    # Objects imported so far are never collected: freezing them keeps the garbage collector
    # from touching (and so copying) their pages in every forked session.
    gc.collect()
    gc.freeze()
    zygote = Zygote(control_in, control_out)
    zygote.send({
        "type": "zygote_ready",
        "python": sys.version.split()[0],
        "runtime_version": RUNTIME_VERSION,
        "subreaper": subreaper,
    })
    zygote.fork_spare()
    zygote.serve()


if __name__ == "__main__":
    main()

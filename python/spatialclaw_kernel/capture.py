"""Bounded stdout/stderr capture: a 1 GB print must never reach the host's memory.

Keeps the first `head` and last `tail` characters and counts what was dropped in between.
"""

import collections
import io


class BoundedCapture(io.TextIOBase):
    def __init__(self, head=32_000, tail=32_000):
        self._head_limit = head
        self._tail_limit = tail
        self._head = []
        self._head_len = 0
        self._tail = collections.deque()
        self._tail_len = 0
        self.dropped = 0

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        n = len(s)
        room = self._head_limit - self._head_len
        if room > 0:
            part = s[:room]
            self._head.append(part)
            self._head_len += len(part)
            s = s[room:]
        if s:
            self._tail.append(s)
            self._tail_len += len(s)
            while self._tail_len > self._tail_limit:
                excess = self._tail_len - self._tail_limit
                first = self._tail[0]
                if len(first) <= excess:
                    self._tail.popleft()
                    self._tail_len -= len(first)
                    self.dropped += len(first)
                else:
                    self._tail[0] = first[excess:]
                    self._tail_len -= excess
                    self.dropped += excess
        return n

    def flush(self):
        pass

    def isatty(self):
        return False

    def getvalue(self):
        """The kept text, with a marker where the middle was dropped."""
        head = "".join(self._head)
        tail = "".join(self._tail)
        if self.dropped:
            return f"{head}\n... ({self.dropped} characters dropped) ...\n{tail}"
        return head + tail

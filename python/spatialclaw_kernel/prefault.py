"""Copy, ahead of time, the pages a session is about to write.

Sessions are forks (of the zygote, and of themselves for crash snapshots), and after a fork
every private page is shared: the first write to one (in Python a reference count going up is
a write) stops the process for a copy-on-write fault. A trivial cell paid for about a hundred
of them, a session's start about six hundred.

What a process is about to write is, to a close approximation, what the same work wrote last
time: the same functions, dicts and frames get the same reference-count and bookkeeping
writes. Those are the pages no longer shared with the fork's other side (the kernel's
"exclusively mapped" bit in /proc/PID/pagemap). Asking the kernel to copy them at once
(madvise MADV_POPULATE_WRITE) moves the faults to a moment nobody waits on:

- `PageWarmer`, in a session: before each snapshot fork it lists the pages written since the
  previous one; after the fork it copies them, while the host waits for the model.
- The zygote (zygote.py): when a session has started, it lists the pages that session wrote
  while starting, and the next spare copies them while it waits for a request.

Everything here is a hint: any failure turns warming off, never the session.
"""

import os

import numpy as np

PAGE = os.sysconf("SC_PAGE_SIZE")
MADV_POPULATE_WRITE = 23  # Linux 5.14
MAX_PAGES = 4096  # 16 MiB: more than a cell's bookkeeping, less than its data
RESET_EVERY = 8  # one snapshot fork in this many is left unwarmed, the first one included
_EXCLUSIVE = np.uint64(1 << 56)  # pagemap: page exclusively mapped (Linux 4.2)


def supported(madvise):
    """-> None when the kernel knows MADV_POPULATE_WRITE, else why not. A zero-length
    request says whether the advice exists at all."""
    if madvise(0, 0, MADV_POPULATE_WRITE) != 0:
        return "the kernel has no MADV_POPULATE_WRITE (Linux 5.14)"
    return None


def private_writable(maps):
    """(start, end) of each private writable mapping in /proc/PID/maps text: the only ones
    with copy-on-write pages. Split by hand: a regular expression takes three times longer."""
    found = []
    for line in maps.split(b"\n"):
        space = line.find(b" ")
        if space > 0 and line[space + 1:space + 3] == b"rw" and line[space + 4:space + 5] == b"p":
            lo, _, hi = line[:space].partition(b"-")
            found.append((int(lo, 16), int(hi, 16)))
    return found


def exclusive_pages(pagemap_fd, ranges):
    """-> sorted addresses of the pages in `ranges` that the process behind `pagemap_fd`
    maps exclusively (written since its last fork), or None when there are more than
    `MAX_PAGES` (a cell that built large arrays: copying those ahead is not worth it)."""
    chunks = [os.pread(pagemap_fd, (hi - lo) // PAGE * 8, lo // PAGE * 8) for lo, hi in ranges]
    hit = np.flatnonzero(np.frombuffer(b"".join(chunks), np.uint64) & _EXCLUSIVE)
    if hit.size > MAX_PAGES:
        return None
    # Index into the joined chunks -> address of the page.
    counts = np.array([len(c) // 8 for c in chunks], np.int64)
    ends = np.cumsum(counts)
    which = np.searchsorted(ends, hit, side="right")
    lows = np.array([lo for lo, _ in ranges], np.int64)
    return lows[which] + (hit - ends[which] + counts[which]) * PAGE


def populate(madvise, pages):
    """Copy `pages` (sorted addresses) into this process now. -> how many were asked for."""
    if pages is None or not pages.size:
        return 0
    breaks = np.flatnonzero(np.diff(pages) != PAGE) + 1
    firsts = pages[np.concatenate(([0], breaks))]
    counts = np.diff(np.concatenate(([0], breaks, [pages.size])))
    for address, count in zip(firsts.tolist(), counts.tolist()):
        # A range unmapped since the scan fails harmlessly (ENOMEM); nothing to do.
        madvise(address, count * PAGE, MADV_POPULATE_WRITE)
    return int(pages.size)


def read_all(fd):
    os.lseek(fd, 0, os.SEEK_SET)
    parts = []
    while True:
        part = os.read(fd, 1 << 16)
        if not part:
            return b"".join(parts)
        parts.append(part)


class PageWarmer:
    """In a session: lists the pages written since the last snapshot fork and copies them
    after the next one.

    Pages copied here count as written at the next fork whether the cell wrote them or not,
    so the list only grows. To keep it close to what one cell writes, one fork in
    `RESET_EVERY` is left unwarmed (the first one too: its list holds all of the session's
    start-up), as is a fork whose list passes `MAX_PAGES`. The cell after such a fork pays its
    faults, and the list starts again from what it wrote."""

    def __init__(self, madvise):
        # `madvise(address, length, advice) -> int` (the C function, resolved before the
        # sandbox forbids looking functions up).
        self.madvise = madvise
        self.pid = os.getpid()
        self.fds = {}
        self.disabled = None  # why warming is off, or None
        self.forks = 0
        self.copied = 0  # pages copied ahead so far
        # The private writable mappings, kept while the address space keeps its size:
        # listing them costs more than the rest of the scan (/proc/self/maps is text).
        self.ranges, self.ranges_size = [], None
        try:
            # Opened now, before the sandbox closes /proc. Descriptors of /proc/self belong to
            # this process: a snapshot resumed under another pid finds them dead and stops.
            for name in ("maps", "pagemap", "statm"):
                self.fds[name] = os.open(f"/proc/self/{name}", os.O_RDONLY | os.O_CLOEXEC)
            why = supported(madvise)
            if why is not None:
                self._off(why)
        except OSError as exc:
            self._off(f"/proc/self is not readable: {exc.strerror}")

    def _off(self, why):
        self.disabled = why
        for fd in self.fds.values():
            os.close(fd)
        self.fds = {}

    def before_fork(self):
        """-> addresses of the pages to copy after the fork about to happen; None when this
        fork is left unwarmed."""
        if self.disabled is not None:
            return None
        if os.getpid() != self.pid:
            self._off("resumed from a snapshot under another pid")
            return None
        self.forks += 1
        if self.forks % RESET_EVERY == 1:
            return None
        try:
            return exclusive_pages(self.fds["pagemap"], self._private_writable_ranges())
        except OSError as exc:
            self._off(f"reading /proc/self failed: {exc.strerror}")
            return None

    def _private_writable_ranges(self):
        # A mapping added or removed changes the size (statm's first field). A stale list
        # costs nothing worse than a missed page: madvise refuses what is not writable.
        size = os.pread(self.fds["statm"], 64, 0).split(b" ", 1)[0]
        if size != self.ranges_size:
            self.ranges = private_writable(read_all(self.fds["maps"]))
            self.ranges_size = size
        return self.ranges

    def after_fork(self, pages):
        """Copy `pages` (from `before_fork`) now, in the process that goes on running cells.
        -> how many pages were asked for."""
        if os.getpid() != self.pid:
            return 0
        copied = populate(self.madvise, pages)
        self.copied += copied
        return copied

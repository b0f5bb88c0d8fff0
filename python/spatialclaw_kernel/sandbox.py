"""The session's own sandbox layers, installed once the namespace is built and before any agent
code runs (`apply`).

Three layers live here; the host adds a fourth (a network namespace around the zygote) and the
lint is a fifth, in Rust, before code ever reaches the kernel:

1. OS limits (`resource`): address space, CPU seconds, file size, open files, processes. They
   turn a 50 GB allocation into a MemoryError and a runaway loop into a dead process the host
   recovers from, instead of a dead machine.
2. Landlock (raw syscalls through ctypes, done before the audit hook forbids ctypes): the
   kernel itself refuses reads outside the allowed roots, every write outside scratch, every
   `execve`, TCP bind/connect (ABI >= 4) and signals/abstract sockets leaving the sandbox
   (ABI >= 6). Nothing the Python layer misses gets past it.
3. A PEP 578 audit hook: the precise, friendly layer. It refuses file access outside the roots,
   processes, sockets, ctypes, pickle globals, environment changes, dynamic code and frame
   walks from agent code, and says what to do instead. It is Python, in the same interpreter
   as the agent, so it is written to hold its own state where agent code cannot reach or
   change it (see `_install_audit_hook`).

Every layer reports itself as active or missing with the reason, so `spatialclaw doctor` and the
host can warn loudly when a machine lacks one; a missing layer never stops the session.
"""

import os
import sys

# Landlock ABI constants (include/uapi/linux/landlock.h). The syscall numbers are the same on
# every architecture (they were added after the syscall tables were unified).
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

_FS_EXECUTE = 1 << 0
_FS_WRITE_FILE = 1 << 1
_FS_READ_FILE = 1 << 2
_FS_READ_DIR = 1 << 3
_FS_REMOVE_DIR = 1 << 4
_FS_REMOVE_FILE = 1 << 5
_FS_MAKE_CHAR = 1 << 6
_FS_MAKE_DIR = 1 << 7
_FS_MAKE_REG = 1 << 8
_FS_MAKE_SOCK = 1 << 9
_FS_MAKE_FIFO = 1 << 10
_FS_MAKE_BLOCK = 1 << 11
_FS_MAKE_SYM = 1 << 12
_FS_REFER = 1 << 13  # ABI 2
_FS_TRUNCATE = 1 << 14  # ABI 3
_FS_IOCTL_DEV = 1 << 15  # ABI 5
_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
_NET_BIND_TCP = 1 << 0  # ABI 4
_NET_CONNECT_TCP = 1 << 1
_SCOPE_ABSTRACT_UNIX = 1 << 0  # ABI 6
_SCOPE_SIGNAL = 1 << 1

# System directories a lazy import or a library may read: shared libraries (dlopen), locale,
# time zones and fonts. Nothing here is secret; /etc, /home, /root and /proc of other processes
# are deliberately absent.
_SYSTEM_READ_ROOTS = (
    "/usr/lib", "/usr/lib64", "/usr/local/lib", "/lib", "/lib64", "/usr/share",
    "/etc/ld.so.cache", "/etc/localtime", "/sys/devices/system/cpu",
    "/dev/urandom", "/dev/random", "/dev/zero",
)
# Writable although outside scratch: writes there go nowhere.
_DEVNULL = "/dev/null"

# Modules whose only use in here is to get out. Blocking their import matters only while they
# are not loaded yet; the operations themselves are refused by their own audit events.
_BLOCKED_IMPORTS = frozenset({
    "ctypes", "_ctypes", "cffi", "_cffi_backend", "pty", "ssl", "_ssl", "sqlite3", "_sqlite3",
    "webbrowser", "pdb", "urllib.request", "http.client", "http.server", "ftplib", "smtplib",
    "poplib", "imaplib", "nntplib", "telnetlib", "socketserver", "xmlrpc.client",
    "xmlrpc.server", "multiprocessing", "_multiprocessing", "_posixshmem", "syslog",
})


def apply(policy):
    """Install every layer the policy asks for; returns the report sent to the host in `ready`.

    `policy` (from the host's `SandboxPolicy`): `scratch`, `read_roots`, `limits`, `layers`
    (which of rlimits / landlock / audit_hook to install) and `network` (what the host did
    about the network namespace, to be verified from in here).
    """
    policy = dict(policy or {})
    wanted = dict(policy.get("layers") or {})
    scratch = _real(policy.get("scratch") or os.getcwd())
    _trim_sys_path()
    read_roots = _read_roots(policy, scratch)
    layers = {}
    report = {"layers": layers, "scratch": scratch, "read_roots": list(read_roots)}

    layers["rlimits"] = _guarded(
        wanted.get("rlimits", True), lambda: _apply_rlimits(policy.get("limits") or {}, policy)
    )
    layers["network_namespace"] = _guarded(True, lambda: _check_network_namespace(policy))
    if wanted.get("landlock", True):
        # Setting Landlock up resolves syscall() and prctl() on the C library handle.
        try:
            fs, net, abi = _apply_landlock(read_roots, scratch)
        except Exception as exc:  # noqa: BLE001 - a missing layer is reported, never fatal
            fs = net = _missing(f"Landlock setup failed: {type(exc).__name__}: {exc}")
            abi = None
        layers["landlock_fs"], layers["landlock_net"] = fs, net
        report["landlock_abi"] = abi
    else:
        layers["landlock_fs"] = layers["landlock_net"] = _missing("disabled by the session policy")
    _forget_c_functions()
    if wanted.get("audit_hook", True):
        layers["audit_hook"] = _guarded(
            True, lambda: _install_audit_hook(read_roots, scratch, policy)
        )
    else:
        layers["audit_hook"] = _missing("disabled by the session policy")
    return report


# -- helpers --------------------------------------------------------------------------------
def _active(detail):
    return {"active": True, "detail": detail}


def _missing(reason):
    return {"active": False, "detail": reason}


def _guarded(enabled, install):
    if not enabled:
        return _missing("disabled by the session policy")
    try:
        return install()
    except Exception as exc:  # noqa: BLE001 - a missing layer is reported, never fatal
        return _missing(f"{type(exc).__name__}: {exc}")


def _real(path):
    return os.path.realpath(os.fspath(path))


# Resolved forms of the installation's own paths (sys.prefix, sys.path entries), filled by
# `prewarm()` in the zygote. A session starts a few milliseconds sooner when it does not
# resolve them again, component by component, with one lstat each. Paths the host names
# (scratch, inputs) are always resolved afresh.
_INSTALL_REAL = {}


def _real_install(path):
    path = os.fspath(path)
    found = _INSTALL_REAL.get(path)
    return found if found is not None else _real(path)


def _read_roots(policy, scratch):
    """Everything the session may read: the interpreter and its libraries, the runtime, the
    inputs the host named, and the few system paths libraries touch lazily."""
    roots = []
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [
        sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
        os.path.dirname(here),  # the runtime root (the directory holding spatialclaw_kernel)
        *(p for p in sys.path if p and os.path.isabs(p)),
        *(policy.get("read_roots") or []),
        # matplotlib's font cache (read lazily; it lives outside scratch, so it stays read-only)
        os.environ.get("MPLCONFIGDIR"),
        *_SYSTEM_READ_ROOTS,
    ]
    for c in candidates:
        if not c or not os.path.exists(c):
            continue
        r = _real_install(c)
        if r == scratch or r == "/" or r in roots:
            continue  # never "/" by accident: that would make the whole layer a no-op
        roots.append(r)
    # Drop roots nested in another root: fewer rules, same access.
    roots.sort(key=len)
    kept = []
    for r in roots:
        if not any(r.startswith(k + "/") for k in kept):
            kept.append(r)
    return tuple(kept)


def _trim_sys_path():
    """Keep only import locations that belong to the installation or the runtime. `python -m`
    puts the start directory first on sys.path (the zygote's home; for a plain session,
    scratch): agent code could write a module there and import it."""
    here = os.path.dirname(os.path.abspath(__file__))
    keep_under = {_real_install(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    keep_exact = {_real_install(os.path.dirname(here))}
    keep_exact.update(_real_install(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)
    kept = []
    for p in sys.path:
        if not p:
            continue
        r = _real_install(p)
        if r in keep_exact or any(r == k or r.startswith(k + "/") for k in keep_under):
            kept.append(p)
    sys.path[:] = kept


# -- layer: rlimits -------------------------------------------------------------------------
def _vm_size_bytes():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _own_process_count():
    """Processes of this real uid (RLIMIT_NPROC counts them all, not just the session's)."""
    uid = str(os.getuid())
    n = 0
    try:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("Uid:"):
                            n += line.split()[1] == uid
                            break
            except OSError:
                continue
    except OSError:
        return 0
    return n


def _apply_rlimits(limits, policy):
    import resource

    applied, notes = [], []
    spec = (
        ("address_space_bytes", resource.RLIMIT_AS, "address space", _gb),
        ("cpu_seconds", resource.RLIMIT_CPU, "CPU", lambda v: f"{v} s"),
        ("file_size_bytes", resource.RLIMIT_FSIZE, "file size", _gb),
        ("open_files", resource.RLIMIT_NOFILE, "open files", str),
        ("processes", resource.RLIMIT_NPROC, "processes", str),
    )
    for key, res, label, show in spec:
        value = limits.get(key)
        if value is None:
            continue
        want = int(value)
        if res == resource.RLIMIT_AS:
            # The limit caps what the agent can add, so it must sit above what the imported
            # libraries already mapped; otherwise the session could not allocate at all.
            floor = _vm_size_bytes() + (1 << 30)
            if want < floor:
                notes.append(f"address space raised to {_gb(floor)} (libraries already map {_gb(floor - (1 << 30))})")
                want = floor
        if res == resource.RLIMIT_NPROC and os.getuid() != 0 and not (policy.get("network") or {}).get("user_namespace"):
            # Counted per user across the machine: leave room for what the user already runs,
            # so the session's own snapshot forks still work.
            want += _own_process_count()
        soft, hard = resource.getrlimit(res)
        new_hard = want if hard == resource.RLIM_INFINITY or hard > want else hard
        if res == resource.RLIMIT_CPU and (hard == resource.RLIM_INFINITY or hard > want + 5):
            # SIGXCPU at the soft limit ends the session (the host recovers it); SIGKILL at the
            # hard limit a few seconds later in case something catches SIGXCPU.
            new_hard = want + 5
        resource.setrlimit(res, (min(want, new_hard), new_hard))
        applied.append(f"{label} {show(min(want, new_hard))}")
    if not applied:
        return _missing("no limits in the session policy")
    if os.geteuid() == 0:
        notes.append("running as root: the process limit is not enforced by the kernel (the audit hook refuses fork)")
    detail = ", ".join(applied) + ("; " + "; ".join(notes) if notes else "")
    return _active(detail)


def _gb(n):
    return f"{n / (1 << 30):.1f} GB"


# -- layer: network namespace (set up by the host, verified here) ---------------------------
def _check_network_namespace(policy):
    net = dict(policy.get("network") or {})
    host_ns = net.get("host_netns")
    try:
        own_ns = os.stat("/proc/self/ns/net").st_ino
    except OSError as exc:
        return _missing(f"cannot inspect /proc/self/ns/net: {exc}")
    if not host_ns:
        return _missing(net.get("detail") or "the host did not report its network namespace")
    if own_ns == host_ns:
        return _missing(net.get("detail") or "the session shares the host's network namespace")
    try:
        with open("/proc/self/net/dev") as f:
            interfaces = sorted(line.split(":")[0].strip() for line in f.readlines()[2:])
    except OSError:
        interfaces = []
    how = net.get("mode") or "a namespace of its own"
    return _active(f"isolated by the host ({how}); interfaces here: {', '.join(interfaces) or 'none'}")


# -- layer: Landlock ------------------------------------------------------------------------
def _apply_landlock(read_roots, scratch):
    """-> (fs report, net report, ABI or None)."""
    import ctypes

    libc = _libc()
    syscall = libc.syscall
    syscall.restype = ctypes.c_long

    abi = syscall(ctypes.c_long(_SYS_CREATE_RULESET), None, ctypes.c_size_t(0),
                  ctypes.c_uint32(_CREATE_RULESET_VERSION))
    if abi < 0:
        err = ctypes.get_errno()
        why = {38: "the kernel has no Landlock (ENOSYS)",
               95: "Landlock is built in but disabled at boot (EOPNOTSUPP; add landlock to lsm=)"}
        reason = why.get(err, f"landlock_create_ruleset failed: {os.strerror(err)}")
        return _missing(reason), _missing(reason), None

    handled_fs = (1 << 13) - 1
    if abi >= 2:
        handled_fs |= _FS_REFER
    if abi >= 3:
        handled_fs |= _FS_TRUNCATE
    if abi >= 5:
        handled_fs |= _FS_IOCTL_DEV
    handled_net = (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL) if abi >= 6 else 0

    class RulesetAttr(ctypes.Structure):
        _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    attr = RulesetAttr(handled_fs, handled_net, scoped)
    # Older kernels reject a struct longer than they know unless the tail is zero; pass the
    # size of the fields this ABI has.
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    ruleset = syscall(ctypes.c_long(_SYS_CREATE_RULESET), ctypes.byref(attr), ctypes.c_size_t(size),
                      ctypes.c_uint32(0))
    if ruleset < 0:
        reason = f"landlock_create_ruleset failed: {os.strerror(ctypes.get_errno())}"
        return _missing(reason), _missing(reason), abi

    # Read-only: no EXECUTE anywhere, so execve of any program fails even if every other layer
    # were bypassed (shared libraries still load: mmap is not an execute access).
    read_only = _FS_READ_FILE | _FS_READ_DIR
    # Scratch: the agent's files, but no devices, sockets, fifos or symlinks (symlinks could
    # confuse path checks; nothing legitimate needs them).
    scratch_rights = handled_fs & ~(_FS_EXECUTE | _FS_MAKE_CHAR | _FS_MAKE_BLOCK | _FS_MAKE_SOCK
                                    | _FS_MAKE_FIFO | _FS_MAKE_SYM | _FS_IOCTL_DEV)
    devnull_rights = (_FS_READ_FILE | _FS_WRITE_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV) & handled_fs
    skipped = []

    def add(path, rights):
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError as exc:
            skipped.append(f"{path} ({exc.strerror})")
            return
        try:
            import stat

            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                rights &= _FILE_RIGHTS  # the kernel rejects directory rights on a file
            rule = PathBeneath(rights & handled_fs, fd)
            rc = syscall(ctypes.c_long(_SYS_ADD_RULE), ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                         ctypes.byref(rule), ctypes.c_uint32(0))
            if rc < 0:
                skipped.append(f"{path} ({os.strerror(ctypes.get_errno())})")
        finally:
            os.close(fd)

    try:
        for root in read_roots:
            add(root, read_only)
        add(scratch, scratch_rights)
        add(_DEVNULL, devnull_rights)
        # Landlock may only be entered by a process that cannot gain privileges by exec.
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            reason = f"prctl(NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}"
            return _missing(reason), _missing(reason), abi
        if syscall(ctypes.c_long(_SYS_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            reason = f"landlock_restrict_self failed: {os.strerror(ctypes.get_errno())}"
            return _missing(reason), _missing(reason), abi
    finally:
        os.close(ruleset)

    threads = _thread_count()
    fs_detail = (f"ABI {abi}: read-only {len(read_roots)} roots, read-write scratch, no execute"
                 + (", signals and abstract sockets scoped to the sandbox" if scoped else ""))
    if skipped:
        fs_detail += f"; skipped {', '.join(skipped)}"
    if threads > 1:
        # landlock_restrict_self binds the calling thread (and threads it starts later); native
        # threads that existed before are not confined. Agent code runs on the main thread.
        fs_detail += f"; {threads - 1} pre-existing native thread(s) not confined"
    fs = _active(fs_detail)
    net = (_active(f"ABI {abi}: TCP bind and connect denied") if handled_net
           else _missing(f"Landlock ABI {abi} < 4 has no network rules (kernel 6.7+)"))
    return fs, net, abi


def _thread_count():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


# -- layer: audit hook ----------------------------------------------------------------------
def _runtime_code_objects(runtime_dir):
    """Every code object of the runtime modules loaded now (functions, methods, nested
    functions and closures), collected before agent code runs."""
    import types

    root = _real(runtime_dir) + "/"
    found, seen = [], set()

    def add_code(code):
        if id(code) in seen:
            return
        seen.add(id(code))
        found.append(code)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                add_code(const)

    def add(obj, depth=0):
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        if isinstance(obj, property):
            for f in (obj.fget, obj.fset, obj.fdel):
                if f is not None:
                    add(f, depth)
            return
        if isinstance(obj, types.FunctionType):
            add_code(obj.__code__)
        elif isinstance(obj, type) and depth < 3:
            for v in list(vars(obj).values()):
                add(v, depth + 1)

    for module in _runtime_modules(root):
        for value in list(vars(module).values()):
            if getattr(value, "__module__", None) == module.__name__:
                add(value)
    return tuple(found)


_PACKAGE = __name__.rpartition(".")[0] or __name__
# Code objects by (runtime dir, loaded runtime modules): collected once in the zygote, whose
# forked sessions share the very same objects (identity survives fork), instead of walking
# every loaded module with realpath in each session (~90 ms).
_CODE_CACHE = {}


def _runtime_modules(root):
    """Loaded modules of the runtime package whose files are under `root`."""
    out = []
    for name, module in list(sys.modules.items()):
        if name != _PACKAGE and not name.startswith(_PACKAGE + "."):
            continue
        path = getattr(module, "__file__", None)
        if path and _real(path).startswith(root):
            out.append(module)
    return out


def runtime_code_objects(runtime_dir):
    """-> (code objects, frozenset of their ids): memoised `_runtime_code_objects`, which
    `prewarm()` fills in the zygote. Keyed by the directory alone: walking `sys.modules` in
    every session to notice newly imported runtime modules cost milliseconds of copy-on-write
    page faults, and a runtime module first imported after the zygote started only loses the
    privileges (it cannot fork snapshots), which is the safe side. `namespace.preimport`
    imports every module that needs them."""
    found = _CODE_CACHE.get(runtime_dir)
    if found is None:
        codes = _runtime_code_objects(runtime_dir)
        found = _CODE_CACHE[runtime_dir] = (codes, frozenset(id(c) for c in codes))
    return found


_LIBC = []


def _libc():
    """The C library through ctypes, loaded once (in the zygote when prewarmed)."""
    if not _LIBC:
        import ctypes

        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    return _LIBC[0]


def _forget_c_functions():
    """Drop the C functions the set-up resolved on the library handle, madvise aside.

    ctypes raises no audit event when a resolved function is called, only when one is looked
    up: a syscall() left on the handle would let code that reaches it (bypassing the lint)
    make any system call unchecked. madvise stays for page warming; it can only change how
    this process's own memory is backed."""
    if not _LIBC:
        return
    libc = _LIBC[0]
    for name, value in list(vars(libc).items()):
        if name != "madvise" and isinstance(value, libc._FuncPtr):
            delattr(libc, name)


def madvise():
    """madvise(2) through ctypes for the runtime's page warming (prefault.py). Resolved in
    `prewarm`: once the audit hook is in, looking up a C function is refused."""
    import ctypes

    function = _libc().madvise
    function.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    return function


def prewarm():
    """Work every session would repeat, done once before sessions are forked: the runtime's
    code objects, the C library handle, the `resource` module and the resolved forms of the
    installation's paths."""
    import resource  # noqa: F401

    here = os.path.dirname(os.path.abspath(__file__))
    runtime_code_objects(here)
    madvise()
    install_paths = [
        sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
        os.path.dirname(here), *sys.path, os.environ.get("MPLCONFIGDIR"), *_SYSTEM_READ_ROOTS,
        *os.environ.get("PYTHONPATH", "").split(os.pathsep),
    ]
    for p in install_paths:
        if p and os.path.isabs(p):
            _INSTALL_REAL[p] = _real(p)



def _install_audit_hook(read_roots, scratch, policy):
    """Build and register the hook. Everything the hook consults is captured here, as locals
    of this call, before any agent code runs:

    * module globals, `builtins` and library functions can all be rebound by agent code
      (`builtins.type = ...`, `os.lstat = ...`), so the hook uses only captured builtins and
      C functions, and methods of exact `str`/`bytes`/`int` (immutable types);
    * the policy is held in immutable tuples/frozensets in closure cells; nothing outside the
      hook refers to the hook function, and the ways to reach one (gc, frame walks from agent
      code) are refused by the hook itself;
    * the hook never calls agent-provided code (no `__fspath__`, `__str__` or `__eq__` of agent
      objects), so agent code never runs while the hook's own frame is live.

    Whether an event comes from agent code is decided by the file of the frame that raised it:
    the runtime, the standard library and site-packages are library code (lazy imports,
    namedtuple, `np.load` parsing its header); `<cell-N>` and anything generated at run time
    is agent code. Path checks apply to every caller.
    """
    import _thread
    import gc
    import signal as _signal_mod

    import _signal

    # Captured builtins: a name looked up at call time could have been rebound by agent code.
    _type, _str, _bytes, _int, _tuple, _len = type, str, bytes, int, tuple, len
    _Perm, _OSError, _AttributeError = PermissionError, OSError, AttributeError
    _getframe = sys._getframe
    _gc_disable, _gc_enable, _gc_isenabled = gc.disable, gc.enable, gc.isenabled
    _os_open, _os_close, _readlink, _fstat = os.open, os.close, os.readlink, os.fstat
    O_PATH, O_CLOEXEC, O_DIRECTORY = os.O_PATH, os.O_CLOEXEC, os.O_DIRECTORY
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    S_IFMT, S_IFDIR = 0o170000, 0o040000
    AF_UNIX = 1
    # Events the hook's own frame inspection raises; waved through only while it is busy.
    internal_events = frozenset({"sys._getframe", "object.__getattr__"})
    state = _thread._local()
    state.busy = False

    here = os.path.abspath(__file__)
    signal_file = _signal_mod.__file__
    runtime_dir = os.path.dirname(here)
    write_roots = (scratch,)
    read_all = _tuple(read_roots) + write_roots
    sock_path = policy.get("socket")
    session_socket = _str(sock_path) if sock_path else None
    # Library code: where the interpreter's own modules and the runtime live, as the paths in
    # code objects spell them (sys.path entries) and as resolved.
    lib = set()
    for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, runtime_dir,
              *(q for q in sys.path if q and os.path.isabs(q))):
        for form in (os.path.abspath(p), _real_install(p)):
            if form not in ("/", scratch) and not form.startswith(scratch + "/"):
                lib.add(form.rstrip("/") + "/")
    lib_prefixes = _tuple(sorted(lib)) + ("<frozen ",)
    # The runtime's own code, by identity: only these code objects may fork snapshots, kill
    # the previous one and reconnect to the host. A file name can be forged (code compiled by
    # a library helper under any name); the identity of a code object cannot.
    runtime_codes, runtime_code_ids = runtime_code_objects(runtime_dir)
    _id = id
    blocked_imports = _BLOCKED_IMPORTS

    def deny(what, instead):
        # Naming `runtime_codes` here keeps the code objects alive in this closure's cell, so
        # no id in `runtime_code_ids` can be reused, whatever agent code does to the cache.
        runtime_codes  # noqa: B018 - a reference, not a check
        raise _Perm(f"sandbox: {what} is not allowed in the SpatialClaw kernel. {instead}")

    # -- who raised the event -----------------------------------------------------------
    def caller_file():
        """File of the frame that raised the event: the first one outside this file."""
        f = _getframe(1)
        while f is not None:
            name = f.f_code.co_filename
            if name != here:
                return name
            f = f.f_back
        return ""

    def from_library():
        name = caller_file()
        return _type(name) is _str and name.startswith(lib_prefixes)

    def from_runtime():
        """True when the nearest frame that is not library plumbing (socket.py, os.py, ...)
        belongs to the runtime package: agent code calling the same library is refused.

        The whole stack is checked, not just up to the first runtime frame: agent code that
        calls a runtime helper (`sys.modules['spatialclaw_kernel.session']._kill(pid)`) has its
        own frame further out, and must not borrow the runtime's trust."""
        # Referenced here so the closure keeps the code objects alive: their ids are never
        # reused by an object agent code creates.
        if not runtime_codes:
            return False
        f = _getframe(1)
        seen_runtime = False
        while f is not None:
            name = f.f_code.co_filename
            if _type(name) is not _str:
                return False
            if name != here:
                if _id(f.f_code) in runtime_code_ids:
                    seen_runtime = True
                elif not name.startswith(lib_prefixes):
                    return False
            f = f.f_back
        return seen_runtime

    # -- paths ----------------------------------------------------------------------------
    def as_text(path):
        t = _type(path)
        if t is _str:
            return path
        if t is _bytes:
            return path.decode("utf-8", "surrogateescape")
        return None

    def fd_path(fd):
        try:
            return _readlink("/proc/self/fd/" + _str(fd))
        except _OSError:
            return None

    def resolve(path, dir_fd=None, follow=True):
        """The canonical path the kernel would act on, or None when it cannot be known.
        Resolved by the kernel itself (an O_PATH descriptor), never by string games."""
        if dir_fd is not None and not path.startswith("/"):
            base = fd_path(dir_fd)
            if base is None:
                return None
            path = base + "/" + path
        if follow:
            try:
                fd = _os_open(path, O_PATH | O_CLOEXEC)
            except _OSError:
                fd = None
            if fd is not None:
                try:
                    return fd_path(fd)
                finally:
                    _os_close(fd)
        # Not there yet (a file about to be created), or the last component itself matters
        # (remove/rename): resolve the parent, append the name.
        head, sep, tail = path.rpartition("/")
        if not sep:
            head = "."
        elif not head:
            head = "/"
        if tail in ("", ".", ".."):
            return None
        try:
            fd = _os_open(head, O_PATH | O_CLOEXEC | O_DIRECTORY)
        except _OSError:
            return None
        try:
            parent = fd_path(fd)
        finally:
            _os_close(fd)
        if parent is None:
            return None
        return (parent.rstrip("/") or "") + "/" + tail

    def under(path, roots):
        for r in roots:
            if path == r or path.startswith(r + "/"):
                return True
        return False

    def check_read(path, what="reading", dir_fd=None):
        if path is None or _type(path) is _int:
            return
        p = as_text(path)
        if p is None:
            deny(f"{what} a path that is not a plain string", "Pass paths as plain strings.")
        r = resolve(p, dir_fd)
        if r is None or not (under(r, read_all) or r == "/dev/null"):
            deny(f"{what} '{p}'",
                 "Only the input frames, the scratch directory (the current directory) and "
                 "library files can be read; use InputImages, RefImages and the tools.")

    def check_write(path, what="writing", dir_fd=None, follow=True):
        if path is None:
            return
        if _type(path) is _int:
            return  # an already-open descriptor: its open was checked
        p = as_text(path)
        if p is None:
            deny(f"{what} a path that is not a plain string", "Pass paths as plain strings.")
        r = resolve(p, dir_fd, follow)
        if r is None or not (under(r, write_roots) or r == "/dev/null"):
            deny(f"{what} '{p}'",
                 "Files may only be written inside the session's scratch directory (the current "
                 "directory); keep results in variables and use show() for images.")

    # -- handlers -------------------------------------------------------------------------
    def on_open(args):
        path, mode, flags = args[0], args[1], args[2]
        if _type(path) is _int:
            return
        if _type(flags) is _int:
            writing = (flags & WRITE_FLAGS) != 0
        else:
            writing = _type(mode) is _str and ("w" in mode or "a" in mode or "x" in mode or "+" in mode)
        if writing:
            check_write(path, "writing")
            return
        check_read(path, "reading")
        if mode is None and _type(flags) is _int:
            # os.open of a directory yields a descriptor usable as dir_fd, which the "open"
            # event never shows: only scratch directories may be opened that way.
            p = as_text(path)
            r = resolve(p) if p is not None else None
            if r is not None and not under(r, write_roots):
                try:
                    fd = _os_open(p, O_PATH | O_CLOEXEC)
                except _OSError:
                    return
                try:
                    is_dir = (_fstat(fd).st_mode & S_IFMT) == S_IFDIR
                finally:
                    _os_close(fd)
                if is_dir:
                    deny(f"opening directory '{p}' as a descriptor", "List directories with os.listdir instead.")

    def agent_only(what, instead):
        def handler(args):
            if not from_library():
                deny(what, instead)
        return handler

    def always(what, instead):
        def handler(args):
            deny(what, instead)
        return handler

    def runtime_only(what, instead):
        def handler(args):
            if not from_runtime():
                deny(what, instead)
        return handler

    no_proc = ("starting processes", "Do the work in Python with numpy/scipy inside the cell.")
    no_net = ("network access", "The kernel has no network; perception and VLM calls go through tools.* and vlm.*.")
    no_dyn = ("dynamic code (exec/eval/compile)", "Write the code directly in the cell.")
    no_intro = ("inspecting interpreter internals (frames, code objects, the garbage collector)",
                "Work with your own variables; they persist between cells.")

    def on_import(args):
        name, filename = args[0], args[1]
        if _type(name) is _str and (name in blocked_imports or name.partition(".")[0] in blocked_imports):
            deny(f"importing '{name}'", "Use numpy, scipy, PIL, matplotlib and the tools.")
        if filename is not None:
            p = as_text(filename)
            r = resolve(p) if p is not None else None
            if r is None or under(r, write_roots) or not under(r, read_all):
                deny(f"importing code from '{p}'", "Only installed libraries can be imported.")

    def on_compile(args):
        filename = args[1] if _len(args) > 1 else None
        p = as_text(filename) if filename is not None else None
        if p is not None and p.startswith("/"):
            r = resolve(p)
            if r is not None and under(r, write_roots):
                deny(f"compiling '{p}'", "Only installed libraries can be imported.")
        if not from_library():
            deny(*no_dyn)

    # Library helpers whose whole job is to hand a frame to their caller: called straight from
    # agent code they are a frame walk by proxy (inspect.stack()[1].frame.f_locals reaches the
    # runtime's objects), so they get the same answer as sys._getframe from agent code.
    frame_helpers = frozenset({("inspect.py", "stack"), ("inspect.py", "currentframe"),
                               ("inspect.py", "getouterframes"), ("__init__.py", "<lambda>")})

    def on_getframe(args):
        if not from_library():
            deny(*no_intro)
        f = _getframe(1)
        while f is not None and f.f_code.co_filename == here:
            f = f.f_back
        if f is None:
            return
        name = f.f_code.co_filename
        if _type(name) is not _str:
            deny(*no_intro)
        base = name.rpartition("/")[2]
        if (base, f.f_code.co_name) not in frame_helpers:
            return
        if base == "__init__.py" and not name.endswith("/logging/__init__.py"):
            return
        outer = f.f_back
        outer_name = outer.f_code.co_filename if outer is not None else ""
        if not (_type(outer_name) is _str and outer_name.startswith(lib_prefixes)):
            deny(*no_intro)

    def on_socket_new(args):
        # The runtime reconnects to the host over a Unix socket when a snapshot resumes.
        family = args[1] if _len(args) > 1 else None
        if not (_type(family) is _int and family == AF_UNIX and from_runtime()):
            deny(*no_net)

    def on_socket_connect(args):
        address = args[1] if _len(args) > 1 else None
        if not (session_socket is not None and _type(address) is _str and address == session_socket
                and from_runtime()):
            deny(*no_net)

    def on_setattr(args):
        name = args[1] if _len(args) > 1 else None
        if (_type(name) is _str and name in ("__code__", "__globals__", "__builtins__", "__closure__")
                and not from_library()):
            deny(f"replacing {name}", "Define a new function instead.")

    def on_paths(kind, index_read=(), index_write=(), dir_fd_index=None, follow=True):
        def handler(args):
            dir_fd = None
            if dir_fd_index is not None and _len(args) > dir_fd_index and _type(args[dir_fd_index]) is _int:
                # Negative values (-1 "none", AT_FDCWD) mean relative to the working directory.
                dir_fd = args[dir_fd_index] if args[dir_fd_index] >= 0 else None
            for i in index_read:
                if _len(args) > i:
                    check_read(args[i], kind, dir_fd)
            for i in index_write:
                if _len(args) > i:
                    check_write(args[i], kind, dir_fd, follow)
        return handler

    handlers = {
        "open": on_open,
        "import": on_import,
        "compile": on_compile,
        "exec": agent_only(*no_dyn),
        "code.__new__": agent_only(*no_dyn),
        "function.__new__": agent_only(*no_dyn),
        "marshal.loads": agent_only(*no_dyn),
        "marshal.load": agent_only(*no_dyn),
        "sys._getframe": on_getframe,
        "object.__getattr__": agent_only(*no_intro),
        "object.__setattr__": on_setattr,
        "object.__delattr__": on_setattr,
        "gc.get_objects": always(*no_intro),
        "gc.get_referrers": always(*no_intro),
        "gc.get_referents": always(*no_intro),
        "sys._current_frames": always(*no_intro),
        "sys._current_exceptions": always(*no_intro),
        "sys.settrace": always("tracing hooks", "Use print() to debug."),
        "sys.setprofile": always("profiling hooks", "Use time.perf_counter() to time code."),
        "sys.addaudithook": always("adding audit hooks", "There is nothing to configure here."),
        "pickle.find_class": always("unpickling objects (np.load(allow_pickle=True), pickle)",
                                    "Load plain arrays with np.load(path) (allow_pickle=False)."),
        "os.putenv": always("changing environment variables", "Pass values as function arguments."),
        "os.unsetenv": always("changing environment variables", "Pass values as function arguments."),
        "os.system": always(*no_proc),
        "os.exec": always(*no_proc),
        "os.posix_spawn": always(*no_proc),
        "os.spawn": always(*no_proc),
        "os.forkpty": always(*no_proc),
        "pty.spawn": always(*no_proc),
        "subprocess.Popen": always(*no_proc),
        "os.startfile": always(*no_proc),
        # The runtime forks its own snapshots and reaps the previous one; nothing else may.
        "os.fork": runtime_only(*no_proc),
        "os.kill": runtime_only("sending signals", "Nothing in a cell needs signals."),
        "os.killpg": runtime_only("sending signals", "Nothing in a cell needs signals."),
        "signal.pthread_kill": always("sending signals", "Nothing in a cell needs signals."),
        "resource.setrlimit": always("changing resource limits", "Work within the limits: process data in chunks."),
        "resource.prlimit": always("changing resource limits", "Work within the limits: process data in chunks."),
        "socket.__new__": on_socket_new,
        "socket.connect": on_socket_connect,
        "socket.bind": always(*no_net),
        "socket.sendto": always(*no_net),
        "socket.sendmsg": always(*no_net),
        "socket.getaddrinfo": always(*no_net),
        "socket.gethostbyname": always(*no_net),
        "socket.gethostbyaddr": always(*no_net),
        "socket.getnameinfo": always(*no_net),
        "socket.sethostname": always(*no_net),
        "urllib.Request": always(*no_net),
        "webbrowser.open": always(*no_net),
        "builtins.input": always("reading input", "The kernel has no stdin; use the variables you have."),
        "builtins.breakpoint": always("the debugger", "Use print() to debug."),
        "fcntl.ioctl": agent_only("ioctl", "Nothing in a cell needs device control."),
        "os.chdir": on_paths("changing directory to", index_write=(0,)),
        "os.listdir": on_paths("listing", index_read=(0,)),
        "os.scandir": on_paths("listing", index_read=(0,)),
        "os.fwalk": on_paths("listing", index_read=(0,), dir_fd_index=4),
        "glob.glob": on_paths("listing", index_read=(0,)),
        "glob.glob/2": on_paths("listing", index_read=(0,), dir_fd_index=2),
        "os.getxattr": on_paths("reading attributes of", index_read=(0,)),
        "os.listxattr": on_paths("reading attributes of", index_read=(0,)),
        "os.mkdir": on_paths("creating directory", index_write=(0,), dir_fd_index=2, follow=False),
        "os.rmdir": on_paths("removing", index_write=(0,), dir_fd_index=1, follow=False),
        "os.remove": on_paths("removing", index_write=(0,), dir_fd_index=1, follow=False),
        "os.rename": on_paths("renaming", index_write=(0, 1), dir_fd_index=2, follow=False),
        "os.truncate": on_paths("truncating", index_write=(0,)),
        "os.chmod": on_paths("changing permissions of", index_write=(0,), dir_fd_index=2),
        "os.chown": on_paths("changing the owner of", index_write=(0,), dir_fd_index=3),
        "os.chflags": on_paths("changing flags of", index_write=(0,)),
        "os.lchflags": on_paths("changing flags of", index_write=(0,)),
        "os.utime": on_paths("changing times of", index_write=(0,), dir_fd_index=3),
        "os.setxattr": on_paths("changing attributes of", index_write=(0,)),
        "os.removexattr": on_paths("changing attributes of", index_write=(0,)),
        "os.link": on_paths("linking", index_read=(0,), index_write=(1,), follow=False),
        "os.symlink": always("creating symbolic links", "Refer to files by their real path."),
        "shutil.copyfile": on_paths("copying", index_read=(0,), index_write=(1,)),
        "shutil.copymode": on_paths("copying", index_read=(0,), index_write=(1,)),
        "shutil.copystat": on_paths("copying", index_read=(0,), index_write=(1,)),
        "shutil.copytree": on_paths("copying", index_read=(0,), index_write=(1,)),
        "shutil.rmtree": on_paths("removing", index_write=(0,), follow=False),
        "shutil.move": on_paths("moving", index_write=(0, 1), follow=False),
        "shutil.chown": on_paths("changing the owner of", index_write=(0,)),
        "shutil.make_archive": on_paths("archiving", index_read=(2,), index_write=(0,)),
        "shutil.unpack_archive": on_paths("unpacking", index_read=(0,), index_write=(1,)),
        "tempfile.mkstemp": on_paths("creating", index_write=(0,)),
        "tempfile.mkdtemp": on_paths("creating", index_write=(0,)),
    }
    # Whole families: anything ctypes can do (load libraries, call functions, read and write
    # raw memory) is an escape, as is any other network client or database.
    deny_families = {
        "ctypes": ("ctypes", "Use numpy for numeric work."),
        "cffi": ("cffi", "Use numpy for numeric work."),
        "socket": no_net,
        "http": no_net,
        "ftplib": no_net,
        "smtplib": no_net,
        "poplib": no_net,
        "imaplib": no_net,
        "nntplib": no_net,
        "telnetlib": no_net,
        "sqlite3": ("databases", "Keep data in Python objects or numpy arrays."),
        "syslog": ("syslog", "Use print()."),
        "winreg": ("the registry", "Nothing to do here."),
        "msvcrt": ("msvcrt", "Nothing to do here."),
        "_winapi": ("_winapi", "Nothing to do here."),
    }
    get_handler = handlers.get
    get_family = deny_families.get

    def hook(event, args):
        try:
            busy = state.busy
        except _AttributeError:  # a thread that has not been through the hook yet
            busy = False
        if busy:
            # Inside the hook's own work: its frame reads and O_PATH lookups are ours. Nothing
            # else is waved through, so code that runs here unexpectedly (a signal handler) is
            # still checked.
            if event in internal_events:
                return
            if (event == "open" and args[1] is None and _type(args[2]) is _int
                    and (args[2] & O_PATH)):
                return
        handler = get_handler(event)
        if handler is None:
            family = get_family(event.partition(".")[0])
            if family is None:
                return
            deny(*family)
        state.busy = True
        # No garbage collection while checking: a collected agent object's __del__ would run
        # agent code in the middle of the check.
        collecting = _gc_isenabled()
        if collecting:
            _gc_disable()
        try:
            handler(args)
        finally:
            state.busy = busy
            if collecting:
                _gc_enable()

    # Signal tampering: agent code may not install handlers or block signals (ignoring SIGINT
    # would defeat the time limit's first, gentle step). This guard is advisory: the original
    # functions stay reachable through the wrappers' closures, and the host's SIGKILL after
    # the grace period is what actually enforces the limit.
    def guard(name, original):
        def guarded(*a, **k):
            f = _getframe(1)
            while f is not None and f.f_code.co_filename in (here, signal_file):
                f = f.f_back
            name_ = f.f_code.co_filename if f is not None else ""
            if not (_type(name_) is _str and name_.startswith(lib_prefixes)):
                deny(f"changing signal handling ({name})",
                     "The host handles time limits; long work is interrupted for you.")
            return original(*a, **k)

        guarded.__name__ = name
        guarded.__doc__ = original.__doc__
        return guarded

    for name in ("signal", "pthread_sigmask", "siginterrupt", "set_wakeup_fd"):
        original = getattr(_signal, name, None)
        if original is not None:
            wrapped = guard(name, original)
            setattr(_signal, name, wrapped)
            if getattr(_signal_mod, name, None) is original:
                setattr(_signal_mod, name, wrapped)

    sys.addaudithook(hook)
    return _active(f"{len(handlers)} events checked, {len(deny_families)} event families refused; "
                   f"writes only in scratch, reads in {len(read_roots)} roots")

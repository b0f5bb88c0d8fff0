"""The runtime's only way out of the sandbox: requests to the Rust host over the kernel pipe.

Tools call `call(method, params, arrays)`; the host answers (perception, vlm) and the call
returns `(header, arrays)`. Errors come back as the exception type the host names, so the
agent sees e.g. a RuntimeError with the host's advice.
"""

_ERROR_TYPES = {
    "RuntimeError": RuntimeError,
    "ValueError": ValueError,
    "TypeError": TypeError,
    "KeyError": KeyError,
}

# Installed by the session loop: a function (method, params, arrays) -> reply header, arrays.
_transport = None


class HostUnavailable(RuntimeError):
    """No host is connected (the runtime was imported outside a session)."""


def set_transport(fn):
    global _transport
    _transport = fn


def call(method, params=None, arrays=()):
    """Ask the host to run `method`; returns (header dict, list of numpy arrays)."""
    if _transport is None:
        raise HostUnavailable(
            f"{method}: no SpatialClaw host is connected; tools work only inside a session"
        )
    header, out = _transport(method, dict(params or {}), list(arrays))
    if not header.get("ok", False):
        err = header.get("error") or {}
        exc = _ERROR_TYPES.get(err.get("type"), RuntimeError)
        raise exc(err.get("message") or f"{method} failed")
    return header, out


# Installed by the session loop: a function (type, fields, arrays) that sends a one-way message
# (show images, submitted answers) to the host while a cell runs.
_notifier = None


def set_notifier(fn):
    global _notifier
    _notifier = fn


def notify(kind, fields, arrays=()):
    """Send a one-way message to the host; without a host this is an error, not a no-op."""
    if _notifier is None:
        raise HostUnavailable(f"{kind}: no SpatialClaw host is connected")
    _notifier(kind, dict(fields), list(arrays))

"""membudget.Error and its subclasses: one per C error code, each carrying the C error
name (``MB_ENODEV``), the code and the library's detail message (which names the input and
what would fix it)."""
from __future__ import annotations

from typing import Dict, Optional, Type

from . import _abi

LibraryMismatch = _abi.LibraryMismatch


class Error(Exception):
    """A membudget C call failed.

    Attributes:
        code: the negative C error code.
        name: its C name, e.g. ``"MB_ENODEV"``.
        detail: the library's detail message for this failure ("" when it gave none).
    """

    code: int = 0
    name: str = "MB_UNKNOWN_ERROR"

    def __init__(self, message: str, *, code: Optional[int] = None, detail: str = "") -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
            self.name = _abi.ERRORS.get(code, "MB_UNKNOWN_ERROR")
        self.detail = detail


class InvalidArgument(Error, ValueError):
    """MB_EINVAL: an argument the library refuses."""


class OutOfMemory(Error, MemoryError):
    """MB_ENOMEM."""


class NoDevice(Error, LookupError):
    """MB_ENODEV: no such device (the detail lists those available)."""


class NotSupported(Error):
    """MB_ENOTSUP: not supported by this device or backend."""


class SystemFileError(Error, OSError):
    """MB_EIO: a system file could not be read."""


class ParseError(Error, ValueError):
    """MB_EPARSE: a malformed system file or value."""


class BackendError(Error):
    """MB_EBACKEND: the driver or runtime failed."""


class BackendAbsent(Error):
    """MB_EABSENT: no driver or no device."""


class DeviceMismatch(Error, ValueError):
    """MB_EMISMATCH: two snapshots of different devices."""


class UnknownBackend(Error, ValueError):
    """MB_EUNKNOWNBACKEND: a backend name nobody knows (the detail suggests one)."""


class ForeignSysroot(Error):
    """MB_EFOREIGN: a side effect refused on a machine dump (MEMBUDGET_SYSROOT)."""


class OutOfRange(Error, ValueError):
    """MB_ERANGE."""


class OutOfOrder(Error):
    """MB_ESTATE: a call out of order."""


class BufferTooSmall(Error):
    """MB_ENOSPACE."""


class EnvironmentValueError(Error, ValueError):
    """MB_EENV: a bad value in an environment variable (the detail quotes it)."""


class DoesNotFit(Error):
    """MB_ENOFIT: does not fit in the memory available (the detail says what to change)."""


class InjectedFault(Error):
    """MB_EFAULT: an injected fault (testing)."""


class FreeMemoryGrew(Error):
    """MB_EGREW: free memory grew during profiling."""


class CommandError(Error):
    """The `membudget` command failed (plan): the message is its one line on stderr."""


_BY_NAME: Dict[str, Type[Error]] = {
    "MB_EINVAL": InvalidArgument,
    "MB_ENOMEM": OutOfMemory,
    "MB_ENODEV": NoDevice,
    "MB_ENOTSUP": NotSupported,
    "MB_EIO": SystemFileError,
    "MB_EPARSE": ParseError,
    "MB_EBACKEND": BackendError,
    "MB_EABSENT": BackendAbsent,
    "MB_EMISMATCH": DeviceMismatch,
    "MB_EUNKNOWNBACKEND": UnknownBackend,
    "MB_EFOREIGN": ForeignSysroot,
    "MB_ERANGE": OutOfRange,
    "MB_ESTATE": OutOfOrder,
    "MB_ENOSPACE": BufferTooSmall,
    "MB_EENV": EnvironmentValueError,
    "MB_ENOFIT": DoesNotFit,
    "MB_EFAULT": InjectedFault,
    "MB_EGREW": FreeMemoryGrew,
}


def error_class(code: int) -> Type[Error]:
    return _BY_NAME.get(_abi.ERRORS.get(code, ""), Error)


def raise_for(code: int, what: str) -> None:
    """Raises the Error subclass for a negative code, with the thread's detail message."""
    if code >= 0:
        return
    lib = _abi.lib()
    detail = _abi.text(lib.mb_error_detail())
    reason = _abi.text(lib.mb_error_message(code))
    message = f"{what}: {reason}" + (f": {detail}" if detail else "")
    raise error_class(code)(message, code=code, detail=detail)

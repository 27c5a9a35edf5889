"""A call run in a forked child process: it can be stopped at once, and leaves nothing behind.

Why a child process per call: a thread cannot be stopped, so a compression still running at a
request's deadline would keep a CPU busy after the answer (on Lambda it resumes in the next
invocation). A child can be killed; its memory goes back to the system when it exits.

Why `os.fork` and a pipe, not `multiprocessing`: Lambda has no /dev/shm, so multiprocessing's
queues, pools and locks (POSIX semaphores) fail there. A fork needs no shared memory, no
pickling of the callable (a codec built per request, a closure binding a dictionary, runs as
it is) and no copy of the input: the child sees the parent's memory copy-on-write. Only the
return value crosses the pipe, pickled.

Forking a process that has threads is safe only for a child that takes no lock another thread
may have held at the fork. The child here runs the callable, pickles its result, writes it and
calls `os._exit` (no atexit handlers, no flushing of the parent's buffers); glibc's malloc and
CPython's own locks are reset at fork. The callables given (codecs: zlib, bz2, lzma, brotli,
zstd) take no other lock. CPython 3.12+ warns about any fork from a threaded process
(DeprecationWarning); that warning is silenced for this module only, for the reason above.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
import threading
import warnings
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

warnings.filterwarnings(
    "ignore",
    message=r".*is multi-threaded, use of fork\(\) may lead to deadlocks",
    category=DeprecationWarning,
    module=__name__,
)

# Held across fork and closing the parent's copy of the write end. Without it, a fork from
# another thread (two requests at once) could copy this call's write end into its own child,
# and the pipe would not show this child's death (end of file) until that other child exits.
_FORKING = threading.Lock()
_LENGTH = struct.Struct("!Q")
# A child that failed before writing its result exits with this status.
_FAILED_STATUS = 70


class ChildFailed(RuntimeError):
    """The call raised in the child (its exception's repr is the message), or the child died."""


class ForkedCall(Generic[T]):
    """`function()` started at once in a forked child; `result()` waits for its return value.

    Guarantees: exactly one child per instance; after `result()` or `kill()` returns, the child
    has exited and been reaped, and the pipe is closed. `fileno()` becomes readable when the
    result is ready (or the child died), so many calls can be waited on with `selectors`.
    """

    def __init__(self, function: Callable[[], T]) -> None:
        read_end, write_end = os.pipe()
        with _FORKING:
            pid = os.fork()
            if pid == 0:  # the child: never returns
                os.close(read_end)
                _run_in_child(function, write_end)
            os.close(write_end)
        self.pid = pid
        self._read_end = read_end
        self._done = False

    def fileno(self) -> int:
        return self._read_end

    def result(self) -> T:
        """The child's return value (blocks until it is written); ChildFailed if it raised or
        died before answering. Call it once."""
        try:
            header = self._read_exactly(_LENGTH.size)
            length = _LENGTH.unpack(header)[0] if len(header) == _LENGTH.size else 0
            body = self._read_exactly(length) if length else b""
        finally:
            status = self._reap()
        if not length or len(body) != length:
            raise ChildFailed(_describe_exit(status))
        succeeded, value = pickle.loads(body)
        if not succeeded:
            raise ChildFailed(value)
        returned: T = value  # what the child's `function` returned, unpickled
        return returned

    def kill(self) -> None:
        """Stop the child now (SIGKILL) and reap it; nothing of it keeps running."""
        if self._done:
            return
        # Until reaped, the child's pid stays ours (a zombie once it exits): no one else's.
        os.kill(self.pid, signal.SIGKILL)
        self._reap()

    def _read_exactly(self, size: int) -> bytes:
        chunks = []
        while size > 0:
            chunk = os.read(self._read_end, min(size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _reap(self) -> int:
        self._done = True
        os.close(self._read_end)
        _, status = os.waitpid(self.pid, 0)
        return status


def _describe_exit(status: int) -> str:
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return f"the child process was killed by {name}"
    return f"the child process exited with status {os.waitstatus_to_exitcode(status)}"


def _run_in_child(function: Callable[[], object], write_end: int) -> None:
    """Run `function`, write (ok, value) or (False, repr of the error) and exit: never returns."""
    status = _FAILED_STATUS
    try:
        # The codecs make no reference cycles; a collection here could only run finalizers
        # of the parent's objects (sockets, event loops) in the child, and pause the timing.
        gc.disable()
        try:
            message = pickle.dumps((True, function()))
        except BaseException as error:  # everything goes back to the parent, as a value
            message = pickle.dumps((False, repr(error)))
        view = memoryview(_LENGTH.pack(len(message)) + message)
        while view:
            view = view[os.write(write_end, view) :]
        status = 0
    finally:
        os._exit(status)

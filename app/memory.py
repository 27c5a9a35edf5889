"""Big buffers go back to the operating system when freed: glibc's malloc is told so once.

A request holds an upload as a few multi-megabyte objects (the event's base64 text, the decoded
body, the form part) for its duration only. glibc serves allocations above its mmap threshold
with mmap and unmaps them on free, but by default it raises that threshold to the size of each
such block freed (up to 32 MiB); after that, upload-sized buffers come from the heaps of the
per-thread arenas (the ASGI server's worker threads), fragment them and stay resident. Measured
on the soak mix of tests/hardening/test_soak.py, when the benchmark still ran in threads: resident
memory crept up 11 MB over 25,000 invocations and started 28 MB higher than with the threshold fixed
at 1 MiB, where it stays flat. (The benchmark's jobs now run in child processes, which inherit
the setting and give all their memory back when they exit.)
"""

from __future__ import annotations

import ctypes
import sys

# glibc's malloc.h: the mallopt parameter for the mmap threshold. Setting it also turns off
# the dynamic adjustment described above.
M_MMAP_THRESHOLD = -3
# Requests, pages and compressed outputs are far smaller; uploads and their copies are larger.
BIG_BUFFER_BYTES = 1024 * 1024


def return_big_buffers_to_the_os() -> bool:
    """Serve every allocation of 1 MiB or more with its own mapping, unmapped when freed.

    True when glibc accepted the setting; False elsewhere (macOS, musl), where nothing changes.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    accepted: int = mallopt(M_MMAP_THRESHOLD, BIG_BUFFER_BYTES)  # mallopt(3): 1 on success
    return accepted == 1

"""What SnapStart would freeze: the state `import handler` leaves, which every restored copy shares.

With SnapStart, Lambda imports the handler once per published version, snapshots the
process, and starts every new copy from that snapshot. Anything made at import that must
differ between copies, or that does not survive being frozen (threads mid-work, connections
to other machines, files a copy expects to own) would then need an after-restore hook. These
tests pin down that the import makes none of them, so docs/deploy.md can say no hook is needed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sam_tools import PROJECT_ROOT

# Run in a fresh interpreter: what `import handler` alone leaves behind, as JSON.
PROBE = """
import json, os, socket, sys, threading
import handler
sockets = []
for fd in sorted(os.listdir("/proc/self/fd"), key=int):
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        continue
    if target.startswith("socket:"):
        probe = socket.socket(fileno=os.dup(int(fd)))
        sockets.append(probe.family.name)
        probe.close()
print(json.dumps({
    "threads": [thread.name for thread in threading.enumerate()],
    "sockets": sockets,
}))
"""


def import_handler_in_a_fresh_process(tmp_dir: Path) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={"TMPDIR": str(tmp_dir), "LOG_LEVEL": "WARNING", "PATH": "/usr/bin:/bin"},
        check=True,
    )
    report: dict[str, Any] = json.loads(completed.stdout.splitlines()[-1])
    return report


def test_import_leaves_one_thread_no_remote_socket_and_no_file(tmp_path: Path) -> None:
    tmp_dir = tmp_path / "tmp"
    tmp_dir.mkdir()
    state = import_handler_in_a_fresh_process(tmp_dir)
    # No pool or worker thread yet: the codec pool is made per request (app/engine/benchmark.py).
    assert state["threads"] == ["MainThread"]
    # Only the event loop's own self-pipe (a local socket pair, restored with the process);
    # no connection to another machine that a restored copy would find dead.
    assert set(state["sockets"]) <= {"AF_UNIX"}
    # Nothing written to /tmp for a copy to find, or to share by name with the others.
    assert list(tmp_dir.iterdir()) == []

"""Children of the ``upload`` benchmark.

``python -m benchmarks._child_upload topview FILE``
    ``TopviewHook().upload_file(FILE)`` (connection ``topview_default`` from the environment): RSS right
    before the call, peak RSS (``ru_maxrss``) after it, wall time of the call, CPU of the process.
``python -m benchmarks._child_upload topview-1mib FILE``
    diagnostic: the same with the hook's upload body stripped of ``read()``, so urllib3 sends the 1 MiB
    chunks of its iterator instead of reading 16 KiB blocks (the change suggested in the README).
``python -m benchmarks._child_upload curl FILE URL``
    ``curl -T FILE URL``: its wall time and its peak RSS, the kernel's high-water mark of curl's own
    memory (``VmHWM`` in ``/proc/<pid>/status``, read every 5 ms while it runs). Not
    ``getrusage(RUSAGE_CHILDREN)``: Linux carries ``ru_maxrss`` across ``execve``, so a child started from
    this Python process would report at least this process's RSS.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time


def _emit(result: dict[str, object]) -> None:
    print("BENCH-RESULT " + json.dumps(result), flush=True)


def _rss_now_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def topview(path: str, *, big_chunks: bool = False) -> None:
    from airflow_topview.hooks import storage as module
    from airflow_topview.hooks.topview import TopviewHook

    body_class = getattr(module, "_SizedBody", None)
    if big_chunks and body_class is not None and "read" in vars(body_class):
        del body_class.read  # diagnostic only: urllib3 then iterates the body's 1 MiB chunks

    hook = TopviewHook()
    rss_before = _rss_now_mib()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    file_id = hook.upload_file(path)
    wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    hook.close()
    _emit(
        {
            "file_id": file_id,
            "wall_s": wall,
            "size": os.path.getsize(path),
            "rss_before_mib": rss_before,
            "peak_before_mib": peak_before,
            "peak_mib": usage.ru_maxrss / 1024,
            "cpu_s": usage.ru_utime + usage.ru_stime - usage_before.ru_utime - usage_before.ru_stime,
        }
    )


def _high_water_mib(pid: int) -> float:
    """``VmHWM`` of a running process (0 once it has exited)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def curl(path: str, url: str) -> None:
    command = ["curl", "--silent", "--show-error", "--fail", "-T", path, "-o", os.devnull, url]
    started = time.monotonic()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, _high_water_mib(process.pid))
        time.sleep(0.005)
    wall = time.monotonic() - started
    if process.returncode != 0:
        print(process.stderr.read() if process.stderr else "", file=sys.stderr)
        sys.exit(process.returncode)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    _emit(
        {
            "wall_s": wall,
            "size": os.path.getsize(path),
            "peak_mib": peak,
            "cpu_s": usage.ru_utime + usage.ru_stime,
        }
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["topview"]:
        topview(sys.argv[2])
    elif sys.argv[1:2] == ["topview-1mib"]:
        topview(sys.argv[2], big_chunks=True)
    elif sys.argv[1:2] == ["curl"]:
        curl(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: python -m benchmarks._child_upload topview|topview-1mib FILE | curl FILE URL")

"""Run a command and report its peak RSS and CPU time from a small parent process.

A child's ru_maxrss counts the memory it inherited at fork, so a command started straight from
the (large) benchmark process would report the benchmark's size. Spawned from this small
process instead, the figure is the command's own, give or take this process's ~10 MB.

Its CPU time (user + system) is ``wait4``'s too: Linux adds to a process's usage that of the
children it waited for, so a loader's worker processes are counted in it.
"""

from __future__ import annotations

import json
import os
import sys

MARKER = "BENCH_RSS "


def main(argv: list[str]) -> int:
    pid = os.posix_spawnp(argv[0], argv, os.environ)
    _, status, usage = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    print(
        MARKER + json.dumps({"exit": code, "maxrss_kib": usage.ru_maxrss, "cpu_s": cpu}), flush=True
    )
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Run a command and report its peak RSS from a small parent process.

A child's ru_maxrss counts the memory it inherited at fork, so a command started straight from
the (large) benchmark process would report the benchmark's size. Spawned from this small
process instead, the figure is the command's own, give or take this process's ~10 MB.
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
    print(MARKER + json.dumps({"exit": code, "maxrss_kib": usage.ru_maxrss}), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""One line on the machine a benchmark ran on: CPU model, cores and the load average (benchmarks/*)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

__all__ = ["describe_machine"]


def describe_machine() -> str:
    """e.g. "CPU: Intel(R) Xeon(R) ... (2 cores), load average 0.4 0.6 0.7, Python 3.11.9"."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        model = names[0] if names else model
    load = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    return f"CPU: {model} ({os.cpu_count()} cores), load average {load}, Python {platform.python_version()}"

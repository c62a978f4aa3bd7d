"""Capacity of one JupyterHub server: K learners moving a dashboard slider at the same time.

Run as root, from the repository root, with the hub tests' set-up (.venv-hub, .hub-node):

    .venv-test/bin/python benchmarks/hub_capacity.py [--learners 1 5 10 20 30] [--chapter 07]
        [--control scale] [--seconds 20] [--rate 5] [--save benchmarks/hub_capacity.json]

What it does. One real JupyterHub on localhost (tests/hub/hubctl.py: LocalProcessSpawner, real
local users, as on The Littlest JupyterHub) with an instructor and max(--learners) learners. Each
learner's server is started through the hub's API, the course is pulled into their home with
nbgitpuller, and a kernel is started through their server's REST API in the clone's chapters/
folder. This process then speaks the Jupyter protocol over each kernel's websocket (as JupyterLab
does, subprotocol v1.kernel.websocket.jupyter.org): it runs every code cell of the chapter as
committed, records the widgets the kernel opens, and finds the dashboard slider named --control.
Set-up runs at most two chapters at a time (a 2-core machine).

Then, for each K in ascending order, the first K learners move their slider at a human pace
(--rate changes a second each, jittered, a seeded random walk of one slider step), the others
stay idle (learners reading). A change is the comm_msg JupyterLab sends when a slider moves,
throttled as ipywidgets' front end does: one update in flight per slider, moves made meanwhile
coalesced into the next update, sent when the kernel goes idle.

What it measures, per K, over --seconds after a 3 s warm-up:
  - redraw latency of a change (ms): from sending the comm_msg to the kernel's iopub status "idle"
    for it (everything the redraw sends has been sent by then); p50 and p95 over all changes;
  - CPU (cores): the machine's busy cores (/proc/stat), the learners' processes (their server and
    kernel, utime + stime) per active learner, the hub and its proxy, and this driver (it stands in
    for the room's browsers, which would run elsewhere);
  - memory per learner (MiB): RSS (and PSS) summed over the learner's Unix user's processes, mean
    and max over the active learners after the window (and over all learners after set-up).
It stops after the first K whose p95 exceeds 150 ms (saturated), unless --keep-going, and prints
a markdown table and the sizing line (learners per core at p95 <= 150 ms, memory per learner).
Every change must update at least one bqplot mark (the kernel redraws), else it fails loudly.

How long (2-core AMD EPYC, chapter 07): set-up takes about 17 s per learner (each needs a server
start of about 7 s, a pull of 1 s and a chapter run of about 21 s, two at a time), so about 9 minutes
for 30; then about 25 s per K; the teardown (servers stopped one by one, users removed) about 1-2 s
per learner. The default run (30 learners, K = 1 ... 30) takes about 12-15 minutes, less when it
stops at a saturated K.

A benchmark, not a test: the timings depend on the machine and its load. It exits 1 on an error
(after the hub's teardown has removed every server, process and user it made).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import math
import os
import random
import re
import signal
import statistics
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe_machine  # noqa: E402

BUDGET_MS = 150.0  # redraw latency p95 a learner should see at most
WARMUP_S = 3.0  # moves before the window: not counted (first redraws, caches)
SETUP_PARALLEL = 2  # chapter runs at a time during set-up (the machine has 2 cores)
CELL_TIMEOUT_S = 600.0  # one chapter cell, on a busy machine
CHANGE_TIMEOUT_S = 60.0  # one slider change until idle: far beyond any budget, only a hang ends here
WS_PROTOCOL = "v1.kernel.websocket.jupyter.org"  # what JupyterLab 4 asks jupyter_server for
SLIDER_MODELS = {"FloatSliderModel", "IntSliderModel", "FloatLogSliderModel"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # /proc/<pid>/stat's utime and stime unit, per second
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MIB = 2**20
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# ---- pure helpers (tests/test_hub_capacity.py) ----------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0 <= q <= 100) of `values`, interpolated linearly between the two
    nearest ranks (numpy's default, so a p95 here matches np.percentile)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q: expected 0..100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class CpuTimes:
    """The machine's CPU time from /proc/stat's "cpu" line, in clock ticks summed over all cores."""

    busy: int
    total: int


def parse_proc_stat(text: str) -> CpuTimes:
    """CpuTimes from the text of /proc/stat. Busy is everything but idle and iowait; guest and
    guest_nice are left out of the total (the kernel already counts them in user and nice)."""
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            ticks = [int(x) for x in fields[1:9]]  # user nice system idle iowait irq softirq steal
            if len(ticks) < 5:
                break
            total = sum(ticks)
            return CpuTimes(busy=total - ticks[3] - ticks[4], total=total)
    raise ValueError("no aggregate 'cpu' line with at least 5 fields in /proc/stat")


def busy_cores(before: CpuTimes, after: CpuTimes, cores: int) -> float:
    """How many of `cores` were busy on average between two /proc/stat samples (0 .. cores)."""
    elapsed = after.total - before.total
    if elapsed <= 0:
        raise ValueError("the second /proc/stat sample is not later than the first")
    return (after.busy - before.busy) / elapsed * cores


@dataclass(frozen=True)
class PidStat:
    """What this benchmark reads from /proc/<pid>/stat: process group, CPU time (utime + stime,
    clock ticks) and resident set (pages)."""

    pgrp: int
    cpu_ticks: int
    rss_pages: int


def parse_pid_stat(text: str) -> PidStat:
    """PidStat from the text of /proc/<pid>/stat. The command (field 2) is in parentheses and may
    hold spaces and parentheses itself, so the fields are counted from the last ')'."""
    rest = text[text.rindex(")") + 2:].split()  # rest[0] is field 3 (state)
    return PidStat(pgrp=int(rest[2]), cpu_ticks=int(rest[11]) + int(rest[12]), rss_pages=int(rest[21]))


def sizing(runs: list[dict], cores: int, budget_ms: float = BUDGET_MS) -> dict:
    """The sizing a hub is planned from, given the runs of one benchmark (any order).

    The largest K meeting the budget is the largest one such that it and every smaller K measured
    have p95_ms <= budget_ms (a K past a saturated one does not count, even if it measured better).

    Returns:
        p95_budget_ms; largest_learners (that K, 0 if none); learners_per_core (that K / cores,
        2 decimals); learners_per_core_is_lower_bound (every run met the budget: the machine did
        not saturate, it holds at least that many); memory_per_learner_mib (the largest
        memory_mib_max of any run, 1 decimal; None without runs).
    """
    if cores < 1:
        raise ValueError(f"cores: expected >= 1, got {cores}")
    largest = 0
    ordered = sorted(runs, key=lambda run: run["learners"])
    for run in ordered:
        if run["p95_ms"] is None or run["p95_ms"] > budget_ms:
            break
        largest = run["learners"]
    met_all = bool(ordered) and largest == ordered[-1]["learners"]
    memory = max((run["memory_mib_max"] for run in runs), default=None)
    return {"p95_budget_ms": budget_ms, "largest_learners": largest,
            "learners_per_core": round(largest / cores, 2),
            "learners_per_core_is_lower_bound": met_all,
            "memory_per_learner_mib": None if memory is None else round(memory, 1)}


def sizing_line(sized: dict, cores: int) -> str:
    """The sentence a README table is written from, e.g. "learners per core at p95 <= 150 ms: 5.0
    (10 learners / 2 cores); memory per learner: 260 MiB (max measured)"."""
    bound = "at least " if sized["learners_per_core_is_lower_bound"] else ""
    memory = sized["memory_per_learner_mib"]
    return (f"learners per core at p95 <= {sized['p95_budget_ms']:.0f} ms: {bound}"
            f"{sized['learners_per_core']:g} ({sized['largest_learners']} learners / {cores} cores); "
            f"memory per learner: {'?' if memory is None else f'{memory:.0f}'} MiB (max measured)")


def encode_v1(channel: str, parts: list[bytes]) -> bytes:
    """A websocket frame of the v1 kernel protocol: the number of offsets, the offsets (uint64 little
    endian), the channel name, then the parts (header, parent header, metadata, content, buffers)."""
    name = channel.encode()
    offsets = [8 * (1 + 1 + len(parts) + 1)]
    offsets.append(offsets[-1] + len(name))
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    head = len(offsets).to_bytes(8, "little") + b"".join(o.to_bytes(8, "little") for o in offsets)
    return head + name + b"".join(parts)


def decode_v1(frame: bytes) -> tuple[str, list[bytes]]:
    """(channel, parts) of a v1 frame (see encode_v1). Raises ValueError on a malformed frame."""
    count = int.from_bytes(frame[:8], "little")
    if count < 2 or 8 * (count + 1) > len(frame):
        raise ValueError(f"not a v1 kernel websocket frame ({len(frame)} bytes, {count} offsets)")
    offsets = [int.from_bytes(frame[8 * (i + 1):8 * (i + 2)], "little") for i in range(count)]
    if offsets != sorted(offsets) or offsets[-1] > len(frame):
        raise ValueError(f"not a v1 kernel websocket frame (offsets {offsets[:6]}...)")
    channel = frame[offsets[0]:offsets[1]].decode()
    return channel, [frame[offsets[i]:offsets[i + 1]] for i in range(1, count - 1)]


@dataclass(frozen=True)
class SliderGrid:
    """The values a slider can take: low + n * step for n = 0 .. positions - 1 (a log slider: its
    base to the power of those exponents). Built from the widget's state as the kernel sent it."""

    low: float
    step: float
    positions: int
    base: float | None = None  # FloatLogSlider
    integer: bool = False  # IntSlider

    @classmethod
    def from_state(cls, state: dict) -> SliderGrid:
        """The grid of an ipywidgets slider state (_model_name, min, max, step; base for a log slider)."""
        low, high, step = float(state["min"]), float(state["max"]), float(state["step"])
        if step <= 0 or high < low:
            raise ValueError(f"slider {state.get('description')!r}: no grid from min {low}, max {high}, step {step}")
        base = float(state["base"]) if state["_model_name"] == "FloatLogSliderModel" else None
        return cls(low=low, step=step, positions=int(round((high - low) / step)) + 1, base=base,
                   integer=state["_model_name"] == "IntSliderModel")

    def value(self, index: int) -> float | int:
        """The slider value at grid position `index` (what JupyterLab sends)."""
        position = round(self.low + index * self.step, 10)
        if self.base is not None:
            return float(self.base ** position)
        return int(position) if self.integer else position

    def index(self, value: float) -> int:
        """The grid position nearest to `value`, within the grid."""
        position = math.log(value, self.base) if self.base is not None else value
        return min(max(int(round((position - self.low) / self.step)), 0), self.positions - 1)


def walk(index: int, positions: int, rng: random.Random) -> int:
    """One step of the random walk: up or down one grid position with equal odds, turned back at
    either end of the grid (so every move changes the value)."""
    if positions < 2:
        raise ValueError("a slider with one position cannot move")
    step = rng.choice((-1, 1))
    if not 0 <= index + step < positions:
        step = -step
    return index + step


def interval(rate: float, rng: random.Random) -> float:
    """Seconds to the next move at `rate` moves a second, jittered uniformly by +-50 % (a human
    hand: mean 1 / rate)."""
    return rng.uniform(0.5, 1.5) / rate


def find_slider(widgets: dict[str, dict], control: str) -> str:
    """The comm id of the slider whose description is `control`; else of the one slider whose
    description has `control` as a word ("scale" finds "Wh scale"). The first opened one when a
    chapter shows the dashboard more than once. Raises LookupError listing the sliders."""
    sliders = {cid: state for cid, state in widgets.items() if state.get("_model_name") in SLIDER_MODELS}
    exact = [cid for cid, state in sliders.items() if state.get("description") == control]
    if exact:
        return exact[0]
    words = [cid for cid, state in sliders.items() if control in str(state.get("description", "")).split()]
    if len({sliders[cid]["description"] for cid in words}) == 1:
        return words[0]
    names = sorted({str(state.get("description")) for state in sliders.values()})
    raise LookupError(f"control {control!r}: {'several' if words else 'no'} sliders match; the chapter's "
                      f"sliders are {names}")


def is_mark(state: dict) -> bool:
    """A bqplot mark model (Lines, Scatter, Label, ...): what redraws a figure (axes, scales and
    figures are not marks; every mark has scales_metadata)."""
    return state.get("_model_module") == "bqplot" and "scales_metadata" in state


# ---- /proc -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    """One look at the machine: time (perf_counter s), /proc/stat, every process's PidStat and owner
    uid, and this driver's own CPU time (s)."""

    at: float
    cpu: CpuTimes
    processes: dict[int, tuple[int, PidStat]]  # pid -> (uid, stat)
    driver_cpu_s: float


def take_sample() -> Sample:
    """Read /proc/stat and /proc/<pid>/stat of every process (a process gone meanwhile is skipped)."""
    processes = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            uid = entry.stat().st_uid
            processes[int(entry.name)] = (uid, parse_pid_stat(Path(entry.path, "stat").read_text()))
        except (OSError, ValueError, IndexError):
            continue
    return Sample(at=time.perf_counter(), cpu=parse_proc_stat(Path("/proc/stat").read_text()),
                  processes=processes, driver_cpu_s=time.process_time())


def cpu_cores(before: Sample, after: Sample, select) -> float:
    """Cores used between two samples by the processes `select(uid, stat)` picks; a process that
    started in between counts from zero."""
    ticks = 0
    for pid, (uid, stat) in after.processes.items():
        if select(uid, stat):
            earlier = before.processes.get(pid)
            ticks += stat.cpu_ticks - (earlier[1].cpu_ticks if earlier else 0)
    return ticks / CLOCK_TICKS / (after.at - before.at)


def pss_mib(pid: int) -> float:
    """Proportional set size of one process (MiB): shared pages divided among their users."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024 / MIB
    except OSError:
        pass
    return 0.0


def memory_of(uid: int, sample: Sample) -> tuple[float, float]:
    """(RSS, PSS) in MiB summed over the processes of `uid` (a learner's server and kernel)."""
    pids = [pid for pid, (owner, _) in sample.processes.items() if owner == uid]
    rss = sum(sample.processes[pid][1].rss_pages for pid in pids) * PAGE_BYTES / MIB
    return rss, sum(pss_mib(pid) for pid in pids)


def memory_summary(uids: list[int]) -> dict:
    """Memory per learner over `uids` now: rss_mean, rss_max, pss_mean, pss_max (MiB)."""
    sample = take_sample()
    figures = [memory_of(uid, sample) for uid in uids]
    rss, pss = [f[0] for f in figures], [f[1] for f in figures]
    return {"rss_mean": statistics.fmean(rss), "rss_max": max(rss),
            "pss_mean": statistics.fmean(pss), "pss_max": max(pss)}


# ---- one kernel over its websocket -----------------------------------------------------------------
@dataclass
class Pending:
    """A request sent on the shell channel and what came back for it (by parent_header.msg_id).
    sent_at and idle_at (its idle status received) are perf_counter seconds; *_wall are the same
    machine's clock (epoch s): when it was sent, when the kernel went busy and idle on it (the dates
    in those status messages' headers) and when the idle status arrived. Bytes: websocket frames."""

    msg_id: str
    sent_at: float
    sent_wall: float
    wants_reply: bool
    reply: dict | None = None
    idle_at: float | None = None
    busy_wall: float | None = None
    idle_wall: float | None = None
    received_wall: float | None = None
    messages: int = 0
    bytes: int = 0
    mark_updates: int = 0
    stdout: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # tracebacks, stderr
    done: asyncio.Event = field(default_factory=asyncio.Event)


class KernelClient:
    """One learner's kernel, started through their single-user server and driven over its
    websocket with the hub's API token (scope access:servers)."""

    def __init__(self, hub, account):
        self.account = account
        self.base = f"{hub.url}/user/{account.name}"
        self.headers = {"Authorization": f"token {hub.api_token}"}
        self.session = uuid.uuid4().hex
        self.kernel_id: str | None = None
        self.widgets: dict[str, dict] = {}  # comm id -> state, in the order the kernel opened them
        self.pending: dict[str, Pending] = {}
        self.ws = None
        self._reader: asyncio.Task | None = None

    async def start(self, path: str) -> None:
        """Start a python3 kernel with cwd `path` (relative to the learner's home); connect to it."""
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest
        from tornado.websocket import websocket_connect

        response = await AsyncHTTPClient().fetch(HTTPRequest(
            f"{self.base}/api/kernels", method="POST", headers=self.headers,
            body=json.dumps({"name": "python3", "path": path}), request_timeout=CELL_TIMEOUT_S))
        self.kernel_id = json.loads(response.body)["id"]
        url = f"{self.base.replace('http', 'ws', 1)}/api/kernels/{self.kernel_id}/channels?session_id={self.session}"
        self.ws = await websocket_connect(HTTPRequest(url, headers=self.headers, request_timeout=CELL_TIMEOUT_S),
                                          subprotocols=[WS_PROTOCOL])
        if self.ws.selected_subprotocol != WS_PROTOCOL:
            raise RuntimeError(f"the server did not accept the websocket subprotocol {WS_PROTOCOL} "
                               f"(got {self.ws.selected_subprotocol!r}); this client speaks only that one")
        self._reader = asyncio.create_task(self._read())
        await self._kernel_info()

    async def _kernel_info(self) -> None:
        """Ask for kernel_info until answered (as JupyterLab does on connecting: a request sent
        before the server has wired the kernel's channels can be lost)."""
        for _ in range(10):
            pending = self.send("kernel_info_request", {}, wants_reply=True)
            try:
                await asyncio.wait_for(pending.done.wait(), 10)
                return
            except TimeoutError:
                self.pending.pop(pending.msg_id, None)
        raise RuntimeError(f"{self.account.name}'s kernel did not answer kernel_info_request")

    def send(self, msg_type: str, content: dict, wants_reply: bool) -> Pending:
        """Send one message on the shell channel; returns what will collect its replies."""
        header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": self.account.name,
                  "session": self.session, "version": "5.3",
                  "date": datetime.datetime.now(datetime.UTC).isoformat()}
        parts = [json.dumps(x).encode() for x in (header, {}, {}, content)]
        pending = Pending(header["msg_id"], time.perf_counter(), time.time(), wants_reply)
        self.pending[pending.msg_id] = pending
        self.ws.write_message(encode_v1("shell", parts), binary=True)
        return pending

    async def _read(self) -> None:
        """Dispatch every frame until the websocket closes; then fail what is still waiting."""
        while (frame := await self.ws.read_message()) is not None:
            at, wall = time.perf_counter(), time.time()
            channel, parts = decode_v1(frame)
            header, parent, _metadata, content = (json.loads(p) for p in parts[:4])
            self._dispatch(channel, header, parent.get("msg_id"), content, len(frame), (at, wall))
        for pending in self.pending.values():
            pending.problems.append("the websocket closed")
            pending.done.set()

    def _dispatch(self, channel: str, header: dict, parent_id: str | None, content: dict,
                  size: int, received: tuple[float, float]) -> None:
        """Account one message to the request it answers; `received`: (perf_counter, epoch) s."""
        msg_type = header["msg_type"]
        if channel == "iopub":
            self._track_widgets(msg_type, content)
        pending = self.pending.get(parent_id)
        if pending is None:
            return
        pending.messages += 1
        pending.bytes += size
        if channel == "shell" and msg_type.endswith("_reply"):
            pending.reply = content
        elif msg_type == "comm_msg" and is_mark(self.widgets.get(content.get("comm_id"), {})):
            pending.mark_updates += 1
        elif msg_type == "error":
            pending.problems.append(ANSI.sub("", "\n".join(content.get("traceback", []))))
        elif msg_type == "stream":
            (pending.stdout if content.get("name") == "stdout" else pending.problems).append(content.get("text", ""))
        elif msg_type == "status" and content.get("execution_state") == "busy":
            pending.busy_wall = _epoch(header["date"])
        elif msg_type == "status" and content.get("execution_state") == "idle":
            pending.idle_at, pending.received_wall = received
            pending.idle_wall = _epoch(header["date"])
        if pending.idle_at is not None and (pending.reply is not None or not pending.wants_reply):
            del self.pending[parent_id]
            pending.done.set()

    def _track_widgets(self, msg_type: str, content: dict) -> None:
        """Keep every widget model's state as the kernel opens and updates it."""
        comm_id = content.get("comm_id")
        data = content.get("data") or {}
        if msg_type == "comm_open" and content.get("target_name") == "jupyter.widget":
            self.widgets[comm_id] = dict(data.get("state", {}))
        elif msg_type == "comm_msg" and comm_id in self.widgets and data.get("method") in ("update", "echo_update"):
            self.widgets[comm_id].update(data.get("state", {}))
        elif msg_type == "comm_close":
            self.widgets.pop(comm_id, None)

    async def execute(self, code: str) -> Pending:
        """Run `code`; wait for its reply and for the kernel to go idle. Raises RuntimeError with
        the traceback when the code fails (output on stderr alone, a warning, does not)."""
        pending = self.send("execute_request", {"code": code, "silent": False, "store_history": True,
                                                "user_expressions": {}, "allow_stdin": False,
                                                "stop_on_error": True}, wants_reply=True)
        await asyncio.wait_for(pending.done.wait(), CELL_TIMEOUT_S)
        if pending.reply is None or pending.reply.get("status") != "ok":
            reply = pending.reply or {}
            trace = ANSI.sub("", "\n".join(reply.get("traceback", []))) or "\n".join(pending.problems)
            raise RuntimeError(f"{self.account.name}'s kernel: a cell failed:\n{code[:500]}\n---\n{trace}")
        return pending

    async def change(self, comm_id: str, value) -> Pending:
        """Move a slider the way JupyterLab does (a comm_msg "update" with the new value) and wait
        for the kernel to go idle on it. Raises RuntimeError on an error or stderr output."""
        pending = self.send("comm_msg", {"comm_id": comm_id, "data": {
            "method": "update", "state": {"value": value}, "buffer_paths": []}}, wants_reply=False)
        await asyncio.wait_for(pending.done.wait(), CHANGE_TIMEOUT_S)
        if pending.problems:
            raise RuntimeError(f"{self.account.name}: value {value}: " + "\n".join(pending.problems))
        return pending

    async def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


def _epoch(date: str) -> float:
    """Epoch seconds of a Jupyter message header's date (ISO 8601, UTC)."""
    return datetime.datetime.fromisoformat(date).timestamp()


# ---- a learner --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    """One slider update as measured: sent_at and moved_at (perf_counter s; moved_at is the first
    move it carries, earlier when moves were coalesced while another update was in flight),
    latency_ms (sent -> idle), and its three parts by the kernel's clock: to_kernel_ms (sent -> the
    kernel's busy), kernel_ms (busy -> idle: handling it and sending the redraw), back_ms (idle sent
    -> received); moves it carried, iopub+shell messages and frame bytes it caused, bqplot mark
    updates among them."""

    sent_at: float
    moved_at: float
    latency_ms: float
    to_kernel_ms: float
    kernel_ms: float
    back_ms: float
    moves: int
    messages: int
    bytes: int
    mark_updates: int


@dataclass
class Learner:
    """A learner with a running kernel that has run the chapter, and the slider they move."""

    account: object
    client: KernelClient
    slider: str  # comm id
    grid: SliderGrid
    position: int
    rng: random.Random
    sent_value: float | int | None = None

    async def update(self, moved_at: float, moves: int) -> Change | None:
        """Send the slider's current position (None when it is back where the last update left it:
        nothing to send, as in the browser)."""
        value = self.grid.value(self.position)
        if value == self.sent_value:
            return None
        pending = await self.client.change(self.slider, value)
        self.sent_value = value
        p = pending
        return Change(p.sent_at, moved_at, (p.idle_at - p.sent_at) * 1000, (p.busy_wall - p.sent_wall) * 1000,
                      (p.idle_wall - p.busy_wall) * 1000, (p.received_wall - p.idle_wall) * 1000, moves,
                      p.messages, p.bytes, p.mark_updates)

    async def move(self, start_at: float, stop_at: float, rate: float) -> list[Change]:
        """Move the slider from start_at to stop_at (perf_counter s) at `rate` moves a second, with
        ipywidgets' throttle: one update in flight; moves made meanwhile go out together once it is
        idle. Returns the updates sent (the last one may end after stop_at)."""
        changes: list[Change | None] = []
        in_flight: asyncio.Task | None = None
        first_move, moves = None, 0  # moves not yet sent
        next_move = start_at + self.rng.uniform(0, 1 / rate)  # learners do not move in step
        while (now := time.perf_counter()) < stop_at:
            if now >= next_move:
                self.position = walk(self.position, self.grid.positions, self.rng)
                first_move = next_move if first_move is None else first_move
                moves += 1
                next_move += interval(rate, self.rng)
            if in_flight is not None and in_flight.done():
                changes.append(in_flight.result())
                in_flight = None
            if in_flight is None and moves:
                in_flight = asyncio.create_task(self.update(first_move, moves))
                first_move, moves = None, 0
            wait = max(0.0, min(next_move, stop_at) - time.perf_counter())
            await (asyncio.wait([in_flight], timeout=wait) if in_flight else asyncio.sleep(wait))
        if in_flight is not None:
            changes.append(await in_flight)
        return [c for c in changes if c is not None]


# ---- set-up ----------------------------------------------------------------------------------------
def chapter_notebook(course: Path, chapter: str) -> Path:
    """chapters/<chapter>_*.ipynb in the course source (the committed files)."""
    found = sorted((course / "chapters").glob(f"{chapter}_*.ipynb"))
    if len(found) != 1:
        raise ValueError(f"--chapter {chapter}: expected one chapters/{chapter}_*.ipynb, found {found}")
    return found[0]


def code_cells(notebook: Path) -> list[str]:
    """The sources of the notebook's code cells, in order."""
    cells = json.loads(notebook.read_text())["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells if c["cell_type"] == "code"]


async def set_up(hub, account, cells: list[str], control: str, seed: int, gate: asyncio.Semaphore) -> tuple:
    """Start the learner's server, pull the course, start a kernel in its chapters/ folder, run the
    chapter and probe the slider once. Returns (Learner, timings in s)."""
    from tests.hub import hubctl

    async with gate:
        times = {}
        t0 = time.perf_counter()
        await asyncio.to_thread(hub.start_server, account)
        times["server start"] = (t1 := time.perf_counter()) - t0
        events = await asyncio.to_thread(hub.pull, account)
        if not events or events[-1].get("phase") != "finished":
            raise RuntimeError(f"{account.name}: nbgitpuller did not finish: {events[-3:]}")
        times["pull"] = (t2 := time.perf_counter()) - t1
        client = KernelClient(hub, account)
        await client.start(f"{hubctl.COURSE_NAME}/chapters")
        await _check_kernel_is_theirs(client, account, account.home / hubctl.COURSE_NAME / "chapters")
        times["kernel start"] = (t3 := time.perf_counter()) - t2
        for code in cells:
            await client.execute(code)
        times["chapter run"] = time.perf_counter() - t3
    learner = _learner(account, client, control, seed)
    await _probe(learner)
    return learner, times


async def _check_kernel_is_theirs(client: KernelClient, account, folder: Path) -> None:
    """The kernel runs as the learner, in `folder` (their clone's chapters/)."""
    ran = await client.execute("import getpass, os; print(getpass.getuser()); print(os.getcwd())")
    found = "".join(ran.stdout).splitlines()
    if found != [account.name, str(folder)]:
        raise RuntimeError(f"{account.name}'s kernel: user and folder {found}, expected {[account.name, str(folder)]}")


def _learner(account, client: KernelClient, control: str, seed: int) -> Learner:
    slider = find_slider(client.widgets, control)
    state = client.widgets[slider]
    grid = SliderGrid.from_state(state)
    return Learner(account, client, slider, grid, grid.index(state["value"]), random.Random(seed),
                   sent_value=state["value"])


async def _probe(learner: Learner) -> None:
    """One move and back: each must redraw (update a bqplot mark), else the benchmark measures nothing."""
    start = learner.position
    for position in (walk(start, learner.grid.positions, learner.rng), start):
        learner.position = position
        change = await learner.update(time.perf_counter(), 1)
        if change is None or change.mark_updates == 0:
            raise RuntimeError(f"{learner.account.name}: moving {_slider_name(learner)} to "
                               f"{learner.grid.value(position)} updated no bqplot mark: the kernel did not "
                               f"redraw ({change and change.messages} messages came back)")


def _slider_name(learner: Learner) -> str:
    return repr(learner.client.widgets[learner.slider].get("description"))


async def set_up_all(hub, accounts: list, cells: list[str], control: str, seed: int) -> tuple[list, dict]:
    """Set up every learner, SETUP_PARALLEL at a time. Returns (learners in account order, figures)."""
    gate = asyncio.Semaphore(SETUP_PARALLEL)
    started = time.perf_counter()
    done = await asyncio.gather(*(set_up(hub, account, cells, control, seed + i, gate)
                                  for i, account in enumerate(accounts)))
    learners = [learner for learner, _ in done]
    figures = {"seconds": time.perf_counter() - started, "learners": len(learners)}
    for step in done[0][1]:
        values = [times[step] for _, times in done]
        figures[step] = {"mean_s": statistics.fmean(values), "max_s": max(values)}
    figures["memory_mib"] = memory_summary([learner.account.uid for learner in learners])
    first = learners[0]
    figures["widgets"] = len(first.client.widgets)
    figures["marks"] = sum(is_mark(state) for state in first.client.widgets.values())
    figures["slider"] = {k: first.client.widgets[first.slider].get(k)
                         for k in ("description", "_model_name", "min", "max", "step", "value")}
    return learners, figures


# ---- measurement ------------------------------------------------------------------------------------
async def measure(hub, learners: list[Learner], active: int, seconds: float, rate: float) -> dict:
    """The first `active` learners move their sliders for WARMUP_S + seconds; the window's figures
    (see the module docstring). Raises RuntimeError when a change did not redraw."""
    start_at = time.perf_counter() + 0.2
    window_start, window_end = start_at + WARMUP_S, start_at + WARMUP_S + seconds
    movers = [asyncio.create_task(learner.move(start_at, window_end, rate)) for learner in learners[:active]]
    await asyncio.sleep(window_start - time.perf_counter())
    before = take_sample()
    await asyncio.sleep(window_end - time.perf_counter())
    after = take_sample()
    per_learner = await asyncio.gather(*movers)
    _check_redraws(learners[:active], per_learner)
    counted = [c for changes in per_learner for c in changes if c.sent_at >= window_start]
    if not counted:
        raise RuntimeError(f"K={active}: no slider change in the {seconds} s window")
    return _run_figures(hub, learners, active, counted, before, after)


def _check_redraws(learners: list[Learner], per_learner: list[list[Change]]) -> None:
    for learner, changes in zip(learners, per_learner, strict=True):
        silent = [c for c in changes if c.mark_updates == 0]
        if silent:
            raise RuntimeError(f"{learner.account.name}: {len(silent)} of {len(changes)} changes of "
                               f"{_slider_name(learner)} updated no bqplot mark: the kernel did not redraw")


def _run_figures(hub, learners: list[Learner], active: int, counted: list[Change],
                 before: Sample, after: Sample) -> dict:
    """One row of the table (and its details) from the window's changes and samples."""
    cores = os.cpu_count() or 1
    active_uids = {learner.account.uid for learner in learners[:active]}
    idle_uids = {learner.account.uid for learner in learners[active:]}
    hub_group = hub.process.pid
    latencies = [c.latency_ms for c in counted]
    memory = memory_summary(sorted(active_uids))
    seconds = after.at - before.at
    return {
        "learners": active, "changes": len(counted),
        "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
        "busy_cores": round(busy_cores(before.cpu, after.cpu, cores), 2),
        "cpu_per_learner_cores": round(cpu_cores(before, after, lambda uid, s: uid in active_uids) / active, 3),
        "memory_mib_mean": round(memory["rss_mean"], 1), "memory_mib_max": round(memory["rss_max"], 1),
        "details": {
            "p95_from_move_ms": round(percentile([(c.sent_at - c.moved_at) * 1000 + c.latency_ms
                                                  for c in counted], 95), 1),
            "max_ms": round(max(latencies), 1),
            "to_kernel_ms_p50": round(percentile([c.to_kernel_ms for c in counted], 50), 1),
            "kernel_ms_p50": round(percentile([c.kernel_ms for c in counted], 50), 1),
            "back_ms_p50": round(percentile([c.back_ms for c in counted], 50), 1),
            "moves": sum(c.moves for c in counted),
            "changes_per_learner_per_s": round(len(counted) / active / seconds, 2),
            "messages_per_change": statistics.median(c.messages for c in counted),
            "mark_updates_per_change": statistics.median(c.mark_updates for c in counted),
            "bytes_per_change": int(statistics.median(c.bytes for c in counted)),
            "idle_learners_cores": round(cpu_cores(before, after, lambda uid, s: uid in idle_uids), 3),
            "hub_and_proxy_cores": round(cpu_cores(before, after, lambda uid, s: uid == 0 and s.pgrp == hub_group), 3),
            "driver_cores": round((after.driver_cpu_s - before.driver_cpu_s) / seconds, 3),
            "pss_mib_mean": round(memory["pss_mean"], 1), "pss_mib_max": round(memory["pss_max"], 1),
        },
    }


# ---- output -----------------------------------------------------------------------------------------
TABLE_HEADER = ("| learners | changes | p50 ms | p95 ms | busy cores | CPU per learner (cores) "
                "| memory per learner MiB (mean, max) |\n|---|---|---|---|---|---|---|")


def table_row(run: dict) -> str:
    return (f"| {run['learners']} | {run['changes']} | {run['p50_ms']:.0f} | {run['p95_ms']:.0f} "
            f"| {run['busy_cores']:.2f} | {run['cpu_per_learner_cores']:.3f} "
            f"| {run['memory_mib_mean']:.0f}, {run['memory_mib_max']:.0f} |")


def print_run(run: dict) -> None:
    """One K's figures as they come (the table follows at the end)."""
    d = run["details"]
    print(f"K={run['learners']}: {run['changes']} changes ({d['changes_per_learner_per_s']}/s per learner, "
          f"{d['moves']} moves), p50 {run['p50_ms']} ms, p95 {run['p95_ms']} ms (from the move: "
          f"{d['p95_from_move_ms']} ms), max {d['max_ms']} ms; p50 parts: to the kernel {d['to_kernel_ms_p50']}, "
          f"in it {d['kernel_ms_p50']}, back {d['back_ms_p50']} ms; per change {d['messages_per_change']} messages, "
          f"{d['mark_updates_per_change']} mark updates, {d['bytes_per_change']} bytes; busy cores "
          f"{run['busy_cores']}, per active learner {run['cpu_per_learner_cores']}, idle learners "
          f"{d['idle_learners_cores']}, hub+proxy {d['hub_and_proxy_cores']}, driver {d['driver_cores']}; "
          f"memory per learner RSS {run['memory_mib_mean']:.0f}/{run['memory_mib_max']:.0f} MiB, "
          f"PSS {d['pss_mib_mean']:.0f}/{d['pss_mib_max']:.0f} MiB (mean/max)", flush=True)


def print_setup(figures: dict) -> None:
    memory = figures["memory_mib"]
    steps = ", ".join(f"{step} {figures[step]['mean_s']:.1f}/{figures[step]['max_s']:.1f} s"
                      for step in ("server start", "pull", "kernel start", "chapter run"))
    print(f"set-up: {figures['learners']} learners in {figures['seconds']:.0f} s ({SETUP_PARALLEL} at a time); "
          f"per learner (mean/max): {steps}", flush=True)
    print(f"after the chapter: memory per learner RSS {memory['rss_mean']:.0f}/{memory['rss_max']:.0f} MiB, "
          f"PSS {memory['pss_mean']:.0f}/{memory['pss_max']:.0f} MiB (mean/max); {figures['widgets']} widget "
          f"models, {figures['marks']} bqplot marks; slider {figures['slider']}", flush=True)


# ---- main ---------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[1, 5, 10, 20, 30],
                        help="the values of K, learners moving a slider at once")
    parser.add_argument("--chapter", default="07", help="the chapter the learners run (NN)")
    parser.add_argument("--control", default="scale",
                        help="the slider moved: its description, or a word of it ('scale' is 'Wh scale')")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window per K (after a 3 s warm-up)")
    parser.add_argument("--rate", type=float, default=5.0, help="slider moves a second per active learner")
    parser.add_argument("--seed", type=int, default=14, help="seed of the learners' random walks")
    parser.add_argument("--keep-going", action="store_true", help="measure every K, even past saturation")
    parser.add_argument("--save", type=Path, help="write the figures as JSON to this path")
    args = parser.parse_args(argv)
    if min(args.learners) < 1 or args.seconds <= 0 or args.rate <= 0:
        parser.error("--learners must be >= 1, --seconds and --rate > 0")
    args.learners = sorted(set(args.learners))
    return args


async def benchmark(hub, args: argparse.Namespace) -> dict:
    """Set up max(K) learners, measure each K; the JSON document of --save."""
    notebook = chapter_notebook(hub.course, args.chapter)
    learners: list[Learner] = []
    try:
        learners, setup = await set_up_all(hub, hub.learners, code_cells(notebook), args.control, args.seed)
        print_setup(setup)
        runs = []
        for k in args.learners:
            runs.append(await measure(hub, learners, k, args.seconds, args.rate))
            print_run(runs[-1])
            if runs[-1]["p95_ms"] > BUDGET_MS and not args.keep_going:
                print(f"K={k}: p95 above {BUDGET_MS:.0f} ms, saturated: stopping here", flush=True)
                break
    finally:
        await asyncio.gather(*(learner.client.close() for learner in learners), return_exceptions=True)
    cores = os.cpu_count() or 1
    return {"date": datetime.date.today().isoformat(), "machine": describe_machine(), "cores": cores,
            "chapter": notebook.name, "control": setup["slider"]["description"], "rate": args.rate,
            "seconds": args.seconds, "setup": setup, "runs": runs, "sizing": sizing(runs, cores)}


def report(result: dict, save: Path | None) -> None:
    print()
    print(TABLE_HEADER)
    for run in result["runs"]:
        print(table_row(run))
    print()
    print(sizing_line(result["sizing"], result["cores"]), flush=True)
    if save is not None:
        save.write_text(json.dumps(result, indent=2) + "\n")
        print(f"saved: {save}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM as Ctrl-C: the hub's teardown still runs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from tests.hub import hubctl

    reason = hubctl.unavailable_reason()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _interrupt)
    print(describe_machine(), flush=True)
    roles = ("instructor", *(f"l{i:02d}" for i in range(1, max(args.learners) + 1)))
    # The hub is started from this (the main) thread: it dies with the thread that started it.
    with hubctl.running_hub(roles=roles) as hub:
        print(f"hub at {hub.url} with {len(roles) - 1} learners; chapter {args.chapter}, control "
              f"{args.control!r}, {args.rate:g} moves/s, {args.seconds:g} s per K", flush=True)
        result = asyncio.run(benchmark(hub, args))
        report(result, args.save)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:
        traceback.print_exc()
        sys.exit(1)

"""The pure parts of the hub capacity benchmark (benchmarks/hub_capacity.py): percentiles, /proc
parsing, the sizing a README table is written from, the kernel websocket's v1 frames, and the
learners' slider walk. The benchmark itself needs a hub (root, local users): it is run by hand."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import hub_capacity as hc

# /proc/stat of a 2-core machine: cpu user nice system idle iowait irq softirq steal guest guest_nice
PROC_STAT = """\
cpu  1000 20 300 5000 80 10 5 0 400 7
cpu0 500 10 150 2500 40 5 2 0 200 3
cpu1 500 10 150 2500 40 5 3 0 200 4
intr 12345 0 0
ctxt 999
"""


def run(learners: int, p95_ms: float, memory_max: float = 300.0) -> dict:
    return {"learners": learners, "p95_ms": p95_ms, "memory_mib_max": memory_max}


# ---- percentile -------------------------------------------------------------------------------------
@pytest.mark.parametrize("q", [0, 5, 25, 50, 90, 95, 99, 100])
def test_percentile_matches_numpys_linear_interpolation(q):
    values = list(np.random.default_rng(3).exponential(40.0, size=37))
    assert hc.percentile(values, q) == pytest.approx(np.percentile(values, q))


def test_percentile_of_known_values():
    assert hc.percentile([10.0, 20.0, 30.0, 40.0], 50) == 25.0
    assert hc.percentile([40.0, 10.0, 30.0, 20.0], 100) == 40.0  # order does not matter
    assert hc.percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 100.0], 95) == pytest.approx(55.0)
    assert hc.percentile([7.0], 95) == 7.0


@pytest.mark.parametrize("values, q", [([], 50), ([1.0], -1), ([1.0], 101)])
def test_percentile_refuses_no_values_or_q_outside_0_100(values, q):
    with pytest.raises(ValueError):
        hc.percentile(values, q)


# ---- /proc ------------------------------------------------------------------------------------------
def test_proc_stat_busy_leaves_out_idle_iowait_and_guest():
    times = hc.parse_proc_stat(PROC_STAT)
    assert times.total == 1000 + 20 + 300 + 5000 + 80 + 10 + 5 + 0  # guest is already in user
    assert times.busy == 1000 + 20 + 300 + 10 + 5


def test_proc_stat_without_the_aggregate_line_is_refused():
    with pytest.raises(ValueError):
        hc.parse_proc_stat("cpu0 1 2 3 4 5 6 7 8\nintr 1\n")


def test_busy_cores_is_the_busy_share_times_the_cores():
    before = hc.CpuTimes(busy=1000, total=10_000)
    assert hc.busy_cores(before, hc.CpuTimes(busy=1750, total=11_000), cores=2) == pytest.approx(1.5)
    assert hc.busy_cores(before, hc.CpuTimes(busy=1000, total=11_000), cores=2) == 0.0
    with pytest.raises(ValueError):
        hc.busy_cores(before, before, cores=2)


def test_pid_stat_counts_fields_after_the_command_even_with_spaces_and_parentheses():
    fields = ["S", "1", "4242", "4242", "0", "-1", "4194560", "100", "0", "0", "0",
              "731", "169", "3", "1", "20", "0", "5", "0", "123456", "987654321", "34567"]
    stat = hc.parse_pid_stat("31337 (python (kernel) x) " + " ".join(fields) + " 18446744073709551615 1 1")
    assert stat == hc.PidStat(pgrp=4242, cpu_ticks=731 + 169, rss_pages=34567)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc only")
def test_this_machines_proc_files_parse():
    times = hc.parse_proc_stat(Path("/proc/stat").read_text())
    assert 0 < times.busy < times.total
    own = hc.parse_pid_stat(Path("/proc/self/stat").read_text())
    assert own.rss_pages > 0 and own.cpu_ticks >= 0


# ---- sizing -----------------------------------------------------------------------------------------
def test_sizing_takes_the_largest_k_before_the_first_saturated_one():
    runs = [run(1, 60), run(5, 80), run(10, 149.9), run(20, 210, memory_max=320.5)]
    sized = hc.sizing(runs, cores=2)
    assert sized["largest_learners"] == 10
    assert sized["learners_per_core"] == 5.0
    assert sized["learners_per_core_is_lower_bound"] is False
    assert sized["memory_per_learner_mib"] == 320.5  # the largest of any run
    assert sized["p95_budget_ms"] == 150


def test_sizing_ignores_a_k_past_saturation_that_measured_better():
    runs = [run(20, 90), run(5, 70), run(10, 151), run(1, 50)]  # any order; 20 after a miss at 10
    assert hc.sizing(runs, cores=2)["largest_learners"] == 5


def test_sizing_says_lower_bound_when_every_k_meets_the_budget():
    sized = hc.sizing([run(1, 40), run(30, 150)], cores=4)  # 150 itself meets "<= 150"
    assert sized["learners_per_core"] == 7.5
    assert sized["learners_per_core_is_lower_bound"] is True
    assert "at least 7.5 (30 learners / 4 cores)" in hc.sizing_line(sized, 4)


def test_sizing_when_even_one_learner_misses():
    sized = hc.sizing([run(1, 400)], cores=2)
    assert (sized["largest_learners"], sized["learners_per_core"]) == (0, 0.0)
    assert sized["learners_per_core_is_lower_bound"] is False
    assert "at least" not in hc.sizing_line(sized, 2)


def test_sizing_line_names_budget_ratio_and_memory():
    line = hc.sizing_line(hc.sizing([run(1, 50, 250), run(5, 100, 298.6), run(10, 300, 280)], cores=2), 2)
    assert line == ("learners per core at p95 <= 150 ms: 2.5 (5 learners / 2 cores); "
                    "memory per learner: 299 MiB (max measured)")


# ---- the kernel websocket's v1 frames ------------------------------------------------------------------
def test_v1_frames_round_trip():
    parts = [b'{"msg_type": "comm_msg"}', b"{}", b"{}", b'{"comm_id": "abc"}', b"\x00\x01binary"]
    assert hc.decode_v1(hc.encode_v1("shell", parts)) == ("shell", parts)


def test_v1_frames_are_what_jupyter_server_reads_and_writes():
    connection = pytest.importorskip("jupyter_server.services.kernels.connection.base")
    parts = [b'{"a": 1}', b'{"b": 2}', b"{}", b'{"c": [1, 2]}', b"buffer"]
    assert hc.encode_v1("iopub", parts) == connection.serialize_msg_to_ws_v1(parts, "iopub")
    channel, decoded = connection.deserialize_msg_from_ws_v1(hc.encode_v1("shell", parts))
    assert (channel, decoded) == ("shell", parts)


def test_v1_decoder_refuses_what_is_not_a_frame():
    whole = hc.encode_v1("shell", [b"{}", b"{}", b"{}", b'{"a": 1}'])
    for frame in (b"", (5).to_bytes(8, "little"), whole[:-3], b'{"channel": "shell"}'):
        with pytest.raises(ValueError):
            hc.decode_v1(frame)


# ---- the slider's walk ----------------------------------------------------------------------------------
def slider(model: str = "FloatSliderModel", **state) -> dict:
    return {"_model_name": model, "description": "z", "min": -8.0, "max": 8.0, "step": 0.1, "value": 0.0, **state}


def test_float_slider_grid_values_are_on_the_step_grid():
    grid = hc.SliderGrid.from_state(slider())
    assert grid.positions == 161
    assert grid.value(0) == -8.0 and grid.value(160) == 8.0
    assert grid.value(83) == 0.3  # not 0.30000000000000071
    assert grid.index(0.0) == 80 and grid.index(100.0) == 160


def test_int_and_log_slider_grids():
    ints = hc.SliderGrid.from_state(slider("IntSliderModel", min=1, max=40, step=1, value=5))
    assert ints.value(ints.index(5)) == 5 and isinstance(ints.value(0), int)
    logs = hc.SliderGrid.from_state(slider("FloatLogSliderModel", min=-1.0, max=1.0, step=0.5, base=10.0, value=1.0))
    assert logs.positions == 5
    assert logs.index(1.0) == 2 and logs.value(4) == pytest.approx(10.0)


def test_a_slider_without_a_grid_is_refused():
    with pytest.raises(ValueError):
        hc.SliderGrid.from_state(slider(step=0.0))


def test_walk_moves_one_step_both_ways_and_turns_back_at_the_ends():
    rng = random.Random(0)
    steps = [hc.walk(5, 11, rng) - 5 for _ in range(2000)]
    assert set(steps) == {-1, 1}
    assert 0.45 < steps.count(1) / len(steps) < 0.55
    assert {hc.walk(0, 11, rng) for _ in range(50)} == {1}
    assert {hc.walk(10, 11, rng) for _ in range(50)} == {9}
    with pytest.raises(ValueError):
        hc.walk(0, 1, rng)


def test_walk_is_seeded():
    def path(seed):
        rng, position, out = random.Random(seed), 50, []
        for _ in range(30):
            position = hc.walk(position, 101, rng)
            out.append(position)
        return out

    assert path(7) == path(7) != path(8)


def test_intervals_average_one_over_the_rate_within_half_either_side():
    rng = random.Random(1)
    gaps = [hc.interval(5.0, rng) for _ in range(5000)]
    assert min(gaps) >= 0.1 and max(gaps) <= 0.3
    assert np.mean(gaps) == pytest.approx(0.2, rel=0.02)


# ---- finding the widgets --------------------------------------------------------------------------------
WIDGETS = {
    "layout": {"_model_name": "LayoutModel"},
    "scale": slider(description="Wh scale"),
    "k": slider("IntSliderModel", description="truncate k"),
    "f": {"_model_name": "ToggleButtonsModel", "description": "f"},
    "scale-again": slider(description="Wh scale"),
}


def test_find_slider_by_description_or_by_a_word_of_it():
    assert hc.find_slider(WIDGETS, "truncate k") == "k"
    assert hc.find_slider(WIDGETS, "scale") == "scale"  # the first of a dashboard shown twice
    assert hc.find_slider(WIDGETS, "k") == "k"


@pytest.mark.parametrize("control", ["f", "Wh", "momentum", "sca"])
def test_find_slider_refuses_no_or_several_matches(control):
    widgets = {**WIDGETS, "lr": slider(description="Wh lr")}  # "Wh" is a word of two sliders
    with pytest.raises(LookupError, match="truncate k"):
        hc.find_slider(widgets, control)


def test_only_bqplot_marks_count_as_redraws():
    assert hc.is_mark({"_model_module": "bqplot", "_model_name": "LinesModel", "scales_metadata": {}})
    assert not hc.is_mark({"_model_module": "bqplot", "_model_name": "AxisModel"})
    assert not hc.is_mark({"_model_module": "bqscales", "_model_name": "LinearScaleModel"})
    assert not hc.is_mark({"_model_module": "@jupyter-widgets/controls", "scales_metadata": {}})


def test_the_module_runs_as_a_script_from_the_repository_root():
    assert Path(hc.__file__).parent.name == "benchmarks" and str(hc.ROOT) in sys.path


# ---- the README's table is the saved run ----------------------------------------------------------
def test_the_readmes_sizing_table_is_the_saved_benchmark():
    root = Path(__file__).resolve().parents[1]
    saved = json.loads((root / "benchmarks" / "hub_capacity.json").read_text())
    readme = (root / "README.md").read_text()
    table = "\n".join([hc.TABLE_HEADER, *(hc.table_row(run) for run in saved["runs"])])
    assert table in readme, "README's sizing table is not benchmarks/hub_capacity.json's runs"
    sized = saved["sizing"]
    assert sized == hc.sizing(saved["runs"], saved["cores"]), "the saved sizing is not the one its runs give"
    assert f"**{sized['learners_per_core']:g} learners per core**" in readme
    assert f"**each learner needs {sized['memory_per_learner_mib']:.0f} MiB**" in readme

"""The LSTM cell diagram of chapter 08 (bplib/drawing/lstm_cell.py): every part of the step is drawn,
in its place, and the backward panel marks the cell-state path dc_{t-1} = dc_t * f_t."""

from __future__ import annotations

import itertools

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex

from bplib.drawing.lstm_cell import CELL_LAYOUT, CELL_Y, COLOURS, GATES, OPERATIONS, _edge, draw_lstm_cell

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def drawing():
    d = draw_lstm_cell()
    d.fig.canvas.draw()
    yield d
    plt.close(d.fig)


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_both_panels_draw_every_gate_and_operation(drawing):
    for panel in (drawing.forward, drawing.backward):
        assert set(panel["nodes"]) == set(GATES) | set(OPERATIONS)
    for ax in drawing.axes:
        words = texts(ax)
        for function, label in GATES.values():
            assert function in words and f"${label}_t$" in words
        for label in ("$c_{t-1}$", "$c_t$", "$h_{t-1}$", "$h_t$", "$x_t$"):
            assert label in words


def test_the_nodes_do_not_overlap_and_the_cell_state_runs_along_the_top():
    boxes = {name: _edge(name) for name in CELL_LAYOUT}
    for (a, (l1, r1, b1, t1)), (b, (l2, r2, b2, t2)) in itertools.combinations(boxes.items(), 2):
        assert r1 <= l2 or r2 <= l1 or t1 <= b2 or t2 <= b1, (a, b)
    for name in ("c_prev", "c_next", "times_f", "plus"):
        assert CELL_LAYOUT[name][1] == CELL_Y
    assert all(CELL_LAYOUT[gate][1] < CELL_Y for gate in GATES)
    assert CELL_LAYOUT["times_f"][0] == CELL_LAYOUT["gate_f"][0]  # f feeds the multiplication above it


def test_the_forward_title_is_the_step_and_the_backward_panel_marks_the_cell_path(drawing):
    assert "c_t = f_t \\odot c_{t-1} + i_t \\odot g_t" in drawing.axes[0].get_title()
    back = drawing.backward["back"]
    labels = [t.get_text() for t in back["labels"]]
    assert "$dc^{\\mathrm{next}}_{t-1} = dc_t \\odot f_t$" in labels  # what step t sends back to c_{t-1}
    assert any("dh_t \\odot o_t" in label and "\\tanh'(c_t)" in label for label in labels)
    red = COLOURS["back"]
    for name in ("cell", "hidden", "forget"):
        assert all(to_hex(arrow.get_edgecolor()) == red for arrow in back[name])
    assert to_hex(drawing.backward["nodes"]["times_f"].get_edgecolor()) == red
    assert to_hex(drawing.backward["nodes"]["gate_i"].get_edgecolor()) != red  # only the path is marked
    leftmost = min(min(a.get_path().vertices[:, 0].min() for a in back["cell"]), 10.0)
    assert leftmost < CELL_LAYOUT["times_f"][0]  # the gradient reaches c_{t-1}, past the forget gate


def test_it_draws_into_given_axes_and_refuses_anything_else():
    fig, axes = plt.subplots(1, 2)
    d = draw_lstm_cell(axes)
    assert d.fig is fig and d.axes == tuple(axes)
    with pytest.raises(ValueError, match="two matplotlib Axes"):
        draw_lstm_cell((axes[0],))
    plt.close(fig)

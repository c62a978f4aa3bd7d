"""Drawing for the chapters and dashboards (course machinery, not the teaching core).

    graph       a Value graph and its backward pass, node by node (chapter 02)
    lstm_cell   one LSTM step forward and the gradient's way back along the cell state (chapter 08)
"""

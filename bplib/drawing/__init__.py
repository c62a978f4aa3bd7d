"""Drawing for the chapters and dashboards (course machinery, not the teaching core).

    graph   a Value graph and its backward pass, node by node (chapter 02)
"""

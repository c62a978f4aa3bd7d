"""Probes and labs built from the teaching core (course machinery, not the teaching core).

    depth_probes     gradients through a deep network, layer by layer, and their bound (chapter 06)
    optimizer_paths  SGD, momentum, Adam and Rprop on an ill-conditioned quadratic (chapter 06)
    memory           gradient paths through time: RNN and LSTM cell (chapters 07-08)
"""

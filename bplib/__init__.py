"""bplib: the small numpy library behind the backpropagation course.

One concept per module, each introduced by a chapter:
    activations  (01)  sigmoid, tanh, relu, leaky relu, softmax and derivatives
    gradcheck    (01)  centered finite differences and gradient checks
    graph        (02)  Value, a scalar autograd engine
    draw         (02)  drawing Value graphs and the backward pass
    neuron       (03)  one sigmoid neuron and the delta rule
    layers       (04)  dense and activation layers: forward -> (out, cache), backward
    losses       (03+) squared error, binary and softmax cross-entropy
    network      (05)  a multilayer network of layers, with training
    optim        (05)  SGD, momentum, Rprop, learning-rate schedules
    data         (05)  XOR, spirals, moons, blobs, 8x8 digits
    depth        (06)  deep probe networks, gradient norms per layer, optimizer paths
    rnn          (07)  vanilla RNN, full and truncated BPTT, clipping, a character-level model
    text         (07)  a public-domain text for the character-level model
    lstm         (08)  LSTM step and sequence, gate by gate, gates exposed for plotting
    tasks        (07+) toy sequence tasks: first-symbol recall, the adding problem
    recall       (08)  a vanilla-RNN classifier on the last hidden state, the LSTM's opponent
    widgets      (01+) live ipywidgets dashboards
    checks       (01+) checks for the exercise notebooks
"""

__version__ = "0.1.0"

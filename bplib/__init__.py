"""bplib: the small numpy library behind the backpropagation course.

The teaching core, one concept per module, in the order the chapters introduce them:
    activations  (01)  sigmoid, tanh, relu, softmax and their derivatives
    gradcheck    (01)  centered finite differences, gradient checks, `agree`
    graph        (02)  Value, a scalar autograd engine
    neuron       (03)  one sigmoid neuron and the delta rule
    layers       (04)  dense and activation layers: forward -> (out, cache), backward(dout, cache)
    losses       (03+) squared error, binary and softmax cross-entropy
    network      (05)  a multilayer network of layers, with training
    optim        (05)  SGD, momentum, Adam, Rprop
    depth        (06)  a deep network's error signal, layer by layer
    rnn          (07)  vanilla RNN: step and sequence, full and truncated BPTT, clipping
    lstm         (08)  LSTM: gates forward and backward, BPTT
The course machinery, in subpackages:
    models       (07+) CharRNN, the RNN and LSTM sequence classifiers
    experiments  (06+) depth probes, optimizer paths on a quadratic, gradient paths through time
    data, text   (05+) small data sets, a toy sequence task, a public-domain text
    drawing      (02)  a Value graph and its backward pass, drawn
    widgets      (01+) live ipywidgets dashboards
    checks       (01+) the exercises' checks;  grade: the batch grader and progress()
(draw, tasks and recall are kept only so that notebooks saved with those imports keep working.)
"""

__version__ = "0.1.0"

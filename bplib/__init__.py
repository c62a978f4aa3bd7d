"""bplib: the small numpy library behind the backpropagation course.

One concept per module, each introduced by a chapter:
    activations  (01)  sigmoid, tanh, relu, leaky relu, softmax and derivatives
    gradcheck    (01)  centered finite differences and gradient checks
    graph        (02)  Value, a scalar autograd engine
    draw         (02)  drawing Value graphs and the backward pass
    widgets      (01+) live ipywidgets dashboards
    checks       (01+) checks for the exercise notebooks
"""

__version__ = "0.1.0"

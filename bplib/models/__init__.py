"""Models built from the teaching core (course machinery, not the teaching core).

    charrnn      CharRNN, a character-level language model: one-hot characters -> vanilla RNN ->
                 softmax over the next character, trained by windowed BPTT (chapter 07)
    classifiers  RNNClassifier and LSTMClassifier: a recurrent network read at its last state,
                 sharing one head and one training loop (chapters 07-08)
"""

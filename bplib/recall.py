"""Moved to bplib.models.classifiers: the sequence classifiers are models built from the core.

This module stays so that notebooks saved with `from bplib.recall import RNNClassifier` keep working.
"""

from bplib.models.classifiers import RNNClassifier

__all__ = ["RNNClassifier"]

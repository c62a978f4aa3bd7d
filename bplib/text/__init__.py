"""A small text shipped with bplib, for the character-level language model (introduced in chapter 07).

    load_text("coriolanus")  the opening of Shakespeare's Coriolanus, 1193 lines, 31742 characters
    char_vocab(text)         the sorted list of distinct characters and the map character -> index

The play is in the public domain; the excerpt is the start of the "tinyshakespeare" file of
Andrej Karpathy's char-rnn repository, unchanged (see TEXT_LICENSE.md beside this file).
Files are read with importlib.resources, so this works from an installed package and from an
editable checkout alike, with no download.
"""

from __future__ import annotations

from importlib import resources

from bplib._validate import _describe

__all__ = ["TEXTS", "load_text", "char_vocab"]

# name -> file in this package
TEXTS = {"coriolanus": "coriolanus.txt"}


def load_text(name: str = "coriolanus") -> str:
    """The text of a shipped file, exactly as stored. Chapter 07.

    Inputs:
        name: a key of TEXTS ("coriolanus").
    Returns:
        the whole text, a str with "\\n" line endings (the coriolanus excerpt ends with one).
    """
    if not isinstance(name, str) or name not in TEXTS:
        raise ValueError(f"name: expected one of {sorted(TEXTS)}, got {name!r}")
    return resources.files("bplib.text").joinpath(TEXTS[name]).read_text(encoding="utf-8")


def char_vocab(text: str) -> tuple[list[str], dict[str, int]]:
    """The characters of a text, sorted, and each character's index. Chapter 07.

    Sorting makes the vocabulary (and so a model's one-hot columns) the same on every run.

    Inputs:
        text: a non-empty str.
    Returns:
        chars: list of the V distinct characters, sorted by code point; chars[i] is character i.
        char_to_index: dict character -> i, the inverse of chars.
    """
    if not isinstance(text, str):
        raise ValueError(f"text: expected a str, got {_describe(text)}")
    if not text:
        raise ValueError("text: expected a non-empty str, got an empty one")
    chars = sorted(set(text))
    return chars, {c: i for i, c in enumerate(chars)}

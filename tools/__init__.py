"""Maintainer tools: run notebooks, generate exercises. Not needed by learners."""

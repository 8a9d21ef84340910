"""Simulation: the tutorial's loop with the ground truth as oracle, and strategy comparisons.

Built on ``al_core.learning`` and ``al_core.data``.
"""

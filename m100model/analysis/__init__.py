"""Analyses on top of the portfolio model: marginal abatement cost curves (and, later,
ensembles, near-optimal alternatives and monitoring)."""

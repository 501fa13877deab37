"""Analyses on top of the portfolio model: marginal abatement cost curves (``macc``),
uncertain inputs and ensembles on Dask (``uncertainty``, ``ensemble``), near-optimal
alternatives (``alternatives``), Pareto fronts and tornado sensitivity (``tradeoffs``), and
monitoring: on/off track, LMDI decomposition and transition indicators (``monitoring``)."""

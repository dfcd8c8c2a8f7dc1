"""Analytical methods as data (one TOML file per method standard in ``data/``).

Public API: :func:`lims.methods.loader.load_methods`, ``find_method``,
``methods_for_analyte``; :meth:`lims.methods.method.Method.compute`; and the safe formula
evaluator :func:`lims.methods.formula.compile_formula`.  Submodules are imported by
callers so that importing the package stays cheap.
"""

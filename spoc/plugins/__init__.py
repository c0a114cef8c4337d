"""Plugins: finding, loading, ordering and registering them with pluggy.

Owns the ``spoc.plugins`` entry-point group, configured and ``-p`` plugins,
``spoc_requires``/``spoc_before``/``spoc_after`` ordering, the pluggy manager
with SPOC's records and validation (:mod:`spoc.plugins.host`), and SPOC's own
behaviour registered as a plugin (:mod:`spoc.plugins.builtins`).
"""

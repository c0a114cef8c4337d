"""Settings: every source of a project's configuration, where each value came from, and their validation.

Owns spoc.toml, the per-mode files, the settings module, ``.env`` and the
``SPOC_*`` variables; the mode and the apps it selects; ``fw.settings`` and the
sections plugins declare through ``spoc_load_settings``; masking secrets.
"""

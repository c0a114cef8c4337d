"""The demo's settings module: read before spoc.toml.

INSTALLED_APPS always load, first and in this order, whatever the mode. Every
other UPPERCASE name is a project setting: ``framework.settings.SITE_NAME``.
"""

INSTALLED_APPS = ["core"]

SITE_NAME = "The SPOC Blog"
POSTS_PER_PAGE = 5

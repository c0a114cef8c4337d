"""SPOC's files as pydantic-settings sources, composed with pydantic-settings' own for the environment and ``.env``.

:func:`reading` says which project's files a settings class reads while it is
instantiated; ``spoc.Settings.settings_customise_sources`` then returns, strongest
first: the init arguments, pydantic-settings' environment and ``.env`` sources,
the per-mode files, spoc.toml and the settings module. Outside :func:`reading`
a settings class reads only the environment, as any ``BaseSettings`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from spoc.settings.sources import ProjectSources, SourceTable

__all__ = ["TableSource", "project_sources", "reading"]

_PROJECT: ContextVar[ProjectSources | None] = ContextVar("spoc_project_sources", default=None)


class TableSource(PydanticBaseSettingsSource):
    """One of SPOC's sources (a spoc.toml or per-mode file, the settings module) as pydantic-settings sees it."""

    def __init__(self, settings_cls: type[BaseSettings], source: SourceTable) -> None:
        super().__init__(settings_cls)
        self.source = source

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Return the value this source gives ``field_name``, as pydantic-settings asks of every source."""
        return self.source.table.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.source.table)

    def __repr__(self) -> str:
        return f"TableSource({self.source.name!r})"


@contextmanager
def reading(sources: ProjectSources) -> Iterator[None]:
    """Make settings classes instantiated in this block read ``sources``' files."""
    token = _PROJECT.set(sources)
    try:
        yield
    finally:
        _PROJECT.reset(token)


def project_sources(settings_cls: type[BaseSettings]) -> tuple[PydanticBaseSettingsSource, ...]:
    """Return SPOC's file sources for ``settings_cls``, strongest first; none outside :func:`reading`."""
    sources = _PROJECT.get()
    if sources is None:
        return ()
    tables = [*sources.mode_file_tables(), *sources.toml_tables(), sources.module_table()]
    return tuple(TableSource(settings_cls, table) for table in tables)

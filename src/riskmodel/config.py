"""Configuration: packaged defaults merged with an optional user file.

The defaults in ``riskmodel/defaults/*.toml`` define every allowed key and its type.
A user file may only override keys that exist there; an unknown key or a wrong type is
an error that names the key. A table holding ``_open = true`` accepts new keys (used for
catalogues such as programs and themes, whose entries are data).
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

CONFIG_VERSION = 1


class ConfigError(ValueError):
    """A configuration file is invalid."""


def load_defaults() -> dict[str, Any]:
    """Return the merged packaged defaults (one top-level table per file)."""
    merged: dict[str, Any] = {}
    folder = resources.files("riskmodel") / "defaults"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        for key, value in data.items():
            if key in merged:
                raise ConfigError(f"defaults/{entry.name}: key {key!r} is defined twice")
            merged[key] = value
    return merged


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


def _merge(base: dict[str, Any], override: dict[str, Any], path: str) -> None:
    is_open = bool(base.get("_open", False))
    for key, value in override.items():
        where = f"{path}.{key}" if path else key
        if key not in base:
            if is_open:
                base[key] = value
                continue
            raise ConfigError(f"unknown configuration key {where!r}; check its spelling")
        default = base[key]
        if _type_name(default) != _type_name(value):
            raise ConfigError(
                f"configuration key {where!r} must be a {_type_name(default)}, "
                f"got {_type_name(value)} {value!r}"
            )
        if isinstance(default, dict):
            _merge(default, value, where)
        else:
            base[key] = value


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """Load the configuration: defaults, overridden by the TOML file at ``path``.

    Raises
    ------
    ConfigError
        If the file cannot be parsed, has an unknown key, a wrong type or version.
    """
    config = load_defaults()
    if path is None:
        return config
    path = Path(path)
    try:
        user = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: configuration file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    version = user.get("config_version", CONFIG_VERSION)
    if version != CONFIG_VERSION:
        raise ConfigError(
            f"{path}: config_version {version} is not supported (expected {CONFIG_VERSION})"
        )
    try:
        _merge(config, user, "")
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return config


def override(config: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``config`` with ``changes`` applied under the same validation."""
    result = copy.deepcopy(config)
    _merge(result, changes, "")
    return result


def config_hash(config: dict[str, Any]) -> str:
    """Stable sha256 of a configuration (for the manifest)."""
    text = json.dumps(config, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

"""Where the broker is and who the user is: options, then the environment, then a config file.

The environment: ``IVOA_EB_URL``, ``IVOA_EB_TOKEN`` (a bearer token). The config file
(``~/.config/ivoa-eb/config.toml``, or ``--config``, or ``IVOA_EB_CONFIG``) holds the same
under ``[default]`` or a named ``[profile]``::

    [default]
    url = "https://eb.example.org/broker"
    token = "..."            # better: IVOA_EB_TOKEN, or a file readable by you only
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs


class SettingsError(ValueError):
    """The settings cannot be used; the message says which one and where it came from."""


@dataclass(frozen=True)
class Settings:
    url: str
    token: str | None = None
    media_type: str = "application/yaml"


def default_config() -> Path:
    given = os.environ.get("IVOA_EB_CONFIG")
    if given:
        return Path(given)
    return Path(platformdirs.user_config_dir("ivoa-eb")) / "config.toml"


def resolve(url: str | None, config: Path | None, profile: str = "default") -> Settings:
    """Options over the environment over the config file's ``[profile]`` table."""
    path = config or default_config()
    table: dict[str, object] = {}
    if path.is_file():
        try:
            tables = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as problem:
            raise SettingsError(f"config file {path}: {problem}") from None
        chosen = tables.get(profile, {})
        if not isinstance(chosen, dict):
            raise SettingsError(f"config file {path}: [{profile}] is not a table")
        unknown = sorted(set(chosen) - {"url", "token", "media_type"})
        if unknown:
            raise SettingsError(f"config file {path}: [{profile}] {unknown[0]}: unknown key "
                                "(known: url, token, media_type)")
        table = chosen
    elif config is not None:
        raise SettingsError(f"config file {path} does not exist")
    elif profile != "default":
        raise SettingsError(f"profile {profile!r} needs a config file ({path})")
    found_url = url or os.environ.get("IVOA_EB_URL") or table.get("url")
    if not isinstance(found_url, str) or not found_url:
        raise SettingsError("no broker URL: give --url, set IVOA_EB_URL, or put url in "
                            f"[{profile}] of {path}")
    token = os.environ.get("IVOA_EB_TOKEN") or table.get("token")
    media_type = table.get("media_type", "application/yaml")
    if token is not None and not isinstance(token, str):
        raise SettingsError(f"config file {path}: [{profile}] token: expected a string")
    if not isinstance(media_type, str):
        raise SettingsError(f"config file {path}: [{profile}] media_type: expected a string")
    return Settings(found_url, token or None, media_type)

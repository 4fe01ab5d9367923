"""Reading the settings: the TOML file, overlaid with the environment, validated."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from bot.config.base import ConfigError
from bot.config.settings import Settings
from bot.config.webhooks import webhook_label

ENV_PREFIX = "LEADBOT_"
CONFIG_ENV = "LEADBOT_CONFIG"
DEFAULT_CONFIG = "bot.toml"


def _secret_fields(model: type[BaseModel]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get("secret"):
            out[name] = str(extra["env"])
    return out


def _section_model(section: str) -> type[BaseModel] | None:
    field = Settings.model_fields.get(section)
    if field is None:
        return None
    annotation = field.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


VERBATIM_SECRETS = frozenset({("server", "tombstone_key"), ("email", "link_secret")})
"""Secrets taken exactly as given: what they signed outlives the process (the tombstones'
recorded fingerprint, e-mail links already sent), so trimming one now would break it."""


def _parse_env_value(raw: str, annotation: Any, *, keep_as_given: bool = False) -> Any:
    """Environment values are strings; lists and tables are written in TOML syntax. A
    secret loses the blanks and line ends around it: one read from a file (``$(cat
    token.txt)``, a Kubernetes secret) often ends in a newline, and then no request ever
    matched it — every one was a 401 with nothing to say why. Not the
    :data:`VERBATIM_SECRETS` (``keep_as_given``)."""
    if annotation in (SecretStr, SecretStr | None) and not keep_as_given:
        return raw.strip()
    if annotation in (str, SecretStr, SecretStr | None) or annotation == str | None:
        return raw
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):  # the check then names the variable
        return raw


def _overlay_environment(
    data: dict[str, Any], environ: Mapping[str, str]
) -> dict[tuple[str, str], str]:
    """Put the ``LEADBOT_<SECTION>__<KEY>`` values over the file's; which variable set
    which key (an error then names the variable, not the file)."""
    from_env: dict[tuple[str, str], str] = {}
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or name == CONFIG_ENV:
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        section, sep, key = rest.partition("__")
        if not sep:
            # Not ours (e.g. LEADBOT_TEST_BACKENDS) — unless it looks like a setting with a
            # single underscore by mistake, such as LEADBOT_SLACK_ENABLED.
            head = rest.split("_", 1)[0]
            if _section_model(head) is not None:
                raise ConfigError(
                    f"unknown setting in the environment: {name} "
                    f"(sections and keys are separated by two underscores: "
                    f"LEADBOT_{head.upper()}__{rest[len(head) + 1 :].upper()})"
                )
            continue
        model = _section_model(section)
        if model is None or key not in model.model_fields:
            raise ConfigError(
                f"unknown setting in the environment: {name} "
                f"(expected LEADBOT_<SECTION>__<KEY>, e.g. LEADBOT_SLACK__ENABLED)"
            )
        annotation = model.model_fields[key].annotation
        data.setdefault(section, {})
        if not isinstance(data[section], dict):
            raise ConfigError(f"{section}: must be a table")
        verbatim = (section, key) in VERBATIM_SECRETS
        data[section][key] = _parse_env_value(raw, annotation, keep_as_given=verbatim)
        from_env[(section, key)] = name
    return from_env


def _reject_file_secrets(data: Mapping[str, Any], path: Path) -> None:
    for section, values in data.items():
        model = _section_model(section)
        if model is None or not isinstance(values, Mapping):
            continue
        for key, env in _secret_fields(model).items():
            if key in values:
                raise ConfigError(
                    f"{path}: {section}.{key} is a secret and must not be in the file; "
                    f"set the environment variable {env} instead"
                )


def _webhook_secrets(data: dict[str, Any], environ: Mapping[str, str], path: Path) -> None:
    """Each ``[[webhooks]]`` secret from the variable its ``secret_env`` names, never the file."""
    hooks = data.get("webhooks")
    if not isinstance(hooks, list):
        return
    for i, hook in enumerate(hooks):
        if not isinstance(hook, dict):
            continue
        if "secret" in hook:
            raise ConfigError(
                f"{path}: {webhook_label(i, hook.get('name'))}.secret is a secret and must not "
                "be in the file; "
                "name an environment variable with secret_env instead"
            )
        name = hook.get("secret_env")
        if isinstance(name, str) and environ.get(name):
            hook["secret"] = environ[name]


def _place(loc: tuple[str | int, ...], data: Mapping[str, Any]) -> str:
    """Where a problem is, as the file says it: ``server.port``; a ``[[webhooks]]`` table by
    its name (``webhooks["crm"].url``), since its position means nothing in the file; a
    ``[[products]]`` table counted as a reader counts (``[[products]] table 1: id``), not
    from 0 — its id may be the very problem."""
    if len(loc) >= 2 and loc[0] == "products" and isinstance(loc[1], int):
        return f"[[products]] table {loc[1] + 1}: " + ".".join(str(part) for part in loc[2:])
    if len(loc) >= 2 and loc[0] == "webhooks" and isinstance(loc[1], int):
        hooks = data.get("webhooks")
        hook = hooks[loc[1]] if isinstance(hooks, list) and loc[1] < len(hooks) else None
        name = hook.get("name") if isinstance(hook, dict) else None
        return "".join([webhook_label(loc[1], name), *(f".{part}" for part in loc[2:])])
    return ".".join(str(part) for part in loc) or "(top level)"


_KEYED = re.compile(r"(?P<key>[a-z][a-z0-9_]*)(?P<index>(?:\[\d+\])*): (?P<why>.*)", re.DOTALL)
"""A section check's message about one of its keys: ``digest: …``, ``feeds[0]: …``."""


def _section_check(
    problem: Any, message: str, from_env: Mapping[tuple[str, str], str]
) -> str | None:
    """A section validator's error about its own keys, said as a key's own error is:
    ``reports.digest (from LEADBOT_REPORTS__DIGEST): 'monday 8' is not …`` — with the
    variable of every key it names that came from the environment; None for others."""
    loc = problem["loc"]
    model = _section_model(str(loc[0])) if len(loc) == 1 else None
    found = _KEYED.fullmatch(message)
    if model is None or found is None or found["key"] not in model.model_fields:
        return None
    section, key = str(loc[0]), found["key"]
    error = (problem.get("ctx") or {}).get("error")
    named = []
    if (section, key) in from_env:
        named.append(f"from {from_env[(section, key)]}")
    for other in getattr(error, "others", ()):  # a Mismatch: the other keys it names
        if (section, other) in from_env:
            named.append(f"{other} from {from_env[(section, other)]}")
    where = f"{section}.{key}{found['index']}" + (f" ({'; '.join(named)})" if named else "")
    return f"{where}: {found['why']}"


def _format_validation_error(
    err: ValidationError,
    source: str,
    from_env: Mapping[tuple[str, str], str],
    data: Mapping[str, Any],
) -> str:
    lines = [f"invalid configuration ({source}):"]
    for problem in err.errors():
        parts = [str(part) for part in problem["loc"]]
        loc = _place(tuple(problem["loc"]), data)
        variable = from_env.get((parts[0], parts[1])) if len(parts) >= 2 else None
        if variable:
            loc = f"{loc} (from {variable})"
        # Pydantic prefixes the message of a validator's ValueError; ours say it all.
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown key"
        if problem["type"] == "value_error":
            said = _section_check(problem, message, from_env)
            if said is not None:
                lines.append(f"  {said}")
                continue
        if not problem["loc"] and problem["type"] == "value_error":
            # The cross-checks: each line of the message names its own place.
            lines.extend(f"  {line}" for line in message.splitlines())
            continue
        lines.append(f"  {loc}: {message}")
    return "\n".join(lines)


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_settings(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    must_exist: bool | None = None,
) -> Settings:
    """Load and validate settings; raise :class:`ConfigError` naming what is wrong.

    A missing file is fine when no path was asked for explicitly (defaults apply); an
    explicitly requested file (``--config`` or ``LEADBOT_CONFIG``) must exist.
    """
    environ = os.environ if environ is None else environ
    explicit = path or environ.get(CONFIG_ENV)
    file = Path(explicit) if explicit else Path(DEFAULT_CONFIG)
    if must_exist is None:
        must_exist = bool(explicit)
    data: dict[str, Any] = {}
    if file.exists():
        try:
            # utf-8-sig: an editor's byte order mark is no reason to refuse the file.
            data = tomllib.loads(file.read_text(encoding="utf-8-sig"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
        except RecursionError:  # tomllib recurses once per nested array or inline table
            raise ConfigError(f"{file}: not valid TOML: nested too deeply") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{file}: not UTF-8 (byte {exc.start + 1} cannot be read); save it as UTF-8"
            ) from None
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read: {exc.strerror}") from None
        _reject_file_secrets(data, file)
    elif must_exist:
        raise ConfigError(f"config file not found: {file}")
    from_env = _overlay_environment(data, environ)
    _webhook_secrets(data, environ, file)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        source = str(file) if file.exists() else "environment; no config file"
        raise ConfigError(_format_validation_error(exc, source, from_env, data)) from None

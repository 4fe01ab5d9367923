"""``[matching]`` settings: defaults, overrides from the environment, clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def _load(**environ: str):  # type: ignore[no-untyped-def]
    env = {f"LEADBOT_MATCHING__{k.upper()}": v for k, v in environ.items()}
    return load_settings("/nonexistent-leadbot.toml", env, must_exist=False)


def test_defaults() -> None:
    m = _load().matching
    assert m.tiers == ["platinum", "gold", "silver", "registered"]
    assert (m.require_certification, m.require_stock, m.unknown_products) == (
        True,
        False,
        "ignore",
    )
    assert (m.enterprise_min_employees, m.sme_min_employees, m.max_distance_km) == (1000, 1, 300)
    assert (m.conversion_prior_won, m.conversion_prior_closed) == (1, 4)
    assert m.weights.model_dump() == dict.fromkeys(
        ("distance", "tier", "certification", "conversion", "load"), 1.0
    )


def test_weights_and_lists_from_the_environment() -> None:
    m = _load(weights="{distance = 2.5, load = 0}", tiers='["gold", "silver"]').matching
    assert m.weights.distance == 2.5 and m.weights.load == 0 and m.weights.tier == 1.0
    assert m.tiers == ["gold", "silver"]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"weights": "{distance = -1}"}, "matching.weights.distance"),
        (
            {"weights": "{speed = 1}"},
            r"matching.weights.speed \(from LEADBOT_MATCHING__WEIGHTS\): unknown key",
        ),
        (
            {"sme_min_employees": "5000"},
            r"matching.sme_min_employees \(from LEADBOT_MATCHING__SME_MIN_EMPLOYEES\): "
            r"5000 must be below enterprise_min_employees \(1000\)",
        ),
        ({"tiers": "[]"}, r"matching.tiers \(from LEADBOT_MATCHING__TIERS\): needs at least one"),
        (
            {"tiers": '["gold", "Gold"]'},
            r"tiers \(from LEADBOT_MATCHING__TIERS\): names must be unique",
        ),
        (
            {"conversion_prior_won": "5"},
            r"conversion_prior_won \(from LEADBOT_MATCHING__CONVERSION_PRIOR_WON\): 5 must "
            r"not exceed conversion_prior_closed \(4\)",
        ),
        ({"unknown_products": '"drop"'}, "matching.unknown_products"),
        ({"max_distance_km": "0"}, "matching.max_distance_km"),
    ],
)
def test_bad_values_are_refused_naming_the_key(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(**environ)


def test_product_minimum_must_be_a_known_level(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(
        '[matching]\ncertification_levels = ["Bronze", "Silver"]\n\n'
        '[[products]]\nid = "X"\nline = "L"\nmin_certification = "silver"\n',
        encoding="utf-8",
    )
    assert load_settings(config, {}).products[0].min_certification == "silver"  # any case
    config.write_text(config.read_text().replace('"silver"', '"gold"'), encoding="utf-8")
    # Named by the product's id, as a duplicate id is (it was ``products[0]``).
    with pytest.raises(ConfigError, match=r"products\['X'\]\.min_certification: 'gold'"):
        load_settings(config, {})

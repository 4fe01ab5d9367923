"""Configuration errors of ``[[webhooks]]``: a bad URL, name, event, secret or timeout is
refused when the settings load or the secrets are checked, named as the file names the
endpoint (``webhooks["crm"]…``, or by its position when it has no usable name).

Sending webhooks: tests/test_webhooks_delivery.py and tests/test_webhooks_retries.py;
``serve`` refusing to start without the secret: tests/test_webhooks_cli.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.crm.signing import check_webhooks
from tests.conftest import SettingsFactory

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the specification's example secret


def test_webhook_urls_and_names_are_checked_when_settings_load(tmp_path: Path) -> None:
    def load(hook: str) -> Settings:
        path = tmp_path / "bot.toml"
        path.write_text("[[webhooks]]\n" + hook, encoding="utf-8")
        return load_settings(path, {"CRM_SECRET": SECRET})

    good = 'name = "crm"\nsecret_env = "CRM_SECRET"\n'
    for url, message in (
        ("http://crm.example/h", "plain http is allowed only for localhost"),
        ("ftp://crm.example/h", "must be an https:// URL"),
        ("https://user:pw@crm.example/h", "must not carry a user name or password"),
    ):
        with pytest.raises(ConfigError) as err:
            load(good + f'url = "{url}"\n')
        # Named as the file names it: by the webhook's name, and the key.
        assert f'webhooks["crm"].url: {message}' in str(err.value), str(err.value)
    assert load(good + 'url = "http://127.0.0.1:9000/h"\n').webhooks[0].secret is not None
    with pytest.raises(ConfigError, match=r"unknown event .lead\.sold."):
        load(good + 'url = "https://crm.example/h"\nevents = ["lead.sold"]\n')
    with pytest.raises(ConfigError, match=r'webhooks\["crm"\]\.secret .*must not be in the file'):
        load(good + 'url = "https://crm.example/h"\nsecret = "whsec_x"\n')
    with pytest.raises(ConfigError) as err:  # no usable name: its position, and every problem
        load(
            'name = "CRM!"\nsecret_env = "1X"\nurl = "https://crm.example/h"\ntimeout_seconds = 0\n'
        )
    for expected in (
        "webhooks[0].name: 'CRM!' must be 1-32 lower-case letters",
        "webhooks[0].secret_env: '1X' is not an environment variable name",
        "webhooks[0].timeout_seconds: Input should be greater than 0",
    ):
        assert expected in str(err.value), str(err.value)
    with pytest.raises(ConfigError) as err:  # a name that ends in a line break is no name
        load('name = "crm\\n"\nsecret_env = "CRM_SECRET"\nurl = "https://crm.example/h"\n')
    assert "webhooks[0].name: 'crm\\n' must be 1-32 lower-case letters" in str(err.value)


def test_a_webhook_name_given_twice_is_named_by_that_name(tmp_path: Path) -> None:
    """It was named by its position (``(top level): webhooks[2].name: duplicate webhook
    name 'crm'``), unlike every other webhook error, which names the endpoint as the file
    does: ``webhooks["crm"]…``."""

    def refused(*names: str) -> list[str]:
        path = tmp_path / "bot.toml"
        path.write_text(
            "".join(
                f'[[webhooks]]\nname = "{name}"\nsecret_env = "CRM_SECRET"\n'
                f'url = "https://{name}.example/h"\n'
                for name in names
            ),
            encoding="utf-8",
        )
        with pytest.raises(ConfigError) as err:
            load_settings(path, {"CRM_SECRET": SECRET})
        return str(err.value).splitlines()[1:]

    assert refused("crm", "erp", "crm") == ['  webhooks["crm"]: the name "crm" is given twice']
    assert refused("erp", "erp", "crm", "erp") == [
        '  webhooks["erp"]: the name "erp" is given 3 times'
    ]
    # Every repeated name, not only the first one (it took one run per name to find them).
    assert refused("crm", "crm", "erp", "shop", "erp", "erp") == [
        '  webhooks["crm"]: the name "crm" is given twice',
        '  webhooks["erp"]: the name "erp" is given 3 times',
    ]


def test_a_missing_or_malformed_secret_stops_the_start(make_settings: SettingsFactory) -> None:
    hook = {"name": "crm", "url": "https://crm.example/h", "secret_env": "CRM_SECRET"}
    with pytest.raises(ConfigError, match=r"CRM_SECRET .* is not set"):
        check_webhooks(make_settings(webhooks=[hook]))
    with pytest.raises(ConfigError, match="must start with whsec_"):
        check_webhooks(make_settings(webhooks=[{**hook, "secret": "s3cret-but-not-whsec"}]))
    with pytest.raises(ConfigError, match="at least 24 bytes"):
        check_webhooks(make_settings(webhooks=[{**hook, "secret": "whsec_c2hvcnQ="}]))
    check_webhooks(make_settings(webhooks=[{**hook, "secret": SECRET}]))

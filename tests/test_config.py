import pytest

from riskmodel.config import ConfigError, load_config, override


def test_defaults_load_and_are_versioned():
    config = load_config()
    assert config["config_version"] == 1
    assert config["privacy"]["identifiers"] == "masked"


def test_unknown_key_is_an_error(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[privacy]\nidentifers = 'full'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"privacy\.identifers"):
        load_config(path)


def test_wrong_type_is_an_error(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[privacy]\nshow_identifiers = 'yes'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a bool"):
        load_config(path)


def test_override_applies_known_keys():
    config = override(load_config(), {"privacy": {"show_identifiers": True}})
    assert config["privacy"]["show_identifiers"] is True


def test_bad_version_is_an_error(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("config_version = 99\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="config_version"):
        load_config(path)

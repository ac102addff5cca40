"""Deployment settings: declared once, documented in the README, typed, overridable."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo import settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented_in_the_readme():
    documented = set(re.findall(r"^\| `([a-z_]+)` \| `PORTAL_", README.read_text(encoding="utf-8"), re.M))
    declared = {s.name for s in settings.SETTINGS}
    assert declared - documented == set(), "settings missing from the README"
    assert documented - declared == set(), "README documents settings that do not exist"


def test_environment_overrides_file_overrides_default(tmp_path, monkeypatch):
    file = tmp_path / "portal.toml"
    file.write_text('[portal]\ntitle = "某市脱贫地图"\nmax_rows = 10\n', encoding="utf-8")
    monkeypatch.setenv("PORTAL_SETTINGS", str(file))
    monkeypatch.delenv("PORTAL_MAX_ROWS", raising=False)
    assert settings.get("title") == "某市脱贫地图"
    assert settings.get("max_rows") == 10
    assert settings.get("small_count") == 5
    monkeypatch.setenv("PORTAL_MAX_ROWS", "20")
    assert settings.get("max_rows") == 20


def test_bad_values_are_refused_with_the_setting_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_MAX_ROWS", "many")
    with pytest.raises(settings.SettingsError, match="max_rows"):
        settings.get("max_rows")
    monkeypatch.setenv("PORTAL_ANONYMOUS", "everyone")
    with pytest.raises(settings.SettingsError, match="anonymous"):
        settings.get("anonymous")
    file = tmp_path / "portal.toml"
    file.write_text("[portal]\ntypo = 1\n", encoding="utf-8")
    monkeypatch.setenv("PORTAL_SETTINGS", str(file))
    with pytest.raises(settings.SettingsError, match="typo"):
        settings.get("title")


def test_session_is_sealed_from_the_machine():
    import os
    assert Path(os.environ["PORTAL_SETTINGS"]).read_text(encoding="utf-8").strip() == "[portal]"
    from geo import datasets
    assert not str(datasets.store_root()).startswith(str(datasets.ROOT / "var"))

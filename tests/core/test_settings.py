from app.core.settings import Settings


def test_settings_persist_in_config_dir(tmp_path):
    s = Settings.load()
    assert s.theme == "dark"
    s.theme = "light"
    s.remember_source("sim://nmc")
    s.remember_source("sim://lfp")
    s.remember_source("sim://nmc")
    s.save()
    assert Settings.path().is_relative_to(tmp_path)
    again = Settings.load()
    assert again.theme == "light"
    assert again.recent_sources == ["sim://nmc", "sim://lfp"]


def test_corrupt_settings_file_gives_defaults():
    Settings.path().parent.mkdir(parents=True)
    Settings.path().write_text("{not json", encoding="utf-8")
    assert Settings.load() == Settings()

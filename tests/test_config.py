"""Settings precedence: defaults < settings file < command line; clear errors for bad settings."""

from pathlib import Path

import pytest

from mockgraph.config import Settings, check_record, load_settings
from mockgraph.errors import ConfigError


def test_defaults(tmp_path):
    """With no settings file, the defaults apply: loopback, port 8080, fixtures/, 10 MB bodies."""
    assert load_settings(cwd=tmp_path) == Settings(Path("fixtures"), "127.0.0.1", 8080, 10 * 1024 * 1024)


def test_pyproject_table(tmp_path):
    """[tool.mockgraph] in pyproject.toml is read; paths are relative to that file."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\n[tool.mockgraph]\nport = 9000\nfixtures = "fx"\n')
    settings = load_settings(cwd=tmp_path)
    assert (settings.port, settings.fixtures) == (9000, tmp_path / "fx")


def test_mockgraph_toml_wins_over_pyproject(tmp_path):
    """mockgraph.toml is preferred to pyproject.toml."""
    (tmp_path / "pyproject.toml").write_text("[tool.mockgraph]\nport = 9000\n")
    (tmp_path / "mockgraph.toml").write_text("port = 9100\nmax-body-bytes = 5\n")
    assert load_settings(cwd=tmp_path).port == 9100
    assert load_settings(cwd=tmp_path).max_body_bytes == 5


def test_contract_settings(tmp_path):
    """strict, journal and per-kind severities are read from the settings file."""
    (tmp_path / "mockgraph.toml").write_text('strict = true\njournal = "j.jsonl"\n[severity]\nenum = "warning"\n')
    settings = load_settings(cwd=tmp_path)
    assert (settings.strict, settings.journal, dict(settings.severity)) == (True, tmp_path / "j.jsonl", {"enum": "warning"})


def test_explicit_file_and_command_line(tmp_path):
    """--config FILE is read instead; flags given on the command line win over it."""
    (tmp_path / "mockgraph.toml").write_text("port = 9100\n")
    other = tmp_path / "other.toml"
    other.write_text('[tool.mockgraph]\nport = 9200\nhost = "127.0.0.2"\n')
    settings = load_settings(other, cwd=tmp_path)
    assert (settings.host, settings.port) == ("127.0.0.2", 9200)
    assert settings.but(port=0, host=None) == Settings(settings.fixtures, "127.0.0.2", 0, settings.max_body_bytes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "prot = 1\n",
            "unknown setting 'prot' (valid settings: fail-on, fixtures, host, journal, journal-limit, max-body-bytes, page-size, permissions, port, pseudonymize, record, redact, report, severity, state-limit, stateful, strict, stubs, upstream, upstream-timeout)",
        ),
        ("strict = 1\n", "strict must be true or false"),
        ('severity = { enum = "fatal" }\n', "severity.enum: 'fatal' is not one of error, warning, info"),
        ('severity = { typo = "error" }\n', "severity: unknown finding kind 'typo'"),
        ('port = "80"\n', "port must be a whole number"),
        ("port = -1\n", "port must be a whole number"),
        ("port = 70000\n", "port must be at most 65535"),
        ("port = \n", "not valid TOML"),
        ('record = "sometimes"\n', "record must be one of none, once, new, all"),
        ('upstream = "graph.microsoft.com"\n', "upstream must be an http:// or https:// URL"),
        ("upstream-timeout = 0\n", "upstream-timeout must be a number above 0"),
        ('redact = "pin"\n', "redact must be a list of header or field names"),
    ],
)
def test_bad_settings_are_named(tmp_path, text, message):
    """A bad settings file names itself and the setting."""
    (tmp_path / "mockgraph.toml").write_text(text)
    with pytest.raises(ConfigError, match="mockgraph.toml: .*" + message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(cwd=tmp_path)


def test_record_settings(tmp_path):
    """Record mode, upstream, timeout, extra secret names and pseudonyms come from the settings file."""
    (tmp_path / "mockgraph.toml").write_text(
        'record = "new"\nupstream = "https://graph.microsoft.com"\nupstream-timeout = 2.5\nredact = ["X-Tenant-Key"]\npseudonymize = true\n'
    )
    settings = check_record(load_settings(cwd=tmp_path))
    assert (settings.record, settings.upstream, settings.upstream_timeout) == ("new", "https://graph.microsoft.com", 2.5)
    assert settings.redact == ("X-Tenant-Key",) and settings.pseudonymize


def test_record_mode_needs_an_upstream():
    """A record mode other than none, with nowhere to forward to, is refused once settings are merged."""
    assert check_record(Settings(record="none")).record == "none"
    with pytest.raises(ConfigError, match="record mode 'new' needs an upstream URL"):
        check_record(Settings(record="new"))


def test_permissions_mode_is_checked(tmp_path):
    """`permissions` is off, report (the default) or enforce; anything else is named."""
    from mockgraph.config import Settings, load_settings
    from mockgraph.errors import ConfigError

    assert Settings().permissions == "report"
    (tmp_path / "mockgraph.toml").write_text('permissions = "enforce"\n')
    assert load_settings(cwd=tmp_path).permissions == "enforce"
    (tmp_path / "mockgraph.toml").write_text('permissions = "strict"\n')
    with pytest.raises(ConfigError, match="permissions must be one of off, report, enforce"):
        load_settings(cwd=tmp_path)

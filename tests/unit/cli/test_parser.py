"""Parsing of the ``jobraker`` command line."""

from pathlib import Path

import pytest

from jobraker_cli.main import build_parser, main, source_spec
from jobraker_core.jobs.ingestion import SourceSpec


def _parse(*argv):
    return build_parser().parse_args(argv)


def test_up_takes_host_port_data_dir_and_no_seed():
    """``up`` accepts where to listen, where the data lives and whether to seed."""
    args = _parse(
        "up", "--host", "192.0.2.1", "--port", "9000", "--data-dir", "data/jr", "--no-seed"
    )
    assert (args.command, args.host, args.port, args.data_dir, args.no_seed) == (
        "up",
        "192.0.2.1",
        9000,
        Path("data/jr"),
        True,
    )


def test_up_defaults_leave_choices_to_the_settings():
    """Without flags, ``up`` leaves host, port and data directory to the environment."""
    args = _parse("up")
    assert (args.host, args.port, args.data_dir, args.no_seed) == (None, None, None, False)


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_bad_ports_are_refused(port, capsys):
    """A port outside 1-65535 is a usage error naming the problem."""
    with pytest.raises(SystemExit) as exit_info:
        _parse("up", "--port", port)
    assert exit_info.value.code == 2
    assert "--port" in capsys.readouterr().err


def test_worker_burst_and_migrate():
    """``worker --burst`` and ``migrate`` parse with their data directory."""
    assert _parse("worker", "--burst").burst is True
    assert _parse("worker").burst is False
    assert _parse("migrate", "--data-dir", "d").data_dir == Path("d")


def test_serve_takes_host_and_port():
    """``serve`` takes the same listening flags as ``up``."""
    args = _parse("serve", "--host", "::", "--port", "8080")
    assert (args.host, args.port) == ("::", 8080)


def test_ingest_file_makes_a_file_spec_with_an_absolute_path(tmp_path):
    """``ingest file`` names the file by absolute path and an optional source name."""
    feed = tmp_path / "feed.jsonl"
    spec = source_spec(_parse("ingest", "file", str(feed), "--source", "acme"))
    assert spec == SourceSpec("file", (("path", str(feed.resolve())), ("source", "acme")))
    assert source_spec(_parse("ingest", "file", str(feed))) == SourceSpec(
        "file", (("path", str(feed.resolve())),)
    )


def test_ingest_adzuna_makes_an_adzuna_spec():
    """``ingest adzuna`` passes country, keywords, place and pages, leaving out what is unset."""
    spec = source_spec(
        _parse(
            "ingest",
            "adzuna",
            "--country",
            "GB",
            "--what",
            "python developer",
            "--where",
            "London",
            "--pages",
            "3",
        )
    )
    assert spec == SourceSpec(
        "adzuna",
        (("country", "gb"), ("pages", "3"), ("what", "python developer"), ("where", "London")),
    )
    short = source_spec(_parse("ingest", "adzuna", "--country", "gb", "--what", "rust"))
    assert short == SourceSpec("adzuna", (("country", "gb"), ("what", "rust")))


def test_ingest_adzuna_needs_country_and_keywords(capsys):
    """Leaving out ``--country`` or ``--what`` is a usage error."""
    with pytest.raises(SystemExit):
        _parse("ingest", "adzuna", "--what", "python")
    assert "--country" in capsys.readouterr().err


def test_ingest_demo():
    """``ingest demo`` ingests the shipped demo corpus."""
    assert source_spec(_parse("ingest", "demo")) == SourceSpec("demo")


def test_a_command_is_required(capsys):
    """``jobraker`` alone prints usage and exits with 2."""
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "usage: jobraker" in capsys.readouterr().err


def test_help_lists_every_command(capsys):
    """``--help`` lists every command."""
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("up", "serve", "worker", "migrate", "ingest"):
        assert command in out

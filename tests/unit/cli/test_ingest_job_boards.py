"""``jobraker ingest greenhouse|lever``: the source spec each command line names."""

from __future__ import annotations

from jobraker_cli.main import build_parser, source_spec
from jobraker_core.jobs.ingestion import SourceSpec


def test_job_board_commands_name_one_board_or_the_configured_ones():
    """``--board`` / ``--company`` name one; without them the configured lists are used."""
    parser = build_parser()
    assert source_spec(parser.parse_args(["ingest", "greenhouse"])) == SourceSpec("greenhouse")
    assert source_spec(parser.parse_args(["ingest", "greenhouse", "--board", "acme"])) == (
        SourceSpec("greenhouse", (("board", "acme"),))
    )
    assert source_spec(parser.parse_args(["ingest", "lever", "--company", "globex"])) == (
        SourceSpec("lever", (("company", "globex"),))
    )

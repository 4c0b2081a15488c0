"""``jobraker ingest`` on the in-memory container: progress, counts, rejections, exit codes."""

import pytest
from dependency_injector import providers

from jobraker_adapters.container import build_memory_container
from jobraker_adapters.memory import InMemoryJobSource
from jobraker_cli.main import main
from jobraker_core.errors import UpstreamRejected
from jobraker_core.jobs.ingestion import RunStatus
from jobraker_core.jobs.model import JobDraft, RejectedRecord
from jobraker_core.pagination import PageRequest


def _drafts(count):
    return [
        JobDraft(
            source="demo",
            source_id=f"job-{n}",
            title=f"Data engineer {n}",
            description="Pipelines.",
            company=f"Company {n}",
        )
        for n in range(count)
    ]


def _builder(source):
    container = build_memory_container()
    container.job_sources().sources = {"demo": source}
    container.migrate.override(providers.Callable(list))

    def build(settings):
        return container

    return container, build


def test_ingest_prints_progress_counts_and_rejections(capsys, tmp_path):
    """A run prints a line per batch, the final counts and the rejected lines, and exits 0."""
    records = [*_drafts(2), RejectedRecord("line 3", "title is required")]
    container, build = _builder(InMemoryJobSource(records))
    code = main(["ingest", "demo", "--data-dir", str(tmp_path)], build=build)
    out = capsys.readouterr().out
    assert code == 0
    assert "fetched 3, new 2, updated 0, duplicate 0, rejected 1" in out
    assert "Done in" in out
    assert "line 3: title is required" in out
    runs = container.list_ingestions()(PageRequest()).items
    assert [run.status for run in runs] == [RunStatus.SUCCEEDED]


def test_failed_ingest_exits_1_with_the_reason_and_no_traceback(capsys, tmp_path):
    """A failure prints one clear line on stderr, exits 1, and is recorded on the run."""
    source = InMemoryJobSource(
        _drafts(1), error=UpstreamRejected("country xx unknown", service="adzuna")
    )
    container, build = _builder(source)
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "demo", "--data-dir", str(tmp_path)], build=build)
    code = exit_info.value.code
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.strip() == "jobraker: error: ingestion failed: country xx unknown"
    assert "Traceback" not in captured.out + captured.err
    (run,) = container.list_ingestions()(PageRequest()).items
    assert run.status is RunStatus.FAILED


def test_unknown_source_is_refused_before_a_run_is_recorded(capsys, tmp_path):
    """A source the catalog does not know is an error, and leaves no run behind."""
    container, build = _builder(InMemoryJobSource())
    container.job_sources().sources = {}
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "demo", "--data-dir", str(tmp_path)], build=build)
    code = exit_info.value.code
    assert code == 1
    assert "unknown job source 'demo'" in capsys.readouterr().err
    assert container.list_ingestions()(PageRequest()).total == 0


def test_ctrl_c_marks_the_run_failed_and_exits_130(capsys, tmp_path):
    """An interrupted ingestion does not stay "running": it is marked failed, exit code 130."""
    container, build = _builder(InMemoryJobSource(_drafts(1), error=KeyboardInterrupt()))
    assert main(["ingest", "demo", "--data-dir", str(tmp_path)], build=build) == 130
    (run,) = container.list_ingestions()(PageRequest()).items
    assert (run.status, run.error) == (RunStatus.FAILED, "interrupted")
    assert "is marked failed" in capsys.readouterr().err


def test_ingest_takes_the_workers_after_ingestion_steps_in_process(capsys, tmp_path):
    """Moderation, market facts, embeddings and saved searches are done before it returns."""
    container, build = _builder(InMemoryJobSource(_drafts(3)))
    assert main(["ingest", "demo", "--data-dir", str(tmp_path)], build=build) == 0
    out = capsys.readouterr().out
    assert "Market: 3 job(s) analysed for salary insight and trends" in out
    assert "Embeddings: 3 job(s) embedded" in out
    assert container.embed_jobs()().checked == 0
    assert container.task_queue().tasks == [], "nothing was left for a worker to do"

"""The chat's salary answers come from the market's percentiles, with unanalysed jobs apart."""

from __future__ import annotations

from chat_world import ME, say, world
from salary_world import ANALYSED, LATE, QUESTION, expected_lines

from jobraker_adapters.container import build_memory_container


def _stored(container, jobs):
    """Store ``jobs``."""
    with container.uow()() as uow:
        uow.jobs.save(list(jobs))
        uow.commit()


def test_the_answer_states_the_market_percentiles():
    """p10 to p90 of the London data engineers, stated and estimated apart, as computed by hand."""
    container = world(build_memory_container())
    _stored(container, ANALYSED)
    container.analyse_market()()
    reply = say(container, QUESTION, user=ME)
    text = reply.message.content
    assert [t.name for t in reply.tools] == ["salary_insight"]
    stated, estimated = expected_lines()
    assert stated in text
    assert estimated in text
    assert "from 7 job(s) with a salary" in text
    assert "occupation “Data Scientists”" in text  # what the taxonomy reads "data engineer" as
    assert "GBP 210,000" not in text  # Manchester is not London
    assert "not been analysed" not in text


def test_jobs_not_analysed_yet_are_summarised_apart_from_the_percentiles():
    """A job stored after the analysis is not in the percentiles; the answer says so and adds it."""
    container = world(build_memory_container())
    _stored(container, ANALYSED)
    container.analyse_market()()
    _stored(container, [LATE])
    text = say(container, QUESTION, user=ME).message.content
    stated, _ = expected_lines()
    assert stated in text
    assert "1 matching posting(s) have not been analysed yet" in text
    assert "- GBP: GBP 40,000 to GBP 44,000 a year, median GBP 42,000 (1 posting(s))" in text


def test_before_any_analysis_the_answer_falls_back_to_the_search_and_says_so():
    """With nothing analysed there are no percentiles; the stated salaries found are marked."""
    container = world(build_memory_container())
    _stored(container, ANALYSED)
    text = say(container, QUESTION, user=ME).message.content
    assert "I have no analysed jobs with a salary" in text
    # the London data engineers: midpoints 50k, 55k, 55k, 60k, 65k, 80k, 90k
    assert "7 matching posting(s) have not been analysed yet" in text
    assert "7 of them state a salary" in text
    assert "- GBP: GBP 45,000 to GBP 100,000 a year, median GBP 60,000 (7 posting(s), 2 of " in text

"""The chat's salary answer on PostgreSQL: the market's percentiles, unanalysed jobs apart."""

from __future__ import annotations

import pytest

from jobraker_core.assistant.use_cases import SendMessageCommand
from unit.assistant.salary_world import ANALYSED, LATE, QUESTION, expected_lines
from unit.http.auth_helpers import log_in

pytestmark = pytest.mark.integration


def test_the_local_assistant_states_the_percentiles_from_postgres(pg_container):
    """AnalyseMarket on PostgreSQL, then the answer carries p10 to p90 computed independently."""
    pg_container.migrate()
    with pg_container.uow()() as uow:
        uow.jobs.save(list(ANALYSED))
        uow.commit()
    assert pg_container.analyse_market()() == len(ANALYSED)
    with pg_container.uow()() as uow:
        uow.jobs.save([LATE])
        uow.commit()
    user_id, _ = log_in(pg_container)
    reply = pg_container.send_message()(SendMessageCommand(user_id, QUESTION))
    text = reply.message.content
    stated, estimated = expected_lines()
    assert stated in text
    assert estimated in text
    assert "1 matching posting(s) have not been analysed yet" in text
    assert "- GBP: GBP 40,000 to GBP 44,000 a year, median GBP 42,000 (1 posting(s))" in text

"""Confirming a chat proposal on PostgreSQL: concurrent confirmations carry it out exactly once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping

import attrs
import pytest

from fixtures.resumes.documents import SAMPLE_TEXT
from jobraker_core.assistant.action_tools import TAILOR, DocumentHandler
from jobraker_core.assistant.chat import Conversation, Proposal, ProposalStatus
from jobraker_core.assistant.use_cases import ConfirmProposal
from jobraker_core.documents.use_cases import DocumentFilter
from jobraker_core.errors import Conflict
from jobraker_core.matching.use_cases import UploadResumeCommand
from jobraker_core.pagination import PageRequest
from unit.assistant.chat_world import POSTINGS
from unit.http.auth_helpers import log_in

pytestmark = pytest.mark.integration

CONFIRMERS = 10


@attrs.define
class CountingHandler:
    """Wraps a real handler and counts how often it is carried out."""

    inner: DocumentHandler
    kind: str = TAILOR
    runs: int = 0
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def execute(self, user_id: uuid.UUID, arguments: Mapping[str, str]) -> str:
        """Count, then make the document for real."""
        with self._lock:
            self.runs += 1
        return self.inner.execute(user_id, arguments)


def test_ten_concurrent_confirmations_make_one_document(pg_container):
    """Ten threads confirm one proposal at once: one runs the handler, nine get 409 Conflict."""
    pg_container.migrate()
    with pg_container.uow()() as uow:
        uow.jobs.save(list(POSTINGS))
        uow.commit()
    user_id, _ = log_in(pg_container)
    pg_container.upload_resume()(
        UploadResumeCommand(user_id=user_id, content=SAMPLE_TEXT.encode(), filename="cv.txt")
    )
    now = pg_container.clock().now()
    chat = Conversation(uuid.uuid4(), user_id, "tailor", now, now)
    job_id = POSTINGS[0].id
    pending = Proposal(
        uuid.uuid4(), user_id, chat.id, TAILOR, {"job_id": str(job_id)}, "Tailor it.", now
    )
    with pg_container.uow()() as uow:
        uow.conversations.add(chat)
        uow.conversations.add_proposal(pending)
        uow.commit()
    handler = CountingHandler(DocumentHandler(pg_container.tailor_resume(), TAILOR))
    confirm = ConfirmProposal(pg_container.uow(), [handler], pg_container.clock())
    start = threading.Barrier(CONFIRMERS)
    outcomes: list[object] = []
    lock = threading.Lock()

    def confirmer() -> None:
        start.wait()
        try:
            result: object = confirm(user_id, pending.id)
        except Conflict as error:
            result = error
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=confirmer) for _ in range(CONFIRMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = [o for o in outcomes if isinstance(o, Proposal)]
    assert len(outcomes) == CONFIRMERS
    assert handler.runs == 1
    assert len(done) == 1
    assert sum(isinstance(o, Conflict) for o in outcomes) == CONFIRMERS - 1
    with pg_container.uow()() as uow:
        stored = uow.conversations.get_proposal(user_id, pending.id)
    assert stored.status is ProposalStatus.CONFIRMED
    assert stored.result == done[0].result
    assert stored.result is not None
    documents = pg_container.list_documents()(user_id, PageRequest(), DocumentFilter(job_id=job_id))
    assert documents.total == 1

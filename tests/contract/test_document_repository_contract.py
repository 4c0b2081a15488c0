"""The document repository, on the in-memory fake and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs
import pytest

from account_builders import T0
from jobraker_core.documents.grounding import FlaggedSentence
from jobraker_core.documents.model import Document, DocumentKind, DocumentStatus
from jobraker_core.errors import Conflict, NotFound
from jobraker_core.pagination import PageRequest

if TYPE_CHECKING:
    from jobraker_core.ports import UnitOfWorkFactory

JOB = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER_JOB = uuid.UUID("00000000-0000-4000-8000-000000000002")


def document(
    user_id: uuid.UUID,
    *,
    version: int = 1,
    kind: DocumentKind = DocumentKind.TAILORED_RESUME,
    job_id: uuid.UUID = JOB,
    status: DocumentStatus = DocumentStatus.DONE,
    fingerprint: str = "a" * 64,
    minutes: int = 0,
) -> Document:
    """A document of ``user_id`` made ``minutes`` after T0."""
    at = T0 + timedelta(minutes=minutes)
    return Document(
        id=uuid.uuid4(),
        user_id=user_id,
        kind=kind,
        job_id=job_id,
        version=version,
        status=status,
        generator="local",
        fingerprint=fingerprint,
        title="Résumé for Backend Engineer at Globex",
        job_title="Backend Engineer",
        job_company="Globex",
        source_resume_id=None,
        created_at=at,
        updated_at=at,
        body="## Skills\nPython\n" if status is DocumentStatus.DONE else "",
    )


def store(uow_factory: UnitOfWorkFactory, *documents: Document) -> None:
    """Add ``documents`` in one committed unit."""
    with uow_factory() as uow:
        for each in documents:
            uow.documents.add(each)
        uow.commit()


def test_a_document_reads_back_as_stored(uow_factory, user_id):
    """Every field survives the round trip, issues included."""
    stored = attrs.evolve(
        document(user_id, status=DocumentStatus.REJECTED),
        issues=(FlaggedSentence(2, "I used Kubernetes.", 10, 28, ('skill "Kubernetes"',)),),
        attempts=3,
        error=None,
    )
    store(uow_factory, stored)
    with uow_factory() as uow:
        assert uow.documents.get(user_id, stored.id) == stored


def test_another_persons_document_is_not_found(uow_factory, user_id):
    """``get`` and ``update`` are scoped to the owner; ``by_ids`` leaves others out."""
    stored = document(user_id)
    store(uow_factory, stored)
    stranger = uuid.uuid4()
    with uow_factory() as uow:
        with pytest.raises(NotFound):
            uow.documents.get(stranger, stored.id)
        with pytest.raises(NotFound):
            uow.documents.update(attrs.evolve(stored, user_id=stranger))
        assert uow.documents.by_ids(stranger, [stored.id]) == []
        assert uow.documents.by_ids(user_id, [uuid.uuid4(), stored.id]) == [stored]


def test_a_taken_version_is_a_conflict_and_the_unit_stays_usable(uow_factory, user_id):
    """The same (user, kind, job, version) twice conflicts; other slots are free."""
    store(uow_factory, document(user_id))
    with uow_factory() as uow:
        with pytest.raises(Conflict):
            uow.documents.add(document(user_id))
        uow.documents.add(document(user_id, kind=DocumentKind.COVER_LETTER))
        uow.documents.add(document(user_id, job_id=OTHER_JOB))
        uow.documents.add(document(user_id, version=2))
        uow.commit()
    with uow_factory() as uow:
        assert uow.documents.latest_version(user_id, DocumentKind.TAILORED_RESUME, JOB) == 2
        assert uow.documents.latest_version(user_id, DocumentKind.COVER_LETTER, OTHER_JOB) == 0


def test_the_list_is_newest_first_and_filters_by_kind_and_job(uow_factory, user_id):
    """Newest first, paginated, narrowed by kind and job."""
    first = document(user_id, minutes=1)
    letter = document(user_id, kind=DocumentKind.COVER_LETTER, minutes=2)
    other = document(user_id, job_id=OTHER_JOB, minutes=3)
    store(uow_factory, first, letter, other)
    with uow_factory() as uow:
        page = uow.documents.list(user_id, PageRequest(1, 2))
        assert [d.id for d in page.items] == [other.id, letter.id]
        assert page.total == 3
        assert [d.id for d in uow.documents.list(user_id, PageRequest(2, 2)).items] == [first.id]
        resumes = uow.documents.list(user_id, PageRequest(), kind=DocumentKind.TAILORED_RESUME)
        assert [d.id for d in resumes.items] == [other.id, first.id]
        for_job = uow.documents.list(user_id, PageRequest(), job_id=JOB)
        assert [d.id for d in for_job.items] == [letter.id, first.id]
        assert uow.documents.list(uuid.uuid4(), PageRequest()).total == 0


def test_update_stores_the_new_state(uow_factory, user_id):
    """A queued version becomes done with its body, attempts and fingerprint."""
    queued = document(user_id, status=DocumentStatus.QUEUED)
    store(uow_factory, queued)
    done = attrs.evolve(
        queued.start(T0).finish("## Skills\nRust\n", attempts=2, now=T0 + timedelta(minutes=5)),
        fingerprint="b" * 64,
    )
    with uow_factory() as uow:
        uow.documents.update(done)
        uow.commit()
    with uow_factory() as uow:
        assert uow.documents.get(user_id, queued.id) == done


def test_only_done_or_pending_documents_of_the_same_facts_are_reusable(uow_factory, user_id):
    """Rejected and failed versions, other facts and other generators are never reused."""
    store(
        uow_factory,
        document(user_id, version=1, status=DocumentStatus.DONE),
        document(user_id, version=2, status=DocumentStatus.REJECTED),
        document(user_id, version=3, status=DocumentStatus.FAILED),
        document(user_id, version=4, fingerprint="c" * 64),
    )
    with uow_factory() as uow:
        found = uow.documents.reusable(
            user_id, DocumentKind.TAILORED_RESUME, JOB, "a" * 64, "local"
        )
        assert found is not None
        assert found.version == 1
        assert (
            uow.documents.reusable(user_id, DocumentKind.TAILORED_RESUME, JOB, "a" * 64, "gpt")
            is None
        )
        assert (
            uow.documents.reusable(user_id, DocumentKind.COVER_LETTER, JOB, "a" * 64, "local")
            is None
        )


def test_nothing_is_kept_without_a_commit_and_erasure_removes_documents(uow_factory, user_id):
    """A rolled-back add leaves nothing; erasing the account deletes its documents."""
    with uow_factory() as uow:
        uow.documents.add(document(user_id))
    with uow_factory() as uow:
        assert uow.documents.list(user_id, PageRequest()).total == 0
    store(uow_factory, document(user_id))
    with uow_factory() as uow:
        exported = {section.name: section for section in uow.personal_data.export(user_id)}
        assert len(exported["documents"].records) == 1
        uow.personal_data.erase(user_id)
        uow.commit()
    with uow_factory() as uow:
        assert uow.documents.list(user_id, PageRequest()).total == 0

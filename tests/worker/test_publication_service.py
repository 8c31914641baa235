"""Publishing and taking down through `models.publication_service`, on SQLite and PostgreSQL (R2–R5, R10).

The channel is the folder adapter (what the embedded setup uses) or a stand-in that fails on
demand; the worker processes themselves are exercised in test_worker_*.py.
"""

import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from PIL import Image
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from mediacheck.channels import ChannelError, Upload
from mediacheck.channels.configured import ConfiguredChannels
from mediacheck.check import PhotoChecker
from mediacheck.config import AppSettings
from models import policy_service, review_service
from models import publication_service as service
from models.audit import AuditEvent
from models.base import utcnow
from models.channels import FACE_MATCHING
from models.database import make_engine, migrations_config, session_factory, upgrade
from models.media import ConsentFollowup, DetectedFace, Media, PublicationState
from models.publication_service import ChannelCallFailed, PublicationRefused, RenderingOutdated
from models.review_service import Resolution
from tests.worker.builders import (
    NOOR_BOX,
    SANNE_BOX,
    checked_media,
    publication,
    publications,
    school,
    withdraw,
)


class FlakyChannel:
    """A folder channel that fails while `failing` is set, like a site that is down; with `answer_lost`,
    the file arrives but the answer does not, like an upload that times out at our end."""

    def __init__(self, inner, failing: ChannelError | None = None, answer_lost: bool = False) -> None:
        self.inner, self.failing, self.answer_lost, self.key = inner, failing, answer_lost, inner.key
        self.calls = 0

    def publish(self, upload: Upload) -> str:
        self.calls += 1
        if self.failing:
            raise self.failing
        external_id = self.inner.publish(upload)
        if self.answer_lost:
            raise ChannelError("POST /wp/v2/media: timed out", retryable=True)
        return external_id

    def unpublish(self, external_id: str) -> None:
        self.calls += 1
        if self.failing:
            raise self.failing
        self.inner.unpublish(external_id)

    def exists(self, external_id: str) -> bool:
        return self.inner.exists(external_id)

    def find(self, filename: str) -> str | None:
        return self.inner.find(filename)


@pytest.fixture
def channels(settings: AppSettings) -> ConfiguredChannels:
    return ConfiguredChannels(settings)


def published_files(settings: AppSettings, channel: str) -> list[Path]:
    folder = settings.data_dir / "published" / channel
    return sorted(folder.iterdir()) if folder.exists() else []


def region_change(copy: Path, original: Path, box) -> float:
    """Mean absolute pixel change inside `box` between the published copy and the original."""
    a = np.asarray(Image.open(copy).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(original).convert("RGB"), dtype=np.int16)
    return float(np.abs(a - b)[box.top : box.bottom, box.left : box.right].mean())


def test_r5_publish_sends_a_clean_copy_with_unconsented_faces_redacted(
    factory: sessionmaker[Session],
    settings: AppSettings,
    channels: ConfiguredChannels,
    photo_checker: PhotoChecker,
    tmp_path: Path,
) -> None:
    """R2/R3: Sanne consented to the public website, Noor did not: Noor's head is redacted, Sanne's is
    not. R10: no metadata, no name in the file name. The publication records what went out."""
    kids = school(factory)
    media_id = checked_media(factory, tmp_path / "uploads", {kids.sanne: SANNE_BOX, kids.noor: NOOR_BOX})
    state = service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)
    assert state is PublicationState.PUBLISHED
    [copy] = published_files(settings, "public")
    original = tmp_path / "uploads" / "IMG_0001 Sanne de Vries.jpg"
    assert region_change(copy, original, NOOR_BOX) > 25, "Noor's face is destroyed, not softened"
    assert region_change(copy, original, SANNE_BOX) < 12, "Sanne's face goes out as taken"
    assert "Sanne" not in copy.name and "IMG" not in copy.name
    with Image.open(copy) as image:
        assert not image.getexif() and "exif" not in image.info
    [recorded] = publications(factory, media_id)
    assert recorded.state is PublicationState.PUBLISHED
    assert recorded.external_id == copy.name and recorded.redacted_positions == [1]
    assert recorded.rendered_sha256 and recorded.upload_name in copy.name


def test_r2_r3_nothing_goes_out_where_the_policy_blocks(
    factory: sessionmaker[Session],
    settings: AppSettings,
    channels: ConfiguredChannels,
    photo_checker: PhotoChecker,
    tmp_path: Path,
) -> None:
    """Facebook blocks a photo whose subject has no consent; a photo whose check failed goes nowhere."""
    kids = school(factory)
    media_id = checked_media(factory, tmp_path / "a", {kids.sanne: SANNE_BOX, kids.noor: NOOR_BOX})
    with pytest.raises(PublicationRefused, match="blocked"):
        service.publish(factory, channels, photo_checker, media_id, "facebook", service.WORKER)
    broken = checked_media(factory, tmp_path / "b", {}, error="damaged or truncated image")
    with pytest.raises(PublicationRefused, match="not checked"):
        service.publish(factory, channels, photo_checker, broken, "public", service.WORKER)
    assert publications(factory, media_id) == publications(factory, broken) == []
    assert published_files(settings, "facebook") == published_files(settings, "public") == []


def test_a_photo_is_on_a_channel_once(
    factory: sessionmaker[Session], channels: ConfiguredChannels, photo_checker: PhotoChecker, tmp_path: Path
) -> None:
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX})
    service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)
    with pytest.raises(PublicationRefused, match="already on public"):
        service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)


def test_r5_withdrawal_between_review_and_publish_wins(
    factory: sessionmaker[Session], channels: ConfiguredChannels, photo_checker: PhotoChecker, tmp_path: Path
) -> None:
    """A copy rendered while Sanne still consented cannot be recorded after her withdrawal: the check
    inside the recording transaction sees the withdrawal, and the copy that goes out hides her too."""
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX, kids.noor: NOOR_BOX})
    _, rendered = service.prepare(factory, photo_checker, media_id, "protected", service.WORKER)
    assert rendered.redacted == (1,)
    withdraw(factory, kids.sanne, "public")
    with factory.begin() as session, pytest.raises(RenderingOutdated):
        service.request_publication(session, media_id, "public", service.WORKER, rendered)
    service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)
    [on_public] = [
        p for p in publications(factory, media_id) if p.channel_id != publications(factory, media_id)[0].channel_id
    ]
    assert on_public.redacted_positions == [0, 1]


def test_r5_a_withdrawal_racing_a_publication_waits_for_it_then_takes_it_down(
    factory: sessionmaker[Session],
    settings: AppSettings,
    channels: ConfiguredChannels,
    photo_checker: PhotoChecker,
    tmp_path: Path,
) -> None:
    """The consent check holds the students' lock until the publication is recorded. A withdrawal
    arriving meanwhile waits for it, then finds the publication and takes it down (R5)."""
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX})
    _, rendered = service.prepare(factory, photo_checker, media_id, "protected", service.WORKER)
    withdrawn = threading.Event()
    recording = factory()
    recording.begin()
    recorded = service.request_publication(recording, media_id, "public", service.WORKER, rendered)
    withdrawal = threading.Thread(target=lambda: (withdraw(factory, kids.sanne, "public"), withdrawn.set()))
    withdrawal.start()
    time.sleep(0.5)
    assert not withdrawn.is_set(), "the withdrawal waits for the publication's transaction"
    recording.commit()
    recording.close()
    withdrawal.join(10)
    assert withdrawn.is_set()
    with factory.begin() as session:
        assert service.apply_consent_change(session, kids.sanne, "public") == [recorded.id]
    assert service.send(factory, channels, photo_checker, recorded.id) is None, "withdrawn before it was sent"
    assert service.take_down(factory, channels, recorded.id).state is PublicationState.UNPUBLISHED
    assert published_files(settings, "public") == []


def test_r5_a_copy_withdrawn_on_its_way_comes_down_as_soon_as_the_channel_confirms_it(
    factory: sessionmaker[Session],
    settings: AppSettings,
    channels: ConfiguredChannels,
    photo_checker: PhotoChecker,
    tmp_path: Path,
) -> None:
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX})
    publication_id, rendered = service.prepare(factory, photo_checker, media_id, "public", service.WORKER)
    folder = channels.get("public")

    class WithdrawnDuringUpload:
        key = "public"

        def publish(self, upload: Upload) -> str:
            external_id = folder.publish(upload)
            withdraw(factory, kids.sanne, "public")
            with factory.begin() as session:
                assert service.apply_consent_change(session, kids.sanne, "public") == [publication_id]
            assert service.take_down(factory, channels, publication_id) is None, "the sender takes it down"
            return external_id

    class During(ConfiguredChannels):
        def get(self, key: str) -> WithdrawnDuringUpload:
            return WithdrawnDuringUpload()

    state = service.send(factory, During(settings), photo_checker, publication_id, rendered)
    assert state is PublicationState.TAKEDOWN_PENDING
    assert len(published_files(settings, "public")) == 1
    outcome = service.take_down(factory, channels, publication_id)
    assert outcome.state is PublicationState.UNPUBLISHED and outcome.replace
    assert published_files(settings, "public") == []


def test_r5_after_a_withdrawal_a_redacted_copy_replaces_the_one_taken_down(
    factory: sessionmaker[Session],
    settings: AppSettings,
    channels: ConfiguredChannels,
    photo_checker: PhotoChecker,
    tmp_path: Path,
) -> None:
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX, kids.noor: NOOR_BOX})
    service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)
    [first] = publications(factory, media_id)
    withdraw(factory, kids.sanne, "public")
    with factory.begin() as session:
        assert service.apply_consent_change(session, kids.sanne, "public") == [first.id]
        assert [p.id for p in service.pending_takedowns(session)] == [first.id]
    assert service.take_down(factory, channels, first.id).replace
    replacement, rendered = service.prepare_replacement(factory, photo_checker, first.id)
    assert service.send(factory, channels, photo_checker, replacement, rendered) is PublicationState.PUBLISHED
    old, new = publications(factory, media_id)
    assert old.state is PublicationState.UNPUBLISHED
    assert old.unpublished_reason.startswith("consent withdrawn on paper by the parent on "), "R5: what happened"
    assert new.replaces_id == old.id and new.redacted_positions == [0, 1]
    [copy] = published_files(settings, "public")
    assert copy.name == new.external_id
    assert region_change(copy, tmp_path / "IMG_0001 Sanne de Vries.jpg", SANNE_BOX) > 25


def test_r5_a_takedown_stays_pending_while_the_channel_fails_and_lands_when_it_is_back(
    factory: sessionmaker[Session],
    settings: AppSettings,
    channels: ConfiguredChannels,
    photo_checker: PhotoChecker,
    tmp_path: Path,
) -> None:
    """Neither an outage nor a refusal ends a takedown: it is retried with a growing wait, and
    listed with the channel's error until the channel confirms."""
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX})
    service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)
    [copy] = publications(factory, media_id)
    flaky = FlakyChannel(channels.get("public"), ChannelError("HTTP 503 Service Unavailable", retryable=True))
    channels._made["public"] = flaky
    withdraw(factory, kids.sanne, "public")
    with factory.begin() as session:
        service.apply_consent_change(session, kids.sanne, "public")
    waits = []
    for failure in (flaky.failing, ChannelError("HTTP 401 bad credentials", retryable=False), flaky.failing):
        flaky.failing = failure
        with pytest.raises(ChannelCallFailed) as failed:
            service.take_down(factory, channels, copy.id)
        waits.append(failed.value.retry_in)
    assert waits == [0.1, 0.2, 0.4]
    with factory() as session:
        [pending] = service.pending_takedowns(session)
        assert pending.id == copy.id and pending.attempts == 3 and "503" in pending.last_error
    assert len(published_files(settings, "public")) == 1
    flaky.failing = None
    assert service.take_down(factory, channels, copy.id).state is PublicationState.UNPUBLISHED
    assert published_files(settings, "public") == []
    with factory() as session:
        assert service.pending_takedowns(session) == []


def test_r5_a_copy_whose_answer_was_lost_is_kept_not_sent_twice(
    factory: sessionmaker[Session],
    settings: AppSettings,
    channels: ConfiguredChannels,
    photo_checker: PhotoChecker,
    tmp_path: Path,
) -> None:
    """The upload arrived but its answer timed out. Sent again, the channel would show the photo twice
    and a withdrawal would take down only the copy on record; the retry finds the first one instead."""
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX})
    flaky = FlakyChannel(channels.get("public"), answer_lost=True)
    channels._made["public"] = flaky
    with pytest.raises(ChannelCallFailed):
        service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)
    [copy] = publications(factory, media_id)
    [arrived] = published_files(settings, "public")
    flaky.answer_lost = False
    assert service.send(factory, channels, photo_checker, copy.id) is PublicationState.PUBLISHED
    assert published_files(settings, "public") == [arrived] and flaky.calls == 1
    assert publication(factory, copy.id).external_id == arrived.name
    withdraw(factory, kids.sanne, "public")
    with factory.begin() as session:
        assert service.apply_consent_change(session, kids.sanne, "public") == [copy.id]
    service.take_down(factory, channels, copy.id)
    assert published_files(settings, "public") == []


def test_a_publication_gives_up_when_the_channel_refuses_it(
    factory: sessionmaker[Session], channels: ConfiguredChannels, photo_checker: PhotoChecker, tmp_path: Path
) -> None:
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX})
    channels._made["public"] = FlakyChannel(channels.get("public"), ChannelError("HTTP 401", retryable=False))
    with pytest.raises(ChannelCallFailed) as failed:
        service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)
    assert failed.value.retry_in is None
    [given_up] = publications(factory, media_id)
    assert given_up.state is PublicationState.FAILED and "401" in given_up.last_error
    assert given_up.unpublished_at is not None, "not on the channel: the student's erasure need not wait for it"
    with factory() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "publication")).all()
    assert actions == ["publication.request", "publication.fail"]


def test_r5_reconcile_finds_a_withdrawal_whose_message_was_lost(
    factory: sessionmaker[Session], channels: ConfiguredChannels, photo_checker: PhotoChecker, tmp_path: Path
) -> None:
    """The consent event is the durable request: until the worker acted on it, reconcile lists it."""
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX})
    service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)
    with factory.begin() as session:  # the grants made by `school` were acted on: nothing to take down
        for student_id, channel in service.reconcile(session, timedelta(0)).consent_changes:
            assert service.apply_consent_change(session, student_id, channel) == []
    withdraw(factory, kids.sanne, "public")
    later = utcnow() + timedelta(seconds=1)
    with factory() as session:
        found = service.reconcile(session, timedelta(0), later)
        assert found.consent_changes == [(kids.sanne, "public")]
        assert service.reconcile(session, timedelta(minutes=1), later).consent_changes == [], "not before the grace"
    with factory.begin() as session:
        [taken] = service.apply_consent_change(session, kids.sanne, "public")
    with factory() as session:
        found = service.reconcile(session, timedelta(0), later + timedelta(seconds=1))
        assert found.consent_changes == [] and found.takedowns == [taken], "the takedown's message was lost too"


def test_r5_a_copy_that_never_confirmed_is_left_to_a_person_and_listed(
    factory: sessionmaker[Session], channels: ConfiguredChannels, photo_checker: PhotoChecker, tmp_path: Path
) -> None:
    """The channel timed out on the upload, then consent was withdrawn: a copy may exist without an
    id to remove. It stays pending, saying which file to look for, until staff mark it removed."""
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX})
    channels._made["public"] = FlakyChannel(channels.get("public"), ChannelError("timed out", retryable=True))
    with pytest.raises(ChannelCallFailed):
        service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)
    withdraw(factory, kids.sanne, "public")
    with factory.begin() as session:
        [publication_id] = service.apply_consent_change(session, kids.sanne, "public")
    assert service.take_down(factory, channels, publication_id).state is PublicationState.TAKEDOWN_PENDING
    with factory.begin() as session:
        [pending] = service.pending_takedowns(session)
        assert pending.upload_name in pending.last_error and pending.next_attempt_at is None
        service.removed_by_hand(session, publication_id, service.WORKER)
    assert publication(factory, publication_id).state is PublicationState.UNPUBLISHED


def test_r5_withdrawing_consent_for_one_channel_leaves_the_others(
    factory: sessionmaker[Session],
    settings: AppSettings,
    channels: ConfiguredChannels,
    photo_checker: PhotoChecker,
    tmp_path: Path,
) -> None:
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX})
    for channel in ("protected", "public"):
        service.publish(factory, channels, photo_checker, media_id, channel, service.WORKER)
    withdraw(factory, kids.sanne, "public")
    with factory.begin() as session:
        assert service.apply_consent_change(session, kids.sanne, "protected") == []
        assert len(service.apply_consent_change(session, kids.sanne, "public")) == 1
    assert len(published_files(settings, "protected")) == 1


def test_r11_withdrawing_face_matching_takes_the_students_copies_down_on_every_channel(
    factory: sessionmaker[Session],
    settings: AppSettings,
    channels: ConfiguredChannels,
    photo_checker: PhotoChecker,
    tmp_path: Path,
) -> None:
    """A student who may no longer be recognised counts as without consent everywhere (R11), so a
    lost message about it is found by reconcile like any other consent change."""
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX})
    for channel in ("protected", "public"):
        service.publish(factory, channels, photo_checker, media_id, channel, service.WORKER)
    with factory.begin() as session:
        for student_id, purpose in service.reconcile(session, timedelta(0)).consent_changes:
            service.apply_consent_change(session, student_id, purpose)
    withdraw(factory, kids.sanne, FACE_MATCHING)
    with factory() as session:
        later = utcnow() + timedelta(seconds=1)
        assert service.reconcile(session, timedelta(0), later).consent_changes == [(kids.sanne, FACE_MATCHING)]
    with factory.begin() as session:
        assert len(service.apply_consent_change(session, kids.sanne, FACE_MATCHING)) == 2
        assert service.reconcile(session, timedelta(0), later).consent_changes == []


def test_upgrading_to_the_worker_schema_leaves_earlier_consent_events_without_work(
    blank_database_url: str, tmp_path: Path
) -> None:
    """Nothing was published before revision 0004, so its upgrade marks the consent events so far as
    acted on: a school's first reconcile has nothing to catch up with."""
    settings = AppSettings(data_dir=tmp_path, database_url=blank_database_url)
    engine = make_engine(blank_database_url)
    try:
        upgrade(engine)
        factory = session_factory(settings, engine)
        school(factory)
        upgrade_to(engine, "0003", down=True)
        upgrade(engine)
        with factory() as session:
            assert service.reconcile(session, timedelta(0), utcnow() + timedelta(minutes=1)).consent_changes == []
            handled = session.scalars(select(ConsentFollowup.handled_at)).all()
        assert len(handled) == 4 and all(abs(at - utcnow()) < timedelta(minutes=1) for at in handled)
    finally:
        engine.dispose()


def upgrade_to(engine: Engine, revision: str, down: bool = False) -> None:
    config = migrations_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_r5_a_review_that_corrects_a_match_takes_the_copy_down(
    factory: sessionmaker[Session], channels: ConfiguredChannels, photo_checker: PhotoChecker, tmp_path: Path
) -> None:
    """Sanne consented and her copy went out; a reviewer then says the face is not Sanne but an
    unknown person. That face now has no consent, so the copy as it went out must come down."""
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX})
    service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)
    with factory.begin() as session:
        face = session.scalar(select(DetectedFace).where(DetectedFace.media_id == media_id))
        decisions = review_service.resolve_face(session, face, Resolution.UNKNOWN_PERSON, service.WORKER).decisions
    assert decisions["public"].redact == (0,)
    [recorded] = publications(factory, media_id)
    assert recorded.state is PublicationState.TAKEDOWN_PENDING
    assert recorded.unpublished_reason == service.REVIEWED


def adopt(factory: sessionmaker[Session], public: str = "redact", expires: datetime | None = None) -> None:
    """A new policy version: what the public website does with a face without consent, and the R14 expiry."""
    channels = [{"name": "protected"}, {"name": "public", "unconsented": public}, {"name": "facebook"}]
    document = {"channels": channels, "consent_expires_at": expires.isoformat() if expires else None}
    with factory.begin() as session:
        policy_service.adopt_policy(session, document, "MR 2026-11-20 §3", date.today(), service.WORKER)


def test_r13_a_policy_that_now_blocks_takes_the_redacted_copy_down_for_good(
    factory: sessionmaker[Session],
    settings: AppSettings,
    channels: ConfiguredChannels,
    photo_checker: PhotoChecker,
    tmp_path: Path,
) -> None:
    """Noor (no consent) went out redacted; the council then adopts "block" for the public website.
    Nothing withdrew anything, so no consent event asks: reconcile must find the copy itself."""
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX, kids.noor: NOOR_BOX})
    service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)
    [copy] = publications(factory, media_id)
    with factory.begin() as session:
        assert service.reconcile(session, timedelta(0)).overtaken == [], "the copy is as the rules allow"
    adopt(factory, public="block")
    with factory.begin() as session:
        found = service.reconcile(session, timedelta(0))
    assert found.overtaken == [copy.id] and found.takedowns == []
    assert publication(factory, copy.id).unpublished_reason.startswith("policy version 1 (adopted ")
    assert service.take_down(factory, channels, copy.id).replace
    with pytest.raises(PublicationRefused, match="blocked"):
        service.prepare_replacement(factory, photo_checker, copy.id)
    assert published_files(settings, "public") == []


def test_r14_an_expired_consent_takes_the_copy_down_and_it_comes_back_redacted(
    factory: sessionmaker[Session],
    settings: AppSettings,
    channels: ConfiguredChannels,
    photo_checker: PhotoChecker,
    tmp_path: Path,
) -> None:
    """Consents given under a policy that lets them expire count as "no" from that date (R14): the
    copy showing Sanne unredacted comes down, and one with her face redacted replaces it (R5)."""
    expiry = utcnow() + timedelta(seconds=3)
    adopt(factory, expires=expiry)
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX})
    service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)
    [copy] = publications(factory, media_id)
    with factory.begin() as session:
        assert service.take_down_overtaken(session, expiry - timedelta(seconds=1)) == []
    time.sleep(max(0.0, (expiry - utcnow()).total_seconds()) + 0.1)
    with factory.begin() as session:
        assert service.reconcile(session, timedelta(0)).overtaken == [copy.id]
    assert service.take_down(factory, channels, copy.id).replace
    replacement, rendered = service.prepare_replacement(factory, photo_checker, copy.id)
    assert service.send(factory, channels, photo_checker, replacement, rendered) is PublicationState.PUBLISHED
    assert publication(factory, replacement).redacted_positions == [0]
    [out] = published_files(settings, "public")
    assert region_change(out, tmp_path / "IMG_0001 Sanne de Vries.jpg", SANNE_BOX) > 25


def test_r5_a_copy_of_a_photo_checked_again_since_it_went_out_comes_down_at_reconcile(
    factory: sessionmaker[Session], channels: ConfiguredChannels, photo_checker: PhotoChecker, tmp_path: Path
) -> None:
    """Fail closed: after a new check the recorded redactions name the faces of the earlier one, so
    they cannot show the copy is still allowed, even where the new decision looks the same."""
    kids = school(factory)
    media_id = checked_media(factory, tmp_path, {kids.sanne: SANNE_BOX})
    service.publish(factory, channels, photo_checker, media_id, "public", service.WORKER)
    [copy] = publications(factory, media_id)
    with factory.begin() as session:
        assert service.reconcile(session, timedelta(0)).overtaken == []
        session.get(Media, media_id).checked_at = utcnow()
    with factory.begin() as session:
        assert service.reconcile(session, timedelta(0)).overtaken == [copy.id]
    assert publication(factory, copy.id).state is PublicationState.TAKEDOWN_PENDING

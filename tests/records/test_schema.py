"""The schema: migrations are the only way it is made, the app refuses any other, and proof is append-only."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, LargeBinary, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from mediacheck.config import AppSettings
from models import Base, consent_service
from models.consent import ConsentMeans
from models.consent_service import Decider
from models.database import SchemaOutOfDate, head_revision, make_engine, session_factory, upgrade
from tests.records.builders import STAFF, import_school


def test_migrations_build_exactly_the_tables_the_code_declares(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_default_channels_exist_with_texts_in_dutch_and_english(session: Session) -> None:
    """R2: protected site, public website and Facebook exist by default; each purpose has its wording (R4)."""
    channels = session.execute(text("SELECT key, description_nl, description_en FROM channel ORDER BY id")).all()
    assert [c.key for c in channels] == ["protected", "public", "facebook"]
    assert all(c.description_nl and c.description_en for c in channels)
    texts = {tuple(row) for row in session.execute(text("SELECT purpose, language FROM consent_text"))}
    assert texts == {(p, lang) for p in ("protected", "public", "facebook", "face-matching") for lang in ("nl", "en")}


def test_app_refuses_a_database_without_schema(blank_database_url: str, tmp_path) -> None:
    settings = AppSettings(data_dir=tmp_path, database_url=blank_database_url)
    engine = make_engine(blank_database_url)
    try:
        with pytest.raises(SchemaOutOfDate, match="run `mediacheck db upgrade`"):
            session_factory(settings, engine)
    finally:
        engine.dispose()


def test_app_refuses_an_out_of_date_schema_and_starts_after_upgrade(blank_database_url: str, tmp_path) -> None:
    settings = AppSettings(data_dir=tmp_path, database_url=blank_database_url)
    engine = make_engine(blank_database_url)
    try:
        upgrade(engine, "0001")
        with pytest.raises(
            SchemaOutOfDate, match=f"at schema 0001, not {head_revision()}: run `mediacheck db upgrade`"
        ):
            session_factory(settings, engine)
        upgrade(engine)
        with session_factory(settings, engine)() as session:
            assert session.execute(text("SELECT count(*) FROM channel")).scalar() == 3
    finally:
        engine.dispose()


@pytest.mark.parametrize("table", ["consent_event", "audit_event"])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET id = id", "DELETE FROM {table}"])
def test_r4_r9_consent_events_and_audit_register_refuse_update_and_delete(
    session: Session, table: str, statement: str
) -> None:
    """R4: a consent event is never edited or deleted; R9: neither is the register. The database itself refuses."""
    students = import_school(session)
    sanne = students["1001"]
    guardian = sanne.guardianships[0].guardian
    consent_service.grant(session, sanne, "public", Decider.of_guardian(guardian), ConsentMeans.PAPER, STAFF)
    session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement.format(table=table)))
    session.rollback()
    assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar() > 0


def test_r11a_only_the_enrolment_tables_can_hold_binary_data(engine: Engine) -> None:
    """R11a: no column for an event face's template exists; binary data lives only in the encrypted
    reference photos and enrolled templates (R11)."""
    inspector = inspect(engine)
    binary = {
        (table, column["name"])
        for table in inspector.get_table_names()
        for column in inspector.get_columns(table)
        if isinstance(column["type"], LargeBinary)
    }
    assert binary == {("reference_photo", "image"), ("face_template", "template")}
    face_columns = {column["name"] for column in inspector.get_columns("detected_face")}
    assert not face_columns & {"template", "encoding", "embedding"}

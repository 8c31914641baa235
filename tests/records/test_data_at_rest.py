"""Data at rest (R8, R10): originals are stored upright without GPS, camera or comment; staff views of
them carry no metadata either; the SQLite file and the data folder are readable by their owner only."""

import os
import stat
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from mediacheck.config import AppSettings
from mediacheck.settings import CheckSettings
from models import album_service
from models.database import make_engine, upgrade
from models.media import Media, MediaKind
from tests.metadata import metadata_left, with_metadata
from tests.records.builders import STAFF
from tests.samples import EVENTS
from web.thumbnails import THUMB, staff_view


def test_r10_an_uploaded_photo_is_stored_upright_without_gps_camera_or_comment(
    session: Session, settings: AppSettings, tmp_path: Path
) -> None:
    source = EVENTS / "kit_with_rose.jpg"
    incoming = with_metadata(source, tmp_path / "phone.jpg", orientation=6)  # "turn 90° clockwise to view"
    album = album_service.create_album(session, "Trip", None, None, STAFF)
    media = album_service.add_upload(session, album, "phone.jpg", incoming, settings.data_dir / "media", STAFF)
    stored = Path(media.storage_path).read_bytes()
    assert metadata_left(stored) == []
    with Image.open(source) as original, Image.open(Path(media.storage_path)) as kept:
        assert kept.size == (original.height, original.width), "the orientation is applied to the pixels"
        turned = np.asarray(original.convert("RGB").transpose(Image.Transpose.ROTATE_270), dtype=float)
        assert np.abs(np.asarray(kept.convert("RGB"), dtype=float) - turned).mean() < 4


def test_r10_staff_views_of_an_original_with_metadata_carry_none(tmp_path: Path) -> None:
    """An original stored before originals were cleaned: its thumbnail drops the comment Pillow carries."""
    original = with_metadata(EVENTS / "kit_with_rose.jpg", tmp_path / "old.jpg")
    media = Media(kind=MediaKind.PHOTO, storage_path=str(original), sha256="a" * 64, filename="old.jpg")
    view = staff_view(media, tmp_path / "cache", THUMB, CheckSettings().max_pixels)
    assert view is not None and metadata_left(view.read_bytes()) == []


def test_r8_the_sqlite_file_and_the_data_folder_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the usual umask, which would leave both readable by everyone
    data = tmp_path / "data"
    engine: Engine = make_engine(f"sqlite:///{data / 'mediacheck.db'}")
    try:
        upgrade(engine)
        with engine.connect() as connection:  # open: the write-ahead log and its index exist now
            connection.execute(text("SELECT count(*) FROM channel"))
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir()}
    finally:
        engine.dispose()
        os.umask(previous)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert modes == dict.fromkeys(["mediacheck.db", "mediacheck.db-wal", "mediacheck.db-shm"], 0o600)

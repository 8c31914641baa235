"""The three default channels (R2) and the first version of every consent text (R4), in Dutch and English.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNELS = [
    {
        "key": "protected",
        "name": "Protected parent site",
        "description_nl": "Foto's en video's op de afgeschermde ouderpagina van de school. Alleen ouders en "
        "leerlingen met een eigen inlog kunnen ze zien.",
        "description_en": "Photos and videos on the school's parent site behind a login. Only parents and "
        "students with their own login can see them.",
    },
    {
        "key": "public",
        "name": "Public website",
        "description_nl": "Foto's en video's op de openbare website van de school. Iedereen op internet kan ze "
        "zien, ook zoekmachines.",
        "description_en": "Photos and videos on the school's public website. Anyone on the internet can see "
        "them, search engines too.",
    },
    {
        "key": "facebook",
        "name": "Facebook",
        "description_nl": "Foto's en video's op de Facebook-pagina van de school. Iedereen kan ze zien en delen; "
        "Facebook bewaart ze op zijn eigen servers.",
        "description_en": "Photos and videos on the school's Facebook page. Anyone can see and share them; "
        "Facebook keeps them on its own servers.",
    },
]

CHANNEL_CONSENT = {
    "nl": "Ik geef toestemming om foto's en video's waarop de leerling duidelijk herkenbaar is, te publiceren op "
    "dit kanaal: {description} Ik kan deze toestemming op elk moment intrekken via dezelfde link of bij de "
    "school; wat dan al gepubliceerd is, haalt de school weg.",
    "en": "I consent to photos and videos in which the student is clearly recognisable being published on this "
    "channel: {description} I can withdraw this consent at any time through the same link or at the school; "
    "whatever has been published by then, the school takes down.",
}

FACE_MATCHING_CONSENT = {
    "nl": "Ik geef toestemming dat de school van een portretfoto van de leerling een gezichtskenmerk maakt "
    "(een biometrisch gegeven), alleen om de leerling op schoolfoto's te herkennen en zo na te gaan of een foto "
    "gepubliceerd mag worden. Het kenmerk en de portretfoto worden versleuteld bewaard en gewist zodra ik deze "
    "toestemming intrek. Zonder deze toestemming wordt het gezicht van de leerling op elke foto onherkenbaar "
    "gemaakt.",
    "en": "I consent to the school making a face template (biometric data) from a portrait photo of the student, "
    "only to recognise the student in school photos and so check whether a photo may be published. The template "
    "and the portrait are stored encrypted and deleted as soon as I withdraw this consent. Without this consent "
    "the student's face is made unrecognisable in every photo.",
}


def upgrade() -> None:
    channel = sa.table(
        "channel",
        sa.column("key", sa.String),
        sa.column("name", sa.String),
        sa.column("description_nl", sa.Text),
        sa.column("description_en", sa.Text),
        sa.column("active", sa.Boolean),
    )
    text = sa.table(
        "consent_text",
        sa.column("purpose", sa.String),
        sa.column("language", sa.String),
        sa.column("version", sa.Integer),
        sa.column("body", sa.Text),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(channel, [{**c, "active": True} for c in CHANNELS])
    texts = [
        {"purpose": c["key"], "language": language, "body": body.format(description=c[f"description_{language}"])}
        for c in CHANNELS
        for language, body in CHANNEL_CONSENT.items()
    ]
    texts += [
        {"purpose": "face-matching", "language": lang, "body": body} for lang, body in FACE_MATCHING_CONSENT.items()
    ]
    op.bulk_insert(text, [{**t, "version": 1, "created_at": now} for t in texts])


def downgrade() -> None:
    op.execute("DELETE FROM consent_text WHERE version = 1")
    op.execute("DELETE FROM channel WHERE key IN ('protected', 'public', 'facebook')")

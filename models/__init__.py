"""The school's records: what SPEC.md asks the school to keep and to prove.

One module per area holds its tables (`school`, `channels`, `consent`, `links`, `biometrics`,
`media`, `policy`, `staff`, `audit`); a `*_service` module next to it holds the only functions
that change those rows. Services never commit: the caller owns the transaction
(`with factory.begin() as session: ...`), so a change and its audit row are stored together
or not at all. `models` may import from `mediacheck`, never the other way round.
"""

from models import (
    audit,
    biometrics,
    channels,
    consent,
    link_throttle,
    links,
    login_throttle,
    media,
    policy,
    school,
    staff,
)
from models.base import Base

__all__ = [
    "Base",
    "audit",
    "biometrics",
    "channels",
    "consent",
    "link_throttle",
    "links",
    "login_throttle",
    "media",
    "policy",
    "school",
    "staff",
]

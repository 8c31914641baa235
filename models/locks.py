"""Row locks that hold on both engines, taken before anything the decision depends on is read.

PostgreSQL locks the rows (`SELECT … FOR UPDATE`, in id order so two callers never deadlock).
SQLite has no row locks, and its Python driver starts a transaction only at the first write, so a
check-then-write could read a state another connection is about to change: there a no-op
`UPDATE` takes the database's write lock first, and every other writer waits until this
transaction ends.
"""

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session


def lock_rows(session: Session, model: type, ids: Iterable[int]) -> None:
    """Lock the rows of `model` with these ids until the transaction ends (call it first)."""
    wanted = sorted(set(ids))
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(model).where(model.id.in_(wanted or [-1])).values(id=model.id))
        return
    if wanted:
        session.execute(select(model.id).where(model.id.in_(wanted)).order_by(model.id).with_for_update())

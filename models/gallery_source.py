"""What the photo check reads from the records: the gallery, the consents and the policy.

Only students whose face-matching consent is in force are in the gallery (R11), keyed by
pseudonym so the check never handles a name (R10); students who share a guardian are siblings
and need the stricter margin (R15).
"""

from collections import defaultdict
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from mediacheck.check import CheckInputs
from mediacheck.matching import Gallery
from models import policy_service
from models.base import utcnow
from models.biometrics import FaceTemplate
from models.channels import FACE_MATCHING
from models.consent_state import consenting_students, current_consents
from models.enrolment_service import DISTANT_TEMPLATE_MODEL, TEMPLATE_MODEL
from models.school import Guardianship, Student
from models.template_cipher import cipher, decrypt_template


def load_gallery(session: Session, at: datetime | None = None) -> Gallery:
    """Decrypt the templates of every student enrolled with face-matching consent in force at `at`."""
    consenting = consenting_students(FACE_MATCHING, at or utcnow())
    rows = session.execute(
        select(Student.pseudonym, FaceTemplate.model, FaceTemplate.template)
        .join(FaceTemplate, FaceTemplate.student_id == Student.id)
        .where(Student.id.in_(consenting), FaceTemplate.model.in_([TEMPLATE_MODEL, DISTANT_TEMPLATE_MODEL]))
        .order_by(FaceTemplate.id)
    )
    fernet = cipher(session)
    kinds: dict[str, dict[str, list[np.ndarray]]] = {
        TEMPLATE_MODEL: defaultdict(list),
        DISTANT_TEMPLATE_MODEL: defaultdict(list),
    }
    for pseudonym, model, token in rows:
        kinds[model][pseudonym].append(decrypt_template(fernet, token))
    return Gallery.build(kinds[TEMPLATE_MODEL], sibling_pairs(session), kinds[DISTANT_TEMPLATE_MODEL])


def sibling_pairs(session: Session) -> list[tuple[str, str]]:
    """Pseudonyms of every two students who share a guardian."""
    first, second = aliased(Guardianship), aliased(Guardianship)
    student_a, student_b = aliased(Student), aliased(Student)
    return [
        (a, b)
        for a, b in session.execute(
            select(student_a.pseudonym, student_b.pseudonym)
            .select_from(first)
            .join(second, (second.guardian_id == first.guardian_id) & (second.student_id > first.student_id))
            .join(student_a, student_a.id == first.student_id)
            .join(student_b, student_b.id == second.student_id)
            .distinct()
        )
    ]


def check_inputs(session: Session, at: datetime | None = None) -> CheckInputs:
    """Everything `mediacheck.check.PhotoChecker` needs, as of `at` (default now)."""
    at = at or utcnow()
    gallery = load_gallery(session, at) if policy_service.face_matching_enabled(session) else None
    return CheckInputs(
        gallery,
        current_consents(session, at),
        policy_service.check_policy(session),
        policy_service.check_settings(session),
    )

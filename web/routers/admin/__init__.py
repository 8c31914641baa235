"""Administration: students and guardians, enrolment, consent overview and links, policy, the audit
register, data requests and staff accounts. Every route admits the admin role only."""

from fastapi import APIRouter

from web.routers.admin import accounts, consents, policy, register, students

router = APIRouter(tags=["admin"])
for part in (students, consents, policy, register, accounts):
    router.include_router(part.router)

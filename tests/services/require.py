import os

import pytest


def require(available: bool, what: str) -> None:
    """Skip when a real service is missing on a developer's machine; fail in CI, which sets
    MEDIACHECK_REQUIRE_SERVICES=1, so a missing service can never pass as green."""
    if available:
        return
    if os.environ.get("MEDIACHECK_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required (MEDIACHECK_REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")

"""Shared fixtures: the real detector and encoder, loaded once, and the sample media."""

import json

import pytest

from mediacheck.check import PhotoChecker
from mediacheck.gallery import EnrolledGallery, load_gallery
from mediacheck.matching import Gallery
from tests.samples import GROUND_TRUTH, PEOPLE


@pytest.fixture(scope="session")
def sample_enrolment() -> EnrolledGallery:
    return load_gallery(PhotoChecker(), PEOPLE)


@pytest.fixture(scope="session")
def sample_gallery(sample_enrolment: EnrolledGallery) -> Gallery:
    return sample_enrolment.gallery


@pytest.fixture(scope="session")
def ground_truth() -> dict[str, list[dict]]:
    return json.loads(GROUND_TRUTH.read_text())["images"]


@pytest.fixture
def checker(sample_gallery: Gallery) -> PhotoChecker:
    """A checker with the sample people enrolled and, until a test grants some, no consent at all (R3)."""
    return PhotoChecker(gallery=sample_gallery)

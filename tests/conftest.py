"""The Kazakh and Russian pages are checked in both languages, on one sample of
every kind of person, venue and record."""

import pytest

from tests.sample import Sample, build_sample


@pytest.fixture(params=["kk", "ru"])
def language(request) -> str:
    return request.param


@pytest.fixture
def sample() -> Sample:
    return build_sample()

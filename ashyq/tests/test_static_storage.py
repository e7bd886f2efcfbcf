"""Production's static storage: hashed URLs from the manifest, each worked out once."""

import json

import pytest
from django.test import override_settings

from ashyq.storage import StaticStorage


@pytest.fixture
def storage(tmp_path) -> StaticStorage:
    manifest = {"version": "1.1", "paths": {"css/ashyq.css": "css/ashyq.0123abcd.css"}}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return StaticStorage(location=tmp_path, base_url="/static/")


@override_settings(DEBUG=False)
def test_a_url_is_the_hashed_name_and_is_kept_once_found(storage):
    assert storage.url("css/ashyq.css") == "/static/css/ashyq.0123abcd.css"

    # Found once, the URL no longer depends on the manifest read at start.
    storage.hashed_files.clear()

    assert storage.url("css/ashyq.css") == "/static/css/ashyq.0123abcd.css"


@override_settings(DEBUG=False)
def test_a_name_missing_from_the_manifest_raises_every_time(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")

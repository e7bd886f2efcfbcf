"""One yes-or-no question to a state registry over HTTP, failing closed.

The identity check (does this phone number belong to the IIN's holder?) and
the organisation check (does this IIN head the BIN?) ask their registries the
same way: a JSON POST with a bearer token, answered by `{"match": true|false}`.
"""

import http.client
import json
import logging
import urllib.error
import urllib.request

logger = logging.getLogger(__name__)


def registry_match(*, name: str, url: str, token: str, question: dict[str, str]) -> bool | None:
    """True or False as the registry answers; None when it gave no usable answer.

    Anything but `"match": true` is a no, so a registry that changes its
    format never lets a claim through.
    """
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    # The URL is operator configuration, an https URL.
    request = urllib.request.Request(  # noqa: S310
        url, data=json.dumps(question).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            answer = json.loads(response.read())
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        logger.error("%s unavailable: %s", name, exc)
        return None
    if not isinstance(answer, dict):
        logger.error("%s answered %r, not an object", name, type(answer).__name__)
        return None
    return answer.get("match") is True

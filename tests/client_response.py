"""The type of what Django's test client answers, for annotating tests and their helpers.

django-stubs describes it as `_MonkeyPatchedWSGIResponse`, a class that exists only for type
checkers: the response a view returned, with the attributes the test client adds (`content`,
`context`, `json()`...). At run time it is that response, an HttpResponseBase.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as ClientResponse
else:
    from django.http import HttpResponseBase as ClientResponse

__all__ = ["ClientResponse"]

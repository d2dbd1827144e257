"""Small typed pieces the shared templates render (see templates/portal/)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tab:
    """One tab of `portal/tabs.html`: a link to its own page, `current` on the page it names."""

    label: str
    url: str
    current: bool = False

"""What changed between two versions of a product, by path and SHA-256.

:func:`changed_paths` compares two manifests: a path only in the new one
is *added*, a path in both with another digest is *changed*, a path only
in the old one is *removed*. The update email and the download page list
it, and "only what changed" is the added and changed files (a version
archive can later be restricted to ``changes.to_fetch``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Changes:
    """Paths added, changed and removed (each sorted)."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def to_fetch(self) -> tuple[str, ...]:
        """The paths a buyer holding the old version needs: added and changed."""
        return tuple(sorted((*self.added, *self.changed)))

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def changed_paths(old_files: Iterable[dict[str, Any]], new_files: Iterable[dict[str, Any]]) -> Changes:
    """The changes from ``old_files`` to ``new_files`` (rows or manifest
    entries with ``path`` and ``sha256``)."""
    old = {f["path"]: f["sha256"] for f in old_files}
    new = {f["path"]: f["sha256"] for f in new_files}
    return Changes(
        added=tuple(sorted(p for p in new if p not in old)),
        changed=tuple(sorted(p for p in new if p in old and old[p] != new[p])),
        removed=tuple(sorted(p for p in old if p not in new)),
    )

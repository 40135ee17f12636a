"""``seamline validate``'s look at the files the sources name: they exist, copybooks parse.

Kept out of :func:`~seamline.workspace.loader.check_workspace`: every command loads the
workspace, and a command that does not read the sources (``serve``, ``runs``) must work
while a drop folder is empty. ``validate`` is where a missing file should show first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from seamline.plugins import default_registry
from seamline.workspace.issues import Issue

if TYPE_CHECKING:
    from seamline.workspace.loader import Workspace

FILE_OPTIONS = ("path", "copybook", "extra_copybooks")
"""Source options that name files relative to the workspace (any connector)."""


def _named(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _is_local(name: str) -> bool:
    # A URL (sqlite:///..., s3://...) or a pattern is not one file to look for.
    return "://" not in name and not any(c in name for c in "*?[")


def source_file_issues(ws: Workspace) -> list[Issue]:
    """A missing file named by a source, and one its connector cannot read (a copybook
    that does not parse), per dataset."""
    registry = default_registry()
    issues: list[Issue] = []
    for dataset_id, options in sorted(ws.sources.items()):
        origin = ws.origin("dataset", dataset_id)
        shown = origin.path if origin else f"datasets/{dataset_id}.yaml"
        for option in FILE_OPTIONS:
            for i, name in enumerate(_named(getattr(options, option, None))):
                if not _is_local(name):
                    continue
                loc: tuple[str | int, ...] = ("source", option)
                if option == "extra_copybooks":
                    loc = (*loc, i)
                line, column = origin.at(*loc) if origin else (0, 0)
                path = Path(name).expanduser()
                path = path if path.is_absolute() else ws.root / path
                if not path.is_file():
                    what = "is a folder, not a file" if path.is_dir() else "does not exist"
                    issues.append(
                        Issue(
                            shown,
                            line,
                            column,
                            f"source.{option}: {name} {what} (looked for {path})",
                            hint="Put the file there, or correct the path (relative to the "
                            "workspace folder).",
                            instance=origin.instance if origin else "",
                        )
                    )
                    continue
                reader = registry.connectors.get(options.kind)
                found = reader.file_issue(option, name, path) if reader else None
                if found:
                    problem, fix = found
                    issues.append(
                        Issue(
                            shown,
                            line,
                            column,
                            f"source.{option}: {problem}",
                            hint=fix,
                            instance=origin.instance if origin else "",
                        )
                    )
    return issues

"""The workspace: the integration program as code (spec models, loading, validation)."""

from seamline.workspace.issues import Issue, SpecErrors
from seamline.workspace.loader import Workspace, check_workspace, load_workspace

__all__ = ["Issue", "SpecErrors", "Workspace", "check_workspace", "load_workspace"]

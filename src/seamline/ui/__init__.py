"""The web UI: sign-in, overview, catalogue, seams and the reconciliation worklist."""

from seamline.ui.accounts import ROLES, User, add_user, remove_user
from seamline.ui.app import create_ui_app, mount_ui

__all__ = ["ROLES", "User", "add_user", "create_ui_app", "mount_ui", "remove_user"]

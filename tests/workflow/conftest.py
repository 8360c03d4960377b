"""Fixtures shared by the approval tests: the API test app and its users."""

from tests.api.conftest import admin_api, browser, fixed_app, new_user, sign_in  # noqa: F401

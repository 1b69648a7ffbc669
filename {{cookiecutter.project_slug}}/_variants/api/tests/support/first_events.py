"""Each handler module's first event: the test that invokes it first, with its sample event of
events/ and AWS emulated by moto (tests/test_performance.py runs it alone, after the module's
import, in a fresh interpreter)."""

PACKAGE = "{{ cookiecutter.package_name }}"
FIRST_EVENTS = {
    f"{PACKAGE}.api": "tests/unit/test_api.py::test_create_then_get_item",
    f"{PACKAGE}.rotation": (
        "tests/unit/test_rotation.py::test_a_rotation_makes_a_new_random_key_current_and_keeps_the_old_one_as_previous"
    ),
{%- if cookiecutter.api_auth == "oidc" %}
    f"{PACKAGE}_authorizer.handler": (
        "tests/unit/test_authorizer.py::test_a_valid_token_is_allowed_every_method_its_scopes_allow"
    ),
{%- endif %}
}
